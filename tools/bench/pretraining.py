"""One ELECTRA pre-training step (generator + discriminator, AdamW), ours and in PyTorch.

Ours is `tf-electra pretrain`'s step: an ElectraPretrainer compiled with the original's optimizer,
trained with `train_on_batch` (masking, sampling and the eight metrics included). The peer is the same
step written with transformers' PyTorch classes the way the original computes it: an
ElectraForMaskedLM generator sharing the discriminator's embeddings (and its tied output table), run
on the masked batch, its LM head applied to the masked positions only; replacements sampled with the
Gumbel-max trick, without gradient; an ElectraForPreTraining discriminator on the corrupted batch;
loss = MLM loss + 50 x discriminator loss; global-norm clipping at 1.0; torch.optim.AdamW.
"""

import types

import numpy as np

SPECIAL = types.SimpleNamespace(cls_token_id=101, sep_token_id=102, mask_token_id=103, pad_token_id=0)
HF_KEYS = (
    "vocab_size embedding_size hidden_size num_hidden_layers num_attention_heads intermediate_size hidden_act "
    "hidden_dropout_prob attention_probs_dropout_prob max_position_embeddings type_vocab_size initializer_range "
    "layer_norm_eps"
).split()


def pretraining_cfg(model_size, seq, vocab_size=30522):
    """Everything both workers need: the original's hparams and the two networks' sizes."""
    from tf_electra.pretraining_config import PretrainingConfig

    hparams = dict(model_size=model_size, max_seq_length=seq, vocab_size=vocab_size)
    config = PretrainingConfig.from_hparams(hparams)
    disc, gen = config.discriminator_config().to_dict(), config.generator_config().to_dict()
    return {
        "hparams": hparams,
        "disc": {k: disc[k] for k in HF_KEYS},
        "gen": {k: gen[k] for k in HF_KEYS},
        "max_predictions": config.max_predictions_per_seq,
    }


def step_flops(cfg, batch, seq):
    """FLOPs of one step (forward + backward = 3 x forward; 2 per multiply-add): both encoders on every
    token, the generator's head on the masked positions, the discriminator's head on every token."""
    from bench.system import forward_flops

    disc, gen, n = cfg["disc"], cfg["gen"], cfg["max_predictions"]
    gen_head = 2 * batch * n * (gen["hidden_size"] * gen["embedding_size"] + gen["embedding_size"] * gen["vocab_size"])
    disc_head = 2 * batch * seq * (disc["hidden_size"] ** 2 + disc["hidden_size"])
    return 3 * (forward_flops(disc, batch, seq) + forward_flops(gen, batch, seq) + gen_head + disc_head)


def pretraining_batch(cfg, batch, seq, seed=0):
    """Random token ids framed as [CLS] A [SEP] B [SEP], all real tokens (no padding)."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1000, cfg["disc"]["vocab_size"], (batch, seq)).astype("int32")
    ids[:, 0], ids[:, seq // 2], ids[:, -1] = SPECIAL.cls_token_id, SPECIAL.sep_token_id, SPECIAL.sep_token_id
    segments = np.zeros_like(ids)
    segments[:, seq // 2 + 1 :] = 1
    return {"input_ids": ids, "input_mask": np.ones_like(ids), "segment_ids": segments}


def setup_ours(cfg, batch, seq, variant):
    import keras
    import tensorflow as tf

    from bench.impls import variant_settings
    from tf_electra.pretraining.run import build_optimizer
    from tf_electra.pretraining.run import build_pretrainer
    from tf_electra.pretraining_config import PretrainingConfig

    keras.utils.set_random_seed(0)
    config = PretrainingConfig.from_hparams(dict(cfg["hparams"], train_batch_size=batch))
    model = build_pretrainer(config, SPECIAL, seed=0, mixed_precision=variant_settings(variant)[1] == "bf16")
    model.compile(optimizer=build_optimizer(config))
    features = {k: tf.constant(v) for k, v in pretraining_batch(cfg, batch, seq).items()}
    return lambda: float(model.train_on_batch(features, return_dict=True)["loss"])


def torch_networks(disc_sizes, gen_sizes):
    """transformers' ElectraForPreTraining and ElectraForMaskedLM sharing embeddings as the original does."""
    import transformers

    disc = transformers.ElectraForPreTraining(transformers.ElectraConfig(**disc_sizes))
    gen = transformers.ElectraForMaskedLM(transformers.ElectraConfig(**gen_sizes))
    gen.electra.embeddings = disc.electra.embeddings  # the original's shared embeddings
    gen.generator_lm_head.weight = disc.electra.embeddings.word_embeddings.weight  # tied output table
    return disc, gen


def setup_torch(cfg, batch, seq, variant):
    import os

    import torch
    import torch.nn.functional as F

    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    disc, gen = torch_networks(cfg["disc"], cfg["gen"])
    params = list({id(p): p for p in [*disc.parameters(), *gen.parameters()]}.values())
    optimizer = torch.optim.AdamW(params, lr=5e-4, weight_decay=0.01, eps=1e-6)
    data = {k: torch.as_tensor(v).long() for k, v in pretraining_batch(cfg, batch, seq).items()}
    ids, mask, segments = data["input_ids"], data["input_mask"], data["segment_ids"]
    special = (ids == SPECIAL.cls_token_id) | (ids == SPECIAL.sep_token_id)
    n = cfg["max_predictions"]
    disc.train()
    gen.train()

    def step():
        # masking as the original: n positions among the maskable ones, 85% [MASK], 15% kept
        positions = torch.rand(ids.shape).masked_fill(special, -1.0).topk(n, dim=1).indices
        originals = ids.gather(1, positions)
        masked_values = torch.where(torch.rand(originals.shape) < 0.85, SPECIAL.mask_token_id, originals)
        masked = ids.scatter(1, positions, masked_values)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=variant == "bf16"):
            hidden = gen.electra(masked, attention_mask=mask, token_type_ids=segments).last_hidden_state
            relevant = hidden.gather(1, positions[..., None].expand(-1, -1, hidden.shape[-1]))
            logits = gen.generator_lm_head(gen.generator_predictions(relevant)).float()
            mlm_loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), originals.reshape(-1))
            with torch.no_grad():
                gumbel = -torch.log(-torch.log(torch.rand(logits.shape).clamp_(1e-9, 1.0)))
                sampled = (logits + gumbel).argmax(-1)
            fake = ids.scatter(1, positions, sampled)
            labels = (fake != ids).float()
            disc_logits = disc(fake, attention_mask=mask, token_type_ids=segments).logits.float()
            disc_loss = F.binary_cross_entropy_with_logits(disc_logits, labels)
            loss = mlm_loss + 50.0 * disc_loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        return float(loss)

    return step
