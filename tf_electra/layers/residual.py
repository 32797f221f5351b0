"""`LayerNorm(residual + dropout(dense(h)))`: the `output` block after attention and after the FFN."""

import keras

from tf_electra.layers.dropout import Dropout
from tf_electra.layers.initializers import dense


@keras.saving.register_keras_serializable(package="tf_electra")
class ResidualLayerNorm(keras.layers.Layer):
    """The post-LN residual block (scope `output`).

    Args:
        hidden_size: Output width H.
        dropout: Dropout rate after the dense layer.
        layer_norm_eps: LayerNorm epsilon.
        initializer_range: Stddev of the dense kernel's initializer.
    """

    def __init__(self, hidden_size, dropout=0.1, layer_norm_eps=1e-12, initializer_range=0.02, **kwargs):
        super().__init__(**kwargs)
        self.hidden_size = hidden_size
        self.dropout_rate = dropout
        self.layer_norm_eps = layer_norm_eps
        self.initializer_range = initializer_range
        self.dense = dense(hidden_size, initializer_range, "dense", self.dtype_policy)
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_eps, name="LayerNorm", dtype=self.dtype_policy
        )
        self.dropout = Dropout(dropout, dtype=self.dtype_policy)

    def build(self, input_shape):
        self.dense.build(input_shape)
        self.layer_norm.build((None, None, self.hidden_size))

    def call(self, hidden_states, residual, training=False):
        hidden_states = self.dropout(self.dense(hidden_states), training=training)
        return self.layer_norm(hidden_states + residual)

    def get_config(self):
        config = super().get_config()
        config.update(
            hidden_size=self.hidden_size,
            dropout=self.dropout_rate,
            layer_norm_eps=self.layer_norm_eps,
            initializer_range=self.initializer_range,
        )
        return config
