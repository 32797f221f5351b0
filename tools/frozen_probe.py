"""A linear probe of a frozen encoder: what pre-training put into its features, apart from fine-tuning.

Used by `tools/electra_vs_mlm.py`: a ridge classifier on each text's [CLS] vector and mean-pooled last hidden
state, the penalty chosen on the dev split.
"""


def features(folder, rows, max_length=64, batch=256):
    """[n, 2H] float64: each text's [CLS] vector and its mean last hidden state (frozen encoder)."""
    import numpy as np

    import tf_electra

    tokenizer = tf_electra.ElectraTokenizer.from_pretrained(folder)
    model = tf_electra.TFElectraModel.from_pretrained(folder, warn_unmatched=False)
    enc = tokenizer([r["text"] for r in rows], padding="max_length", truncation=True, max_length=max_length)
    enc = {k: np.asarray(enc[k]) for k in ("input_ids", "attention_mask", "token_type_ids")}
    out = []
    for i in range(0, len(rows), batch):
        part = {k: v[i : i + batch] for k, v in enc.items()}
        hidden = np.asarray(model(part).last_hidden_state, dtype=np.float64)
        mask = part["attention_mask"][..., None]
        out.append(np.concatenate([hidden[:, 0], (hidden * mask).sum(1) / mask.sum(1)], axis=-1))
    return np.concatenate(out)


def linear_probe(folder, splits):
    """Test accuracy of a ridge classifier on the frozen encoder's features (penalty chosen on dev)."""
    import numpy as np

    x_train, x_dev, x_test = (features(folder, rows) for rows in splits)
    y_train, y_dev, y_test = (np.array([r["label"] == "positive" for r in rows]) for rows in splits)
    mean, std = x_train.mean(0), x_train.std(0) + 1e-6
    x_train, x_dev, x_test = ((x - mean) / std for x in (x_train, x_dev, x_test))
    x_train, x_dev, x_test = (np.concatenate([x, np.ones((len(x), 1))], 1) for x in (x_train, x_dev, x_test))
    gram, target = x_train.T @ x_train, x_train.T @ (2.0 * y_train - 1.0)

    def fit(penalty):
        return np.linalg.solve(gram + penalty * len(x_train) * np.eye(len(gram)), target)

    best = max((np.mean((x_dev @ fit(p) > 0) == y_dev), p) for p in (1e-3, 1e-2, 1e-1, 1.0))[1]
    return float(np.mean((x_test @ fit(best) > 0) == y_test))
