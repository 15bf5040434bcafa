"""Clips from in-memory arrays and `.npy` files (Moving MNIST's `mnist_test_seq.npy` included).

The array is never copied into the TensorFlow graph: videos are fetched by
index, so a memory-mapped `.npy` larger than RAM works, and a 2 GB array
does not hit the graph's size limit.

Axis order: a rank-4 array (a, b, H, W) is either a videos of b frames
(videos-first, "NTHW") or b videos of a frames (frames-first, "TNHW", the
order of Moving MNIST's file). `choose_layout` reads it frames-first when the
shape says so, refuses a reading with implausibly long videos, and warns
when both readings are plausible; `layout=` (`--layout` on the command line)
says which it is.
"""

import dataclasses
import os
import warnings

import numpy as np
import tensorflow as tf

from keras_vgan.datasets.clip_options import check_clip_options
from keras_vgan.datasets.pipeline import with_element_seeds
from keras_vgan.datasets.sharding import check_shard, shard_items, shard_seed
from keras_vgan.datasets.tensor_clips import process_video_tensor
from keras_vgan.datasets.checks import DataWarning
from keras_vgan.datasets.summary import DataSummary, attach_summary
from keras_vgan.validation import check_choice

MOVING_MNIST_FILE_PREFIX = "mnist_test_seq"
LAYOUTS = ("NTHW", "NTHWC", "TNHW", "TNHWC")
# No clip source stored in an array has videos this long (Moving MNIST: 20
# frames, KTH/UCF-101 clips: a few hundred); past it, a frames-first array
# read videos-first is the likelier story.
LONG_VIDEO_FRAMES = 1000
# A frames-first array's first axis is a few dozen frames, its second many
# more sequences: (20, 10000, 64, 64) for Moving MNIST, or a subset of it.
FRAMES_FIRST_FRAMES = (8, 48)
FRAMES_FIRST_RATIO = 5


class LayoutWarning(DataWarning):
    """An array's axis order is the default reading of a shape that also allows the other one."""


@dataclasses.dataclass(frozen=True)
class LayoutChoice:
    """The axis order an array is read in, and a note saying how it was chosen (for messages and summaries)."""

    layout: str
    note: str


def _reading(layout, shape):
    """How `shape` reads in `layout`: "20 videos of 4,000 frames each"."""
    videos, frames = (shape[1], shape[0]) if layout.startswith("TN") else (shape[0], shape[1])
    return f"{videos:,} video{'s' if videos != 1 else ''} of {frames:,} frame{'s' if frames != 1 else ''} each"


def _shape_text(shape):
    return "(" + ", ".join(str(int(d)) for d in shape) + ")"


def looks_frames_first(shape):
    """True when an array of `shape` (a, b, H, W[, 1]) reads as frames-first by its shape alone.

    That is: a first axis of a few dozen frames, a second axis at least
    `FRAMES_FIRST_RATIO` times longer, and square single-channel frames, as
    Moving MNIST's file and any subset of it. (Colour arrays stored
    frames-first are rare, and a few long colour episodes are not: those are
    left to `choose_layout`'s warning.)

    Example:
    >>> looks_frames_first((20, 4000, 64, 64)), looks_frames_first((4000, 20, 64, 64))
    (True, False)
    """
    first, second, height, width = (int(d) for d in shape[:4])
    low, high = FRAMES_FIRST_FRAMES
    single_channel = len(shape) == 4 or (len(shape) == 5 and int(shape[4]) == 1)
    return (single_channel and low <= first <= high and second >= FRAMES_FIRST_RATIO * first
            and height == width)


def is_moving_mnist_file(path, shape=None):
    """True for Moving MNIST's standard file: `mnist_test_seq*.npy`, or shape (20, 10000, 64, 64)."""
    if os.path.basename(os.fspath(path)).startswith(MOVING_MNIST_FILE_PREFIX):
        return True
    return shape is not None and tuple(shape) == (20, 10000, 64, 64)


def choose_layout(shape, layout=None, clip_frames=1, path=None):
    """The axis order to read an array of `shape` in: a `LayoutChoice`.

    `layout` given ("NTHW", "TNHW", or with a trailing "C"; "TNHW" on a
    rank-5 array means "TNHWC") is used as is, with a `LayoutWarning` when
    it makes videos of over `LONG_VIDEO_FRAMES` frames. Otherwise the array
    is read frames-first when it is Moving MNIST's file (`path` named
    `mnist_test_seq*`) or `looks_frames_first(shape)`, else videos-first;
    a videos-first reading with videos over `LONG_VIDEO_FRAMES` frames is a
    ValueError, and one whose first axis could as well be time (shorter than
    the second, at least `clip_frames` long) a `LayoutWarning`. Every message
    says how the array was read and how to say otherwise.

    Example:
    >>> choose_layout((20, 4000, 64, 64)).layout
    'TNHW'
    >>> choose_layout((4000, 20, 64, 64)).layout
    'NTHW'
    """
    shape = tuple(int(d) for d in shape)
    rank = len(shape)
    if layout is not None:
        layout = layout.upper() if isinstance(layout, str) else layout
        check_choice("layout", layout, LAYOUTS)
        if rank == 5 and len(layout) == 4:
            layout += "C"
        if rank != len(layout):
            raise ValueError(f"layout {layout!r} needs a rank-{len(layout)} array, got shape {_shape_text(shape)}")
        reading = _reading(layout, shape)
        frames = shape[0] if layout.startswith("TN") else shape[1]
        if frames > LONG_VIDEO_FRAMES:
            warnings.warn(f"layout={layout!r} reads the array of shape {_shape_text(shape)} as {reading}, far "
                          f"longer than any clip source (over {LONG_VIDEO_FRAMES:,} frames per video); "
                          f"check the layout", LayoutWarning, stacklevel=3)
        return LayoutChoice(layout, f"{layout}, as given: {reading}")
    if rank not in (4, 5):
        raise ValueError(f"expected an array of shape (N, T, H, W) or (N, T, H, W, C), got shape "
                         f"{_shape_text(shape)} (rank {rank})")
    suffix = "C" if rank == 5 else ""
    videos_first, frames_first = "NTHW" + suffix, "TNHW" + suffix
    as_videos_first, as_frames_first = _reading(videos_first, shape), _reading(frames_first, shape)
    otherwise_frames_first = f"layout={videos_first!r} (--layout {videos_first}) reads {as_videos_first}"
    first, second = shape[:2]
    # The file name counts unless the shape contradicts it (a transposed copy saved under that name).
    if is_moving_mnist_file(path or "", shape[:4]) and first <= LONG_VIDEO_FRAMES:
        return LayoutChoice(frames_first, f"frames-first ({frames_first}), as Moving MNIST's file: "
                                          f"{as_frames_first}; {otherwise_frames_first}")
    if looks_frames_first(shape):
        return LayoutChoice(frames_first, f"frames-first ({frames_first}), from the shape (a short first "
                                          f"axis, many more sequences): {as_frames_first}; "
                                          f"{otherwise_frames_first}")
    say_frames_first = f"pass layout={frames_first!r} (--layout {frames_first}) to read {as_frames_first}"
    if second > LONG_VIDEO_FRAMES:
        raise ValueError(f"the array of shape {_shape_text(shape)} would be read videos-first as "
                         f"{as_videos_first}, far longer than any clip source (over {LONG_VIDEO_FRAMES:,} "
                         f"frames per video): if its first axis is time, {say_frames_first}; to read it "
                         f"as {as_videos_first} all the same, pass layout={videos_first!r} "
                         f"(--layout {videos_first})")
    if first < second and first >= max(int(clip_frames), FRAMES_FIRST_FRAMES[0]):
        warnings.warn(f"read the array of shape {_shape_text(shape)} videos-first ({videos_first}) as "
                      f"{as_videos_first}; if its first axis is time, {say_frames_first}; pass "
                      f"layout={videos_first!r} (--layout {videos_first}) to say it is videos-first",
                      LayoutWarning, stacklevel=3)
        return LayoutChoice(videos_first, f"videos-first ({videos_first}), the default, though frames-first "
                                          f"would fit too: {as_videos_first}; {say_frames_first}")
    return LayoutChoice(videos_first, f"videos-first ({videos_first}), the default: {as_videos_first}; "
                                      f"{say_frames_first}")


def _video_array(array, layout):
    """Bring an array to (N, T, H, W, C) (a view where possible) in `layout`, or a ValueError saying why not."""
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
    if value_range is None and seen_low >= 0 and 0 < seen_high <= 1 + tolerance:
        # Values in [0, 1] read as [-1, 1] make every clip grey to white: a silent misread.
        warnings.warn(f"float values span [{seen_low:g}, {seen_high:g}], only the upper half of the default "
                      f"value_range (-1, 1); if they are in [0, 1], pass value_range=(0, 1)",
                      DataWarning, stacklevel=3)
    return low, high


def from_array(array, frames=None, height=None, width=None, channels=None, labels=None,
               class_names=None, frame_step=1, clips_per_video=1, clip_sampling="random",
               crop="center", value_range=None, layout=None, shuffle=True, seed=None, shard=None,
               num_parallel_calls=tf.data.AUTOTUNE):
    """A `tf.data.Dataset` of float32 clips in [-1, 1] from an array of videos.

    `array`: (N, T, H, W) or (N, T, H, W, C) with C in {1, 3}; uint8 in
    [0, 255], or float in `value_range` (default (-1, 1), checked). `layout`
    says the axis order ("NTHW", or "TNHW" for frames-first as Moving MNIST's
    file, or a `choose_layout` result); None lets `choose_layout` read it
    from the shape, which warns or refuses where the shape does not tell. The
    dataset's `data_summary` says how it was read. None for
    frames/height/width/channels keeps the array's; otherwise clips of
    `frames` frames are sampled (`frame_step`, `clips_per_video`,
    `clip_sampling`) and frames resized-to-cover then cropped. `labels`: one
    int per video; elements are then `(clip, label)`. `shuffle` visits the
    videos in a new random order each pass (`shuffle=False`: array order).
    `shard=(index, count)` (or a `tf.distribute.InputContext`) reads worker
    `index`'s part: videos index, index + count, ...; fewer videos than
    workers is a ValueError; `seed` becomes one per worker
    (`sharding.shard_seed`).

    Example:
    >>> videos = np.zeros((4, 20, 64, 64), np.uint8)
    >>> from_array(videos, frames=16).element_spec.shape
    TensorShape([16, 64, 64, 1])
    >>> from_array(np.zeros((20, 100, 64, 64), np.uint8)).data_summary.num_items  # frames-first
    100
    """
    frames, height, width, channels, frame_step, clips_per_video, _ = check_clip_options(
        frames, height, width, channels, frame_step, clips_per_video, crop, clip_sampling,
        allow_none=True)
    shard = check_shard(shard)
    seed = shard_seed(seed, shard)
    if not hasattr(array, "ndim") or not hasattr(array, "dtype"):
        array = np.asarray(array)
    span = (frames - 1) * frame_step + 1 if frames is not None else 1
    choice = layout if isinstance(layout, LayoutChoice) else choose_layout(array.shape, layout, span)
    videos = _video_array(array, choice.layout)
    value_range = _value_range(videos, value_range)
    num_videos, length = videos.shape[:2]
    if frames is not None and length < span:
        raise ValueError(f"videos have {length} frames, fewer than one clip of {frames} frames at "
                         f"frame_step {frame_step} needs ({span}); the array is read {choice.note}")
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

    indices, part, num_items = tf.data.Dataset.range(num_videos), None, num_videos
    if shard is not None:
        mine = shard_items(range(num_videos), shard, "video")
        indices, num_items = tf.data.Dataset.from_tensor_slices(np.asarray(mine, np.int64)), len(mine)
        part = shard.part(num_items, num_videos, "video")
    if shuffle and num_items > 1:
        indices = indices.shuffle(num_items, seed=seed, reshuffle_each_iteration=True)
    dataset = with_element_seeds(indices, seed).map(to_clips, num_parallel_calls=num_parallel_calls,
                                                    deterministic=seed is not None or not shuffle)
    dataset = dataset.unbatch()
    if class_names is not None:
        dataset.class_names = list(class_names)
    return attach_summary(dataset, DataSummary(
        kind="array", part=part, num_items=num_items, frame_counts=(length,), frame_sizes=(videos.shape[2:4],),
        channels=videos.shape[4], dtype=str(videos.dtype), value_range=value_range, layout=choice.layout,
        layout_note=choice.note, frame_step=frame_step, clips_per_item=clips_per_video,
        clip_sampling=clip_sampling, crop=crop,
        num_classes=len(class_names) if class_names is not None else None))


def from_npy(path, frames=None, height=None, width=None, channels=None, layout=None, mmap=True,
             **options):
    """`from_array` on a `.npy` file, memory-mapped, never unpickled.

    Reads Moving MNIST's `mnist_test_seq.npy` (shape (T, N, 64, 64), uint8)
    and any array whose shape says frames-first (`choose_layout`) as
    (N, T, 64, 64, 1); pass `layout` to say the order. Other options are
    `from_array`'s.

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
    span = 1
    step = options.get("frame_step", 1)
    if isinstance(frames, int) and isinstance(step, int) and frames > 0 and step > 0:
        span = (frames - 1) * step + 1
    choice = choose_layout(array.shape, layout, clip_frames=span, path=path)
    dataset = from_array(array, frames=frames, height=height, width=width, channels=channels, layout=choice,
                         **options)
    dataset.data_summary.kind = f"array in a .npy file, shape {_shape_text(array.shape)}, {array.dtype}"
    return dataset

