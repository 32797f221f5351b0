"""Callbacks of a pre-training run: Google-layout checkpoints, progress with an ETA, TensorBoard scalars."""

import json
import math
import os
import sys
import time

import keras

from tf_electra.errors import TrainingError
from tf_electra.io.google_writer import save_checkpoint
from tf_electra.utils.files import atomic_write_text

SHOWN = ("loss", "masked_lm_loss", "masked_lm_accuracy", "disc_loss", "disc_auc", "disc_accuracy")


def step_of(model):
    return int(model.optimizer.iterations.numpy())


class StepCheckpoints(keras.callbacks.Callback):
    """Saves a checkpoint every `every` steps and at `total` (then stops the run); stops on a NaN loss.

    Args:
        run_dir: Where the checkpoints go (model.ckpt-STEP, the `checkpoint` file).
        every: Steps between checkpoints.
        total: The last step.
        keep: Checkpoints to keep (0 keeps all).
        save: Whether this process writes (the chief of a multi-worker run).
    """

    def __init__(self, run_dir, every, total, keep, save=True):
        super().__init__()
        self.run_dir, self.every, self.total, self.keep, self.save = run_dir, every, total, keep, save
        self.last_saved = None
        self.failure = None

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        step = step_of(self.model)
        if loss is not None and not math.isfinite(float(loss)):
            self.failure = (
                f"the loss became {float(loss)} at step {step}; lower the learning rate (the last checkpoint is kept)"
            )
            self.model.stop_training = True
            return
        if step % self.every == 0 or step >= self.total:
            self.checkpoint(step)
        if step >= self.total:
            self.model.stop_training = True

    def checkpoint(self, step):
        if self.save and step != self.last_saved:
            save_checkpoint(self.run_dir, step, self.model.google_variables(), self.model.optimizer, self.keep)
            self.last_saved = step

    def raise_if_failed(self):
        if self.failure:
            raise TrainingError(self.failure)


class Progress(keras.callbacks.Callback):
    """One line with the step, the losses and metrics, the learning rate and an ETA.

    On a terminal the line is rewritten in place every batch; in a log file a line is printed every
    `every` steps (nothing with show=False). Every `every` steps the values also go to TensorBoard
    (when `log_dir` is given) and to metrics.json (the run's history, rewritten atomically).
    """

    def __init__(self, start, total, every, log_dir=None, history_file=None, stream=None, show=True):
        super().__init__()
        self.start_step, self.total, self.every, self.show = start, total, every, show
        self.stream = stream or sys.stderr
        self.interactive = show and getattr(self.stream, "isatty", lambda: False)()
        self.log_dir, self.history_file = log_dir, history_file
        self.history, self.writer, self.started = [], None, None

    def on_train_begin(self, logs=None):
        self.started = time.monotonic()
        if self.log_dir:
            import tensorflow as tf

            self.writer = tf.summary.create_file_writer(self.log_dir)

    def on_train_batch_end(self, batch, logs=None):
        step = step_of(self.model)
        done = step - self.start_step
        elapsed = time.monotonic() - self.started
        eta = elapsed / max(done, 1) * (self.total - step)
        values = {k: float(v) for k, v in (logs or {}).items()}
        values["learning_rate"] = float(self.model.optimizer.learning_rate)
        shown = " ".join(f"{k} {values[k]:.4g}" for k in SHOWN if k in values)
        line = f"step {step:,}/{self.total:,} {shown} lr {values['learning_rate']:.3g} ETA {_clock(eta)}"
        if self.interactive:
            print("\r" + line[:160].ljust(160), end="", file=self.stream, flush=True)
        if step % self.every == 0 or step >= self.total:
            if self.show and not self.interactive:
                print(line, file=self.stream, flush=True)
            self._record(step, values)

    def on_train_end(self, logs=None):
        if self.interactive:
            print(file=self.stream)
        if self.writer is not None:
            self.writer.close()

    def _record(self, step, values):
        self.history.append(dict(values, step=step))
        if self.writer is not None:
            import tensorflow as tf

            with self.writer.as_default(step=step):
                for name, value in values.items():
                    tf.summary.scalar(name, value)
            self.writer.flush()
        if self.history_file:
            atomic_write_text(self.history_file, json.dumps(self.history, indent=1) + "\n")


def _clock(seconds):
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def load_history(path, up_to=None):
    """The records an earlier part of the run wrote to metrics.json ([] when none), those after step `up_to`
    (the checkpoint a killed run resumes from, whose later steps it trains again) left out."""
    if not os.path.isfile(path):
        return []
    try:
        with open(path, encoding="utf-8") as f:
            history = json.load(f)
    except (OSError, ValueError, RecursionError) as e:
        history = e
    if not isinstance(history, list):  # replacing it would lose the run's record; the checkpoints are intact
        raise TrainingError(f"{path} is damaged ({history}); move it away to continue the run without it")
    return [r for r in history if up_to is None or not isinstance(r, dict) or r.get("step", 0) <= up_to]
