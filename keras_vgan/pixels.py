"""Conversions between the two pixel conventions the package uses.

Models and pipelines work on float videos in [-1, 1]; files, users and FVD's
reference work on uint8 in [0, 255]. Every conversion goes through here so the
rounding is the same in training samples, exports and evaluation.
"""

import numpy as np
import tensorflow as tf

# How far outside [-1, 1] a float video may stray before it is refused: the FVD reference asserts
# inputs within [-1.001, 1.001] after scaling.
RANGE_TOLERANCE = 1e-3


def to_uint8(video):
    """Float video in [-1, 1] → uint8 in [0, 255] (a `tf.Tensor`).

    Example:
    >>> to_uint8(tf.constant([-1.0, 0.0, 1.0])).numpy().tolist()
    [0, 128, 255]
    """
    video = tf.cast(video, tf.float32)
    return tf.cast(tf.clip_by_value(tf.round((video + 1.0) * 127.5), 0.0, 255.0), tf.uint8)


def to_unit_range(video):
    """uint8 video in [0, 255] → float32 in [-1, 1] (a `tf.Tensor`)."""
    return tf.cast(video, tf.float32) / 127.5 - 1.0


def as_uint8_array(video):
    """Any video (uint8, or float in [-1, 1]) → a NumPy uint8 array."""
    array = np.asarray(video)
    if array.dtype == np.uint8:
        return array
    return to_uint8(array).numpy()


def check_pixel_values(name, array):
    """Raise one ValueError, prefixed by `name`, unless `array` is uint8 or float in [-1, 1] (± RANGE_TOLERANCE).

    Example:
    >>> check_pixel_values("clips", np.zeros(3, np.float32))
    >>> check_pixel_values("clips", np.full(3, 2.0))
    Traceback (most recent call last):
    ValueError: clips: float videos must be in [-1, 1], got values in [2, 2] (pass uint8 for [0, 255] pixels)
    """
    if array.dtype == np.uint8:
        return
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"{name}: videos must be uint8 in [0, 255] or float in [-1, 1], got dtype {array.dtype}")
    low, high = float(np.min(array)), float(np.max(array))
    # Written so NaN fails too: every comparison with NaN is False.
    if not (low >= -1.0 - RANGE_TOLERANCE and high <= 1.0 + RANGE_TOLERANCE):
        raise ValueError(f"{name}: float videos must be in [-1, 1], got values in [{low:g}, {high:g}] "
                         "(pass uint8 for [0, 255] pixels)")
