"""The `tf-electra` command line tool. It parses arguments and calls library functions."""

import argparse
import json
import os
import sys

MODEL_CLASS_NAMES = (
    "TFElectraModel",
    "TFElectraForPreTraining",
    "TFElectraForMaskedLM",
    "TFElectraForCausalLM",
    "TFElectraForSequenceClassification",
    "TFElectraForMultipleChoice",
    "TFElectraForTokenClassification",
    "TFElectraForQuestionAnswering",
)


def _progress(label):
    """A one-line progress display on stderr: label done/total (percent)."""

    interactive = sys.stderr.isatty()
    shown = set()

    def show(done, total):
        percent = 100 * done // max(total, 1)
        if interactive:
            end = "\n" if done == total else ""
            print(f"\r{label}: {done}/{total} ({percent}%)", end=end, file=sys.stderr, flush=True)
        elif percent // 25 not in shown:  # a log file gets a line per quarter
            shown.add(percent // 25)
            print(f"{label}: {done}/{total} ({percent}%)", file=sys.stderr, flush=True)

    return show


def _summary(args):
    import numpy as np

    from tf_electra import MODEL_CLASSES
    from tf_electra import ElectraConfig

    config = ElectraConfig.from_preset(args.preset)
    model = MODEL_CLASSES[args.model_class](config, attn_implementation=args.attn_implementation)
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


def _import_google(args):
    from tf_electra.errors import CheckpointError
    from tf_electra.google_checkpoint import load_google_checkpoint
    from tf_electra.google_checkpoint import resolve_prefix
    from tf_electra.tokenizer import ElectraTokenizer

    prefix = resolve_prefix(args.checkpoint)
    if os.path.isdir(args.output) and os.listdir(args.output) and not args.overwrite:
        raise FileExistsError(f"{args.output} exists and is not empty; pass --overwrite to replace it")
    vocab = args.vocab
    if vocab is None and os.path.isfile(os.path.join(os.path.dirname(prefix), "vocab.txt")):
        vocab = os.path.join(os.path.dirname(prefix), "vocab.txt")
    tokenizer = ElectraTokenizer(vocab, do_lower_case=not args.cased) if vocab else None
    print(f"reading the {args.model} from {prefix}", file=sys.stderr)
    model, config = load_google_checkpoint(
        prefix, args.model, hparams=args.hparams, progress=_progress(f"loading {args.model} tensors")
    )
    if tokenizer is not None and tokenizer.vocab_size != config.vocab_size:
        raise CheckpointError(
            f"{vocab} has {tokenizer.vocab_size} tokens but the checkpoint's word embeddings have "
            f"{config.vocab_size} rows; pass the vocab.txt the model was trained with (--vocab)"
        )
    model.save_pretrained(args.output, tokenizer=tokenizer, overwrite=args.overwrite)
    params = sum(int(w.numpy().size) for w in model.weights)
    print(
        f"wrote {type(model).__name__} ({params:,} parameters; hidden {config.hidden_size}, "
        f"{config.num_hidden_layers} layers, {config.num_attention_heads} heads, embedding {config.embedding_size})"
        f" to {args.output}" + (" with its tokenizer" if tokenizer else " (no vocab.txt found: no tokenizer)")
    )
    return 0


def _inspect(args):
    from tf_electra.google_checkpoint import inspect_google_checkpoint

    report = inspect_google_checkpoint(args.checkpoint)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"checkpoint: {report['prefix']}")
    print(f"layout:     {report['layout']}")
    print(f"model variables (without Adam slots and global_step): {report['variables']}")
    fields = ("vocab_size", "embedding_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
              "intermediate_size", "max_position_embeddings")
    for network, info in report["networks"].items():
        sizes = ", ".join(f"{f}={info['config'][f]}" for f in fields)
        print(f"{network}: {info['parameters']:,} parameters; {sizes}")
    print("(head counts follow the original rule max(1, hidden // 64); pass --hparams to import-google if the run "
          "overrode them)")
    return 0


def _export(args):
    from tf_electra.export import export_saved_model
    from tf_electra.export import load_model_dir

    model = load_model_dir(args.model_dir)
    tokenizer = None
    if args.with_tokenizer:
        from tf_electra.tokenizer import ElectraTokenizer

        from tf_electra.export import model_folder

        tokenizer = ElectraTokenizer.from_pretrained(model_folder(args.model_dir))
    path = export_saved_model(
        model, args.output, version=args.version, tokenizer=tokenizer, warmup=args.warmup,
        text_signatures=args.with_tokenizer, max_length=args.max_length,
    )
    print(f"exported {type(model).__name__} for TF Serving to {path}")
    return 0


def _finetune(args):
    from tf_electra.training.finetune import finetune

    columns = {}
    for pair in args.column or []:
        if "=" not in pair:
            raise ValueError(f"--column expects NAME=VALUE (e.g. text_column=sentence), got {pair!r}")
        key, value = pair.split("=", 1)
        columns[key] = value
    history = finetune(
        args.model_dir, args.task, args.train, args.output, validation=args.validation, preset=args.preset,
        learning_rate=args.learning_rate, epochs=args.epochs, batch_size=args.batch_size,
        layer_decay=args.layer_decay, warmup_ratio=args.warmup_ratio, weight_decay=args.weight_decay,
        max_length=args.max_length, mixed_precision="bfloat16" if args.mixed_precision else None,
        jit_compile=args.jit_compile, strategy=args.strategy, columns=columns, seed=args.seed,
        overwrite=args.overwrite, verbose=0 if args.quiet else (1 if sys.stdout.isatty() else 2),
        dataset=args.dataset,
    )
    best = history.get("best", {})
    print(f"fine-tuned on {history['train_examples']} examples; best epoch {history.get('best_epoch')}: "
          + ", ".join(f"{k} {v:.4f}" for k, v in best.items()) + f"; model in {args.output}/best")
    return 0


def _predict(args):
    from tf_electra.training.finetune import predict_file

    records = predict_file(args.model_dir, args.input, output=args.output, batch_size=args.batch_size)
    if args.output is None:
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
    else:
        print(f"wrote {len(records)} predictions to {args.output}", file=sys.stderr)
    return 0


def _demo(args):
    from tf_electra.demo import run_demo

    return run_demo(args.workdir, keep=args.keep)


def build_parser():
    from tf_electra.presets import PRESETS

    parser = argparse.ArgumentParser(
        prog="tf-electra", description="ELECTRA for Keras 3 and TensorFlow: build, convert, fine-tune, export."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    summary = sub.add_parser("summary", help="build a model from a preset, print its summary and run a forward pass")
    summary.add_argument("preset", choices=PRESETS, help="released model sizes")
    summary.add_argument("--model-class", default="TFElectraForPreTraining", choices=MODEL_CLASS_NAMES)
    summary.add_argument("--attn-implementation", choices=("eager", "sdpa"), default=None)
    summary.add_argument("--length", type=int, default=16, help="sequence length of the demo batch")
    summary.set_defaults(func=_summary)

    imp = sub.add_parser(
        "import-google", help="convert an original google-research/electra checkpoint to a model folder"
    )
    imp.add_argument("checkpoint", help="checkpoint prefix (.../model.ckpt-1000000) or its folder")
    imp.add_argument("--model", choices=("discriminator", "generator"), required=True)
    imp.add_argument("--output", required=True, help="folder to write (config.json, model.safetensors, tokenizer)")
    imp.add_argument("--hparams", help="run_pretraining.py's --hparams: JSON or a JSON file")
    imp.add_argument("--vocab", help="vocab.txt (default: the one beside the checkpoint, if any)")
    imp.add_argument("--cased", action="store_true", help="the vocabulary is cased (no lower-casing)")
    imp.add_argument("--overwrite", action="store_true", help="replace a non-empty output folder")
    imp.set_defaults(func=_import_google)

    insp = sub.add_parser("inspect", help="print a Google checkpoint's layout, inferred configs and sizes")
    insp.add_argument("checkpoint")
    insp.add_argument("--json", action="store_true")
    insp.set_defaults(func=_inspect)
    exp = sub.add_parser("export", help="export a model folder as a TF Serving SavedModel version")
    exp.add_argument("model_dir", help="a folder written by save_pretrained / import-google / finetune")
    exp.add_argument("--output", required=True, help="base folder (TF Serving's --model_base_path)")
    exp.add_argument("--version", type=int, help="version number (default: highest existing + 1)")
    exp.add_argument("--with-tokenizer", action="store_true",
                     help="add signatures that take raw UTF-8 text (needs tensorflow-text)")
    exp.add_argument("--max-length", type=int, default=512, help="truncation length of the text signatures")
    exp.add_argument("--warmup", action="store_true", help="write assets.extra/tf_serving_warmup_requests")
    exp.set_defaults(func=_export)

    from tf_electra.training.tasks import TASKS

    fin = sub.add_parser("finetune", help="fine-tune a model folder on a task with the paper's recipe")
    fin.add_argument("model_dir")
    fin.add_argument("--task", required=True, choices=TASKS)
    fin.add_argument("--train", required=True, help=".csv/.tsv/.jsonl (SQuAD: .json)")
    fin.add_argument("--validation")
    fin.add_argument("--output", required=True, help="folder for best/ (the model), metrics.json and logs/")
    fin.add_argument("--preset", choices=("small", "base", "large"), help="default: from the model's width")
    fin.add_argument("--dataset", help="GLUE/SQuAD name for the paper's epochs (rte, sts: 10; squad: 2; else 3)")
    fin.add_argument("--learning-rate", type=float)
    fin.add_argument("--epochs", type=int)
    fin.add_argument("--batch-size", type=int)
    fin.add_argument("--layer-decay", type=float)
    fin.add_argument("--warmup-ratio", type=float)
    fin.add_argument("--weight-decay", type=float)
    fin.add_argument("--max-length", type=int, default=128)
    fin.add_argument("--mixed-precision", action="store_true", help="mixed_bfloat16")
    fin.add_argument("--jit-compile", action="store_true", help="XLA")
    fin.add_argument("--strategy", choices=("default", "mirrored", "multi-worker"), default="default")
    fin.add_argument("--column", action="append", help="encoder column name, e.g. text_column=sentence")
    fin.add_argument("--seed", type=int, default=0)
    fin.add_argument("--overwrite", action="store_true")
    fin.add_argument("--quiet", action="store_true", help="no progress bar")
    fin.set_defaults(func=_finetune)

    pred = sub.add_parser("predict", help="predict a data file with a fine-tuned model; JSON Lines with label names")
    pred.add_argument("model_dir")
    pred.add_argument("--input", required=True)
    pred.add_argument("--output", help="JSON Lines file (default: standard output)")
    pred.add_argument("--batch-size", type=int, default=32)
    pred.set_defaults(func=_predict)

    demo = sub.add_parser("demo", help="the whole pipeline on synthetic data: import, fine-tune, evaluate, export, serve")
    demo.add_argument("--workdir", default="tf-electra-demo")
    demo.add_argument("--keep", action="store_true", help="reuse/keep an existing work folder")
    demo.set_defaults(func=_demo)
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
    except (ElectraError, FileExistsError, FileNotFoundError, PermissionError) as e:
        print(f"tf-electra {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
