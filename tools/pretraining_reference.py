"""ELECTRA pre-training learning curves, ours against an independent PyTorch implementation, on the same batches.

Both read the same TFRecords in the same order (`pretraining_dataset`, seed 0) and train the same sizes
(a PretrainingConfig from --hparams, by default tools/electra_vs_mlm.py's) with the same recipe:
masking as the original (`mask_prob` of the tokens, 85% [MASK]), loss = MLM + disc_weight x
discriminator loss, AdamW with bias correction (weight decay 0.01 except LayerNorm and biases),
linear warm-up then decay, global-norm clip 1.0. The peer is transformers' PyTorch
ElectraForMaskedLM (generator) + ElectraForPreTraining (discriminator) sharing the embeddings, written
from the original's model function. Every --every steps each prints the discriminator's AUC,
loss, precision and recall and the generator's masked-LM accuracy over those steps.

It answers "does our pre-training learn as fast as an independent one?", which the miniature claim in
tools/electra_vs_mlm.py depends on; random draws differ, so compare trends, not digits.

Usage:
    pip install torch==2.13.0 transformers==4.57.6
    python tools/pretraining_reference.py DATA_DIR VOCAB --steps 600 --impl ours
    python tools/pretraining_reference.py DATA_DIR VOCAB --steps 600 --impl torch
"""

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench.pretraining import HF_KEYS
from bench.pretraining import torch_networks


def config_for(vocab, hparams, steps):
    from electra_vs_mlm import SIZES

    from tf_electra.pretraining_config import PretrainingConfig
    from tf_electra.tokenization.tokenizer import ElectraTokenizer

    tokenizer = ElectraTokenizer(vocab)
    hp = dict(SIZES, vocab_size=len(tokenizer), num_train_steps=steps, num_warmup_steps=max(1, steps // 10))
    hp.update(adam_bias_correction=True, **hparams)
    return PretrainingConfig.from_hparams(hp), tokenizer


def auc(scores, labels):
    """Exact ROC AUC (rank statistic)."""
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    pos = labels.astype(bool)
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / max(1, n_pos * n_neg))


def run_ours(config, tokenizer, data, steps, every):
    from tf_electra.pretraining.run import build_optimizer
    from tf_electra.pretraining.run import build_pretrainer
    from tf_electra.tasks.pretraining import pretraining_dataset

    model = build_pretrainer(config, tokenizer, seed=0)
    model.compile(optimizer=build_optimizer(config))
    dataset = pretraining_dataset(data, config.max_seq_length, config.train_batch_size, seed=0)
    history = model.fit(dataset, steps_per_epoch=every, epochs=steps // every, verbose=0).history
    for i in range(steps // every):  # Keras resets the metrics every epoch: each row is one window
        row = {k: history[k][i] for k in ("disc_auc", "disc_loss", "disc_precision", "disc_recall")}
        yield (i + 1) * every, dict(row, masked_lm_accuracy=history["masked_lm_accuracy"][i])


def run_torch(config, tokenizer, data, steps, every):
    import torch
    import torch.nn.functional as F

    from tf_electra.tasks.pretraining import pretraining_dataset

    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count())
    networks = (config.discriminator_config(), config.generator_config())
    sizes = [{k: c.to_dict()[k] for k in HF_KEYS} for c in networks]
    disc, gen = torch_networks(*sizes)
    named = {id(p): (n, p) for m in (disc, gen) for n, p in m.named_parameters()}.values()
    groups = [
        {"params": [p for n, p in named if "LayerNorm" not in n and "bias" not in n], "weight_decay": 0.01},
        {"params": [p for n, p in named if "LayerNorm" in n or "bias" in n], "weight_decay": 0.0},
    ]
    params = groups[0]["params"] + groups[1]["params"]
    optimizer = torch.optim.AdamW(groups, lr=config.learning_rate, eps=1e-6)
    warm, total = config.num_warmup_steps, config.num_train_steps
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, s / warm) * max(0.0, 1 - s / total))
    special = torch.tensor([tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.mask_token_id])
    n, vocab = config.max_predictions_per_seq, sizes[0]["vocab_size"]
    dataset = pretraining_dataset(data, config.max_seq_length, config.train_batch_size, seed=0)
    window = []
    for step, batch in zip(range(1, steps + 1), dataset.as_numpy_iterator()):
        ids, mask, segments = (torch.as_tensor(batch[k]).long() for k in ("input_ids", "input_mask", "segment_ids"))
        candidates = (mask == 1) & ~torch.isin(ids, special)
        count = (mask.sum(1) * config.mask_prob).round().long().clamp(1, n)
        weights = (torch.arange(n)[None] < count[:, None]).float()
        positions = torch.multinomial(candidates.float() + 1e-12, n, replacement=True) * weights.long()
        originals = ids.gather(1, positions)  # an unused slot points at [CLS] and writes it back unchanged
        keep = (torch.rand(originals.shape) < 0.85) & weights.bool()
        masked = ids.scatter(1, positions, torch.where(keep, tokenizer.mask_token_id, originals))
        hidden = gen.electra(masked, attention_mask=mask, token_type_ids=segments).last_hidden_state
        hidden = hidden.gather(1, positions[..., None].expand(-1, -1, hidden.shape[-1]))
        logits = gen.generator_lm_head(gen.generator_predictions(hidden))
        nll = F.cross_entropy(logits.reshape(-1, vocab), originals.reshape(-1), reduction="none").view(originals.shape)
        mlm_loss = (nll * weights).sum() / (weights.sum() + 1e-6)
        with torch.no_grad():
            gumbel = -torch.log(-torch.log(torch.rand(logits.shape).clamp(1e-9, 1.0)))
            sampled = torch.where(weights.bool(), (logits / config.temperature + gumbel).argmax(-1), originals)
        fake = ids.scatter(1, positions, sampled)
        labels = (fake != ids).float()
        disc_logits = disc(fake, attention_mask=mask, token_type_ids=segments).logits
        bce = F.binary_cross_entropy_with_logits(disc_logits, labels, reduction="none")
        disc_loss = (bce * mask).sum() / (mask.sum() + 1e-6)
        loss = config.gen_weight * mlm_loss + config.disc_weight * disc_loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        real = mask.bool()
        correct = ((logits.argmax(-1) == originals).float() * weights).sum() / weights.sum()
        window.append((disc_logits.detach()[real].numpy(), labels[real].numpy(), disc_loss.item(), correct.item()))
        if step % every == 0:
            scores, truth = (np.concatenate([w[i] for w in window]) for i in (0, 1))
            predicted = scores > 0
            yield (
                step,
                {
                    "disc_auc": auc(scores, truth),
                    "disc_loss": float(np.mean([w[2] for w in window])),
                    "disc_precision": float((predicted & (truth == 1)).sum() / max(1, predicted.sum())),
                    "disc_recall": float((predicted & (truth == 1)).sum() / max(1, (truth == 1).sum())),
                    "masked_lm_accuracy": float(np.mean([w[3] for w in window])),
                },
            )
            window = []


def main():
    from tf_electra.cli.arguments import positive_int
    from tf_electra.errors import ElectraError

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", help="a folder written by tf-electra build-pretraining-data")
    parser.add_argument("vocab")
    parser.add_argument("--impl", choices=("ours", "torch"), required=True)
    parser.add_argument("--steps", type=positive_int, default=600)
    parser.add_argument("--every", type=positive_int, default=100, help="steps per printed row (divides --steps)")
    parser.add_argument("--hparams", default="{}", help="JSON of PretrainingConfig keys over electra_vs_mlm's sizes")
    args = parser.parse_args()
    if args.steps % args.every:  # the last rows would be dropped (or, with --every above --steps, every row)
        parser.error(f"--every {args.every} does not divide --steps {args.steps}")
    try:
        hparams = json.loads(args.hparams)
    except json.JSONDecodeError as e:
        parser.error(f"--hparams is not JSON: {e}")
    if not isinstance(hparams, dict):
        parser.error(f"--hparams must be a JSON object, got {args.hparams}")
    try:
        config, tokenizer = config_for(args.vocab, hparams, args.steps)
        run = run_ours if args.impl == "ours" else run_torch
        for step, row in run(config, tokenizer, args.data, args.steps, args.every):
            print(json.dumps({"impl": args.impl, "step": step, **{k: round(v, 4) for k, v in row.items()}}), flush=True)
    except ElectraError as e:  # bad data, vocabulary or hparams: one line
        sys.exit(f"pretraining_reference.py: error: {e}")


if __name__ == "__main__":
    main()
