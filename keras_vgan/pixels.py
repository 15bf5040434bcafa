"""Conversions between the two pixel conventions the package uses.

Models and pipelines work on float videos in [-1, 1]; files, users and FVD's
reference work on uint8 in [0, 255]. Every conversion goes through here so the
rounding is the same in training samples, exports and evaluation.
"""

import numpy as np
import tensorflow as tf


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
