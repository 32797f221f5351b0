"""The `tf-electra` command line tool. It parses arguments and calls library functions."""

import argparse
import sys


def _summary(args):
    import numpy as np

    from tf_electra import MODEL_CLASSES
    from tf_electra import ElectraConfig

    config = ElectraConfig.from_preset(args.preset)
    model_class = MODEL_CLASSES[args.model_class]
    model = model_class(config, attn_implementation=args.attn_implementation)
    model.summary()
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, config.vocab_size, (2, args.length)).astype("int32")
    mask = np.ones_like(ids)
    mask[1, args.length // 2 :] = 0
    outputs = model(ids, attention_mask=mask)
    print(f"\nforward pass on a batch of 2 x {args.length} random token ids (second row half padding):")
    for key, value in outputs.items():
        value = np.asarray(value)
        print(f"  {key}: shape {value.shape}, dtype {value.dtype}, mean {value.mean():+.4f}, std {value.std():.4f}")
    return 0


def build_parser():
    from tf_electra import MODEL_CLASSES
    from tf_electra import PRESETS

    parser = argparse.ArgumentParser(
        prog="tf-electra", description="ELECTRA for Keras 3 and TensorFlow: build, convert, fine-tune, export."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    summary = sub.add_parser("summary", help="build a model from a preset, print its summary and run a forward pass")
    summary.add_argument("preset", choices=PRESETS, help="released model sizes")
    summary.add_argument("--model-class", default="TFElectraForPreTraining", choices=sorted(MODEL_CLASSES))
    summary.add_argument("--attn-implementation", choices=("eager", "sdpa"), default=None)
    summary.add_argument("--length", type=int, default=16, help="sequence length of the demo batch")
    summary.set_defaults(func=_summary)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from tf_electra.errors import ElectraError

    try:
        return args.func(args)
    except (ElectraError, FileExistsError, FileNotFoundError) as e:
        print(f"tf-electra {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
