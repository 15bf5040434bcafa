"""Clips from TensorFlow Datasets (`tensorflow-datasets`, an optional dependency).

Any TFDS dataset whose examples hold a video works: the video feature is the
one named `video_key`, else `"video"`, else the only uint8 tensor of rank 4
(T, H, W, C) in the example (e.g. `ucf101`'s `video`, `moving_mnist`'s
`image_sequence`).
"""

import tensorflow as tf

from keras_vgan.datasets.clip_options import check_clip_options
from keras_vgan.datasets.pipeline import with_element_seeds
from keras_vgan.datasets.sharding import check_shard, shard_seed
from keras_vgan.datasets.tensor_clips import long_enough, process_video_tensor
from keras_vgan.datasets.summary import DataSummary, attach_summary

INSTALL_HINT = "pip install tensorflow-datasets"


def import_tfds():
    """The `tensorflow_datasets` module, or an ImportError that says how to install it."""
    try:
        import tensorflow_datasets
    except ImportError as error:
        raise ImportError(
            f"TFDS sources need the tensorflow-datasets package, which is not installed "
            f"({error}); install it with `{INSTALL_HINT}` (or `pip install keras_vgan[tfds]`)") from None
    return tensorflow_datasets


def _find_video_key(element_spec, video_key, name):
    if not isinstance(element_spec, dict):
        raise ValueError(f"TFDS dataset {name!r} does not yield feature dicts; cannot find its video")
    if video_key is not None:
        if video_key not in element_spec:
            raise ValueError(f"TFDS dataset {name!r} has no feature {video_key!r}; it has "
                             f"{sorted(element_spec)}")
        return video_key
    if "video" in element_spec:
        return "video"
    candidates = [key for key, spec in element_spec.items()
                  if isinstance(spec, tf.TensorSpec) and spec.dtype == tf.uint8 and spec.shape.rank == 4]
    if len(candidates) != 1:
        raise ValueError(f"cannot tell which feature of TFDS dataset {name!r} is the video "
                         f"(uint8 rank-4 features: {candidates or 'none'}); pass video_key=")
    return candidates[0]


def from_tfds(name, split="train", frames=16, height=64, width=64, channels=3, labels=False,
              video_key=None, label_key="label", frame_step=1, clips_per_video=1,
              clip_sampling="random", crop="center", data_dir=None, download=False,
              shuffle=True, seed=None, shard=None, num_parallel_calls=tf.data.AUTOTUNE):
    """A `tf.data.Dataset` of float32 clips in [-1, 1] from a TFDS dataset.

    `download=False` by default: the data must already be prepared in
    `data_dir` (TFDS's default is ~/tensorflow_datasets); pass `download=True`
    to let TFDS fetch and prepare it. With `labels=True` elements are
    `(clip, label)` from `label_key` and the dataset has `class_names` when
    TFDS knows them. Videos shorter than one clip are dropped. `shuffle` is
    TFDS's `shuffle_files`. `shard=(index, count)` (or a
    `tf.distribute.InputContext`) reads worker `index`'s part through TFDS's
    own file sharding (`tfds.ReadConfig(input_context=...)`): each worker
    reads a different set of the split's files, and TFDS refuses a split
    with fewer files than workers; `seed` becomes one per worker.

    Example:
    >>> clips = from_tfds("ucf101", "train", frames=16, height=64, width=64)  # doctest: +SKIP
    """
    frames, height, width, channels, frame_step, clips_per_video, _ = check_clip_options(
        frames, height, width, channels, frame_step, clips_per_video, crop, clip_sampling,
        allow_none=True)
    shard = check_shard(shard)
    seed = shard_seed(seed, shard)
    tfds = import_tfds()
    sharding = {}
    if shard is not None:
        sharding["read_config"] = tfds.ReadConfig(input_context=tf.distribute.InputContext(
            num_input_pipelines=shard.count, input_pipeline_id=shard.index))
    try:
        dataset, info = tfds.load(name, split=split, data_dir=data_dir, download=download,
                                  shuffle_files=shuffle, with_info=True, **sharding)
    except Exception as error:  # TFDS raises its own types for unknown names, missing data, ...
        raise ValueError(f"cannot load TFDS dataset {name!r} split {split!r}: "
                         f"{type(error).__name__}: {error}") from None
    key = _find_video_key(dataset.element_spec, video_key, name)
    if labels and label_key not in dataset.element_spec:
        raise ValueError(f"labels=True but TFDS dataset {name!r} has no {label_key!r} feature; it has "
                         f"{sorted(dataset.element_spec)}")

    def keep(example):
        return long_enough(example[key], frames, frame_step) if frames is not None else True

    def to_clips(example, element_seed):
        clips = process_video_tensor(
            example[key], frames, height, width, channels, frame_step, clips_per_video, clip_sampling,
            crop, seed=tf.stack([element_seed, tf.constant(0, tf.int64)]) if seed is not None else None)
        if not labels:
            return clips
        label = tf.cast(example[label_key], tf.int32)
        return clips, tf.fill([tf.shape(clips)[0]], label)

    clips = with_element_seeds(dataset.filter(keep), seed).map(
        to_clips, num_parallel_calls=num_parallel_calls).unbatch()
    if labels:
        feature = getattr(getattr(info, "features", None), "__getitem__", None)
        try:
            clips.class_names = list(feature(label_key).names) if feature else None
        except (KeyError, AttributeError, TypeError):
            clips.class_names = None
    summary = _tfds_summary(name, split, info, dataset.element_spec[key], frame_step, clips_per_video,
                            clip_sampling, crop, getattr(clips, "class_names", None))
    if shard is not None:
        # TFDS picks the files; how many examples they hold is not known here.
        summary.num_items, summary.part = None, f"{shard}: a share of the split's files, TFDS's sharding"
    return attach_summary(clips, summary)


def _tfds_summary(name, split, info, video_spec, frame_step, clips_per_video, clip_sampling, crop, class_names):
    """What TFDS's metadata says about a split: its example count and the video feature's static shape."""
    try:
        num_examples = int(info.splits[split].num_examples)
    except Exception:  # an unknown split expression or info without counts: say nothing rather than guess
        num_examples = None
    shape = video_spec.shape.as_list()
    fixed = shape[0] is not None
    return DataSummary(
        kind=f"TFDS {name}:{split}", num_items=num_examples, frame_counts=(shape[0],) if fixed else None,
        frame_sizes=(tuple(shape[1:3]),) if None not in shape[1:3] else None, channels=shape[3],
        dtype=video_spec.dtype.name, value_range=(0, 255) if video_spec.dtype == tf.uint8 else None,
        frame_step=frame_step, clips_per_item=clips_per_video, clip_sampling=clip_sampling, crop=crop,
        num_classes=len(class_names) if class_names else None)
