"""What each `tf-electra` command does: parse nothing, call library functions, print results.

Imported only after the arguments are parsed (it imports TensorFlow).
"""

import json
import os
import sys

import numpy as np

from tf_electra.cli.text_commands import build_pretraining_data  # noqa: F401 (every command is here too)
from tf_electra.cli.text_commands import build_vocab  # noqa: F401
from tf_electra.cli.text_commands import plural
from tf_electra.errors import CheckpointError
from tf_electra.errors import ExportError
from tf_electra.io import google_layout
from tf_electra.io.google_format import inspect_google_checkpoint
from tf_electra.io.google_format import resolve_prefix
from tf_electra.models.google import load_google_checkpoint
from tf_electra.models.registry import MODEL_CLASSES
from tf_electra.models.registry import load_model_dir
from tf_electra.models.registry import model_folder
from tf_electra.serving.export import export_saved_model
from tf_electra.tokenization.tokenizer import ElectraTokenizer
from tf_electra.training.finetune import FinetuneConfig
from tf_electra.training.finetune import finetune as run_finetune
from tf_electra.training.predict import evaluate_file
from tf_electra.training.predict import predict_file
from tf_electra.utils.files import file_sha256
from tf_electra.utils.guards import refuse_replacing
from tf_electra.utils.locks import is_empty_folder
from tf_electra.utils.onednn import ENV as FROZEN_ENV
from tf_electra.utils.progress import Progress


def summary(args):
    from tf_electra.configuration import ElectraConfig

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


def import_google(args):
    prefix = resolve_prefix(args.checkpoint)
    if os.path.exists(args.output) and not os.path.isdir(args.output):
        raise FileExistsError(f"{args.output} exists and is not a folder; choose another output")
    if not is_empty_folder(args.output) and not args.overwrite:
        raise FileExistsError(f"{args.output} exists and is not empty; pass --overwrite to replace it")
    refuse_replacing(args.output, [os.path.dirname(prefix), args.vocab])
    vocab, own = args.vocab, os.path.join(os.path.dirname(prefix), "vocab.txt")
    recorded = google_layout.run_hparams(prefix)  # a tf-electra pretrain run's own settings (casing included)
    if vocab is None and os.path.isfile(own):
        vocab = own
    elif vocab and recorded and os.path.isfile(own) and file_sha256(own) != file_sha256(vocab):
        raise CheckpointError(f"{vocab} differs from {own}, which the run was trained with; leave out --vocab")
    hparams = args.hparams or recorded
    lower = not args.cased and (not hparams or google_layout.parse_hparams(hparams).get("do_lower_case", True))
    tokenizer = ElectraTokenizer(vocab, do_lower_case=bool(lower)) if vocab else None
    print(f"reading the {args.model} from {prefix}", file=sys.stderr)
    model, config = load_google_checkpoint(
        prefix, args.model, hparams=args.hparams, progress=Progress(f"loading {args.model} tensors")
    )
    if tokenizer is not None and tokenizer.vocab_size != config.vocab_size:
        raise CheckpointError(
            f"{vocab} has {tokenizer.vocab_size} tokens but the checkpoint's word embeddings have "
            f"{config.vocab_size} rows; pass the vocab.txt the model was trained with (--vocab)"
        )
    model.save_pretrained(args.output, tokenizer=tokenizer, overwrite=args.overwrite)
    params = sum(int(np.prod(w.shape)) for w in model.weights)
    print(
        f"wrote {type(model).__name__} ({params:,} parameters; hidden {config.hidden_size}, "
        f"{plural(config.num_hidden_layers, 'layer')}, {plural(config.num_attention_heads, 'head')}, embedding "
        f"{config.embedding_size}) to {args.output}"
        + (" with its tokenizer" if tokenizer else " (no vocab.txt found: no tokenizer)")
    )
    return 0


def inspect(args):
    report = inspect_google_checkpoint(args.checkpoint)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"checkpoint: {report['prefix']}")
    print(f"layout:     {report['layout']}")
    print(f"model variables (without Adam slots and global_step): {report['variables']}")
    fields = (
        "vocab_size",
        "embedding_size",
        "hidden_size",
        "num_hidden_layers",
        "num_attention_heads",
        "intermediate_size",
        "max_position_embeddings",
    )
    for network, info in report["networks"].items():
        sizes = ", ".join(f"{f}={info['config'][f]}" for f in fields)
        print(f"{network}: {info['parameters']:,} parameters; {sizes}")
    if report["hparams"]:
        print(f"(sizes and head counts from {report['hparams']}, which import-google reads too)")
    else:
        print(
            "(head counts follow the original rule max(1, hidden // 64); pass --hparams to import-google if the run "
            "overrode them)"
        )
    return 0


def export(args):
    tokenizer = None
    if args.with_tokenizer:
        from tf_electra.serving.graph_tokenizer import require_text_ops

        require_text_ops()  # before anything is read or written
        tokenizer = ElectraTokenizer.from_pretrained(model_folder(args.model_dir))
    if args.max_length is not None and not args.with_tokenizer:
        raise ExportError("--max-length applies to the text signatures only; add --with-tokenizer")
    if args.quantize == "int8":
        from tf_electra.serving.quantize import check_int8_kernel

        check_int8_kernel()  # before the model is read
        if args.dtype != "float32":
            raise ExportError("--quantize int8 keeps the rest of the model in float32; leave --dtype out")
    if args.fuse_with_xla and args.quantize != "int8":
        raise ExportError("--fuse-with-xla applies to --quantize int8 only")
    model = load_model_dir(args.model_dir, dtype=args.dtype, require_all_weights=True)  # never a random head
    path = export_saved_model(
        model,
        args.output,
        version=args.version,
        tokenizer=tokenizer,
        warmup=args.warmup,
        text_signatures=args.with_tokenizer,
        max_length=args.max_length,
        quantize=args.quantize,
        xla_fusion=args.fuse_with_xla,
    )
    precision = args.quantize or args.dtype
    print(f"exported {type(model).__name__} ({precision}) for TF Serving to {path}")
    if "bfloat16" in precision:  # measured: 1.4-1.7x faster on AMX Xeons (README, Serving)
        print(f"serve it with {FROZEN_ENV}=1 in the model server's environment: oneDNN's fast bfloat16 kernels")
    if args.fuse_with_xla:  # measured: 4-5 s on the second call of each new shape (README, Serving)
        print("start tensorflow_model_server with --xla_cpu_compilation_enabled=true: without it every request fails")
        print(
            "each new input shape compiles for seconds once: serve fixed shapes, or set "
            "TF_XLA_FLAGS=--tf_xla_async_compilation=true in the model server's environment"
        )
    return 0


def finetune(args):
    columns = dict(pair.split("=", 1) for pair in args.column or [])
    config = FinetuneConfig(
        args.model_dir,
        args.task,
        args.train,
        args.output,
        validation=args.validation,
        preset=args.preset,
        dataset=args.dataset,
        learning_rate=args.learning_rate,
        epochs=args.epochs,
        batch_size=args.batch_size,
        layer_decay=args.layer_decay,
        warmup_ratio=args.warmup_ratio,
        weight_decay=args.weight_decay,
        max_length=args.max_length,
        reinit_layers=args.reinit_layers,
        mixed_precision="bfloat16" if args.mixed_precision else None,
        jit_compile=args.jit_compile,
        strategy=args.strategy,
        columns=columns,
        seed=args.seed,
        overwrite=args.overwrite,
        verbose=0 if args.quiet else (1 if sys.stdout.isatty() else 2),
    )
    history = run_finetune(config=config)
    best = history.get("best", {})
    print(
        f"fine-tuned on {plural(history['train_examples'], 'example')}; best epoch {history.get('best_epoch')}: "
        + ", ".join(f"{k} {v:.4f}" for k, v in best.items())
        + f"; model in {os.path.join(args.output, 'best')}"
    )
    return 0


def predict(args):
    records = predict_file(
        args.model_dir,
        args.input,
        output=args.output,
        batch_size=args.batch_size,
        max_length=args.max_length,
        include_input=args.include_input,
        overwrite=args.overwrite,
    )
    if args.output is None:
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
    else:
        print(f"wrote {plural(len(records), 'prediction')} to {args.output}", file=sys.stderr)
    return 0


def evaluate(args):
    results = evaluate_file(args.model_dir, args.input, batch_size=args.batch_size, max_length=args.max_length)
    if args.json:  # an undefined metric (a correlation of constant values) is null: NaN is not JSON
        print(json.dumps({k: None if v != v else v for k, v in results.items()}, indent=2))
    else:
        for name, value in results.items():
            print(f"{name}: {value:.4f}")
    return 0


def demo(args):
    from tf_electra.cli.demo import run_demo

    return run_demo(args.workdir, keep=args.keep)


def pretrain(args):
    from tf_electra.pretraining.run import pretrain as run
    from tf_electra.pretraining.run import saved_config
    from tf_electra.pretraining_config import PretrainingConfig
    from tf_electra.training.distribute import is_chief
    from tf_electra.utils.values import parse_json_object

    settings = dict(model_size=args.model_size, train_batch_size=args.batch_size, max_seq_length=args.max_seq_length)
    config = None  # no settings given: continue a run with its own, or start ELECTRA-Small
    if args.hparams is not None or any(v is not None for v in settings.values()):
        # on a run's own settings, so that a change is refused by its name (or allowed: --steps, checkpointing)
        saved = saved_config(args.output)
        hparams = {**(saved.to_dict() if saved else {}), **parse_json_object(args.hparams, "hparams")}
        config = PretrainingConfig.from_hparams(hparams, **settings)
    last = run(
        args.data,
        args.output,
        config,
        vocab=args.vocab,
        seed=args.seed,
        mixed_precision=args.mixed_precision,
        strategy=args.strategy,
        verbose=0 if args.quiet else 1,
        log_every=args.log_every,
        steps=args.steps,
    )
    shown = ", ".join(f"{k} {last[k]:.4f}" for k in ("masked_lm_accuracy", "disc_auc") if k in last)
    written = f"checkpoints and Hugging Face folders in {args.output}" if is_chief(args.strategy) else "the chief wrote"
    print(f"pre-trained to step {last.get('step', 0):,}" + (f" ({shown})" if shown else "") + f"; {written}")
    return 0
