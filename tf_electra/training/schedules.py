"""The original ELECTRA code's learning-rate schedule: linear warm-up, then polynomial (linear) decay to 0."""

import keras
from keras import ops

from tf_electra.utils.values import check_number


@keras.saving.register_keras_serializable(package="tf_electra")
class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """lr(step) = peak * max(0, 1 - step / total_steps) ** power * min(1, step / warmup_steps).

    Args:
        peak_learning_rate: The rate at the end of warm-up (before decay).
        total_steps: Steps until the rate reaches 0.
        warmup_steps: Steps of linear warm-up (0: none).
        power: Polynomial decay power (1.0: linear, the original's lr_decay_power).
    """

    def __init__(self, peak_learning_rate, total_steps, warmup_steps=0, power=1.0):
        self.peak_learning_rate = check_number("the peak learning rate", peak_learning_rate, 0)
        self.total_steps = int(check_number("total_steps", total_steps, 1, integer=True))
        self.warmup_steps = int(check_number("warmup_steps", warmup_steps, 0, integer=True))
        self.power = check_number("the decay power", power, 0, low_open=True)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        remaining = ops.maximum(0.0, 1.0 - step / float(self.total_steps))
        decayed = self.peak_learning_rate * (remaining if self.power == 1.0 else ops.power(remaining, self.power))
        if self.warmup_steps > 0:
            decayed = decayed * ops.minimum(1.0, step / float(self.warmup_steps))
        return decayed

    def get_config(self):
        return {
            "peak_learning_rate": self.peak_learning_rate,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "power": self.power,
        }
