"""The pre-training subcommands of `tf-electra`: build-vocab, build-pretraining-data, pretrain."""

from tf_electra.cli.arguments import command
from tf_electra.cli.arguments import positive_int
from tf_electra.cli.arguments import seed


def add_pretraining_commands(sub):
    """build-vocab, build-pretraining-data and pretrain."""
    p = command(
        sub,
        "build-vocab",
        "train a WordPiece vocabulary (vocab.txt) on text files",
        "Trains a BERT-style uncased WordPiece vocabulary with the tokenizers library's trainer: [PAD]=0, "
        "[UNK], [CLS], [SEP], [MASK] first, then the pieces of your text. ElectraTokenizer loads it.",
        "tf-electra build-vocab corpus/*.txt --vocab-size 30522 --output vocab.txt",
        "build_vocab",
    )
    p.add_argument("text", nargs="+", help="UTF-8 text files (.txt, .gz, .bz2)")
    p.add_argument("--vocab-size", type=positive_int, default=30522, help="the largest vocabulary to build")
    p.add_argument("--output", required=True, help="the vocab.txt to write")
    p.add_argument("--min-frequency", type=positive_int, default=2, help="pieces seen fewer times are left out")
    p.add_argument("--cased", action="store_true", help="keep case (default: lower-case, as the released models)")
    p.add_argument(
        "--limit-alphabet", type=positive_int, default=1000, help="the most single characters to keep (most frequent)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")

    p = command(
        sub,
        "build-pretraining-data",
        "turn text files into pre-training TFRecords",
        "Tokenizes documents (blank lines between them, a sentence or paragraph per line), packs sentences "
        "into examples of --max-seq-length tokens split into two segments, and writes TFRecord shards "
        "with google-research/electra's features (input_ids, input_mask, segment_ids), in parallel.",
        "tf-electra build-pretraining-data corpus/*.txt --vocab vocab.txt --output data/ --max-seq-length 128",
        "build_pretraining_data",
    )
    p.add_argument("text", nargs="+", help="UTF-8 text files (.txt, .gz, .bz2)")
    p.add_argument("--vocab", required=True, help="the vocab.txt to tokenize with")
    p.add_argument("--output", required=True, help="the folder to write (shards, pretrain_data.json, vocab.txt)")
    p.add_argument("--max-seq-length", type=positive_int, default=128, help="tokens per example")
    p.add_argument("--shards", type=positive_int, default=8, help="output files; document k goes to shard k mod shards")
    p.add_argument("--workers", type=positive_int, help="processes (default: the CPUs)")
    p.add_argument("--seed", type=seed, default=0, help="seed of the random choices (the output repeats with it)")
    p.add_argument("--cased", action="store_true", help="do not lower-case (a cased vocabulary)")
    p.add_argument("--no-document-breaks", action="store_true", help="blank lines do not end documents")
    p.add_argument(
        "--overwrite", action="store_true", help="replace an earlier build (a folder with pretrain_data.json)"
    )

    p = command(
        sub,
        "pretrain",
        "pre-train ELECTRA (generator + discriminator) on pre-training TFRecords",
        "Trains the generator and the discriminator with the paper's recipe and writes checkpoints in "
        "Google's layout to OUTPUT (import them with import-google); run it again to continue after an "
        "interruption or to a larger --steps. At the end OUTPUT/discriminator and OUTPUT/generator are "
        "Hugging Face folders, ready for finetune and export.",
        "tf-electra pretrain data/ --output run/ --model-size small --steps 100000",
        "pretrain",
    )
    p.add_argument("data", help="a folder written by build-pretraining-data (or by the original script)")
    p.add_argument("--output", required=True, help="the run folder (created, or continued)")
    p.add_argument("--model-size", choices=("small", "base", "large"), help="the size (default: small)")
    p.add_argument("--steps", type=positive_int, help="total training steps (num_train_steps; default: 1000000)")
    p.add_argument(
        "--batch-size", type=positive_int, help="train_batch_size (default: 128 small, 256 base, 2048 large)"
    )
    p.add_argument(
        "--max-seq-length",
        type=positive_int,
        help="max_seq_length, which must be the data's (default: 128 small, 512 base and large)",
    )
    p.add_argument(
        "--hparams",
        help="run_pretraining.py-style hparams: JSON or a JSON file (its key names, plus ours for short runs: "
        "adam_bias_correction, disc_prior_init)",
    )
    p.add_argument("--vocab", help="vocab.txt (default: the one in the data folder)")
    p.add_argument("--mixed-precision", action="store_true", help="train in mixed_bfloat16")
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
    p.add_argument("--seed", type=seed, default=0, help="seed of initialisation, data order and masking")
    p.add_argument("--log-every", type=positive_int, help="steps between progress lines (default: iterations_per_loop)")
    p.add_argument("--quiet", action="store_true", help="no progress")
