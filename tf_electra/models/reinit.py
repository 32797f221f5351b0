"""Re-initialising the top encoder blocks before fine-tuning (Zhang et al., ICLR 2021).

The top blocks of a pre-trained encoder are the most specific to its pre-training task. Drawing them
afresh, as a new model would, often helps fine-tuning, above all when pre-training was short: a briefly
pre-trained ELECTRA discriminator's last block maps every token to nearly the same vector (README,
"The paper's claim in miniature"), which a classification head reading [CLS] can hardly move.
"""

import keras

from tf_electra.errors import ConfigError

_REDRAWN = ("kernel", "embeddings")  # ELECTRA's initializer: truncated normal, stddev initializer_range
_RESET = {"bias": "zeros", "beta": "zeros", "gamma": "ones"}  # as every new Dense / LayerNormalization starts


def reinitialize_top_layers(model, num_layers, seed=None):
    """Draws the weights of the encoder's top `num_layers` blocks afresh; returns the names of the variables drawn.

    Kernels (and relative-position embeddings) get ELECTRA's initializer, biases zeros, LayerNorm scales
    ones, as in a newly built model; the layers below, the embeddings and the head keep their weights.
    The initializer is ELECTRA's own, not the one a loaded layer holds (a loader builds from zeros).

    Args:
        model: An ELECTRA model (any head) or its ElectraMainLayer.
        num_layers: How many blocks, counted from the top: 0 (none) to config.num_hidden_layers.
        seed: An int for a repeatable draw; None draws from Keras' global seed (keras.utils.set_random_seed).

    Raises:
        ConfigError: num_layers is not an integer in [0, num_hidden_layers], or seed is not an int.
    """
    main = getattr(model, "electra", model)
    blocks = list(getattr(getattr(main, "encoder", None), "layer", None) or [])
    if not blocks:
        raise ConfigError(f"{type(model).__name__} has no ELECTRA encoder blocks to re-initialise")
    if not isinstance(num_layers, int) or isinstance(num_layers, bool) or not 0 <= num_layers <= len(blocks):
        raise ConfigError(
            f"reinit_layers must be an integer from 0 to the model's {len(blocks)} layers, got {num_layers!r}"
        )
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise ConfigError(f"seed must be an int or None, got {seed!r}")
    stddev = blocks[0].block_config["initializer_range"]
    drawn = []
    for index, block in enumerate(blocks[len(blocks) - num_layers :]):
        for position, layer in enumerate(block._flatten_layers(include_self=False)):
            for name in _REDRAWN + tuple(_RESET):
                variable = getattr(layer, f"_{name}", None)  # Dense.kernel may be a LoRA-merged tensor
                if not isinstance(variable, keras.Variable):
                    variable = getattr(layer, name, None)
                if not isinstance(variable, keras.Variable):
                    continue
                if name in _REDRAWN:
                    layer_seed = None if seed is None else seed + 1000 * index + 10 * position + _REDRAWN.index(name)
                    initializer = keras.initializers.TruncatedNormal(stddev=stddev, seed=layer_seed)
                else:
                    initializer = keras.initializers.get(_RESET[name])
                variable.assign(initializer(variable.shape, dtype=variable.dtype))
                drawn.append(variable.path)
    return drawn
