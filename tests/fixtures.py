"""Synthetic checkpoints and data: for the tests, the benchmarks and the README's demo pipeline.

Checkpoints: random tensors in the variable layout of google-research/electra's run_pretraining.py.

Every layout of `shared/docs/google_checkpoint_format.md` can be written: shared
or untied generator embeddings, tied generator (no `generator/` scope),
discriminator-only, with or without `embeddings_project`, with the Adam slots
(`<var>/adam_m`, `<var>/adam_v`) and `global_step` that real checkpoints carry.
Tensors are written with `tf.raw_ops.SaveV2` under their original names; no
TF1 graph is needed. Used by the tests, the import benchmark and the README's
main job.

Data: `word_order_sentiment`, short reviews whose label depends on word order
("the film was good , not bad" vs "the film was bad , not good": the same
words, opposite labels), so a bag-of-words model cannot solve it.

    python -m tf_electra.synthetic OUT_DIR --model-size small --vocab 30522
"""

import argparse
import json
import os

import numpy as np

from tf_electra.presets import discriminator_sizes
from tf_electra.presets import generator_sizes


def layer_shapes(scope, hidden, intermediate, layers):
    shapes = {}
    for i in range(layers):
        p = f"{scope}/encoder/layer_{i}"
        for name in ("query", "key", "value"):
            shapes[f"{p}/attention/self/{name}/kernel"] = (hidden, hidden)
            shapes[f"{p}/attention/self/{name}/bias"] = (hidden,)
        shapes[f"{p}/attention/output/dense/kernel"] = (hidden, hidden)
        shapes[f"{p}/attention/output/dense/bias"] = (hidden,)
        shapes[f"{p}/intermediate/dense/kernel"] = (hidden, intermediate)
        shapes[f"{p}/intermediate/dense/bias"] = (intermediate,)
        shapes[f"{p}/output/dense/kernel"] = (intermediate, hidden)
        shapes[f"{p}/output/dense/bias"] = (hidden,)
        for ln in ("attention/output/LayerNorm", "output/LayerNorm"):
            shapes[f"{p}/{ln}/beta"] = (hidden,)
            shapes[f"{p}/{ln}/gamma"] = (hidden,)
    return shapes


def embedding_shapes(scope, vocab, width, max_position, type_vocab):
    return {
        f"{scope}/embeddings/word_embeddings": (vocab, width),
        f"{scope}/embeddings/token_type_embeddings": (type_vocab, width),
        f"{scope}/embeddings/position_embeddings": (max_position, width),
        f"{scope}/embeddings/LayerNorm/beta": (width,),
        f"{scope}/embeddings/LayerNorm/gamma": (width,),
    }


def checkpoint_shapes(
    model_size="small",
    embedding_size=None,
    model_hparam_overrides=None,
    generator_hidden_size=0.25,
    generator_layers=1.0,
    vocab_size=30522,
    max_position=512,
    type_vocab=2,
    untied_generator=True,
    untied_generator_embeddings=False,
    electra_objective=True,
):
    """{name: shape} of the model variables run_pretraining.py creates for these hparams."""
    disc = discriminator_sizes(model_size, embedding_size, model_hparam_overrides)
    E, H, L, FF = disc["embedding_size"], disc["hidden_size"], disc["num_hidden_layers"], disc["intermediate_size"]
    shapes = embedding_shapes("electra", vocab_size, E, max_position, type_vocab)
    if E != H:
        shapes["electra/embeddings_project/kernel"] = (E, H)
        shapes["electra/embeddings_project/bias"] = (H,)
    shapes.update(layer_shapes("electra", H, FF, L))
    if electra_objective:
        shapes["discriminator_predictions/dense/kernel"] = (H, H)
        shapes["discriminator_predictions/dense/bias"] = (H,)
        shapes["discriminator_predictions/dense_1/kernel"] = (H, 1)
        shapes["discriminator_predictions/dense_1/bias"] = (1,)
    if untied_generator or not electra_objective:
        if untied_generator and electra_objective:
            gen = generator_sizes(disc, generator_hidden_size, generator_layers)
            Hg = gen["hidden_size"]
            if untied_generator_embeddings:
                shapes.update(embedding_shapes("generator", vocab_size, Hg, max_position, type_vocab))
                table_width = Hg
            else:
                table_width = E
                if Hg != E:
                    shapes["generator/embeddings_project/kernel"] = (E, Hg)
                    shapes["generator/embeddings_project/bias"] = (Hg,)
            shapes.update(layer_shapes("generator", Hg, gen["intermediate_size"], gen["num_hidden_layers"]))
        else:  # electra_objective=False: the generator is the electra/* network itself
            Hg, table_width = H, E
    else:  # tied generator: electra/* is both networks
        Hg, table_width = H, E
    shapes["generator_predictions/dense/kernel"] = (Hg, table_width)
    shapes["generator_predictions/dense/bias"] = (table_width,)
    shapes["generator_predictions/LayerNorm/beta"] = (table_width,)
    shapes["generator_predictions/LayerNorm/gamma"] = (table_width,)
    shapes["generator_predictions/output_bias"] = (vocab_size,)
    return shapes


def write_checkpoint(prefix, shapes, seed=0, std=0.3, adam=True, global_step=1000, drop=(), rename=None):
    """Writes random tensors for `shapes` (plus Adam slots and global_step) as a TF V2 checkpoint.

    Args:
        prefix: e.g. ".../model.ckpt-1000"; the folder also gets a `checkpoint` state file.
        drop: name prefixes to leave out; rename: (old, new) prefix pair applied to names.
        std: stddev of the random values (LayerNorm gammas are 1 + noise).

    Returns:
        {name: array} of the model variables written (before drop/rename).
    """
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    values = {}
    for name, shape in shapes.items():
        value = rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
        if name.endswith("gamma"):
            value += 1.0
        values[name] = value
    names, tensors = [], []
    for name, value in values.items():
        if any(name.startswith(d) for d in drop):
            continue
        if rename and name.startswith(rename[0]):
            name = rename[1] + name[len(rename[0]) :]
        names.append(name)
        tensors.append(value)
        if adam:
            for slot in ("adam_m", "adam_v"):
                names.append(f"{name}/{slot}")
                tensors.append(np.full(value.shape, 1e-3, np.float32))
    if global_step is not None:
        names.append("global_step")
        tensors.append(np.array(global_step, np.int64))
    folder = os.path.dirname(os.path.abspath(prefix))
    os.makedirs(folder, exist_ok=True)
    tf.raw_ops.SaveV2(
        prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names), tensors=[tf.constant(t) for t in tensors]
    )
    with open(os.path.join(folder, "checkpoint"), "w") as f:
        f.write(f'model_checkpoint_path: "{os.path.basename(prefix)}"\n')
    return values


SUBJECTS = ("the film", "the movie", "this show", "the plot", "the acting", "the ending", "the story", "the music")
POSITIVE = ("good", "great", "fun", "clever", "moving", "brilliant")
NEGATIVE = ("bad", "awful", "boring", "dull", "weak", "silly")
TEMPLATES = (
    "{s} was {a} , not {b}",
    "{s} was not {b} but {a}",
    "not {b} , {s} was really {a}",
    "{s} : {a} and never {b}",
)
DEMO_WORDS = sorted(
    {w for t in SUBJECTS for w in t.split()}
    | set(POSITIVE)
    | set(NEGATIVE)
    | {"was", "not", "but", "really", "and", "never", ",", ":"}
)


def word_order_sentiment(count, seed=0):
    """Rows {"text", "label"} ("positive"/"negative") whose label depends on word order.

    The sentiment is that of the adjective that is *not* negated; swapping the
    two adjectives keeps the words and flips the label.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(count):
        positive = bool(rng.integers(2))
        good, bad = str(rng.choice(POSITIVE)), str(rng.choice(NEGATIVE))
        a, b = (good, bad) if positive else (bad, good)
        template = str(rng.choice(TEMPLATES))
        rows.append(
            {
                "text": template.format(s=str(rng.choice(SUBJECTS)), a=a, b=b),
                "label": "positive" if positive else "negative",
            }
        )
    return rows


def write_vocab(path, size):
    """A BERT-style vocab.txt of `size` tokens: specials, the demo words, characters, word pieces, fillers."""
    specials = (
        ["[PAD]"] + [f"[unused{i}]" for i in range(max(0, min(99, size - 104)))] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    )
    tokens = list(specials)
    words = "the a of and to in is was it for on with as be by this that at from".split() + DEMO_WORDS
    tokens += [w for w in dict.fromkeys(words) if w not in tokens]
    letters = "abcdefghijklmnopqrstuvwxyz0123456789.,!?'-"
    tokens += [c for c in letters if c not in tokens] + ["##" + c for c in letters]
    i = 0
    while len(tokens) < size:
        tokens.append(f"tok{i}")
        i += 1
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in tokens[:size]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--model-size", default="small", choices=("small", "base", "large"))
    parser.add_argument("--hparams", default="{}", help="JSON of the other checkpoint_shapes arguments")
    parser.add_argument("--step", type=int, default=1000)
    parser.add_argument("--no-adam", action="store_true")
    parser.add_argument(
        "--vocab", help="also write a vocab.txt with this many tokens ([PAD] [UNK] [CLS] [SEP] [MASK] ...)", type=int
    )
    args = parser.parse_args()
    hparams = json.loads(args.hparams)
    if args.vocab:
        write_vocab(os.path.join(args.out_dir, "vocab.txt"), args.vocab)
        hparams = dict(hparams, vocab_size=args.vocab)
    shapes = checkpoint_shapes(args.model_size, **hparams)
    write_checkpoint(
        os.path.join(args.out_dir, f"model.ckpt-{args.step}"), shapes, adam=not args.no_adam, global_step=args.step
    )
    print(f"wrote {len(shapes)} model variables to {args.out_dir}")


if __name__ == "__main__":
    main()
