"""Datasets of clips decoded in Python, one item (file, frame folder) per call, in parallel.

A source gives a `probe` (item → frame count and rate) and a `read_frames`
(item, frame indices → decoded frames); `probe_usable_items` keeps the items
that give a clip and `decoded_clips_dataset` turns them into a `tf.data`
pipeline. A bad item is skipped through a `SkipTracker`, never stops a pass.
"""

import concurrent.futures
import logging
import os

import numpy as np
import tensorflow as tf

from keras_vgan.datasets.opencv_clips import assemble_clips, clip_frame_indices, clip_span, source_step
from keras_vgan.datasets.sharding import shard_items
from keras_vgan.datasets.skipping import SkipItem, SkipTracker
from keras_vgan.pixels import to_unit_range

logger = logging.getLogger("keras_vgan.datasets")


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


def worker_part(shard, usable, infos, labels, noun, source=""):
    """Worker `shard`'s part of the probed items: `(usable, infos, labels, part)`.

    `usable` and `infos` are `probe_usable_items`'s, `labels` None or one per
    item (computed over all items, so every worker's class indices agree).
    Item j goes to worker j % count; `part` is the summary's line on it (None,
    and everything kept, without a shard). Fewer items than workers is a
    ValueError (`shard_items`).
    """
    if shard is None:
        return usable, infos, labels, None
    part = shard.part(len(shard.take(usable)), len(usable), noun)
    return (shard_items(usable, shard, noun, source), shard.take(infos),
            None if labels is None else shard.take(labels), part)


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
