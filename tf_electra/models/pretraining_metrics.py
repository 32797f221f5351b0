"""The evaluation metrics of google-research/electra's run_pretraining.py, as Keras metrics.

masked_lm_accuracy / masked_lm_loss: the generator's argmax and loss at the masked slots (weighted
by masked_lm_weights, so a position drawn twice counts twice); sampled_masked_lm_accuracy: how often
the *sampled* token is the original; disc_loss: the mean over sequences of each sequence's mean
loss; disc_auc: ROC AUC over all positions (padding enters as label 0, probability 0, as in the
original); disc_accuracy / disc_precision / disc_recall of the "replaced" class over real tokens.
"""

import keras
from keras import ops


class PretrainingMetrics:
    """The metrics of one pre-training objective, updated from an ElectraPretrainer's outputs."""

    def __init__(self, electra_objective=True):
        mean = lambda name: keras.metrics.Mean(name=name)
        self.metrics = {"masked_lm_accuracy": mean("masked_lm_accuracy"), "masked_lm_loss": mean("masked_lm_loss")}
        if electra_objective:
            self.metrics.update(
                sampled_masked_lm_accuracy=mean("sampled_masked_lm_accuracy"),
                disc_loss=mean("disc_loss"),
                disc_auc=keras.metrics.AUC(num_thresholds=200, name="disc_auc"),
                disc_accuracy=mean("disc_accuracy"),
                disc_precision=mean("disc_precision"),
                disc_recall=mean("disc_recall"),
            )

    def all(self):
        return list(self.metrics.values())

    def update(self, out, input_mask):
        m = self.metrics
        weights = ops.reshape(out["masked_lm_weights"], (-1,))
        ids = ops.reshape(out["masked_lm_ids"], (-1,))
        m["masked_lm_accuracy"].update_state(_equal(out["mlm_preds"], ids), sample_weight=weights)
        m["masked_lm_loss"].update_state(ops.reshape(out["mlm_nll"], (-1,)), sample_weight=weights)
        if "disc_loss" not in m:
            return
        m["sampled_masked_lm_accuracy"].update_state(_equal(out["sampled_ids"], ids), sample_weight=weights)
        m["disc_loss"].update_state(out["disc_example_loss"])
        real = ops.reshape(ops.cast(input_mask, "float32"), (-1,))
        labels = ops.reshape(ops.cast(out["disc_labels"], "float32"), (-1,))
        probs = ops.reshape(ops.sigmoid(out["disc_logits"]), (-1,))
        preds = ops.cast(probs > 0.5, "float32")
        m["disc_auc"].update_state(labels * real, probs * real)
        correct = _equal(preds, labels)
        m["disc_accuracy"].update_state(correct, sample_weight=real)
        m["disc_precision"].update_state(correct, sample_weight=preds * real)
        m["disc_recall"].update_state(correct, sample_weight=labels * real)


def _equal(a, b):
    return ops.cast(ops.equal(ops.reshape(ops.cast(a, "float32"), (-1,)), ops.cast(b, "float32")), "float32")
