"""Argument checks shared by the package: one ValueError that names the bad value and what was expected."""

import numpy as np


def check_positive_int(name, value, allow_none=False):
    """`value` as an int; a ValueError naming `name` when it is not a positive integer.

    Example:
    >>> check_positive_int("num_videos", np.int64(8))
    8
    >>> check_positive_int("columns", None, allow_none=True) is None
    True
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        expected = "a positive integer or None" if allow_none else "a positive integer"
        raise ValueError(f"{name}={value!r} is not valid; expected {expected}")
    return int(value)


def check_positive_ints(**values):
    """`check_positive_int` for each keyword argument, in order."""
    for name, value in values.items():
        check_positive_int(name, value)


def check_choice(name, value, choices):
    """`value`, or a ValueError naming it when it is not one of `choices`."""
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not valid; expected one of {list(choices)}")
    return value
