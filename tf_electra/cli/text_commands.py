"""The `tf-electra` commands that need no TensorFlow (it takes seconds to import): they start at once."""

from tf_electra.utils.guards import refuse_existing
from tf_electra.utils.guards import refuse_replacing

COMMANDS = ("build_vocab",)


def plural(count, word):
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def build_vocab(args):
    from tf_electra.tokenization.vocab_training import train_vocab

    refuse_existing(args.output, args.overwrite)
    refuse_replacing(args.output, args.text)
    tokens = train_vocab(
        args.text, args.vocab_size, args.output, lowercase=not args.cased, min_frequency=args.min_frequency
    )
    print(f"wrote {plural(len(tokens), 'token')} to {args.output}")
    return 0
