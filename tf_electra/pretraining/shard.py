"""One shard of `build-pretraining-data`, built in a worker process (`python -m tf_electra.pretraining.shard`).

Documents are numbered across all files in order; shard k takes those numbered k mod S. A line is a sentence
(as in the original): an example keeps at most its first `max_seq_length` - 2 tokens, so of a very long line
only the first `LINE_BYTES` are read and only as much is tokenized as that rule can look at (see `LineEncoder`),
and the lines longer than an example are counted for the builder's report.
"""

import collections
import contextlib
import functools
import json
import os
import random
import re
import signal
import string
import sys
import unicodedata

from tf_electra.errors import ConfigError
from tf_electra.errors import DataError
from tf_electra.errors import TokenizerError
from tf_electra.pretraining.examples import SINGLE_SEGMENT_TARGET
from tf_electra.pretraining.examples import ExampleBuilder
from tf_electra.pretraining.examples import serialize
from tf_electra.tokenization.backend import text_only
from tf_electra.tokenization.tokenizer import ElectraTokenizer
from tf_electra.utils.text_files import read_lines

PARENT_ENV = "TF_ELECTRA_BUILDER_PID"  # a worker's builder, which the worker must not outlive
REPLY_FD_ENV = "TF_ELECTRA_REPLY_FD"  # the pipe a worker answers on
LINES_PER_CHUNK = 1000  # without document boundaries, chunks of lines are the unit shards take
CHUNK_CHARS = 100_000  # a longer line is tokenized piece by piece
# Bytes of a line that are read: 100,000 tokens take ~0.5 MB of English; a longer line's rest is never held.
LINE_BYTES = 32 << 20
# BERT's Chinese-character ranges: its normalizer puts spaces around each such character.
CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F))
CJK_RANGES += ((0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


class LineEncoder:
    """Token ids of lines, each cut at `SINGLE_SEGMENT_TARGET` tokens.

    `ExampleBuilder` compares a line's length with targets of at most that many tokens and keeps at most
    `max_seq_length` - 2 of its tokens, so the cut changes no example; it bounds the memory and time a line of
    megabytes (a book without line breaks) costs: 26 MB in one line took 4.6 GB to tokenize whole. Pieces end
    where BERT splits whatever surrounds the character (`_cut`), and its normalizer works character by character,
    so they give the whole line's tokens. (A line with no such character in 100,000 is tokenized whole.)

    Args:
        backend: A `tokenizers.Tokenizer` (BERT normalizer and pre-tokenizer, WordPiece).
        max_seq_length: Tokens per example: longer lines are counted in `long_lines`.
    """

    def __init__(self, backend, max_seq_length):
        self.backend, self.longest = backend, max_seq_length - 2
        self.long_lines, self.first_long = 0, None

    def encode(self, lines, numbers=None):
        """[token ids] of each line; `numbers` (the lines' numbers in their file) name the first long one."""
        short = [i for i, line in enumerate(lines) if len(line) <= CHUNK_CHARS]
        ids = [None] * len(lines)
        for i, encoding in zip(short, self.backend.encode_batch([lines[i] for i in short], add_special_tokens=False)):
            ids[i] = encoding.ids
        for i, line in enumerate(lines):
            if ids[i] is None:
                ids[i] = self._long(line)
            if len(ids[i]) > self.longest:
                self.long_lines += 1
                if self.first_long is None and numbers is not None:
                    self.first_long = numbers[i]
        return ids

    def _long(self, line):
        ids, start = [], 0
        while start < len(line) and len(ids) < SINGLE_SEGMENT_TARGET:
            end = _cut(line, start)
            ids += self.backend.encode(line[start:end], add_special_tokens=False).ids
            start = end
        return ids[:SINGLE_SEGMENT_TARGET]


def _cut(line, start):
    """Where the piece of `line` from `start` ends: after the last character within CHUNK_CHARS that BERT splits
    at whatever surrounds it (whitespace, punctuation, a Chinese character), else after the next one. Never after
    "[", which may open a special token ("[MASK]") that a backend matching them would see in the text (the
    builder's backend, `text_only`, matches none, as the original's tokenizer)."""
    if len(line) - start <= CHUNK_CHARS:
        return len(line)
    last = collections.deque(_cuts().finditer(line, start, start + CHUNK_CHARS), maxlen=1)
    if last:
        return last[0].end()
    found = _cuts().search(line, start + CHUNK_CHARS)
    return found.end() if found else len(line)


@functools.lru_cache(maxsize=1)
def _cuts():
    """A character class of the cut characters: whitespace (\\t, \\n, \\r and category Zs), punctuation (ASCII
    and category P, as BERT's pre-tokenizer has it) but "[", and BERT's Chinese characters."""
    categories = {chr(c): unicodedata.category(chr(c)) for c in range(0x10000)}
    chars = {c for c, category in categories.items() if category == "Zs" or category.startswith("P")}
    chars = (chars | set(" \t\n\r" + string.punctuation)) - {"["}
    ranges = "".join(f"{chr(low)}-{chr(high)}" for low, high in CJK_RANGES)
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + ranges + "]")


def build_shard(job):
    """Writes one shard's examples (job["shard"] to job["output"]); returns its `build_shards` result."""
    return build_shards(dict(job, group=[job["shard"]], outputs=[job["output"]]))[0]


def build_shards(job):
    """Writes the examples of the shards job["group"] to job["outputs"], reading the inputs once for all of them
    (every shard needs a pass over all the text: one pass per shard cost shards x corpus of reading); returns,
    for each, {"examples": count, "long_lines": count, "first_long": [path, line] or None}."""
    from tf_electra.utils.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()  # a spawned worker starts a fresh interpreter
    import tensorflow as tf

    tokenizer = ElectraTokenizer(job["vocab"], do_lower_case=job["do_lower_case"])
    backend = text_only(tokenizer.backend_tokenizer)
    with contextlib.ExitStack() as stack:
        shards = {
            k: _Shard(job, k, backend, tokenizer, stack.enter_context(tf.io.TFRecordWriter(output)))
            for k, output in zip(job["group"], job["outputs"])
        }
        number = 0
        for path in job["paths"]:
            for unit in _units(path, job["blanks_separate_docs"]):
                number += 1
                shard = shards.get((number - 1) % job["shards"])
                if shard is not None:
                    shard.add(path, unit, job["blanks_separate_docs"])
            for shard in shards.values():
                shard.write(shard.builder.finish())  # examples never span files
    return [shards[k].result() for k in job["group"]]


class _Shard:
    """One shard being written: its line encoder (which counts long lines), example builder, seed and writer."""

    def __init__(self, job, k, backend, tokenizer, writer):
        self.lines = LineEncoder(backend, job["max_seq_length"])
        rng = random.Random(f"{job['seed']}/{k}")
        self.builder = ExampleBuilder(job["max_seq_length"], tokenizer.cls_token_id, tokenizer.sep_token_id, rng)
        self.writer, self.count, self.first_long = writer, 0, None

    def add(self, path, unit, blanks_separate_docs):
        numbers, texts = zip(*unit)
        for ids in self.lines.encode(texts, numbers):
            self.write(self.builder.add_line(ids))
        if self.first_long is None and self.lines.first_long is not None:
            self.first_long = [path, self.lines.first_long]
        if blanks_separate_docs:
            self.write(self.builder.add_line(None))  # the document ends

    def write(self, example):
        if example:
            self.writer.write(serialize(example))
            self.count += 1

    def result(self):
        return {"examples": self.count, "long_lines": self.lines.long_lines, "first_long": self.first_long}


def _units(path, blanks_separate_docs):
    """The documents (or line chunks) of a file, as lists of (line number, stripped non-blank line)."""
    unit = []
    for number, line in enumerate(read_lines(path, max_bytes=LINE_BYTES), 1):
        line = line.strip()
        if line:
            unit.append((number, line))
        ends = not line if blanks_separate_docs else len(unit) >= LINES_PER_CHUNK
        if unit and ends:
            yield unit
            unit = []
    if unit:
        yield unit


def _die_with_parent():
    """Linux's parent-death signal: a builder killed with kill -9 takes its workers along (else they run on)."""
    parent = os.environ.get(PARENT_ENV)  # set by the builder (which may itself be PID 1, in a container)
    if parent is None or sys.platform != "linux":
        return
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != int(parent):  # the builder died before the signal was set
        print(f"the builder (process {parent}) that started this worker has exited", file=sys.stderr)
        os._exit(1)


def _worker_main():
    """Builds the shards of each JSON job line on stdin, in turn; writes the results (or the error) as one JSON line
    for each job to the pipe the builder gave it (REPLY_FD_ENV; stdout when run by hand), where nothing else can
    write (a sitecustomize printing at start-up once hung the builder)."""
    _die_with_parent()
    reply_fd = os.environ.get(REPLY_FD_ENV)
    replies = os.fdopen(int(reply_fd) if reply_fd else os.dup(1), "w", encoding="utf-8")
    for line in sys.stdin:
        job = json.loads(line)
        replies.write(json.dumps(dict(_build(job), group=job["group"])) + "\n")
        replies.flush()


def _build(job):
    try:
        return {"results": build_shards(job)}
    except (DataError, TokenizerError, ConfigError, OSError) as e:
        return {"error": str(e), "type": type(e).__name__}
    except Exception as e:  # e.g. TensorFlow's ResourceExhaustedError on a full disk: one line, not a traceback
        message = (getattr(e, "message", None) or str(e)).strip().splitlines()
        text = f"{type(e).__name__}: {message[0][:300] if message else ''}"
        return {"error": f"building a shard failed: {text}", "type": "DataError"}


if __name__ == "__main__":
    _worker_main()
