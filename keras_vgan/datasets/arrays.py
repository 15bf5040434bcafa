"""Clips from in-memory arrays and `.npy` files (Moving MNIST's `mnist_test_seq.npy` included).

The array is never copied into the TensorFlow graph: videos are fetched by
index, so a memory-mapped `.npy` larger than RAM works, and a 2 GB array
does not hit the graph's size limit.
"""

import os

import numpy as np
import tensorflow as tf

from keras_vgan.datasets.clip_options import check_clip_options
from keras_vgan.datasets.pipeline import with_element_seeds
from keras_vgan.datasets.tensor_clips import process_video_tensor
from keras_vgan.validation import check_choice

MOVING_MNIST_FILE_PREFIX = "mnist_test_seq"
LAYOUTS = ("NTHW", "NTHWC", "TNHW", "TNHWC")


def _video_array(array, layout):
    """Bring an array to (N, T, H, W, C) (a view where possible), or a ValueError saying why not."""
    if not hasattr(array, "ndim") or not hasattr(array, "dtype"):
        array = np.asarray(array)
    if layout is None:
        layout = {4: "NTHW", 5: "NTHWC"}.get(array.ndim)
        if layout is None:
            raise ValueError(f"expected an array of shape (N, T, H, W) or (N, T, H, W, C), got shape "
                             f"{tuple(array.shape)} (rank {array.ndim})")
    check_choice("layout", layout, LAYOUTS)
    if array.ndim != len(layout):
        raise ValueError(f"layout {layout!r} needs a rank-{len(layout)} array, got shape {tuple(array.shape)}")
    if layout.startswith("TN"):
        array = np.swapaxes(array, 0, 1)
    if array.ndim == 4:
        array = array[..., None]
    if array.shape[-1] not in (1, 3):
        raise ValueError(f"expected 1 or 3 channels in the last axis, got shape {tuple(array.shape)}")
    if min(array.shape) == 0:
        raise ValueError(f"the array is empty: shape {tuple(array.shape)}")
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)) \
            or array.dtype == np.bool_:
        raise ValueError(f"expected a uint8 or float array, got dtype {array.dtype}")
    return array


def _value_range(array, value_range):
    """The range the values are in: uint8 is [0, 255]; floats need it said, and are checked."""
    if array.dtype == np.uint8:
        if value_range not in (None, (0, 255)):
            raise ValueError(f"value_range {value_range!r} does not apply to uint8 arrays (always 0..255)")
        return 0.0, 255.0
    if np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"integer arrays must be uint8, got dtype {array.dtype}")
    low, high = (-1.0, 1.0) if value_range is None else (float(value_range[0]), float(value_range[1]))
    if not high > low:
        raise ValueError(f"value_range must be (low, high) with high > low, got {value_range!r}")
    # Check a bounded sample, not the whole (possibly memory-mapped) array.
    sample = np.asarray(array[: min(len(array), 64)], np.float64)
    seen_low, seen_high = float(sample.min()), float(sample.max())
    tolerance = 1e-3 * (high - low)
    if seen_low < low - tolerance or seen_high > high + tolerance:
        raise ValueError(f"float values span [{seen_low:g}, {seen_high:g}], outside value_range "
                         f"({low:g}, {high:g}); pass value_range=(0, 1) or (0, 255) to say what they are")
    return low, high


def from_array(array, frames=None, height=None, width=None, channels=None, labels=None,
               class_names=None, frame_step=1, clips_per_video=1, clip_sampling="random",
               crop="center", value_range=None, layout=None, shuffle=True, seed=None,
               num_parallel_calls=tf.data.AUTOTUNE):
    """A `tf.data.Dataset` of float32 clips in [-1, 1] from an array of videos.

    `array`: (N, T, H, W) or (N, T, H, W, C) with C in {1, 3}; uint8 in
    [0, 255], or float in `value_range` (default (-1, 1), checked). `layout`
    overrides the axis order ("TNHW" for Moving MNIST's file). None for
    frames/height/width/channels keeps the array's; otherwise clips of
    `frames` frames are sampled (`frame_step`, `clips_per_video`,
    `clip_sampling`) and frames resized-to-cover then cropped. `labels`: one
    int per video; elements are then `(clip, label)`. `shuffle` visits the
    videos in a new random order each pass (`shuffle=False`: array order).

    Example:
    >>> videos = np.zeros((4, 20, 64, 64), np.uint8)
    >>> from_array(videos, frames=16).element_spec.shape
    TensorShape([16, 64, 64, 1])
    """
    frames, height, width, channels, frame_step, clips_per_video, _ = check_clip_options(
        frames, height, width, channels, frame_step, clips_per_video, crop, clip_sampling,
        allow_none=True)
    videos = _video_array(array, layout)
    value_range = _value_range(videos, value_range)
    num_videos, length = videos.shape[:2]
    if frames is not None and length < (frames - 1) * frame_step + 1:
        raise ValueError(f"videos have {length} frames, fewer than one clip of {frames} frames at "
                         f"frame_step {frame_step} needs ({(frames - 1) * frame_step + 1})")
    label_array = None
    if labels is not None:
        label_array = np.asarray(labels)
        if label_array.shape != (num_videos,) or not np.issubdtype(label_array.dtype, np.integer):
            raise ValueError(f"labels must be {num_videos} integers (one per video), got shape "
                             f"{label_array.shape} dtype {label_array.dtype}")
        label_array = label_array.astype(np.int32)

    video_spec = tf.TensorSpec(videos.shape[1:], tf.as_dtype(videos.dtype))

    def fetch(index):
        # Fancy indexing of a memmap reads just this video; ascontiguousarray
        # materialises a transposed view in the order TF expects.
        return np.ascontiguousarray(videos[int(index)])

    def load(index):
        video = tf.numpy_function(fetch, [index], video_spec.dtype, stateful=False)
        return tf.ensure_shape(video, video_spec.shape)

    def to_clips(index, element_seed):
        clips = process_video_tensor(
            load(index), frames, height, width, channels, frame_step, clips_per_video, clip_sampling,
            crop, seed=tf.stack([element_seed, tf.constant(0, tf.int64)]) if seed is not None else None,
            value_range=value_range)
        if label_array is None:
            return clips
        return clips, tf.fill([tf.shape(clips)[0]], tf.gather(tf.constant(label_array), index))

    indices = tf.data.Dataset.range(num_videos)
    if shuffle and num_videos > 1:
        indices = indices.shuffle(num_videos, seed=seed, reshuffle_each_iteration=True)
    dataset = with_element_seeds(indices, seed).map(to_clips, num_parallel_calls=num_parallel_calls,
                                                    deterministic=seed is not None or not shuffle)
    dataset = dataset.unbatch()
    if class_names is not None:
        dataset.class_names = list(class_names)
    return dataset


def is_moving_mnist_file(path, shape=None):
    """True for Moving MNIST's standard file: `mnist_test_seq*.npy`, or shape (20, 10000, 64, 64)."""
    if os.path.basename(os.fspath(path)).startswith(MOVING_MNIST_FILE_PREFIX):
        return True
    return shape is not None and tuple(shape) == (20, 10000, 64, 64)


def from_npy(path, frames=None, height=None, width=None, channels=None, layout=None, mmap=True,
             **options):
    """`from_array` on a `.npy` file, memory-mapped, never unpickled.

    Recognises Moving MNIST's `mnist_test_seq.npy` (shape (T, N, 64, 64),
    uint8) and reads it as (N, T, 64, 64, 1); pass `layout` to override.
    Other options are `from_array`'s.

    Example:
    >>> clips = from_npy("mnist_test_seq.npy", frames=16)  # doctest: +SKIP
    >>> clips.element_spec.shape  # doctest: +SKIP
    TensorShape([16, 64, 64, 1])
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f".npy file {path!r} does not exist")
    try:
        array = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except ValueError as error:
        raise ValueError(f"cannot read {path!r} as a .npy array without unpickling ({error}); "
                         f"save it with numpy.save on a numeric array") from None
    except OSError as error:
        raise ValueError(f"cannot read {path!r} as a .npy file: {error}") from None
    if isinstance(array, np.lib.npyio.NpzFile):
        array.close()
        raise ValueError(f"{path!r} is an .npz archive; load the array you want and use from_array")
    if layout is None and array.ndim == 4 and is_moving_mnist_file(path, array.shape):
        layout = "TNHW"
    return from_array(array, frames=frames, height=height, width=width, channels=channels,
                      layout=layout, **options)

