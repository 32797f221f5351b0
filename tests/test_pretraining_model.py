"""ElectraPretrainer against an independent implementation of the original's formulas, and its layouts."""

import numpy as np
import oracle_electra as oracle
import pytest

from tf_electra.io import weights
from tf_electra.models.electra_pretrainer import ElectraPretrainer
from tf_electra.pretraining_config import PretrainingConfig

from conftest import run_client
from conftest import torch_or_skip
from fixtures import checkpoint_shapes

VOCAB, LENGTH, MASK_ID, CLS, SEP = 60, 12, 4, 2, 3
SIZES = {
    "model_hparam_overrides": {
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 48,
    },
    "embedding_size": 16,
    "generator_hidden_size": 0.5,
    "vocab_size": VOCAB,
    "max_seq_length": LENGTH,
}
LAYOUTS = {
    "shared_embeddings": {},
    "untied_generator_embeddings": {"untied_generator_embeddings": True},
    "tied_generator": {"untied_generator": False},
    "bert_objective": {"electra_objective": False},
    "no_projection": {"embedding_size": 32},
}


def pretrainer(layout="shared_embeddings", **options):
    config = PretrainingConfig.from_hparams(dict(SIZES, **LAYOUTS[layout]))
    model = ElectraPretrainer(
        config.discriminator_config(),
        config.generator_config(),
        MASK_ID,
        [CLS, SEP, MASK_ID],
        LENGTH,
        electra_objective=config.electra_objective,
        untied_generator=config.untied_generator,
        untied_generator_embeddings=config.untied_generator_embeddings,
        seed=0,
        **options,
    )
    rng = np.random.default_rng(1)
    for variable in model.weights:  # large random values, so that a wrong mapping cannot hide
        variable.assign(rng.normal(0, 0.3, variable.shape).astype("float32") + ("gamma" in variable.path))
    return model, config


def batch(seed=0, batch_size=3):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, VOCAB, (batch_size, LENGTH))
    ids[:, 0], ids[:, -1] = CLS, SEP
    mask = np.ones_like(ids)
    ids[1, 8:], mask[1, 8:] = 0, 0
    ids[1, 7] = SEP
    types = np.zeros_like(ids)
    types[:, LENGTH // 2 :] = 1
    return {"input_ids": ids, "input_mask": mask, "segment_ids": types * mask}


def fixed_draws(inputs, slots, seed=0):
    """Masked positions with duplicates, and every uniform draw, fixed."""
    rng = np.random.default_rng(seed)
    positions = np.array([[3, 5, 5, 9], [2, 4, 6, 0], [1, 1, 7, 10]])[:, :slots]
    weights_ = (positions > 0).astype("float32")
    return dict(
        inputs,
        masked_lm_positions=positions,
        masked_lm_weights=weights_,
        replace_uniform=rng.random(positions.shape).astype("float32"),
        sampling_uniform=rng.random(positions.shape + (VOCAB,)).astype("float32"),
    )


def torch_network(cls_name, keras_model):
    torch, transformers = torch_or_skip()
    config = transformers.ElectraConfig(
        **{k: v for k, v in keras_model.config.to_dict().items() if k != "attn_implementation"}
    )
    network = getattr(transformers, cls_name)(config).eval()
    state = {k: torch.as_tensor(v) for k, v in weights.hf_state_dict(keras_model).items()}
    missing, unexpected = network.load_state_dict(state, strict=False)
    assert not unexpected and set(missing) <= {"generator_lm_head.weight", "electra.embeddings.position_ids"}
    network.tie_weights()
    return network, torch


@pytest.mark.parametrize("temperature,disallow", [(1.0, False), (2.0, False), (1.0, True)])
def test_losses_samples_and_labels_equal_the_original_formulas(temperature, disallow):
    model, _ = pretrainer(temperature=temperature, disallow_correct=disallow)
    inputs = fixed_draws(batch(), slots=model.max_predictions)
    out = {k: np.asarray(v) for k, v in model(inputs).items()}

    ids, mask, types = inputs["input_ids"], inputs["input_mask"], inputs["segment_ids"]
    masked_ids, masked_input = oracle.masked_inputs(
        ids, inputs["masked_lm_positions"], inputs["masked_lm_weights"], inputs["replace_uniform"], MASK_ID
    )
    np.testing.assert_array_equal(out["masked_input_ids"], masked_input)
    np.testing.assert_array_equal(out["masked_lm_ids"], masked_ids)
    generator, torch = torch_network("ElectraForMaskedLM", model.generator)
    discriminator, _ = torch_network("ElectraForPreTraining", model.discriminator)
    tensor = lambda a: torch.as_tensor(np.asarray(a)).long()
    with torch.no_grad():
        logits = generator(tensor(masked_input), tensor(mask), tensor(types)).logits.numpy()
    logits = oracle.gather_positions(logits, inputs["masked_lm_positions"])
    np.testing.assert_allclose(out["mlm_logits"], logits, atol=1e-4)
    mlm = oracle.mlm_loss(logits, masked_ids, inputs["masked_lm_weights"])
    sampled = oracle.sample(logits, inputs["sampling_uniform"], temperature, masked_ids if disallow else None)
    np.testing.assert_array_equal(out["sampled_ids"], sampled)
    fake, labels = oracle.fake_data(ids, inputs["masked_lm_positions"], sampled)
    np.testing.assert_array_equal(out["fake_input_ids"], fake)
    np.testing.assert_array_equal(out["disc_labels"], labels)
    with torch.no_grad():
        disc_logits = discriminator(tensor(fake), tensor(mask), tensor(types)).logits.numpy()
    disc = oracle.disc_loss(disc_logits, labels, mask)
    assert abs(float(out["mlm_loss"]) - mlm) < 1e-5
    assert abs(float(out["disc_loss"]) - disc) < 1e-5
    assert abs(float(out["loss"]) - (mlm + 50.0 * disc)) < 1e-4 * (1 + abs(mlm + 50 * disc))
    assert labels.sum() > 0 and (out["disc_labels"] == 0).sum() > 0  # both classes occur


def test_duplicate_positions_are_floor_averaged_as_in_the_original():
    from tf_electra.models import masking

    ids = np.array([[2, 10, 11, 12, 3]])
    updated, written = masking.scatter_update(ids, np.array([[20, 25, 7, 9]]), np.array([[1, 1, 0, 3]]))
    assert np.asarray(updated).tolist() == [[2, 22, 11, 9, 3]]  # (20 + 25) // 2; position 0 never written
    assert np.asarray(written).tolist() == [[0, 1, 0, 1, 0]]


def test_masking_statistics_follow_the_original_rules():
    from tf_electra.models import masking

    model, _ = pretrainer()
    inputs = batch(seed=2, batch_size=64)
    out = {k: np.asarray(v) for k, v in model(inputs).items()}
    real = inputs["input_mask"].sum(-1)
    expected = np.maximum(1, np.minimum(model.max_predictions, np.round(real * 0.15))).astype(int)
    np.testing.assert_array_equal(out["masked_lm_weights"].sum(-1), expected)
    chosen = out["masked_lm_positions"][out["masked_lm_weights"] > 0]
    candidates = np.asarray(masking.candidates_mask(inputs["input_ids"], inputs["input_mask"], [CLS, SEP, MASK_ID]))
    rows = np.nonzero(out["masked_lm_weights"] > 0)[0]
    assert candidates[rows, chosen].all()  # never [CLS], [SEP], [MASK] or padding
    replaced = out["masked_input_ids"] != inputs["input_ids"]
    fraction = replaced.sum() / len(np.unique(np.stack([rows, chosen]), axis=1).T)
    assert 0.75 < fraction <= 0.95  # 85% [MASK], the rest unchanged (no random tokens)


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_checkpoint_names_are_the_original_layout(layout):
    model, config = pretrainer(layout)
    names = {name: tuple(v.shape) for name, v in model.google_variables().items()}
    hp = dict(SIZES, **LAYOUTS[layout])
    expected = checkpoint_shapes(
        model_size="small",
        embedding_size=hp["embedding_size"],
        model_hparam_overrides=hp["model_hparam_overrides"],
        generator_hidden_size=0.5,
        vocab_size=VOCAB,
        max_position=512,
        untied_generator=config.untied_generator,
        untied_generator_embeddings=config.untied_generator_embeddings,
        electra_objective=config.electra_objective,
    )
    assert names == {k: tuple(v) for k, v in expected.items()}


def test_bert_objective_masks_80_10_10():
    model, _ = pretrainer("bert_objective")
    inputs = batch(seed=3, batch_size=128)
    out = {k: np.asarray(v) for k, v in model(inputs).items()}
    assert "disc_loss" not in out and float(out["loss"]) == pytest.approx(float(out["mlm_loss"]))
    rows, cols = np.nonzero(out["masked_lm_weights"] > 0)
    positions = out["masked_lm_positions"][rows, cols]
    unique = np.unique(np.stack([rows, positions]), axis=1)
    new = out["masked_input_ids"][unique[0], unique[1]]
    old = inputs["input_ids"][unique[0], unique[1]]
    mask_share, changed_share = np.mean(new == MASK_ID), np.mean(new != old)
    assert 0.72 < mask_share < 0.88 and 0.8 < changed_share < 0.97


@pytest.mark.slow
def test_runs_on_the_jax_backend():
    result = run_client("jax_pretrainer", env={"KERAS_BACKEND": "jax", "TF_ELECTRA_HIDDEN_PACKAGES": ""})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "jax pretrainer ok" in result.stdout


@pytest.mark.parametrize("prior, mask_prob", [(False, 0.15), (True, 0.15), (True, 0.3)])
def test_disc_prior_init_starts_the_discriminator_at_the_replaced_share(prior, mask_prob):
    import types

    from tf_electra.configuration import ConfigError
    from tf_electra.pretraining.run import build_pretrainer

    config = PretrainingConfig.from_hparams(dict(SIZES, mask_prob=mask_prob, disc_prior_init=prior))
    tokenizer = types.SimpleNamespace(cls_token_id=CLS, sep_token_id=SEP, mask_token_id=MASK_ID)
    model = build_pretrainer(config, tokenizer, seed=0)
    inputs = batch(batch_size=16)
    logits = np.asarray(model(inputs)["disc_logits"])[inputs["input_mask"] > 0]
    # The original starts every token at probability 0.5; the prior at mask_prob (an untrained generator
    # replaces nearly every masked token). Small initial weights keep the logits near the bias.
    expected = mask_prob if prior else 0.5
    assert abs(np.mean(1 / (1 + np.exp(-logits))) - expected) < 0.03
    bias = np.asarray(model.discriminator.discriminator_predictions.dense_prediction.bias)
    np.testing.assert_allclose(bias, [np.log(expected / (1 - expected))], atol=1e-6)
    with pytest.raises(ConfigError, match="disc_prior_init must be true or false"):
        PretrainingConfig.from_hparams({"disc_prior_init": "yes"})


@pytest.mark.parametrize(
    "hparams,message",
    [
        ({"gen_weight": 0, "disc_weight": 0}, "no loss"),
        ({"gen_weight": 0, "electra_objective": False}, "no loss"),
        ({"num_train_steps": 10**22}, "num_train_steps must be below 2\\*\\*63"),
    ],
)
def test_settings_that_train_nothing_or_overflow_the_step_are_refused(hparams, message):
    from tf_electra.configuration import ConfigError

    with pytest.raises(ConfigError, match=message):
        PretrainingConfig.from_hparams(hparams)
    assert PretrainingConfig.from_hparams({"gen_weight": 0}).disc_weight == 50.0  # the discriminator alone trains
