"""The `tf-electra` commands that need no TensorFlow (it takes seconds to import): they start at once."""

from tf_electra.utils.guards import refuse_existing
from tf_electra.utils.guards import refuse_replacing
from tf_electra.utils.progress import Progress

COMMANDS = ("build_vocab", "build_pretraining_data")  # (its worker processes import TensorFlow)


def plural(count, word):
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def build_vocab(args):
    from tf_electra.tokenization.vocab_training import train_vocab

    refuse_existing(args.output, args.overwrite)
    refuse_replacing(args.output, args.text)
    tokens = train_vocab(
        args.text,
        args.vocab_size,
        args.output,
        lowercase=not args.cased,
        min_frequency=args.min_frequency,
        limit_alphabet=args.limit_alphabet,
    )
    print(f"wrote {plural(len(tokens), 'token')} to {args.output}")
    return 0


def build_pretraining_data(args):
    from tf_electra.pretraining.data import build_pretraining_data as build

    info = build(
        args.text,
        args.vocab,
        args.output,
        max_seq_length=args.max_seq_length,
        shards=args.shards,
        workers=args.workers,
        seed=args.seed,
        do_lower_case=not args.cased,
        blanks_separate_docs=not args.no_document_breaks,
        overwrite=args.overwrite,
        progress=Progress("building shards"),
    )
    print(
        f"wrote {plural(info['examples'], 'example')} of {info['max_seq_length']} tokens in "
        f"{plural(info['shards'], 'shard')} to {args.output}"
    )
    return 0
