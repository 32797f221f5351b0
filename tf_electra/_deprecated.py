"""Module-level shims for names that moved: the old import keeps working, with a DeprecationWarning."""

import importlib
import warnings


def moved(old_module, names):
    """A module `__getattr__` serving `names` ({name: new module}) from their new homes, with a warning."""

    def __getattr__(name):
        if name not in names:
            raise AttributeError(f"module {old_module!r} has no attribute {name!r}")
        warnings.warn(
            f"{old_module}.{name} moved to {names[name]}.{name}; the old name will be removed in 1.0",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(names[name]), name)

    return __getattr__
