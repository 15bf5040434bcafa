"""DiffAugment for videos (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training").

The discriminator sees real and generated clips through the same random,
differentiable transformations, so it cannot memorise a small training set
and the generator still gets gradients through them. For video, every
random draw is made once per clip and applied to all of its frames: a shift
or a cut-out square that jumped from frame to frame would be motion the
discriminator could use to tell augmented clips apart.

Value convention: the operations act on the [-1, 1] pixels as they are, as
the reference implementation does on its [-1, 1] images: brightness adds
a draw from [-0.5, 0.5] (a quarter of the range), saturation and contrast
scale around a mean, and translation and cutout fill with 0, which is
mid-grey in [-1, 1]. Nothing is clipped back into [-1, 1].
"""

import keras
import tensorflow as tf

from keras_vgan.validation import check_choice

POLICIES = ("color", "translation", "cutout")


def _per_clip(batch, minval=0.0, maxval=1.0):
    # One draw per clip, broadcastable over (T, H, W, C).
    return tf.random.uniform(tf.stack([batch, 1, 1, 1, 1]), minval, maxval)


def _color(videos):
    batch = tf.shape(videos)[0]
    videos = videos + _per_clip(batch, -0.5, 0.5)
    if videos.shape[-1] > 1:  # grey has no saturation
        grey = tf.reduce_mean(videos, axis=-1, keepdims=True)
        videos = (videos - grey) * _per_clip(batch, 0.0, 2.0) + grey
    mean = tf.reduce_mean(videos, axis=[1, 2, 3, 4], keepdims=True)
    return (videos - mean) * _per_clip(batch, 0.5, 1.5) + mean


def _translation(videos, ratio):
    batch = tf.shape(videos)[0]
    height, width = videos.shape[2], videos.shape[3]
    max_dy, max_dx = int(height * ratio + 0.5), int(width * ratio + 0.5)
    dy = tf.random.uniform(tf.stack([batch, 1]), -max_dy, max_dy + 1, dtype=tf.int32)
    dx = tf.random.uniform(tf.stack([batch, 1]), -max_dx, max_dx + 1, dtype=tf.int32)
    padded = tf.pad(videos, [[0, 0], [0, 0], [max_dy, max_dy], [max_dx, max_dx], [0, 0]])
    # Output pixel y reads padded row y + max_dy - dy: a shift by dy with zeros coming in.
    rows = tf.range(height)[tf.newaxis, :] + max_dy - dy
    columns = tf.range(width)[tf.newaxis, :] + max_dx - dx
    shifted = tf.gather(padded, rows, axis=2, batch_dims=1)
    return tf.gather(shifted, columns, axis=3, batch_dims=1)


def _cutout(videos, ratio):
    batch = tf.shape(videos)[0]
    height, width = videos.shape[2], videos.shape[3]
    size_y, size_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    # The square's centre is anywhere in the frame, so it may hang over an edge (as in the reference).
    top = tf.random.uniform(tf.stack([batch, 1]), 0, height + (1 - size_y % 2), dtype=tf.int32) - size_y // 2
    left = tf.random.uniform(tf.stack([batch, 1]), 0, width + (1 - size_x % 2), dtype=tf.int32) - size_x // 2
    y = tf.range(height)[tf.newaxis, :]
    x = tf.range(width)[tf.newaxis, :]
    inside_rows = tf.logical_and(y >= top, y < top + size_y)
    inside_columns = tf.logical_and(x >= left, x < left + size_x)
    inside = tf.logical_and(inside_rows[:, :, tf.newaxis], inside_columns[:, tf.newaxis, :])
    keep = 1.0 - tf.cast(inside, videos.dtype)
    return videos * keep[:, tf.newaxis, :, :, tf.newaxis]


@keras.saving.register_keras_serializable(package="keras_vgan")
class DiffAugment(keras.layers.Layer):
    """Differentiable colour, translation and cutout of videos, one draw per clip, when `training=True`.

    Args:
        policy: comma-separated names from "color" (brightness ±0.5,
            saturation ×[0, 2] around each pixel's channel mean, contrast
            ×[0.5, 1.5] around the clip's mean), "translation" (an integer
            shift of up to `translation_ratio` of each side, zero fill) and
            "cutout" (a zeroed square `cutout_ratio` of each side), applied
            in the order given. "" applies nothing.
        translation_ratio: the largest shift as a fraction of the side (1/8).
        cutout_ratio: the side of the cut-out square as a fraction of the side (1/2).

    Called on (N, T, H, W, C) videos in [-1, 1]. With `training=True` it
    augments; otherwise it returns its input unchanged. The operations run
    in float32 and return the layer's compute dtype; gradients reach the
    input (zero where cutout removed pixels).

    Example:
    >>> augment = DiffAugment("color,translation,cutout")
    >>> augment(keras.ops.zeros((2, 8, 32, 32, 3)), training=True).shape
    TensorShape([2, 8, 32, 32, 3])
    """

    def __init__(self, policy="color,translation,cutout", translation_ratio=0.125, cutout_ratio=0.5, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(policy, str):
            raise ValueError(f"policy={policy!r} is not valid; expected a comma-separated string of {list(POLICIES)}")
        names = [name.strip() for name in policy.split(",") if name.strip()]
        for name in names:
            check_choice("policy", name, POLICIES)
        if len(set(names)) != len(names):
            raise ValueError(f"policy={policy!r} is not valid; expected each of {list(POLICIES)} at most once")
        for option, value in (("translation_ratio", translation_ratio), ("cutout_ratio", cutout_ratio)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value <= 1.0:
                raise ValueError(f"{option}={value!r} is not valid; expected a number in (0, 1]")
        self.policy = ",".join(names)
        self.translation_ratio = float(translation_ratio)
        self.cutout_ratio = float(cutout_ratio)

    def build(self, input_shape):
        if len(input_shape) != 5 or None in tuple(input_shape)[2:]:
            raise ValueError(f"DiffAugment expects videos (N, T, H, W, C) of known size; got shape "
                             f"{tuple(input_shape)}")

    def call(self, inputs, training=None):
        if not training or not self.policy:
            return inputs
        videos = tf.cast(inputs, tf.float32)
        for name in self.policy.split(","):
            if name == "color":
                videos = _color(videos)
            elif name == "translation":
                videos = _translation(videos, self.translation_ratio)
            else:
                videos = _cutout(videos, self.cutout_ratio)
        return tf.cast(videos, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "policy": self.policy, "translation_ratio": self.translation_ratio,
                "cutout_ratio": self.cutout_ratio}
