"""Keras callbacks of fine-tuning: keep the best model, stop on a NaN loss."""

import json
import math
import os
import sys

import keras

from tf_electra.errors import FinetuneError
from tf_electra.tasks.data import run_model
from tf_electra.utils.files import atomic_write_text


class BestCheckpoint(keras.callbacks.Callback):
    """After every epoch: evaluates on the validation data, saves `best/` when the task's main metric
    improves, and rewrites metrics.json. Stops the run when the loss becomes NaN or infinite.

    Args:
        task: The Task (its metrics and main metric).
        validation: Encoded validation TaskData, or None (the training loss then picks the best epoch).
        workdir: The run's output folder.
        history: The dict metrics.json holds; this callback appends each epoch.
        tokenizer: Saved into best/ beside the model.
        batch_size: Evaluation batch size.
        save: Whether this process writes files (the chief of a multi-worker run).
        task_info: Written as `task_file` into best/ (the task and its data columns).
        verbose: Print one summary line per epoch.
    """

    def __init__(
        self,
        task,
        validation,
        workdir,
        history,
        tokenizer,
        batch_size,
        save=True,
        task_info=None,
        task_file="tf_electra_task.json",
        verbose=1,
    ):
        super().__init__()
        self.task, self.validation, self.workdir, self.history = task, validation, workdir, history
        self.tokenizer, self.batch_size, self.save, self.verbose = tokenizer, batch_size, save, verbose
        self.task_info, self.task_file = task_info or {}, task_file
        self.best_value = None
        self.failure = None
        self._pending_line = None

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            epoch = len(self.history["epochs"]) + 1
            self.failure = (
                f"the training loss became {float(loss)} at epoch {epoch}, step {batch + 1}; "
                "lower the learning rate (best/ keeps the last good model)"
            )
            self.model.stop_training = True

    def on_epoch_begin(self, epoch, logs=None):
        self._flush_line()

    def on_epoch_end(self, epoch, logs=None):
        if self.failure:
            return
        entry = {"epoch": epoch + 1, "loss": float((logs or {}).get("loss", float("nan")))}
        if self.validation is not None:
            outputs = run_model(self.model, self.validation, self.batch_size, self.tokenizer.pad_token_id)
            entry["validation"] = self.task.metrics(self.validation, outputs)
            score = entry["validation"][self.task.main_metric]
        else:
            score = -entry["loss"]
        self.history["epochs"].append(entry)
        improved = math.isfinite(score) and (self.best_value is None or score > self.best_value)
        if improved:
            self.best_value = score
            self.history["best_epoch"] = epoch + 1
            self.history["best"] = entry.get("validation", {"loss": entry["loss"]})
            if self.save:
                best = os.path.join(self.workdir, "best")
                self.model.save_pretrained(best, tokenizer=self.tokenizer, overwrite=True)
                atomic_write_text(os.path.join(best, self.task_file), json.dumps(self.task_info, indent=2) + "\n")
        if self.save:
            atomic_write_text(os.path.join(self.workdir, "metrics.json"), json.dumps(self.history, indent=2) + "\n")
        if self.verbose:
            shown = entry.get("validation", {"loss": entry["loss"]})
            self._pending_line = (
                f"epoch {epoch + 1}: "
                + ", ".join(f"{k} {v:.4f}" for k, v in shown.items())
                + (" (best so far: saved best/)" if improved and self.save else "")
            )

    def on_train_end(self, logs=None):
        self._flush_line()

    def _flush_line(self):
        # Printed after Keras' progress bar has finished its line, never glued onto it.
        if self._pending_line:
            print(self._pending_line, file=sys.stdout, flush=True)
            self._pending_line = None

    def raise_if_failed(self):
        """Raises the FinetuneError of a run stopped by a NaN loss."""
        if self.failure:
            raise FinetuneError(self.failure)
