"""The ELECTRA fine-tuning recipe as Keras objects.

* `WarmupLinearDecay`: the original code's schedule, lr = peak * (1 - step/total)
  * min(1, step/warmup) (polynomial decay to 0 with power 1, times linear warmup).
* `ElectraAdamW`: Adam with decoupled weight decay that skips LayerNorm and bias
  weights, global-norm gradient clipping, and layer-wise learning-rate decay.
  Keras optimizers have one learning rate; Adam is invariant to gradient scale,
  so scaling gradients cannot emulate per-layer rates. Instead each variable's
  update step runs with `learning_rate * multiplier(variable)`, where the
  multiplier is decay ** (depth from the top): task head 1, top encoder layer
  decay, ..., embeddings decay ** (L + 1). `original_depths=True` reproduces
  google-research/electra's mapping (head depth L + 2), where the top layer gets
  decay ** 2 and the embeddings decay ** (L + 2). On TensorFlow the update of float32
  and float64 weights runs as TensorFlow's fused Adam kernel (`tf_updates`); elsewhere
  (JAX, 16-bit weights) as `keras.ops`, for 16-bit weights in float32 with float32 moments.
* `FINETUNE_PRESETS` / `recipe`: the paper's hyperparameters per model size.
"""

import numbers
import re

import keras
from keras import ops

from tf_electra import _keras_compat
from tf_electra.errors import ConfigError
from tf_electra.presets import model_size_of
from tf_electra.training.schedules import WarmupLinearDecay
from tf_electra.utils.values import check_number

# The paper's fine-tuning hyperparameters (Clark et al. 2020, appendix; google-research/electra).
FINETUNE_PRESETS = {
    "small": {"learning_rate": 3e-4, "layer_decay": 0.8},
    "base": {"learning_rate": 1e-4, "layer_decay": 0.8},
    "large": {"learning_rate": 5e-5, "layer_decay": 0.9},
}
COMMON = {
    "warmup_ratio": 0.1,
    "batch_size": 32,
    "epochs": 3,
    "weight_decay": 0.01,
    "adam_epsilon": 1e-6,
    "beta_1": 0.9,
    "beta_2": 0.999,
    "clipnorm": 1.0,
}
SIXTEEN_BIT = ("float16", "bfloat16")  # weights whose Adam moments and update are computed in float32
# Tasks whose number of epochs differs from 3.
TASK_EPOCHS = {"rte": 10, "sts": 10, "stsb": 10, "sts-b": 10, "squad": 2}

_LAYER = re.compile(r"(?:^|/)electra/encoder/layer_(\d+)/")
_EMBEDDINGS = re.compile(r"(?:^|/)electra/(?:embeddings|embeddings_project)/")
_NO_DECAY = re.compile(r"(?:^|/)(?:LayerNorm|layer_norm)/|(?:^|/)(?:bias|beta|gamma)$")


def recipe(model_size, task=None, **overrides):
    """The paper's fine-tuning hyperparameters for "small", "base" or "large" (and a GLUE/SQuAD task name)."""
    if model_size not in FINETUNE_PRESETS:
        raise ConfigError(f"unknown model size {model_size!r}; choose one of {sorted(FINETUNE_PRESETS)}")
    values = dict(COMMON, **FINETUNE_PRESETS[model_size])
    if task is not None:
        values["epochs"] = TASK_EPOCHS.get(task.lower(), values["epochs"])
    unknown = sorted(set(overrides) - set(values))
    if unknown:
        raise ConfigError(f"unknown fine-tuning hyperparameters {unknown}; known: {sorted(values)}")
    values.update({k: v for k, v in overrides.items() if v is not None})
    return values


def layer_depth(path, num_layers, original_depths=False):
    """Depth of a variable from the bottom: embeddings 0, encoder layer i -> i + 1, heads on top."""
    match = _LAYER.search(path)
    if match:
        return int(match.group(1)) + 1
    if _EMBEDDINGS.search(path):
        return 0
    return num_layers + (2 if original_depths else 1)


def learning_rate_multiplier(path, num_layers, layer_decay, original_depths=False):
    """decay ** (depth from the top) for one variable path."""
    top = num_layers + (2 if original_depths else 1)
    return float(layer_decay) ** (top - layer_depth(path, num_layers, original_depths))


def uses_weight_decay(path):
    """Weight decay applies to every weight except LayerNorm parameters and biases."""
    return _NO_DECAY.search(path) is None


@keras.saving.register_keras_serializable(package="tf_electra")
class ElectraAdamW(keras.optimizers.Optimizer):
    """Adam with decoupled weight decay (LayerNorm and biases excluded) and layer-wise learning rates.

    The slots are named after the original's: `adam_m` (first moment) and `adam_v` (second moment).

    Args:
        learning_rate: A float or a LearningRateSchedule (e.g. WarmupLinearDecay).
        weight_decay_rate: Decoupled weight decay, scaled by each variable's learning rate.
        num_layers: The encoder's number of layers (for layer-wise decay).
        layer_decay: Per-layer learning-rate decay (1.0: off).
        original_depths: Use google-research/electra's depth mapping.
        global_clipnorm: Clip gradients by their global norm (1.0 by default).
        beta_1, beta_2, epsilon: Adam's moments' decay rates and epsilon (added outside the square root).
        bias_correction: Keras' and PyTorch's Adam correct the moments' start-up bias; google-research/
            electra's AdamWeightDecayOptimizer does not (False reproduces its pre-training updates).
        **kwargs: keras Optimizer arguments.
    """

    def __init__(
        self,
        learning_rate=1e-4,
        weight_decay_rate=0.01,
        num_layers=12,
        layer_decay=1.0,
        original_depths=False,
        global_clipnorm=1.0,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-6,
        bias_correction=True,
        name="electra_adamw",
        **kwargs,
    ):
        kwargs.pop("amsgrad", None)  # configs saved when this class extended keras' Adam
        if isinstance(learning_rate, numbers.Real):  # not a schedule, callable or tensor
            check_number("ElectraAdamW's learning_rate", learning_rate, 0)
        for flag, value in (("original_depths", original_depths), ("bias_correction", bias_correction)):
            if not isinstance(value, bool):
                raise ConfigError(f"ElectraAdamW's {flag} must be True or False, got {value!r}")
        super().__init__(learning_rate=learning_rate, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.weight_decay_rate = check_number("ElectraAdamW's weight_decay_rate", weight_decay_rate, 0)
        self.num_layers = int(check_number("ElectraAdamW's num_layers", num_layers, 0, integer=True))
        self.layer_decay = check_number("ElectraAdamW's layer_decay", layer_decay, 0, low_open=True)
        self.original_depths, self.bias_correction = original_depths, bias_correction
        self.beta_1, self.beta_2 = (
            check_number(f"ElectraAdamW's {n}", b, 0, 1, high_open=True)
            for n, b in (("beta_1", beta_1), ("beta_2", beta_2))
        )
        self.epsilon = check_number("ElectraAdamW's epsilon", epsilon, 0, low_open=True)
        self._rates = None  # an update's shared scalars, alive only inside apply()
        self._float32_moments = False

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._float32_moments = True  # these two only: use_ema's averages, accumulators keep the weight's dtype
        try:
            self.adam_m, self.adam_v = self.add_optimizer_variables(var_list, ["adam_m", "adam_v"])
        finally:
            self._float32_moments = False
        # The backend may hand update_step its own variable objects, which lack Keras paths:
        # resolve each variable's rate multiplier and decay flag here, by its index.
        self._multipliers = [
            learning_rate_multiplier(v.path, self.num_layers, self.layer_decay, self.original_depths) for v in var_list
        ]
        self._decays = [uses_weight_decay(v.path) for v in var_list]

    def add_variable(self, shape, initializer="zeros", dtype=None, **kwargs):
        """As Keras', but the Adam moments of 16-bit weights are float32 (float16's squared gradients underflow)."""
        if getattr(self, "_float32_moments", False) and keras.backend.standardize_dtype(dtype) in SIXTEEN_BIT:
            dtype = "float32"
        return super().add_variable(shape, initializer=initializer, dtype=dtype, **kwargs)

    def multiplier(self, variable):
        """The learning-rate multiplier of a variable (after build)."""
        return self._multipliers[_keras_compat.optimizer_variable_index(self, variable)]

    def slots(self, variable):
        """(adam_m, adam_v) of a variable (after build)."""
        index = _keras_compat.optimizer_variable_index(self, variable)
        return self.adam_m[index], self.adam_v[index]

    def apply(self, grads, trainable_variables=None):
        self._rates = {}  # this update's scalars, built by its first update_step and shared by all variables
        try:
            return super().apply(grads, trainable_variables)
        finally:
            self._rates = None  # no tensor of this update (or trace) outlives it

    def _rates_for(self, learning_rate, dtype, multiplier):
        """This update's constants and (decay rate, Adam rate) for a multiplier, built once per update (per
        variable they were a third of the optimizer's graph: they do not depend on the variable)."""
        rates = self._rates if self._rates is not None else {}  # outside apply(): nothing to share
        if dtype not in rates:
            lr = ops.cast(learning_rate, dtype)
            adam_lr = lr
            if self.bias_correction:
                step = ops.cast(self.iterations + 1, dtype)
                adam_lr = lr * ops.sqrt(1 - ops.power(self.beta_2, step)) / (1 - ops.power(self.beta_1, step))
            constants = (1 - self.beta_1, 1 - self.beta_2, self.epsilon, self.beta_1, self.beta_2, 0.0)
            constants = [ops.convert_to_tensor(c, dtype) for c in constants]
            rates[dtype] = (lr, adam_lr, constants, {})
        lr, adam_lr, constants, scaled = rates[dtype]
        if multiplier not in scaled:
            scaled[multiplier] = (lr * (multiplier * self.weight_decay_rate), adam_lr * multiplier)
        return (*constants, *scaled[multiplier])

    def update_step(self, gradient, variable, learning_rate):
        if hasattr(gradient, "indices"):
            # Embedding gradients arrive as IndexedSlices with repeated rows; a sparse update would
            # accumulate the squares of the pieces instead of the square of their sum. Sum them first,
            # as the original (dense) optimizer did.
            import tensorflow as tf  # only the TensorFlow backend produces IndexedSlices

            gradient = tf.convert_to_tensor(gradient)
        index = _keras_compat.optimizer_variable_index(self, variable)
        dtype = keras.backend.standardize_dtype(variable.dtype)
        compute = "float32" if dtype in SIXTEEN_BIT else dtype  # 16-bit: 1 - bfloat16(0.999) is 0
        gradient = ops.cast(gradient, compute)
        one_minus_b1, one_minus_b2, epsilon, beta_1, beta_2, zero, decay_lr, adam_lr = self._rates_for(
            learning_rate, compute, self._multipliers[index]
        )
        m, v = self.adam_m[index], self.adam_v[index]
        decays = bool(self.weight_decay_rate and self._decays[index])
        tf_updates = None
        if keras.backend.backend() == "tensorflow":
            from tf_electra.training import tf_updates
        # On TensorFlow the same update as one fused kernel (and the decay); not for 16-bit weights: the kernel
        # works in the weight's dtype (and its moments' must match it).
        if tf_updates is not None and dtype == compute:
            decay_lr = decay_lr if decays else None
            tf_updates.apply_adamw(variable, m, v, gradient, adam_lr, decay_lr, beta_1, beta_2, epsilon, zero)
            return
        self.assign_add(m, (gradient - m) * one_minus_b1)
        self.assign_add(v, (ops.square(gradient) - v) * one_minus_b2)
        # The original's order: update = m / (sqrt(v) + eps) + decay * w, then w -= lr * update (decay at the
        # uncorrected rate), as one assignment.
        update = adam_lr * m / (ops.sqrt(v) + epsilon)
        if decays:  # on TensorFlow (16-bit weights) the weight is read late: see tf_updates.read_after
            weight = variable if tf_updates is None else tf_updates.read_after(variable, update)
            update = update + ops.cast(weight, compute) * decay_lr
        self.assign_sub(variable, ops.cast(update, dtype))

    def get_config(self):
        config = super().get_config()
        config.update(
            weight_decay_rate=self.weight_decay_rate,
            num_layers=self.num_layers,
            layer_decay=self.layer_decay,
            original_depths=self.original_depths,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
            bias_correction=self.bias_correction,
        )
        return config


def create_optimizer(model, total_steps, model_size=None, original_depths=False, **overrides):
    """The paper's optimizer for a model: ElectraAdamW with WarmupLinearDecay.

    Args:
        model: The model to fine-tune (its config gives the number of layers).
        total_steps: Training steps in all (epochs x steps per epoch).
        model_size: "small", "base" or "large" preset (default: from hidden size).
        original_depths: google-research/electra's layer-depth mapping.
        **overrides: learning_rate, layer_decay, warmup_ratio, weight_decay,
            clipnorm, adam_epsilon, beta_1, beta_2.
    """
    if model_size is None:
        model_size = model_size_of(model.config)
    hp = recipe(model_size, **overrides)
    schedule = WarmupLinearDecay(hp["learning_rate"], total_steps, int(round(hp["warmup_ratio"] * total_steps)))
    return ElectraAdamW(
        learning_rate=schedule,
        weight_decay_rate=hp["weight_decay"],
        num_layers=model.config.num_hidden_layers,
        layer_decay=hp["layer_decay"],
        original_depths=original_depths,
        global_clipnorm=hp["clipnorm"],
        epsilon=hp["adam_epsilon"],
        beta_1=hp["beta_1"],
        beta_2=hp["beta_2"],
    )
