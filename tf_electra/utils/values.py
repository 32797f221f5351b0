"""Type checks of option values (bool is not a number here, and NaN is not finite)."""

import math


def is_number(value):
    """A finite int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_positive_int(value):
    """An int of at least 1 (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1
