"""`tf-electra build-pretraining-data`: text files -> TFRecord shards of pre-training examples.

The text is cut into shards of whole documents (document k of a file goes to shard k mod S), and
worker processes build the shards in parallel; shard k is seeded with (seed, file, k), so the output
depends on the seed and the inputs but not on the number of workers. The shards are named as the
original's (`pretrain_data.tfrecord-K-of-S`), so its input pipeline reads them, and ours reads the
original's. The output folder is written under a temporary name and renamed into place, with
`pretrain_data.json` (what was built, and how) and a copy of the vocabulary.
"""

import contextlib
import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import warnings

from tf_electra.errors import ConfigError
from tf_electra.errors import DataError
from tf_electra.errors import TokenizerError
from tf_electra.pretraining.examples import SHORTEST_RANDOM_LENGTH
from tf_electra.pretraining.shard import PARENT_ENV
from tf_electra.pretraining.shard import REPLY_FD_ENV
from tf_electra.pretraining.shard import build_shards
from tf_electra.tokenization.tokenizer import ElectraTokenizer
from tf_electra.utils.files import atomic_directory
from tf_electra.utils.files import atomic_write_text
from tf_electra.utils.files import file_sha256
from tf_electra.utils.text_files import check_text_files
from tf_electra.utils.text_files import file_stamp
from tf_electra.utils.values import is_positive_int

INFO_FILE = "pretrain_data.json"  # (tasks/pretraining.py reads these names; it may not import this module)
SHARD_NAME = "pretrain_data.tfrecord-{index}-of-{count}"
DEFAULT_SHARDS = 8
READS_PER_WORKER = 4  # shards go to the workers in groups, each group built in one reading of the text
MAX_GROUP = 64  # (open files, buffers)
MAX_SHARDS = 100_000  # the original writes 1,000
MAX_SEQ_LENGTH = 65_536  # BERT-style models have 512 positions
ERRORS = {"DataError": DataError, "TokenizerError": TokenizerError, "ConfigError": ConfigError}


def build_pretraining_data(
    files,
    vocab,
    output,
    max_seq_length=128,
    shards=None,
    workers=None,
    seed=0,
    do_lower_case=True,
    blanks_separate_docs=True,
    overwrite=False,
    progress=None,
):
    """Builds pre-training TFRecords from UTF-8 text files (.txt, .gz, .bz2).

    Args:
        files: Text files: one sentence (or paragraph) per line, blank lines between documents.
        vocab: The vocab.txt to tokenize with (it must hold [PAD], [UNK], [CLS], [SEP], [MASK]).
        output: The folder to create.
        max_seq_length: Tokens per example.
        shards: Output files (default 8); document k goes to shard k mod shards.
        workers: Processes (default: the CPUs, at most the shards).
        seed: Seed of the random choices (segment splits, short examples).
        do_lower_case: Lower-case the text (an uncased vocabulary).
        blanks_separate_docs: Blank lines end documents (otherwise they are skipped).
        overwrite: Replace an earlier build (a folder holding pretrain_data.json) at `output`.
        progress: Optional callable(done_shards, total_shards).

    Returns:
        The info dict written to pretrain_data.json (examples, shards, ...; `long_lines`: how many lines held more
        tokens than an example, whose tokens past it were dropped as the original drops them, with a warning).

    Raises:
        DataError: a missing, empty or non-UTF-8 input (naming file and line), or no examples at all.
        TokenizerError: a vocabulary without the special tokens.
        FileExistsError: a non-empty output folder without `overwrite`.
    """
    paths = check_text_files(files)
    for path in paths:
        if os.path.getsize(path) == 0:
            raise DataError(f"{path} is empty")
    if not is_positive_int(max_seq_length) or not SHORTEST_RANDOM_LENGTH <= max_seq_length <= MAX_SEQ_LENGTH:
        raise ConfigError(
            f"max_seq_length must be an integer from {SHORTEST_RANDOM_LENGTH} (the original's shortest random "
            f"target length) to {MAX_SEQ_LENGTH:,}, got {max_seq_length!r}"
        )
    shards = shards or DEFAULT_SHARDS
    if not is_positive_int(shards) or shards > MAX_SHARDS:
        raise ConfigError(f"shards must be an integer from 1 to {MAX_SHARDS:,}, got {shards!r}")
    ElectraTokenizer(vocab, do_lower_case=do_lower_case)  # checks the vocabulary before any work
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if workers is not None and (not is_positive_int(workers) or workers > max(8, 4 * cpus)):  # each: ~750 MB
        raise ConfigError(
            f"workers must be an integer from 1 to {max(8, 4 * cpus)} (this machine lets us use {cpus} "
            f"CPUs; each worker holds ~750 MB), got {workers!r}"
        )
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"seed must be an integer, got {seed!r}")
    if workers is not None and workers > cpus:  # each holds TensorFlow (~750 MB) and they share the CPUs
        warnings.warn(f"{workers} workers for {cpus} CPUs: each takes ~750 MB and none runs faster", UserWarning, 2)
    workers = min(workers or cpus, shards)
    with atomic_directory(output, overwrite=overwrite, inputs=[*paths, vocab], keep=_refuse_foreign) as tmp:
        # The workers and the recorded hash use one copy: a vocab.txt replaced during the build cannot mix in.
        vocab = shutil.copyfile(vocab, os.path.join(tmp, "vocab.txt"))
        tokenizer = ElectraTokenizer(vocab, do_lower_case=do_lower_case)
        size = min(MAX_GROUP, -(-shards // (workers * READS_PER_WORKER)))  # shards built in one reading of the text
        jobs = [
            dict(
                paths=paths,
                group=list(range(k, min(k + size, shards))),
                shards=shards,
                vocab=vocab,
                max_seq_length=max_seq_length,
                seed=seed,
                do_lower_case=do_lower_case,
                blanks_separate_docs=blanks_separate_docs,
            )
            for k in range(0, shards, size)
        ]
        stamps = [file_stamp(p) for p in paths]
        try:
            results = _run(jobs, tmp, workers, progress)
        except Exception as e:  # (a full disk) name the shard's final path, not the temporary folder's
            text = getattr(e, "message", None) or str(e)  # (TensorFlow's errors, in-process)
            if tmp not in text:
                raise
            kind = "" if isinstance(e, DataError) else f"{type(e).__name__}: "
            raise DataError(kind + text.replace(tmp, os.path.abspath(output))) from None
        counts = [result["examples"] for result in results]
        for path, stamp in zip(paths, stamps):  # each shard worker reads every input: one version for all
            if file_stamp(path) != stamp:
                raise DataError(f"{path} changed while the shards were built; build again once it is complete")
        if not sum(counts):
            raise DataError(
                f"{', '.join(paths)} {'holds' if len(paths) == 1 else 'hold'} no text to make examples from"
            )
        info = {
            "format": "google-research/electra pre-training TFRecords (input_ids, input_mask, segment_ids)",
            "max_seq_length": max_seq_length,
            "examples": sum(counts),
            "shards": shards,
            "examples_per_shard": counts,
            "bytes_per_shard": [
                _size(os.path.join(tmp, SHARD_NAME.format(index=k, count=shards))) for k in range(shards)
            ],
            "vocab_size": len(tokenizer),
            "vocab_sha256": file_sha256(vocab),
            "do_lower_case": do_lower_case,
            "seed": seed,
            "inputs": [os.path.abspath(p) for p in paths],
            "long_lines": _long_lines(results, paths),
        }
        atomic_write_text(os.path.join(tmp, INFO_FILE), json.dumps(info, indent=2) + "\n")
    if info["long_lines"]["count"]:
        warnings.warn(
            f"{info['long_lines']['count']:,} line(s) hold more tokens than an example ({max_seq_length - 2}); "
            f"as in the original, a line is one sentence and only its start is used (the first: "
            f"{info['long_lines']['first']}); put one sentence or paragraph per line to use all the text",
            UserWarning,
            stacklevel=2,
        )
    return info


def _refuse_foreign(output):
    """--overwrite replaces an earlier build (or an empty folder), never a folder of other files."""
    if os.path.isdir(output) and os.listdir(output) and not os.path.isfile(os.path.join(output, INFO_FILE)):
        raise FileExistsError(
            f"{output} holds files that build-pretraining-data did not write (no {INFO_FILE}); --overwrite replaces "
            "only an earlier build: choose another --output"
        )


def _long_lines(results, paths):
    """How many lines are longer than an example (their tokens past it are dropped), and the first of them."""
    firsts = [r["first_long"] for r in results if r["first_long"]]
    first = min(firsts, key=lambda f: (paths.index(f[0]), f[1])) if firsts else None
    return {"count": sum(r["long_lines"] for r in results), "first": f"{first[0]}:{first[1]}" if first else None}


def _size(path):
    return os.path.getsize(path) if os.path.isfile(path) else None


def _run(jobs, folder, workers, progress):
    """Builds every group of shards, `workers` processes at a time, each taking the next group when it is done (one
    start-up per process: each imports TensorFlow, ~5 s); returns the result of each shard (`build_shards`')."""
    shards = jobs[0]["shards"]
    for job in jobs:
        job["outputs"] = [os.path.join(folder, SHARD_NAME.format(index=k, count=shards)) for k in job["group"]]
    results, pending, done = [None] * shards, list(jobs), 0

    def finished(job, group_results):
        nonlocal done
        for k, result in zip(job["group"], group_results):
            results[k] = result
        done += len(job["group"])
        if progress:
            progress(done, shards)

    if workers == 1:
        for job in jobs:
            finished(job, build_shards(job))
        return results
    running = []
    try:
        with selectors.DefaultSelector() as selector:
            for _ in range(min(workers, len(jobs))):
                running.append(_start())
                _give(running[-1], pending.pop(0))
                selector.register(running[-1].replies, selectors.EVENT_READ, running[-1])
            for _ in jobs:
                worker = selector.select()[0][0].data
                finished(worker.job, _reply(worker))
                if pending:
                    _give(worker, pending.pop(0))
                else:
                    selector.unregister(worker.replies)
                    worker.stdin.close()  # the worker ends
    finally:
        for worker in running:
            if worker.poll() is None and not worker.stdin.closed:
                worker.kill()
            worker.wait()
            for stream in (worker.stdin, worker.replies, worker.errors):
                with contextlib.suppress(BrokenPipeError):  # (a job it never read: closed all the same)
                    stream.close()
    return results


def _start():
    """A worker process (a fresh interpreter: TensorFlow does not survive fork(), and multiprocessing's spawn
    would re-run the caller's script) that builds the shards it is given on stdin, one JSON job per line, and
    answers each on a pipe of its own (whatever it prints goes with its stderr to a file, read if it fails)."""
    errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed in _run; a pipe could fill up and stop the worker)
    read_end, write_end = os.pipe()
    try:
        worker = subprocess.Popen(
            [sys.executable, "-m", "tf_electra.pretraining.shard"],
            stdin=subprocess.PIPE,
            stdout=errors,
            stderr=errors,
            text=True,
            pass_fds=(write_end,),
            env={**os.environ, PARENT_ENV: str(os.getpid()), REPLY_FD_ENV: str(write_end)},
        )
    except BaseException:
        os.close(read_end)
        errors.close()
        raise
    finally:
        os.close(write_end)
    worker.errors, worker.replies = errors, os.fdopen(read_end, encoding="utf-8")
    return worker


def _give(worker, job):
    worker.job = job
    try:
        worker.stdin.write(json.dumps(job) + "\n")
        worker.stdin.flush()
    except BrokenPipeError:  # it has died
        raise _failure(worker) from None


def _reply(worker):
    """The worker's results for its group of shards (one JSON line), or its error raised here."""
    line = worker.replies.readline()
    try:
        reply = json.loads(line)
    except ValueError:
        reply = None
    if not isinstance(reply, dict) or reply.get("group") != worker.job["group"]:  # it died (or: not our worker)
        raise _failure(worker)
    if "error" in reply:
        raise ERRORS.get(reply["type"], DataError)(reply["error"])
    return reply["results"]


def _failure(worker):
    """The error of a worker that ended without a reply: the last line it wrote to stderr, else its exit status."""
    try:
        worker.wait(timeout=5)
    except subprocess.TimeoutExpired:  # alive, yet no reply
        worker.kill()
        worker.wait()
    worker.errors.seek(0)
    err = worker.errors.read().decode("utf-8", errors="replace")
    last = [line.strip() for line in err.splitlines() if line.strip()][-1:] or [f"exit status {worker.returncode}"]
    group = worker.job["group"]
    which = f"shard {group[0]}" if len(group) == 1 else f"shards {group[0]}-{group[-1]}"
    return DataError(f"building {which} failed: {last[0][:300]}")
