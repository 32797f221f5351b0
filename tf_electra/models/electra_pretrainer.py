"""ElectraPretrainer: the generator and the discriminator of ELECTRA pre-training, as one Keras model.

One call masks a batch, runs the generator (a TFElectraForMaskedLM) on the masked positions only,
samples replacements from its softmax, and runs the discriminator (a TFElectraForPreTraining) on the
corrupted batch. The loss is `gen_weight * masked-LM loss + disc_weight * discriminator loss`, both
token-level means over the batch with the original's 1e-6 in the denominator; nothing flows back
through the sampled tokens. With `electra_objective=False` it is BERT's masked LM on a full-size
encoder. Train it with `model.fit` on batches of `input_ids`, `input_mask`, `segment_ids` (the
original TFRecord features); keras.ops only, so it runs on every Keras backend.
"""

import math

import keras
from keras import ops

from tf_electra import _keras_compat
from tf_electra.errors import ConfigError
from tf_electra.io.google_layout import Layout
from tf_electra.io.weights import variable_names
from tf_electra.models import masking
from tf_electra.models.fitting import DatasetFitMixin
from tf_electra.models.pretraining import TFElectraForMaskedLM
from tf_electra.models.pretraining import TFElectraForPreTraining
from tf_electra.models.pretraining_metrics import PretrainingMetrics
from tf_electra.pretraining_config import max_predictions_per_seq

# Inputs tests may fix to replay the original's random draws exactly.
FIXED_DRAWS = ("masked_lm_positions", "masked_lm_weights", "replace_uniform", "sampling_uniform")


class ElectraPretrainer(DatasetFitMixin, keras.Model):
    """Replaced-token detection (or, with electra_objective=False, masked-LM) pre-training.

    Args:
        discriminator_config: ElectraConfig of the discriminator (of the masked LM without ELECTRA).
        generator_config: ElectraConfig of the generator (`PretrainingConfig.generator_config()`).
        mask_token_id: Id of [MASK].
        excluded_ids: Ids never masked ([CLS], [SEP], [MASK]).
        max_seq_length: Sequence length of the data (sets max_predictions_per_seq).
        mask_prob, gen_weight, disc_weight, temperature, disallow_correct, electra_objective,
        untied_generator, untied_generator_embeddings, disc_prior_init: As in PretrainingConfig.
        seed: Seed of the masking and sampling draws (None: not repeatable).
    """

    def __init__(
        self,
        discriminator_config,
        generator_config,
        mask_token_id,
        excluded_ids,
        max_seq_length=128,
        mask_prob=0.15,
        gen_weight=1.0,
        disc_weight=50.0,
        temperature=1.0,
        disallow_correct=False,
        electra_objective=True,
        untied_generator=True,
        untied_generator_embeddings=False,
        disc_prior_init=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        # === Config ===
        self.options = dict(
            mask_token_id=int(mask_token_id),
            excluded_ids=[int(i) for i in excluded_ids],
            max_seq_length=max_seq_length,
            mask_prob=mask_prob,
            gen_weight=gen_weight,
            disc_weight=disc_weight,
            temperature=temperature,
            disallow_correct=disallow_correct,
            electra_objective=electra_objective,
            untied_generator=untied_generator,
            untied_generator_embeddings=untied_generator_embeddings,
            disc_prior_init=disc_prior_init,
            seed=seed,
        )
        self.max_predictions = max_predictions_per_seq(mask_prob, max_seq_length)
        self.seed_generator = keras.random.SeedGenerator(seed)
        # === Networks ===
        policy = self.dtype_policy
        self.discriminator = None
        if not electra_objective:  # BERT: one full-size masked LM
            self.generator = TFElectraForMaskedLM(discriminator_config, name="generator", dtype=policy)
        else:
            self.discriminator = TFElectraForPreTraining(discriminator_config, name="discriminator", dtype=policy)
            if not untied_generator:  # the generator is the discriminator's encoder with its own head
                self.generator = TFElectraForMaskedLM(
                    discriminator_config, shared_encoder=self.discriminator.electra, name="generator", dtype=policy
                )
            else:
                shared = None if untied_generator_embeddings else self.discriminator.electra.embeddings
                self.generator = TFElectraForMaskedLM(
                    generator_config, shared_embeddings=shared, name="generator", dtype=policy
                )
        if self.discriminator is not None and disc_prior_init:  # the log-odds of a replaced token, not 0
            bias = self.discriminator.discriminator_predictions.dense_prediction.bias
            share = min(mask_prob, 0.999)
            bias.assign(ops.full(bias.shape, math.log(share / (1.0 - share)), bias.dtype))
        self.pretraining_metrics = PretrainingMetrics(electra_objective)
        self.built = True  # both networks build their weights in their constructors

    @property
    def metrics(self):
        return super().metrics + self.pretraining_metrics.all()

    def call(self, inputs, training=False):
        """Masks, generates, corrupts and discriminates one batch.

        Args:
            inputs: dict of int [batch, seq] `input_ids`, `input_mask`, `segment_ids` (the original's
                feature names; `attention_mask` / `token_type_ids` are accepted too), optionally with
                fixed draws (FIXED_DRAWS) instead of random ones.

        Returns:
            dict: loss, mlm_loss, disc_loss; the masking (masked_lm_positions / _ids / _weights,
            masked_input_ids); the generator's mlm_logits [B, N, V], mlm_preds, sampled_ids; the
            discriminator's input (fake_input_ids), disc_labels and disc_logits [B, L].
        """
        o = self.options
        ids = ops.cast(inputs["input_ids"], "int32")
        input_mask = ops.cast(inputs.get("input_mask", inputs.get("attention_mask")), "int32")
        segments = inputs.get("segment_ids", inputs.get("token_type_ids"))
        segments = ops.zeros_like(ids) if segments is None else ops.cast(segments, "int32")
        out = self._mask(inputs, ids, input_mask)
        hidden, _, _ = self.generator.electra(
            input_ids=out["masked_input_ids"], attention_mask=input_mask, token_type_ids=segments, training=training
        )
        relevant = masking.gather_positions(hidden, out["masked_lm_positions"])  # [B, N, H_g]
        table = self.generator.electra.embeddings.word_embeddings.embeddings
        logits = self.generator.generator_lm_head(self.generator.generator_predictions(relevant), table)
        logits = ops.cast(logits, "float32")  # [B, N, V]
        log_probs = ops.log_softmax(logits, axis=-1)
        nll = -ops.sum(log_probs * ops.one_hot(out["masked_lm_ids"], ops.shape(logits)[-1]), axis=-1)
        weights = out["masked_lm_weights"]
        out.update(mlm_logits=logits, mlm_nll=nll, mlm_preds=ops.cast(ops.argmax(logits, -1), "int32"))
        out["mlm_loss"] = ops.sum(weights * nll) / (ops.sum(weights) + 1e-6)
        out["loss"] = o["gen_weight"] * out["mlm_loss"]
        if self.discriminator is not None:
            self._discriminate(inputs, out, ids, input_mask, segments, training)
            out["loss"] = out["loss"] + o["disc_weight"] * out["disc_loss"]
        return out

    def _mask(self, inputs, ids, input_mask):
        o = self.options
        if "masked_lm_positions" in inputs:
            positions = ops.cast(inputs["masked_lm_positions"], "int32")
            weights = ops.cast(inputs["masked_lm_weights"], "float32")
            masked_ids = masking.gather_positions(ids, positions) * ops.cast(weights, "int32")
        else:
            positions, weights, masked_ids = masking.choose_positions(
                ids, input_mask, o["excluded_ids"], o["mask_prob"], self.max_predictions, self.seed_generator
            )
        uniform = inputs.get("replace_uniform")
        if uniform is None:
            uniform = keras.random.uniform(ops.shape(positions), seed=self.seed_generator)
        random_ids = None
        if not o["electra_objective"]:
            vocab = self.generator.config.vocab_size
            random_ids = keras.random.randint(ops.shape(positions), 0, vocab, dtype="int32", seed=self.seed_generator)
        masked_input = masking.corrupt(
            ids, positions, o["mask_token_id"], uniform, not o["electra_objective"], random_ids
        )
        return {
            "masked_lm_positions": positions,
            "masked_lm_weights": weights,
            "masked_lm_ids": masked_ids,
            "masked_input_ids": masked_input,
        }

    def _discriminate(self, inputs, out, ids, input_mask, segments, training):
        o = self.options
        sampled = masking.sample_tokens(
            out["mlm_logits"],
            o["temperature"],
            out["masked_lm_ids"] if o["disallow_correct"] else None,
            inputs.get("sampling_uniform"),
            self.seed_generator,
        )
        # The sampled tokens go back into the *original* sequence, at every chosen position.
        fake, written = masking.scatter_update(ids, sampled, out["masked_lm_positions"])
        labels = written * ops.cast(ops.not_equal(fake, ids), "int32")
        logits = self.discriminator(
            {"input_ids": fake, "attention_mask": input_mask, "token_type_ids": segments}, training=training
        ).logits
        logits = ops.cast(logits, "float32")
        mask = ops.cast(input_mask, "float32")
        labels_f = ops.cast(labels, "float32")
        bce = ops.maximum(logits, 0.0) - logits * labels_f + ops.log1p(ops.exp(-ops.abs(logits)))
        out.update(sampled_ids=sampled, fake_input_ids=fake, disc_labels=labels, disc_logits=logits)
        out["disc_loss"] = ops.sum(bce * mask) / (1e-6 + ops.sum(mask))
        out["disc_example_loss"] = ops.sum(bce * mask, axis=-1) / (1e-6 + ops.sum(mask, axis=-1))

    def networks(self):
        """{"discriminator": model, "generator": model} (no discriminator for the BERT-style objective)."""
        nets = {"generator": self.generator}
        if self.discriminator is not None:
            nets["discriminator"] = self.discriminator
        return nets

    def layout(self):
        """The checkpoint Layout these options give (google_layout.Layout)."""
        o = self.options
        return Layout(
            has_discriminator=o["electra_objective"],
            has_generator=True,
            generator_scope="generator" if o["electra_objective"] and o["untied_generator"] else "electra",
            untied_generator_embeddings=bool(o["untied_generator_embeddings"] and o["electra_objective"]),
        )

    def google_variables(self):
        """{Google checkpoint name: variable} of both networks (a shared variable once)."""
        layout, table = self.layout(), {}
        for network, model in self.networks().items():
            for name, (variable, _) in variable_names(model, "google", **layout.scopes(network)).items():
                if name in table and table[name] is not variable:
                    raise ValueError(f"two variables map to the checkpoint name {name}")
                table[name] = variable
        return table

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if sample_weight is not None:  # it would be ignored: the loss weighs masked positions and tokens itself
            raise ConfigError("pre-training takes no sample_weight or class_weight; its loss weighs the tokens itself")
        return _keras_compat.aggregate_loss(self, y_pred["loss"])

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        input_mask = x.get("input_mask", x.get("attention_mask"))
        self.pretraining_metrics.update(y_pred, input_mask)
        return _keras_compat.results_for_workers(self, self.get_metrics_result())

    def get_config(self):
        config = super().get_config()
        config.update(self.options)
        config["discriminator_config"] = (self.discriminator or self.generator).config.to_dict()
        config["generator_config"] = self.generator.config.to_dict()
        return config

    @classmethod
    def from_config(cls, config):
        from tf_electra.configuration import ElectraConfig

        config = dict(config)
        for key in ("discriminator_config", "generator_config"):
            config[key] = ElectraConfig.from_dict(config[key])
        return cls(**config)
