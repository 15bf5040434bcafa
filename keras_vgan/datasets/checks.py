"""Sanity checks on the first training batch, before any step is spent on data that is not what was meant.

A misread source still gives tensors of the right shape, so nothing else
complains: a folder of photos read as video gives clips whose frames are all
the same, a mis-declared value range gives values the generator (tanh) can
never produce, and a tiny source makes every batch repeat its few videos.
Each problem is one line: a `ValueError` when training on it cannot be what
was meant, a `DataWarning` when it may be.
"""

import warnings

import numpy as np


class DataWarning(UserWarning):
    """The data may not be what it is taken for (a layout guessed, a value range suspicious, too few videos)."""


def take_clips(batches, count):
    """At least `count` clips, in whole batches, from one iterator over `batches`: a float32 NumPy array.

    `batches` yields batches (B, T, H, W, C), or `(batch, labels)` pairs;
    unbatched clips (T, H, W, C) are collected one by one. At least one batch
    is taken even when `count` is smaller.

    Example:
    >>> batches = tf.data.Dataset.from_tensor_slices(tf.zeros((8, 4, 8, 8, 1))).batch(4)  # doctest: +SKIP
    >>> take_clips(batches, 6).shape  # doctest: +SKIP
    (8, 4, 8, 8, 1)
    """
    taken, total = [], 0
    for element in batches:
        clips = np.asarray(element[0] if isinstance(element, (tuple, list)) else element, np.float32)
        if clips.ndim == 4:
            clips = clips[None]
        taken.append(clips)
        total += len(clips)
        if total >= count:
            break
    if not taken:
        raise ValueError("the training data gave no clips at all")
    return np.concatenate(taken)


def still_clips(clips):
    """A boolean per clip (N, T, H, W, C): True when all its frames are identical."""
    clips = np.asarray(clips)
    return np.all(clips == clips[:, :1], axis=tuple(range(1, clips.ndim)))


def check_first_batch(batch, batch_size=None, num_videos=None, value_range=(-1.0, 1.0)):
    """Stop on a first batch that cannot be what was meant; warn on one that may not be.

    `batch`: the clips of the first training batch (N, T, H, W, C), as the
    model gets them. Raises a one-line ValueError when its values leave
    `value_range` (what the generator can produce) or when every clip's
    frames are identical (still images read as video). Warns (`DataWarning`)
    when the source has fewer distinct videos (`num_videos`) than
    `batch_size`, or, when `num_videos` is unknown, the batch repeats a
    clip. Returns the warnings' lines.

    Example:
    >>> check_first_batch(np.zeros((4, 8, 16, 16, 1)))  # doctest: +SKIP
    ValueError: every clip of the first batch (4 clips) has 8 identical frames ...
    """
    batch = np.asarray(batch)
    if batch.ndim != 5:
        raise ValueError(f"expected a batch of clips (N, T, H, W, C), got shape {batch.shape}")
    count, frames = batch.shape[:2]
    low, high = (float(v) for v in value_range)
    seen_low, seen_high = float(batch.min()), float(batch.max())
    tolerance = 1e-3 * (high - low)
    if not (np.isfinite(seen_low) and np.isfinite(seen_high)) \
            or seen_low < low - tolerance or seen_high > high + tolerance:
        raise ValueError(f"the first batch's values span [{seen_low:g}, {seen_high:g}], outside the declared "
                         f"range [{low:g}, {high:g}] that clips must be in (the generator's tanh cannot "
                         f"leave it); the source's value range or an augmentation is wrong")
    if frames > 1 and still_clips(batch).all():
        raise ValueError(f"every clip of the first batch ({count} clips) has {frames} identical frames: "
                         f"still images read as video? check the source (a folder or array of images, or "
                         f"an array's layout) and --frame-step")
    problems = []
    if num_videos is not None and batch_size is not None and num_videos < batch_size:
        problems.append(f"the source has {num_videos:,} distinct video{'s' if num_videos != 1 else ''}, "
                        f"fewer than the batch size {batch_size}: every batch repeats videos, and the "
                        f"GAN can only learn to copy them")
    elif num_videos is None:
        # Unknown source size: duplicates within one batch are the sign of a source that is too small.
        distinct = len({clip.tobytes() for clip in batch})
        if distinct < count:
            problems.append(f"the first batch of {count} clips holds only {distinct} distinct clips: the "
                            f"source repeats videos within a batch (too few videos for batch size {count}?)")
    for problem in problems:
        warnings.warn(problem, DataWarning, stacklevel=2)
    return problems
