"""Sentence (pair) regression (STS-B-style): a real-valued score per text or pair."""

import numpy as np

from tf_electra.models.sequence_classification import TFElectraForSequenceClassification
from tf_electra.tasks import metrics
from tf_electra.tasks.base import Task
from tf_electra.tasks.base import register
from tf_electra.tasks.classification import encode_classification


@register
class RegressionTask(Task):
    """One float per text or text pair; mean squared error; Pearson and Spearman correlations."""

    name = "regression"
    model_class = TFElectraForSequenceClassification
    main_metric = "pearson"
    finetunable = True
    columns = ("text_column", "text_pair_column", "label_column")
    paper_dataset = None

    def serves(self, model):
        return type(model) is self.model_class and model.config.num_labels == 1

    def encode(self, source, tokenizer, max_length=None, label2id=None, with_labels=True, **columns):
        return encode_classification(
            source,
            tokenizer,
            max_length=max_length or self.default_max_length,
            regression=True,
            with_labels=with_labels,
            **columns,
        )

    def head_config(self, data):
        return {"num_labels": 1, "problem_type": "regression"}

    def label_spec(self):
        import tensorflow as tf

        return tf.TensorSpec([None], tf.float32)

    def batch_labels(self, labels):
        return np.asarray(labels, np.float32)

    def metrics(self, data, outputs):
        return metrics.regression_metrics(data.labels, [float(np.ravel(x)[0]) for x in outputs["logits"]])

    def predictions(self, data, outputs, config):
        return [{"prediction": float(np.ravel(x)[0])} for x in outputs["logits"]]

    def serving_outputs(self, config, outputs):
        return {"logits": outputs["logits"]}
