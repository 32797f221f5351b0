"""The demo's data: "word-order sentiment" reviews and a small BERT-style vocabulary that covers them.

`word_order_sentiment` makes short reviews whose label depends on word order ("the film was good ,
not bad" vs "the film was bad , not good": the same words, opposite labels), so a bag-of-words model
cannot solve it.
"""

import os

import numpy as np

SUBJECTS = ("the film", "the movie", "this show", "the plot", "the acting", "the ending", "the story", "the music")
POSITIVE = ("good", "great", "fun", "clever", "moving", "brilliant")
NEGATIVE = ("bad", "awful", "boring", "dull", "weak", "silly")
TEMPLATES = (
    "{s} was {a} , not {b}",
    "{s} was not {b} but {a}",
    "not {b} , {s} was really {a}",
    "{s} : {a} and never {b}",
)
DEMO_WORDS = sorted(
    {w for t in SUBJECTS for w in t.split()}
    | set(POSITIVE)
    | set(NEGATIVE)
    | {"was", "not", "but", "really", "and", "never", ",", ":"}
)


def word_order_sentiment(count, seed=0):
    """Rows {"text", "label"} ("positive"/"negative") whose label depends on word order.

    The sentiment is that of the adjective that is *not* negated; swapping the
    two adjectives keeps the words and flips the label.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(count):
        positive = bool(rng.integers(2))
        good, bad = str(rng.choice(POSITIVE)), str(rng.choice(NEGATIVE))
        a, b = (good, bad) if positive else (bad, good)
        template = str(rng.choice(TEMPLATES))
        rows.append(
            {
                "text": template.format(s=str(rng.choice(SUBJECTS)), a=a, b=b),
                "label": "positive" if positive else "negative",
            }
        )
    return rows


def write_vocab(path, size):
    """A BERT-style vocab.txt of `size` tokens: specials, the demo words, characters, word pieces, fillers."""
    specials = (
        ["[PAD]"] + [f"[unused{i}]" for i in range(max(0, min(99, size - 104)))] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    )
    tokens = list(specials)
    words = "the a of and to in is was it for on with as be by this that at from".split() + DEMO_WORDS
    tokens += [w for w in dict.fromkeys(words) if w not in tokens]
    letters = "abcdefghijklmnopqrstuvwxyz0123456789.,!?'-"
    tokens += [c for c in letters if c not in tokens] + ["##" + c for c in letters]
    i = 0
    while len(tokens) < size:
        tokens.append(f"tok{i}")
        i += 1
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in tokens[:size]))
