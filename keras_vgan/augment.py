"""Clip augmentations that keep a clip's frames consistent with each other.

A video GAN's discriminator sees motion: flipping or cropping frames of one
clip differently would invent motion that is not there. Every function here
draws its randomness once per clip and applies the same flip, crop window or
time reversal to all of its frames.

Clips are (T, H, W, C) tensors. `seed` is None (TensorFlow's global random
state), an int, or a shape-[2] integer tensor (stateless: the same seed gives
the same result, which is what `tf.data` pipelines with a seed want).
"""

import keras
import tensorflow as tf

from keras_vgan.validation import check_positive_int


def stateless_seed(seed):
    """None → None (use TF's global random state); an int or a shape-[2] tensor → an int64 [2] seed."""
    if seed is None:
        return None
    seed = tf.convert_to_tensor(seed)
    if seed.shape.rank == 0:
        return tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
    if seed.shape.as_list() != [2]:
        raise ValueError(f"seed must be None, an int or a shape-[2] tensor, got shape {seed.shape}")
    return tf.cast(seed, tf.int64)


def _uniform(seed):
    if seed is None:
        return tf.random.uniform([])
    return tf.random.stateless_uniform([], seed=seed)


def _split(seed, count):
    if seed is None:
        return [None] * count
    return tf.unstack(tf.random.experimental.stateless_split(seed, count))


def _check_clip(clip):
    clip = tf.convert_to_tensor(clip)
    if clip.shape.rank is not None and clip.shape.rank != 4:
        raise ValueError(f"expected one clip of shape (T, H, W, C), got shape {clip.shape}")
    return clip


def _check_probability(probability):
    if not 0.0 <= float(probability) <= 1.0:
        raise ValueError(f"probability must be in [0, 1], got {probability!r}")


def random_flip_left_right(clip, probability=0.5, seed=None):
    """Mirror every frame of the clip horizontally, with `probability`.

    Example:
    >>> clip = tf.reshape(tf.range(12.0), (2, 1, 3, 2))
    >>> flipped = random_flip_left_right(clip, probability=1.0)
    >>> flipped[0, 0, :, 0].numpy().tolist()
    [4.0, 2.0, 0.0]
    """
    clip = _check_clip(clip)
    _check_probability(probability)
    flip = _uniform(stateless_seed(seed)) < probability
    return tf.cond(flip, lambda: tf.reverse(clip, axis=[2]), lambda: clip)


def random_temporal_reverse(clip, probability=0.5, seed=None):
    """Play the clip backwards, with `probability`.

    Only for data whose motion is plausible in reverse (bouncing objects,
    waves); not for e.g. falling objects or people walking.

    Example:
    >>> clip = tf.reshape(tf.range(3.0), (3, 1, 1, 1))
    >>> random_temporal_reverse(clip, probability=1.0)[:, 0, 0, 0].numpy().tolist()
    [2.0, 1.0, 0.0]
    """
    clip = _check_clip(clip)
    _check_probability(probability)
    reverse = _uniform(stateless_seed(seed)) < probability
    return tf.cond(reverse, lambda: tf.reverse(clip, axis=[0]), lambda: clip)


def random_crop(clip, height, width, seed=None):
    """Crop one random height×width window, the same for every frame.

    Example:
    >>> random_crop(tf.zeros((4, 32, 48, 3)), 24, 24, seed=1).shape.as_list()
    [4, 24, 24, 3]
    """
    clip = _check_clip(clip)
    height = check_positive_int("height", height)
    width = check_positive_int("width", width)
    for name, value, axis in (("height", height, 1), ("width", width, 2)):
        have = clip.shape[axis]
        if have is not None and value > have:
            raise ValueError(f"cannot crop {name} {value} from a clip of shape {clip.shape}")
    shape = tf.shape(clip)
    # Cropping the 4-D tensor with the full T and C gives one window for all frames.
    size = tf.stack([shape[0], height, width, shape[3]])
    seed = stateless_seed(seed)
    if seed is None:
        return tf.image.random_crop(clip, size)
    return tf.image.stateless_random_crop(clip, size, seed=seed)


def random_resized_crop(clip, scale=0.875, seed=None):
    """Crop a random window `scale` × the clip's height and width, then resize it back.

    The clip keeps its shape (a zoom of up to 1/scale and a shift), the same
    for every frame. Returns the input's dtype.

    Example:
    >>> random_resized_crop(tf.zeros((4, 32, 32, 3)), 0.75, seed=2).shape.as_list()
    [4, 32, 32, 3]
    """
    clip = _check_clip(clip)
    if not 0.0 < float(scale) <= 1.0:
        raise ValueError(f"crop scale must be in (0, 1], got {scale!r}")
    shape = tf.shape(clip)
    crop_h = tf.maximum(1, tf.cast(tf.round(tf.cast(shape[1], tf.float32) * scale), tf.int32))
    crop_w = tf.maximum(1, tf.cast(tf.round(tf.cast(shape[2], tf.float32) * scale), tf.int32))
    size = tf.stack([shape[0], crop_h, crop_w, shape[3]])
    seed = stateless_seed(seed)
    window = tf.image.random_crop(clip, size) if seed is None else \
        tf.image.stateless_random_crop(clip, size, seed=seed)
    resized = tf.image.resize(tf.cast(window, tf.float32), shape[1:3], method="bilinear")
    if clip.dtype == tf.uint8:
        resized = tf.round(tf.clip_by_value(resized, 0.0, 255.0))
    return tf.ensure_shape(tf.cast(resized, clip.dtype), clip.shape)


def augment_clip(clip, flip=True, crop=None, temporal_reverse=False, seed=None):
    """Random flip, crop and time reversal of one clip, each the same for all its frames.

    `crop`: None (no crop); a float in (0, 1] (`random_resized_crop`: the clip
    keeps its size); or a `(height, width)` pair (`random_crop`: the clip
    becomes that size). `flip` and `temporal_reverse` are booleans or
    probabilities.

    Example:
    >>> clip = tf.zeros((8, 64, 64, 3))
    >>> augment_clip(clip, flip=True, crop=0.9, seed=7).shape.as_list()
    [8, 64, 64, 3]
    """
    clip = _check_clip(clip)
    flip_seed, crop_seed, reverse_seed = _split(stateless_seed(seed), 3)
    if crop is not None:
        if isinstance(crop, (tuple, list)) and len(crop) == 2:
            clip = random_crop(clip, int(crop[0]), int(crop[1]), seed=crop_seed)
        elif isinstance(crop, (int, float)) and not isinstance(crop, bool):
            clip = random_resized_crop(clip, float(crop), seed=crop_seed)
        else:
            raise ValueError(f"crop must be None, a scale in (0, 1] or a (height, width) pair, got {crop!r}")
    if flip:
        clip = random_flip_left_right(clip, 0.5 if flip is True else float(flip), seed=flip_seed)
    if temporal_reverse:
        probability = 0.5 if temporal_reverse is True else float(temporal_reverse)
        clip = random_temporal_reverse(clip, probability, seed=reverse_seed)
    return clip


@keras.saving.register_keras_serializable(package="keras_vgan")
class VideoAugment:
    """`augment_clip` with its options bound: `VideoAugment(flip=True, crop=0.9)(clip, seed=None)`.

    Serialisable through `get_config`/`from_config`, so a training config
    can record the augmentation it used.

    Example:
    >>> augment = VideoAugment(flip=True, temporal_reverse=True)
    >>> augment(tf.zeros((4, 16, 16, 1)), seed=3).shape.as_list()
    [4, 16, 16, 1]
    """

    def __init__(self, flip=True, crop=None, temporal_reverse=False):
        if crop is not None and not (isinstance(crop, (tuple, list)) and len(crop) == 2) and not (
                isinstance(crop, (int, float)) and not isinstance(crop, bool) and 0 < crop <= 1):
            raise ValueError(f"crop must be None, a scale in (0, 1] or a (height, width) pair, got {crop!r}")
        self.flip = flip
        self.crop = tuple(crop) if isinstance(crop, list) else crop
        self.temporal_reverse = temporal_reverse

    def __call__(self, clip, seed=None):
        return augment_clip(clip, flip=self.flip, crop=self.crop,
                            temporal_reverse=self.temporal_reverse, seed=seed)

    def get_config(self):
        return {"flip": self.flip, "crop": list(self.crop) if isinstance(self.crop, tuple) else self.crop,
                "temporal_reverse": self.temporal_reverse}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return (f"VideoAugment(flip={self.flip!r}, crop={self.crop!r}, "
                f"temporal_reverse={self.temporal_reverse!r})")
