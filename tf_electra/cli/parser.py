"""The `tf-electra` argument parser. It imports nothing heavy, so `--help` and argument errors are instant."""

import argparse

from tf_electra import __version__
from tf_electra.cli.arguments import HelpFormatter
from tf_electra.cli.arguments import column
from tf_electra.cli.arguments import command as _command
from tf_electra.cli.arguments import count
from tf_electra.cli.arguments import positive_int
from tf_electra.cli.arguments import seed
from tf_electra.cli.arguments import sequence_length
from tf_electra.cli.pretraining_parser import add_pretraining_commands
from tf_electra.presets import PRESETS

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
# The registry's finetuning_tasks(), listed here so that parsing needs no TensorFlow (a test keeps them equal).
FINETUNE_TASKS = ("classification", "regression", "token-classification", "question-answering", "multiple-choice")


def build_parser():
    """The full parser; each subcommand's `func` names its function in `tf_electra.cli.commands`."""
    parser = argparse.ArgumentParser(
        prog="tf-electra",
        description="ELECTRA for Keras 3 and TensorFlow: import Google checkpoints, pre-train, fine-tune, "
        "evaluate and export for TF Serving.",
        epilog="Run `tf-electra COMMAND --help` for a command's options. TensorFlow's own start-up logs are "
        "hidden; --verbose (or TF_ELECTRA_VERBOSE=1) shows them.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tf-electra {__version__}")
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's own log messages")
    parser.add_argument("--debug", action="store_true", help="print the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_model_commands(sub)
    add_pretraining_commands(sub)
    _add_training_commands(sub)
    return parser


def _add_model_commands(sub):
    p = _command(
        sub,
        "summary",
        "build a model from a preset, print its layers and run a forward pass",
        "Builds a randomly initialised model with the sizes of a released checkpoint, prints Keras' "
        "summary and the outputs of one forward pass on random token ids.",
        "tf-electra summary electra-small-discriminator --model-class TFElectraForMaskedLM",
        "summary",
    )
    p.add_argument("preset", choices=PRESETS, help="the released model whose sizes to use")
    p.add_argument("--model-class", default="TFElectraForPreTraining", choices=MODEL_CLASS_NAMES, help="the head")
    p.add_argument("--attn-implementation", choices=("eager", "sdpa"), default="eager", help="attention kernel")
    p.add_argument("--length", type=sequence_length, default=16, help="sequence length of the random batch")

    p = _command(
        sub,
        "import-google",
        "convert an original google-research/electra checkpoint to a model folder",
        "Reads one network (the discriminator or the generator) of a checkpoint written by "
        "google-research/electra's run_pretraining.py (or by `tf-electra pretrain`) and writes a Hugging "
        "Face-style folder (config.json, model.safetensors, tokenizer) that transformers also loads.",
        "tf-electra import-google electra_small/ --model discriminator --output electra-small-disc/",
        "import_google",
    )
    p.add_argument("checkpoint", help="checkpoint prefix (.../model.ckpt-1000000) or its folder")
    p.add_argument("--model", choices=("discriminator", "generator"), required=True, help="which network to import")
    p.add_argument("--output", required=True, help="folder to write (config.json, model.safetensors, tokenizer)")
    p.add_argument("--hparams", help="what run_pretraining.py's --hparams held: JSON, or a JSON file")
    p.add_argument("--vocab", help="vocab.txt (default: the one beside the checkpoint, if any)")
    p.add_argument("--cased", action="store_true", help="the vocabulary is cased (no lower-casing)")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty output folder")

    p = _command(
        sub,
        "inspect",
        "print a Google checkpoint's layout, inferred configs and sizes",
        "Reads only a checkpoint's index (and checks that its data files are complete): which networks it "
        "holds, how the generator shares the embeddings, and each network's sizes and parameters.",
        "tf-electra inspect electra_small/ --json",
        "inspect",
    )
    p.add_argument("checkpoint", help="checkpoint prefix (.../model.ckpt-1000000) or its folder")
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = _command(
        sub,
        "export",
        "export a model folder as a TF Serving SavedModel version",
        "Writes OUTPUT/<version>/ (saved_model.pb, variables/, assets/) under a temporary name and renames "
        "it into place, so TF Serving never sees half an export. Signatures take int64 token ids; "
        "--with-tokenizer adds signatures on raw text.",
        "tf-electra export run/ --output /models/clf --warmup\n"
        "  tf-electra export run/ --output /models/clf-int8 --quantize int8",
        "export",
    )
    p.add_argument("model_dir", help="a folder written by save_pretrained, import-google or finetune")
    p.add_argument("--output", required=True, help="base folder (TF Serving's --model_base_path)")
    p.add_argument("--version", type=int, help="version number (default: the highest existing + 1)")
    p.add_argument(
        "--with-tokenizer",
        action="store_true",
        help='add signatures on raw UTF-8 text (needs tensorflow-text: pip install "tf-electra[serving]")',
    )
    p.add_argument(
        "--max-length",
        type=positive_int,
        help="truncation length of the text signatures (default: the model's max_position_embeddings)",
    )
    p.add_argument("--warmup", action="store_true", help="write assets.extra/tf_serving_warmup_requests")
    p.add_argument(
        "--dtype",
        choices=("float32", "bfloat16", "mixed_bfloat16"),
        default="float32",
        help="precision of the exported model (bfloat16: weights and compute, the fastest on CPUs with "
        "AVX512-BF16 or AMX; mixed_bfloat16: float32 weights, bfloat16 compute)",
    )
    p.add_argument(
        "--quantize",
        choices=("int8",),
        help="int8: the transformer blocks' matrix products in 8-bit integers (ELECTRA-Base 8x128 on a 2-core "
        "CPU: 1.5x float32's speed; needs TensorFlow with oneDNN, the default on x86-64, where it is served)",
    )
    p.add_argument(
        "--fuse-with-xla",
        action="store_true",
        help="with --quantize int8: the server's XLA fuses the element-wise ops around the int8 products "
        "(ELECTRA-Base 8x128: 2.6x float32's speed); TF Serving must then run with "
        "--xla_cpu_compilation_enabled=true, and every new input shape compiles for seconds once",
    )


def _add_training_commands(sub):
    p = _command(
        sub,
        "finetune",
        "fine-tune a model folder on a task with the paper's recipe",
        "Fine-tunes with AdamW (no decay on LayerNorm and biases), linear warm-up then decay, layer-wise "
        "learning-rate decay and global-norm clipping; hyperparameters default to the paper's for the "
        "model's size. OUTPUT gets best/ (the best epoch's model, replaced atomically), metrics.json and "
        "logs/ (TensorBoard).",
        "tf-electra finetune electra-small/ --task classification --train train.csv --validation dev.csv --output run/",
        "finetune",
    )
    p.add_argument("model_dir", help="a pre-trained model folder (import-google, save_pretrained) or a finetune output")
    p.add_argument("--task", required=True, choices=FINETUNE_TASKS, help="the task")
    p.add_argument("--train", required=True, help="training data: .csv/.tsv/.jsonl (question answering: SQuAD .json)")
    p.add_argument("--validation", help="validation data in the same format; picks the best epoch")
    p.add_argument("--output", required=True, help="folder for best/ (the model), metrics.json and logs/")
    p.add_argument(
        "--preset",
        choices=("small", "base", "large"),
        help="the paper's hyperparameters for this size (default: the size whose width is nearest the model's)",
    )
    p.add_argument("--dataset", help="GLUE/SQuAD name for the paper's epochs (rte, sts: 10; squad: 2; else 3)")
    p.add_argument("--learning-rate", type=float, help="peak learning rate (default: the preset's)")
    p.add_argument("--epochs", type=positive_int, help="epochs (default: the preset's)")
    p.add_argument("--batch-size", type=positive_int, help="examples per batch (default: 32)")
    p.add_argument("--layer-decay", type=float, help="layer-wise learning-rate decay (default: the preset's)")
    p.add_argument("--warmup-ratio", type=float, help="fraction of steps of linear warm-up (default: 0.1)")
    p.add_argument("--weight-decay", type=float, help="decoupled weight decay (default: 0.01)")
    p.add_argument("--max-length", type=positive_int, help="truncation length (default: 128; question answering 384)")
    p.add_argument(
        "--reinit-layers",
        type=count,
        default=0,
        help="encoder layers, counted from the top, drawn afresh before training (Zhang et al., 2021)",
    )
    p.add_argument("--mixed-precision", action="store_true", help="train in mixed_bfloat16")
    p.add_argument("--jit-compile", action="store_true", help="compile the train step with XLA")
    p.add_argument(
        "--xla-elementwise",
        action="store_true",
        help="let XLA fuse the element-wise ops between the matrix products (CPU; sets TF_ELECTRA_XLA=elementwise): "
        "later steps faster, the first step slower (see README, Benchmarks)",
    )
    p.add_argument(
        "--strategy",
        choices=("default", "mirrored", "multi-worker"),
        default="default",
        help="tf.distribute strategy (multi-worker reads TF_CONFIG; its workers must start within "
        "TF_ELECTRA_WORKER_TIMEOUT seconds, default 300)",
    )
    p.add_argument(
        "--column",
        action="append",
        type=column,
        metavar="NAME=COLUMN",
        help="a data column name, e.g. text_column=sentence (repeatable)",
    )
    p.add_argument("--seed", type=seed, default=0, help="seed of initialisation, shuffling and dropout")
    p.add_argument("--overwrite", action="store_true", help="replace the artifacts of an earlier run in OUTPUT")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    for name, help_, description, example in (
        (
            "predict",
            "predict a data file with a fine-tuned model (JSON Lines with label names)",
            "Writes one JSON object per example: the label name and probabilities (classification), the score "
            "(regression), a tag per word (token classification), the answer (question answering) or the choice.",
            "tf-electra predict run/ --input test.csv --output predictions.jsonl",
        ),
        (
            "evaluate",
            "print a fine-tuned model's metrics on labelled data",
            "Computes the task's metrics (accuracy/F1/Matthews, Pearson/Spearman, entity F1, SQuAD EM/F1) on a "
            "labelled file in the training format.",
            "tf-electra evaluate run/ --input test.csv",
        ),
    ):
        p = _command(sub, name, help_, description, example, name)
        p.add_argument("model_dir", help="a fine-tuned model folder or a finetune output folder")
        p.add_argument("--input", required=True, help="data file in the task's format")
        p.add_argument("--batch-size", type=positive_int, default=32, help="examples per batch")
        p.add_argument("--max-length", type=positive_int, help="truncation length (default: the fine-tuning run's)")
        if name == "predict":
            p.add_argument("--output", help="JSON Lines file to write (default: standard output)")
            p.add_argument("--include-input", action="store_true", help="copy each example's input into its record")
            p.add_argument("--overwrite", action="store_true", help="replace an existing --output file")
        else:
            p.add_argument("--json", action="store_true", help="print the metrics as JSON")

    p = _command(
        sub,
        "demo",
        "run the whole pipeline on a small task: import, fine-tune, evaluate, export, serve",
        "Writes a small randomly initialised Google-layout checkpoint, imports it, fine-tunes on "
        "word-order sentiment (a task a bag of words cannot solve), evaluates, exports for TF Serving and "
        "answers a request in a fresh process, as TF Serving would.",
        "tf-electra demo --workdir tf-electra-demo",
        "demo",
    )
    p.add_argument("--workdir", default="tf-electra-demo", help="folder for everything the demo writes")
    p.add_argument("--keep", action="store_true", help="reuse an existing work folder instead of replacing it")
