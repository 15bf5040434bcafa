"""The parts every data source shares.

A source turns its raw material (video files, frame folders, arrays, TFRecord
shards, TFDS) into a `tf.data.Dataset` of clips: float32 tensors of shape
(T, H, W, C) in [-1, 1], or `(clip, label)` pairs with int32 labels. This
module holds what they have in common:

* clip sampling: which source frames make up a clip (T frames, a frame step,
  an optional target frame rate, several clips per video);
* geometry: resize keeping the aspect ratio until the frame covers H×W, then a
  centre or random crop, so nothing is ever stretched;
* colour: RGB or grayscale;
* skip accounting for Python-decoded sources (video files, frame folders): a
  bad item is skipped with one warning naming it and every pass ends with a
  log line counting what was skipped;
* `make_training_dataset`: shuffle, repeat, augment, batch, prefetch.
"""

import concurrent.futures
import logging
import os
import re
import threading
import warnings

import cv2
import numpy as np
import tensorflow as tf

from keras_vgan.augment import VideoAugment, stateless_seed
from keras_vgan.pixels import to_unit_range
from keras_vgan.validation import check_choice, check_positive_int

logger = logging.getLogger("keras_vgan.datasets")

VIDEO_EXTENSIONS = (
    ".mp4", ".m4v", ".mov", ".avi", ".webm", ".mkv", ".mpg", ".mpeg", ".wmv", ".flv",
    ".ogv", ".3gp",
)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
CROP_MODES = ("center", "random")
CLIP_SAMPLINGS = ("random", "even")


class SkippedItemWarning(UserWarning):
    """Issued once for each unreadable video, frame folder or shard that a dataset skips."""


class SkipItem(Exception):
    """Raised by a reader when one item cannot give a clip; the message says why."""


# --------------------------------------------------------------------------- #
# Argument checks
# --------------------------------------------------------------------------- #

def check_channels(channels, allow_none=False):
    """1 (grayscale) or 3 (RGB); anything else is a ValueError."""
    if channels is None and allow_none:
        return None
    if channels not in (1, 3) or isinstance(channels, bool):
        raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), got {channels!r}")
    return int(channels)


def check_clip_options(frames, height, width, channels, frame_step=1, clips_per_video=1,
                       crop="center", clip_sampling="random", fps=None, allow_none=False):
    """Validate the options every source takes; returns them normalised.

    With `allow_none`, `frames`/`height`/`width`/`channels` may be None, which
    means "keep what the source has" (arrays, TFRecords, TFDS).
    """
    frames = check_positive_int("frames", frames, allow_none)
    height = check_positive_int("height", height, allow_none)
    width = check_positive_int("width", width, allow_none)
    channels = check_channels(channels, allow_none)
    frame_step = check_positive_int("frame_step", frame_step)
    clips_per_video = check_positive_int("clips_per_video", clips_per_video)
    check_choice("crop", crop, CROP_MODES)
    check_choice("clip_sampling", clip_sampling, CLIP_SAMPLINGS)
    if fps is not None:
        if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not fps > 0:
            raise ValueError(f"fps must be a positive number or None, got {fps!r}")
        fps = float(fps)
    if (height is None) != (width is None):
        raise ValueError(f"give both height and width or neither, got height={height!r}, width={width!r}")
    return frames, height, width, channels, frame_step, clips_per_video, fps


# --------------------------------------------------------------------------- #
# Clip sampling (NumPy, for Python-decoded sources)
# --------------------------------------------------------------------------- #

def source_step(frame_step=1, fps=None, source_fps=None):
    """How many source frames one clip frame advances (may be fractional).

    `fps` resamples the source to that rate first (when the source rate is
    known), then `frame_step` keeps every k-th of the resampled frames.

    Example:
    >>> source_step(frame_step=2, fps=12.5, source_fps=25.0)
    4.0
    """
    step = float(frame_step)
    if fps is not None and source_fps and source_fps > 0:
        step *= float(source_fps) / float(fps)
    return step


def clip_span(frames, step):
    """Number of source frames a clip of `frames` frames covers at `step`.

    Example:
    >>> clip_span(16, 2)
    31
    """
    return int(round((frames - 1) * step)) + 1


def clip_frame_indices(num_frames, frames, step=1.0, clips=1, sampling="random", rng=None):
    """Source frame indices of `clips` clips, an int array of shape (clips, frames).

    `sampling="even"` spreads the clips evenly over the video (a single clip is
    centred); `"random"` draws each start uniformly. Returns None when the
    video is shorter than one clip.

    Example:
    >>> clip_frame_indices(10, 3, step=2, clips=1, sampling="even").tolist()
    [[2, 4, 6]]
    """
    span = clip_span(frames, step)
    last_start = num_frames - span
    if last_start < 0:
        return None
    if sampling == "even":
        if clips == 1:
            starts = np.array([last_start // 2])
        else:
            starts = np.round(np.linspace(0, last_start, clips)).astype(np.int64)
    else:
        rng = rng if rng is not None else np.random.default_rng()
        starts = rng.integers(0, last_start + 1, size=clips)
    offsets = np.round(np.arange(frames) * step).astype(np.int64)
    return starts[:, None] + offsets[None, :]


# --------------------------------------------------------------------------- #
# Frame geometry and colour (NumPy / OpenCV)
# --------------------------------------------------------------------------- #

def cover_size(source_height, source_width, height, width):
    """(h, w) of the source resized, aspect kept, so that it just covers height×width.

    Example:
    >>> cover_size(360, 640, 64, 64)
    (64, 114)
    """
    scale = max(height / source_height, width / source_width)
    return (max(height, int(round(source_height * scale))),
            max(width, int(round(source_width * scale))))


def crop_offset(size, target, crop, rng=None):
    """Start of a `target`-long window in `size`: centred, or uniform when `crop="random"`."""
    extra = size - target
    if extra <= 0:
        return 0
    if crop == "random":
        rng = rng if rng is not None else np.random.default_rng()
        return int(rng.integers(0, extra + 1))
    return extra // 2


def resize_frame_to_cover(frame, height, width):
    """Resize one frame (H, W[, C]) with OpenCV, aspect kept, to just cover height×width.

    Shrinking uses area averaging (no aliasing). A large shrink goes in two
    steps: first by the largest whole factor that keeps the frame covering
    the target (OpenCV's fast path for whole factors), then the remainder;
    640×360 → 114×64 costs about half of one direct INTER_AREA resize, and
    differs from it by under 2 grey levels on average.
    """
    if frame.ndim == 3 and frame.shape[2] == 1:
        # OpenCV drops a single channel axis; resize the plane and put it back.
        return resize_frame_to_cover(frame[:, :, 0], height, width)[:, :, None]
    target_h, target_w = cover_size(frame.shape[0], frame.shape[1], height, width)
    source_h, source_w = frame.shape[:2]
    if (target_h, target_w) == (source_h, source_w):
        return frame
    if target_h > source_h or target_w > source_w:
        # INTER_AREA degrades to nearest neighbour when enlarging; bilinear is the better choice.
        return cv2.resize(frame, (target_w, target_h), interpolation=cv2.INTER_LINEAR)
    factor = min(source_h // target_h, source_w // target_w)
    if factor >= 2:
        # Trim the few rows/columns that do not divide, centred, so the fast path applies.
        top, left = (source_h % factor) // 2, (source_w % factor) // 2
        frame = frame[top:top + source_h - source_h % factor, left:left + source_w - source_w % factor]
        frame = cv2.resize(frame, (frame.shape[1] // factor, frame.shape[0] // factor),
                           interpolation=cv2.INTER_AREA)
        if frame.shape[:2] == (target_h, target_w):
            return frame
    return cv2.resize(frame, (target_w, target_h), interpolation=cv2.INTER_AREA)


def bgr_to_channels(frame, channels):
    """An OpenCV frame (BGR, BGRA or gray) → (H, W, channels) RGB or grayscale uint8."""
    if frame.ndim == 2:
        gray = frame
        return gray[:, :, None] if channels == 1 else cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)
    if frame.shape[2] == 4:
        code = cv2.COLOR_BGRA2GRAY if channels == 1 else cv2.COLOR_BGRA2RGB
    elif frame.shape[2] == 1:
        return bgr_to_channels(frame[:, :, 0], channels)
    else:
        code = cv2.COLOR_BGR2GRAY if channels == 1 else cv2.COLOR_BGR2RGB
    converted = cv2.cvtColor(frame, code)
    return converted[:, :, None] if channels == 1 else converted


def assemble_clips(frames_by_index, clip_indices, height, width, channels, crop, rng=None):
    """Decoded source frames → uint8 clips of shape (k, T, height, width, channels).

    `frames_by_index` maps source frame index → OpenCV frame (any size, BGR or
    gray); each frame is colour-converted and resized once even when several
    clips share it. Each clip gets one crop window for all of its frames.
    Clips with a missing frame are dropped.
    """
    prepared = {}
    for index, frame in frames_by_index.items():
        # Convert colour on whichever side of the resize has fewer pixels to
        # touch: to gray before (a third of the resize work), to RGB after.
        if channels == 1:
            prepared[index] = resize_frame_to_cover(bgr_to_channels(frame, 1), height, width)
        else:
            prepared[index] = bgr_to_channels(resize_frame_to_cover(frame, height, width), 3)
    clips = []
    for indices in clip_indices:
        if any(int(i) not in prepared for i in indices):
            continue
        first = prepared[int(indices[0])]
        if any(prepared[int(i)].shape != first.shape for i in indices):
            # Resolution changed mid-clip: bring every frame to the first one's size.
            for i in indices:
                if prepared[int(i)].shape != first.shape:
                    prepared[int(i)] = cv2.resize(prepared[int(i)], (first.shape[1], first.shape[0]),
                                                  interpolation=cv2.INTER_AREA).reshape(first.shape)
        top = crop_offset(first.shape[0], height, crop, rng)
        left = crop_offset(first.shape[1], width, crop, rng)
        clips.append(np.stack([prepared[int(i)][top:top + height, left:left + width] for i in indices]))
    if not clips:
        return np.zeros((0, len(clip_indices[0]) if len(clip_indices) else 0, height, width, channels),
                        np.uint8)
    return np.stack(clips)


# --------------------------------------------------------------------------- #
# TensorFlow versions, for sources decoded by TF (arrays, TFRecords, TFDS)
# --------------------------------------------------------------------------- #

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


def with_element_seeds(dataset, seed):
    """Zip each element with an int64 seed from `tf.data.Dataset.random` (new seeds each pass)."""
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    return tf.data.Dataset.zip((dataset, seeds))


# --------------------------------------------------------------------------- #
# Skip accounting and the Python-decoded clip dataset
# --------------------------------------------------------------------------- #

class SkipTracker:
    """Counts skipped items per pass; warns once per item for the life of the dataset.

    `name` is what the items are ("files", "frame folders") in messages.
    """

    def __init__(self, total, name="files"):
        self.total = total
        self.name = name
        self._lock = threading.Lock()
        self._warned = set()
        self._permanently_bad = {}
        self._skipped_this_pass = set()
        self.passes_completed = 0
        self.history = []  # (pass number, skipped count) for each finished pass

    def skip(self, key, reason, permanent=True):
        """Record that `key` gave no clip this pass; the first time, warn with `reason`."""
        with self._lock:
            self._skipped_this_pass.add(key)
            if permanent:
                self._permanently_bad[key] = reason
            first_time = key not in self._warned
            self._warned.add(key)
        if first_time:
            warnings.warn(f"skipping {key}: {reason}", SkippedItemWarning, stacklevel=2)

    def is_bad(self, key):
        with self._lock:
            return key in self._permanently_bad

    @property
    def bad_items(self):
        with self._lock:
            return dict(self._permanently_bad)

    def end_pass(self):
        """Log "skipped k of n <items> this pass" and start counting afresh."""
        with self._lock:
            skipped = len(self._skipped_this_pass | set(self._permanently_bad))
            self._skipped_this_pass = set()
            self.passes_completed += 1
            number = self.passes_completed
            self.history.append((number, skipped))
        message = "pass %d: skipped %d of %d %s this pass"
        if skipped:
            logger.warning(message, number, skipped, self.total, self.name)
        else:
            logger.info(message, number, skipped, self.total, self.name)
        return skipped


def probe_in_parallel(probe, items, workers=None):
    """Run `probe(item)` for every item on a thread pool; returns a list of (result, error).

    OpenCV releases the GIL while it opens and decodes, so threads overlap the
    I/O and decoding of different files.
    """
    items = list(items)
    workers = workers or min(16, max(2, 2 * (os.cpu_count() or 1)))

    def guarded(item):
        try:
            return probe(item), None
        except SkipItem as error:
            return None, str(error)
        except Exception as error:  # a decoder can fail in many ways; one file must not stop the probe
            return None, f"{type(error).__name__}: {error}"

    if len(items) <= 1:
        return [guarded(item) for item in items]
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(guarded, items))


def decoded_clips_dataset(keys, infos, read_frames, frames, height, width, channels,
                          frame_step=1, fps=None, clips_per_video=1, clip_sampling="random",
                          crop="center", labels=None, tracker=None, shuffle_items=True, seed=None,
                          class_names=None, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False):
    """A dataset of clips decoded in Python, one call per item, in parallel.

    `keys` name the items (paths), `infos[i]` is `(num_frames, source_fps)`
    from the probe, and `read_frames(key, sorted_indices)` returns
    `(frames_by_index, stream_end)`: a dict index → OpenCV frame, and None, or
    the number of frames the stream really had when it ended before the last
    index asked for (a truncated file); it raises `SkipItem` for an unreadable
    item. Each item yields `clips_per_video` clips, or none when it is
    skipped. A pass ends with `tracker.end_pass()`. The dataset carries
    `skip_tracker`, and `class_names` when there are `labels`.
    """
    num_items = len(keys)
    tracker = tracker or SkipTracker(num_items)
    state = {"infos": [list(info) for info in infos]}
    clip_shape = (frames, height, width, channels)

    def item_rng(index):
        if seed is None:
            return np.random.default_rng()
        return np.random.default_rng([int(seed) & 0xFFFFFFFF, tracker.passes_completed, int(index)])

    def decode(index):
        index = int(index)
        key = keys[index]
        empty = np.zeros((0,) + clip_shape, np.uint8)
        if tracker.is_bad(key):
            tracker.skip(key, tracker.bad_items[key])
            return empty
        rng = item_rng(index)
        for _attempt in range(2):
            num_frames, source_fps = state["infos"][index]
            step = source_step(frame_step, fps, source_fps)
            indices = clip_frame_indices(num_frames, frames, step, clips_per_video, clip_sampling, rng)
            if indices is None:
                tracker.skip(key, f"it has {num_frames} frames, fewer than the "
                                  f"{clip_span(frames, step)} one clip of {frames} frames needs "
                                  f"(source step {step:g})")
                return empty
            try:
                decoded, stream_end = read_frames(key, sorted(set(indices.ravel().tolist())))
            except SkipItem as error:
                tracker.skip(key, str(error))
                return empty
            except Exception as error:  # any decoder failure skips this item only
                tracker.skip(key, f"{type(error).__name__}: {error}")
                return empty
            if stream_end is None:
                return assemble_clips(decoded, indices, height, width, channels, crop, rng)
            if stream_end < num_frames - max(2, 0.05 * num_frames):
                # Far fewer frames than the header promised: a truncated file,
                # whose last frames may be garbage. Not worth training on.
                tracker.skip(key, f"it ends after {stream_end} of the {num_frames} frames its header "
                                  f"announces (truncated?)")
                return empty
            # A frame count estimated from the duration (WebM, MKV) can be a
            # frame or two high: remember the real one and draw again, once.
            logger.info("%s: %d frames decode, not %d; using those", key, stream_end, num_frames)
            state["infos"][index][0] = stream_end
        tracker.skip(key, "its frame count keeps changing between reads (corrupt?)")
        return empty

    label_table = None if labels is None else tf.constant(np.asarray(labels, np.int32))

    def decode_tf(index):
        clips = tf.numpy_function(decode, [index], tf.uint8, stateful=True)
        clips = tf.ensure_shape(clips, (None,) + clip_shape)
        if label_table is None:
            return clips
        return clips, tf.fill([tf.shape(clips)[0]], tf.gather(label_table, index))

    def to_float(*element):
        if label_table is None:
            return to_unit_range(element[0])
        return to_unit_range(element[0]), element[1]

    indices = tf.data.Dataset.range(num_items)
    if shuffle_items and num_items > 1:
        indices = indices.shuffle(num_items, seed=seed, reshuffle_each_iteration=True)
    dataset = (indices
               .map(decode_tf, num_parallel_calls=num_parallel_calls, deterministic=deterministic)
               .unbatch()
               .map(to_float, num_parallel_calls=num_parallel_calls))
    dataset = dataset.concatenate(_end_of_pass(tracker, dataset.element_spec))
    dataset.skip_tracker = tracker
    if labels is not None:
        dataset.class_names = list(class_names) if class_names is not None else None
    return dataset


def _end_of_pass(tracker, element_spec):
    """An empty dataset whose only effect is to call `tracker.end_pass()` when reached.

    Concatenated after a pass's clips, it runs once the pass is exhausted,
    and again after every `repeat()`.
    """
    def report(_):
        tracker.end_pass()
        return False

    def never_called(_):
        return tf.nest.map_structure(
            lambda spec: tf.zeros([d if d is not None else 0 for d in spec.shape], spec.dtype),
            element_spec)

    return (tf.data.Dataset.range(1)
            .filter(lambda i: tf.numpy_function(report, [i], tf.bool, stateful=True))
            .map(never_called))


# --------------------------------------------------------------------------- #
# Training input
# --------------------------------------------------------------------------- #

def make_training_dataset(clips_ds, batch_size, shuffle_buffer=256, augment=None, repeat=True,
                          drop_remainder=True, seed=None, num_parallel_calls=tf.data.AUTOTUNE):
    """Shuffle, repeat, augment, batch and prefetch a dataset of clips for `model.fit`.

    `clips_ds` yields clips (T, H, W, C) or `(clip, label)` pairs. `augment` is
    None/False (none), True (random horizontal flip), a dict of
    `augment_clip` keyword arguments, or a callable `f(clip, seed) -> clip`.
    Augmentation draws stateless randomness from `seed`, so a seeded pipeline
    is reproducible (given `deterministic` ordering upstream).

    Example:
    >>> clips = tf.data.Dataset.from_tensor_slices(tf.zeros((8, 4, 8, 8, 3)))
    >>> batches = make_training_dataset(clips, batch_size=4, augment=True, repeat=False)
    >>> [b.shape[0] for b in batches]
    [4, 4]
    """
    batch_size = check_positive_int("batch_size", batch_size)
    if isinstance(shuffle_buffer, bool) or not isinstance(shuffle_buffer, (int, np.integer)) \
            or shuffle_buffer < 0:
        raise ValueError(f"shuffle_buffer must be a non-negative integer, got {shuffle_buffer!r}")
    if not isinstance(clips_ds, tf.data.Dataset):
        raise ValueError(f"clips_ds must be a tf.data.Dataset, got {type(clips_ds).__name__}")

    if augment is None or augment is False:
        augment_fn = None
    elif augment is True:
        augment_fn = VideoAugment(flip=True)
    elif isinstance(augment, dict):
        augment_fn = VideoAugment(**augment)
    elif callable(augment):
        augment_fn = augment
    else:
        raise ValueError(f"augment must be None, a bool, a dict of augment_clip options or a "
                         f"callable, got {augment!r}")

    dataset = clips_ds
    if shuffle_buffer > 1:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    if augment_fn is not None:
        labelled = isinstance(dataset.element_spec, tuple)

        def apply(element, element_seed):
            stateless = tf.stack([element_seed, tf.constant(0, tf.int64)]) if seed is not None else None
            if labelled:
                clip, label = element
                return augment_fn(clip, seed=stateless), label
            return augment_fn(element, seed=stateless)

        dataset = with_element_seeds(dataset, seed).map(apply, num_parallel_calls=num_parallel_calls)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder,
                            num_parallel_calls=num_parallel_calls)
    return dataset.prefetch(tf.data.AUTOTUNE)



# --------------------------------------------------------------------------- #
# Finding files
# --------------------------------------------------------------------------- #

GLOB_CHARACTERS = "*?["


def is_glob(text):
    """True when `text` holds glob wildcards (and so names files by pattern)."""
    return any(character in str(text) for character in GLOB_CHARACTERS)


def walk_directory(root):
    """Every (folder, sorted file names) under `root`, recursively, plus the unreadable folders.

    Returns `(listing, unreadable)` where `unreadable` maps folder → reason; a
    folder that cannot be listed is reported there instead of stopping the walk.
    """
    unreadable = {}

    def on_error(error):
        unreadable[getattr(error, "filename", None) or str(error)] = (
            f"{type(error).__name__}: {error.strerror or error}")

    listing = []
    for folder, subfolders, names in os.walk(root, onerror=on_error, followlinks=True):
        subfolders.sort()
        listing.append((folder, sorted(names)))
    return listing, unreadable


def natural_sort_key(name):
    """Sort key that puts frame_2 before frame_10."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def class_labels(class_of_item, class_names=None):
    """Map each item's class name to an int label.

    Returns `(labels, class_names)`; the classes are sorted unless
    `class_names` fixes the order (then an unknown class is a ValueError).
    """
    if class_names is None:
        class_names = sorted(set(class_of_item))
    else:
        class_names = [str(name) for name in class_names]
        unknown = sorted(set(class_of_item) - set(class_names))
        if unknown:
            raise ValueError(f"class folder(s) {unknown[:5]} are not in the class_names given "
                             f"({class_names[:10]}{'...' if len(class_names) > 10 else ''})")
    index = {name: i for i, name in enumerate(class_names)}
    return [index[name] for name in class_of_item], list(class_names)


def probe_usable_items(keys, probe, tracker, frames, frame_step=1, fps=None, source=""):
    """Probe every item; keep those that give at least one clip.

    `probe(key)` returns `(num_frames, source_fps)` or raises `SkipItem`.
    The others are skipped through `tracker` (one warning each). Returns
    `(usable_keys, infos)`; nothing usable is a ValueError naming `source`
    and the first reasons.
    """
    usable, infos = [], []
    for key, (info, error) in zip(keys, probe_in_parallel(probe, keys)):
        if error is not None:
            tracker.skip(key, error)
            continue
        num_frames, source_fps = info
        step = source_step(frame_step, fps, source_fps)
        if num_frames < clip_span(frames, step):
            tracker.skip(key, f"it has {num_frames} frames, fewer than the {clip_span(frames, step)} "
                              f"one clip of {frames} frames needs (source step {step:g})")
            continue
        usable.append(key)
        infos.append(info)
    if not usable:
        reasons = "; ".join(f"{key}: {why}" for key, why in list(tracker.bad_items.items())[:3])
        raise ValueError(f"none of the {tracker.total} {tracker.name} in {source!r} gives a clip of "
                         f"{frames} frames ({reasons or 'nothing found'})")
    return usable, infos


def parent_folder_labels(paths, class_names=None):
    """Labels from each path's parent folder name (UCF-101's `class/video.avi`): `(labels, class_names)`."""
    classes = [os.path.basename(os.path.dirname(os.path.abspath(path))) for path in paths]
    return class_labels(classes, class_names)
