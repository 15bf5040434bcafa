"""From a dataset of clips to training batches: `make_training_dataset`.

Every source gives a `tf.data.Dataset` of clips: float32 tensors of shape
(T, H, W, C) in [-1, 1], or `(clip, label)` pairs with int32 labels. The
parts the sources share live beside this module, one job each:

* `clip_options`: the options every source takes, checked once;
* `files`: finding files (extensions, globs, directory walks, class folders);
* `opencv_clips`: clips from frames decoded by OpenCV (sampling, resize, crop, colour);
* `tensor_clips`: the same with TensorFlow ops, for arrays, TFRecords and TFDS;
* `skipping`: one warning per bad item and a count of the skips of a pass;
* `decoding`: the parallel Python-decoded dataset of video files and frame folders;
* `sharding`: each worker of a multi-worker job reading its own part (`shard=`).

This module shuffles, repeats, augments, batches and prefetches. It also
re-exports the names above, which lived here before.
"""

import tensorflow as tf

from keras_vgan.augment import VideoAugment
# Re-exported: these names lived in this module before it was split.
from keras_vgan.datasets.clip_options import (  # noqa: F401
    CLIP_SAMPLINGS,
    CROP_MODES,
    check_channels,
    check_clip_options,
)
from keras_vgan.datasets.decoding import (  # noqa: F401
    decoded_clips_dataset,
    probe_in_parallel,
    probe_usable_items,
)
from keras_vgan.datasets.files import (  # noqa: F401
    GLOB_CHARACTERS,
    IMAGE_EXTENSIONS,
    VIDEO_EXTENSIONS,
    class_labels,
    is_glob,
    natural_sort_key,
    parent_folder_labels,
    walk_directory,
)
from keras_vgan.datasets.opencv_clips import (  # noqa: F401
    assemble_clips,
    bgr_to_channels,
    clip_frame_indices,
    clip_span,
    cover_size,
    crop_offset,
    resize_frame_to_cover,
    source_step,
)
from keras_vgan.datasets.skipping import SkipItem, SkippedItemWarning, SkipTracker  # noqa: F401
from keras_vgan.datasets.tensor_clips import (  # noqa: F401
    convert_channels,
    long_enough,
    process_video_tensor,
    resize_and_crop,
    sample_clips,
    to_float_clip,
)
from keras_vgan.validation import check_int, check_positive_int


def with_element_seeds(dataset, seed):
    """Zip each element with an int64 seed from `tf.data.Dataset.random` (new seeds each pass)."""
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    return tf.data.Dataset.zip((dataset, seeds))


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
    shuffle_buffer = check_int("shuffle_buffer", shuffle_buffer, minimum=0)
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
