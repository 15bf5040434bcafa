"""Clips from video tensors with TensorFlow ops (arrays, TFRecords, TFDS).

The TensorFlow counterpart of `opencv_clips`: the same sampling, colour,
aspect-keeping resize and crop, inside a `tf.data` pipeline, with stateless
randomness when given a seed.
"""

import tensorflow as tf

from keras_vgan.augment import stateless_seed
from keras_vgan.pixels import to_unit_range

def _uniform_int(maxval_exclusive, seed, shape=()):
    """Uniform ints in [0, maxval_exclusive), stateless when `seed` is given."""
    maxval_exclusive = tf.cast(maxval_exclusive, tf.int32)
    if seed is None:
        return tf.random.uniform(shape, 0, maxval_exclusive, dtype=tf.int32)
    return tf.random.stateless_uniform(shape, seed=seed, minval=0, maxval=maxval_exclusive,
                                       dtype=tf.int32)


def sample_clips(video, frames, frame_step=1, num_clips=1, sampling="random", seed=None):
    """Take `num_clips` clips of `frames` frames, every `frame_step`-th frame, from a video tensor.

    `video` is (T, H, W, C) with T ≥ (frames - 1) * frame_step + 1 (filter
    shorter videos out first, see `long_enough`). Returns (num_clips, frames,
    H, W, C), same dtype.

    Example:
    >>> video = tf.reshape(tf.range(10), (10, 1, 1, 1))
    >>> sample_clips(video, 3, frame_step=2, sampling="even")[0, :, 0, 0, 0].numpy().tolist()
    [2, 4, 6]
    """
    seed = stateless_seed(seed)
    span = (frames - 1) * frame_step + 1
    last_start = tf.shape(video)[0] - span
    if sampling == "even":
        if num_clips == 1:
            starts = tf.reshape(last_start // 2, [1])
        else:
            starts = tf.cast(tf.round(tf.linspace(0.0, tf.cast(last_start, tf.float32), num_clips)),
                             tf.int32)
    else:
        starts = _uniform_int(last_start + 1, seed, shape=[num_clips])
    indices = starts[:, None] + tf.range(frames, dtype=tf.int32)[None, :] * frame_step
    return tf.gather(video, indices)


def long_enough(video, frames, frame_step=1):
    """True when `video` (T, H, W, C) holds at least one clip of `frames` frames at `frame_step`."""
    return tf.shape(video)[0] >= (frames - 1) * frame_step + 1


def resize_and_crop(clip, height, width, crop="center", seed=None):
    """Resize a clip (T, h, w, C), aspect kept, to cover height×width, then crop to it.

    The same window is used for every frame. Returns float32 in the input's
    value scale (uint8 input gives floats in [0, 255]).

    Example:
    >>> clip = tf.zeros((2, 36, 64, 3), tf.uint8)
    >>> resize_and_crop(clip, 16, 16).shape.as_list()
    [2, 16, 16, 3]
    """
    seed = stateless_seed(seed)
    clip = tf.convert_to_tensor(clip)
    shape = tf.shape(clip)
    source_h = tf.cast(shape[1], tf.float32)
    source_w = tf.cast(shape[2], tf.float32)
    scale = tf.maximum(height / source_h, width / source_w)
    cover_h = tf.maximum(height, tf.cast(tf.round(source_h * scale), tf.int32))
    cover_w = tf.maximum(width, tf.cast(tf.round(source_w * scale), tf.int32))
    resized = tf.cond(
        tf.logical_and(tf.equal(cover_h, shape[1]), tf.equal(cover_w, shape[2])),
        lambda: tf.cast(clip, tf.float32),
        # antialias: a low-pass filter when shrinking, like OpenCV's INTER_AREA.
        lambda: tf.image.resize(tf.cast(clip, tf.float32), tf.stack([cover_h, cover_w]),
                                method="bilinear", antialias=True),
    )
    if crop == "random":
        seeds = (None, None) if seed is None else tf.unstack(
            tf.random.experimental.stateless_split(seed, 2))
        top = _uniform_int(cover_h - height + 1, seeds[0])
        left = _uniform_int(cover_w - width + 1, seeds[1])
    else:
        top = (cover_h - height) // 2
        left = (cover_w - width) // 2
    cropped = resized[:, top:top + height, left:left + width, :]
    static = clip.shape
    return tf.ensure_shape(cropped, [static[0], height, width, static[3]])


def convert_channels(clip, channels):
    """RGB ↔ grayscale for a clip (..., C) with C in {1, 3}; other counts are left alone."""
    have = clip.shape[-1]
    if channels is None or have == channels:
        return clip
    if have == 3 and channels == 1:
        dtype = clip.dtype
        gray = tf.image.rgb_to_grayscale(tf.cast(clip, tf.float32))
        return tf.cast(tf.round(gray), dtype) if dtype == tf.uint8 else tf.cast(gray, dtype)
    if have == 1 and channels == 3:
        return tf.image.grayscale_to_rgb(clip)
    raise ValueError(f"cannot convert clips with {have} channels to {channels} channels")


def to_float_clip(clip, value_range=(0.0, 255.0)):
    """A clip in `value_range` → float32 in [-1, 1] (uint8 goes through `pixels.to_unit_range`)."""
    if clip.dtype == tf.uint8 and tuple(value_range) == (0.0, 255.0):
        return to_unit_range(clip)
    low, high = (float(v) for v in value_range)
    clip = tf.cast(clip, tf.float32)
    return tf.clip_by_value((clip - low) * (2.0 / (high - low)) - 1.0, -1.0, 1.0)


def process_video_tensor(video, frames=None, height=None, width=None, channels=None, frame_step=1,
                         clips_per_video=1, clip_sampling="random", crop="center", seed=None,
                         value_range=(0.0, 255.0)):
    """One video tensor (T, H, W, C) → float32 clips (k, frames, height, width, channels) in [-1, 1].

    The TF-side counterpart of `assemble_clips`, used by arrays, TFRecords and
    TFDS. None for frames/height/width/channels keeps the source's.
    """
    seed = stateless_seed(seed)
    seeds = [None, None] if seed is None else tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    if frames is not None:
        clips = sample_clips(video, frames, frame_step, clips_per_video, clip_sampling, seeds[0])
    elif clips_per_video > 1 or frame_step > 1:
        raise ValueError("frame_step and clips_per_video need frames= to be set")
    else:
        clips = video[None]
    clips = convert_channels(clips, channels)
    if height is not None:
        # Merge clips into one frame axis so every clip shares one resize.
        shape = tf.shape(clips)
        merged = tf.reshape(clips, tf.concat([[-1], shape[2:]], 0))
        count = clips.shape[0]
        if crop == "random" and count and count > 1:
            pieces = tf.split(merged, count, axis=0)
            sub = tf.unstack(tf.random.experimental.stateless_split(seeds[1], count)) if seeds[1] is not None \
                else [None] * count
            resized = tf.stack([resize_and_crop(p, height, width, crop, s) for p, s in zip(pieces, sub)])
        else:
            resized = resize_and_crop(merged, height, width, crop, seeds[1])
            resized = tf.reshape(resized, tf.concat([shape[:2], [height, width, shape[4]]], 0))
        clips = tf.clip_by_value(resized, *value_range)
        if tuple(value_range) == (0.0, 255.0):
            # Round as uint8 storage would, so a clip looks the same whichever path it took.
            clips = tf.round(clips)
    return to_float_clip(clips, value_range)
