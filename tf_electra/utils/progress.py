"""A one-line progress display on stderr for long library steps (reading tensors, writing data)."""

import sys
import time


class Progress:
    """Callable(done, total): `label: done/total (percent, ETA)` on one line of a terminal, or one line
    per quarter in a log file.

    Args:
        label: What is being counted.
        stream: Where to write (standard error by default).
    """

    def __init__(self, label, stream=None):
        self.label = label
        self.stream = stream or sys.stderr
        self.interactive = getattr(self.stream, "isatty", lambda: False)()
        self.shown = set()
        self.start = time.monotonic()

    def __call__(self, done, total):
        percent = 100 * done // max(total, 1)
        elapsed = time.monotonic() - self.start
        eta = f", ETA {elapsed / done * (total - done):.0f} s" if 0 < done < total and elapsed > 2 else ""
        line = f"{self.label}: {done:,}/{total:,} ({percent}%{eta})"
        if self.interactive:
            print("\r" + line + " " * 8, end="\n" if done >= total else "", file=self.stream, flush=True)
        elif percent // 25 not in self.shown:
            self.shown.add(percent // 25)
            print(line, file=self.stream, flush=True)
