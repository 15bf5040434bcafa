"""Argument checks shared by the package: one ValueError that names the bad value and what was expected."""

import numpy as np


def check_int(name, value, minimum=None, allow_none=False):
    """`value` as an int; a ValueError naming `name` when it is not an integer >= `minimum`.

    Booleans are refused (True is an int to Python, never a count to a user);
    NumPy integers are accepted.

    Example:
    >>> check_int("height", np.int64(32), minimum=8)
    32
    >>> check_int("height", 4, minimum=8)
    Traceback (most recent call last):
    ...
    ValueError: height=4 is not valid; expected an integer >= 8
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or (
            minimum is not None and value < minimum):
        if minimum == 1:
            expected = "a positive integer"
        elif minimum is None:
            expected = "an integer"
        else:
            expected = f"an integer >= {minimum}"
        raise ValueError(f"{name}={value!r} is not valid; expected {expected}{' or None' if allow_none else ''}")
    return int(value)


def check_positive_int(name, value, allow_none=False):
    """`value` as an int; a ValueError naming `name` when it is not a positive integer.

    Example:
    >>> check_positive_int("num_videos", np.int64(8))
    8
    >>> check_positive_int("columns", None, allow_none=True) is None
    True
    """
    return check_int(name, value, minimum=1, allow_none=allow_none)


def check_positive_ints(**values):
    """`check_positive_int` for each keyword argument, in order."""
    for name, value in values.items():
        check_positive_int(name, value)


def check_choice(name, value, choices):
    """`value`, or a ValueError naming it when it is not one of `choices`."""
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not valid; expected one of {list(choices)}")
    return value
