"""One entry point from a data spec (a name, a path, a glob) to a dataset of clips.

`keras-vgan train --data SPEC` and `keras-vgan prepare SPEC OUT` both call
`load_source`. A spec is, in the order tried:

* a built-in name (`BUILTIN_DATASETS`): `moving_digits`, `bouncing_shapes`
  (procedural, nothing to download), `photo_clips` (real photographs under a
  simulated moving camera, `photographs.py`) or `moving_mnist` (needs
  `mnist.npz`, see `moving_mnist.py`);
* `tfds:NAME` or `tfds:NAME:SPLIT` (TensorFlow Datasets);
* a directory holding `manifest.json` or `*.tfrecord` shards (`prepare`'s output);
* a directory of video files (searched recursively);
* a directory of frame folders (folders holding images, one per video);
* a `.npy` file (Moving MNIST's `mnist_test_seq.npy` included);
* a video file, or a `*.tfrecord` file;
* a glob matching videos, `.tfrecord` shards or one `.npy` file.
"""

import glob
import inspect
import os

from keras_vgan.datasets.arrays import from_npy
from keras_vgan.datasets.frames import from_frame_folders
from keras_vgan.datasets.sharding import check_shard
from keras_vgan.datasets.files import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, is_glob, walk_directory
from keras_vgan.datasets.tfrecord import MANIFEST_NAME, from_tfrecord
from keras_vgan.datasets.tfds import from_tfds
from keras_vgan.datasets.video_files import from_video_files

# The one list of built-in dataset names; presets, `train`, `prepare` and `evaluate` use these.
# Rendered on the fly, nothing to download (photo_clips films photographs that ship in scikit-image's wheel).
PROCEDURAL_DATASETS = ("moving_digits", "bouncing_shapes", "photo_clips")
UNLABELLED_DATASETS = ("photo_clips", "moving_mnist")
BUILTIN_DATASETS = PROCEDURAL_DATASETS + ("moving_mnist",)
BUILTIN_SOURCES = BUILTIN_DATASETS  # its name before, kept for callers that used it
# The built-ins' own name for `num_objects`, the objects in each clip.
OBJECT_COUNT_OPTIONS = {"moving_digits": "num_digits", "bouncing_shapes": "num_shapes", "moving_mnist": "num_digits"}
TFRECORD_EXTENSIONS = (".tfrecord", ".tfrecord.gz", ".tfrecords")


def _spec_help():
    return (f"expected a built-in name ({', '.join(BUILTIN_DATASETS)}), tfds:NAME[:SPLIT], a directory "
            f"of videos, frame folders or TFRecord shards, a video, .npy or .tfrecord file, or a glob")


def _accepted_options(function):
    """Names `function` takes, following `**options` through to the function it forwards them to."""
    from keras_vgan.datasets.arrays import from_array
    from keras_vgan.datasets.moving_mnist import moving_mnist

    forwards = {from_npy: from_array, moving_mnist: from_array}
    names = [n for n, p in inspect.signature(function).parameters.items() if p.kind is not p.VAR_KEYWORD]
    if function in forwards:
        names += [n for n in _accepted_options(forwards[function]) if n not in names and n != "array"]
    return names


def _call_with_options(function, source, **arguments):
    """Call `function` with `arguments`; an option it does not take is a ValueError naming it."""
    accepted = _accepted_options(function)
    unknown = sorted(name for name in arguments if name not in accepted)
    if unknown:
        raise ValueError(f"option(s) {', '.join(unknown)} do not apply to data source {source!r} "
                         f"({function.__name__} takes {', '.join(accepted)})")
    return function(**arguments)


def _builtin(name, frames, height, width, channels, labels, options):
    if labels and name in UNLABELLED_DATASETS:
        raise ValueError(f"data source {name!r} has no labels; use labels=False")
    if name == "photo_clips":
        from keras_vgan.datasets.photographs import photo_clips

        if options.pop("num_objects", None) is not None:
            raise ValueError("num_objects does not apply to data source 'photo_clips' (each clip films one "
                             "photograph)")
        return _call_with_options(photo_clips, name, frames=frames, height=height, width=width, channels=channels,
                                  **options)
    if "num_objects" in options:
        own_name = OBJECT_COUNT_OPTIONS[name]
        if own_name in options:
            raise ValueError(f"give num_objects or {own_name} for data source {name!r}, not both")
        options[own_name] = options.pop("num_objects")
    if name == "moving_mnist":
        from keras_vgan.datasets.moving_mnist import moving_mnist

        # Moving MNIST videos are 20 frames; clips of `frames` frames are cut from them.
        return _call_with_options(moving_mnist, name, clip_frames=frames, height=height, width=width,
                                  channels=channels, **options)
    from keras_vgan.datasets import synthetic

    if labels:  # the digit or the kind of shape; one object a clip
        options["labels"] = True
    return _call_with_options(getattr(synthetic, name), name, frames=frames, height=height, width=width,
                              channels=channels, **options)


def _directory_kind(path):
    """What a directory holds: "tfrecord", "videos", "frames" or None."""
    if os.path.exists(os.path.join(path, MANIFEST_NAME)):
        return "tfrecord"
    listing, _ = walk_directory(path)
    top_names = listing[0][1] if listing else []
    if any(name.endswith(TFRECORD_EXTENSIONS) for name in top_names):
        return "tfrecord"
    if any(name.lower().endswith(VIDEO_EXTENSIONS) for _, names in listing for name in names):
        return "videos"
    if any(name.lower().endswith(IMAGE_EXTENSIONS) for _, names in listing for name in names):
        return "frames"
    return None


def _file_kind(path):
    lower = path.lower()
    if lower.endswith(".npy"):
        return "npy"
    if lower.endswith(TFRECORD_EXTENSIONS):
        return "tfrecord"
    if lower.endswith(VIDEO_EXTENSIONS):
        return "videos"
    return None


def load_source(spec, frames=16, height=64, width=64, channels=3, labels=False, shuffle=True, shard=None,
                **options):
    """A `tf.data.Dataset` of float32 clips (frames, height, width, channels) in [-1, 1], unbatched.

    `spec` is resolved as the module docstring lists. With `labels=True`
    elements are `(clip, label)` and the dataset has `class_names` (the
    procedural built-ins: the digit or the kind of shape, one a clip).
    `shuffle` visits files/videos in a new random order each pass (the
    built-in procedural sources ignore it: they are random already). `options`
    go to the source's function (`from_video_files`, `from_frame_folders`,
    `from_npy`, `from_tfrecord`, `from_tfds`, `moving_digits`, ...), e.g.
    `frame_step`, `clips_per_video`, `crop`, `seed`; the built-ins take
    `num_videos` and `num_objects` (objects per clip: a count, or a (min, max)
    range for the procedural ones). An option the source does not take is a
    ValueError naming it. A spec that names
    nothing is a ValueError (or FileNotFoundError for a missing path).

    `shard=(index, count)`, or the `tf.distribute.InputContext` that
    `distribute_datasets_from_function` gives, makes this the reader of
    worker `index` of `count` (`sharding.py`): TFRecord shards split by file
    (by record, with a `ShardingWarning`, when there are fewer files than
    workers), video files, frame folders and array videos by item, TFDS
    through its own file sharding, and the procedural built-ins render each
    worker's share from a seed of its own. The parts are disjoint and
    together the whole; fewer items than workers is a ValueError. None (or a
    count of 1) reads everything, as before.

    The dataset is finite (one pass); `make_training_dataset` repeats,
    shuffles and batches it. Its `data_summary` (see `describe_source`) says
    what the source holds and how its clips are made; for a `.npy` array,
    `layout=` says its axis order where the shape does not (`from_npy`).

    Example:
    >>> clips = load_source("moving_digits", frames=8, height=32, width=32, channels=1,
    ...                     num_videos=4)
    >>> clips.element_spec.shape
    TensorShape([8, 32, 32, 1])
    >>> clips = load_source("data/UCF-101", labels=True)  # doctest: +SKIP
    >>> part = load_source("moving_digits", frames=8, height=32, width=32, channels=1,
    ...                    num_videos=4, shard=(1, 2))
    >>> part.data_summary.part
    'worker 2 of 2 (index 1): 2 of 4 videos, from a seed of its own'
    """
    shard = check_shard(shard)
    if shard is not None:
        options["shard"] = shard
    dataset = _load_source(spec, frames, height, width, channels, labels, shuffle, options)
    summary = getattr(dataset, "data_summary", None)
    if summary is not None:
        summary.source = os.fspath(spec).strip()
    return dataset


def _load_source(spec, frames, height, width, channels, labels, shuffle, options):
    if not isinstance(spec, (str, os.PathLike)):
        raise ValueError(f"data source must be a string or path, got {type(spec).__name__} {spec!r}")
    text = os.fspath(spec).strip()
    if not text:
        raise ValueError(f"data source is empty; {_spec_help()}")
    if text in BUILTIN_DATASETS:
        if text == "moving_mnist":
            options["shuffle"] = shuffle
        return _builtin(text, frames, height, width, channels, labels, options)
    geometry = dict(frames=frames, height=height, width=width, channels=channels, shuffle=shuffle)
    if text.startswith("tfds:"):
        parts = text.split(":")
        if len(parts) not in (2, 3) or not parts[1]:
            raise ValueError(f"TFDS source {text!r} must look like tfds:NAME or tfds:NAME:SPLIT")
        split = parts[2] if len(parts) == 3 and parts[2] else "train"
        return _call_with_options(from_tfds, text, name=parts[1], split=split, labels=labels,
                                  **geometry, **options)
    if text.startswith("gs://") or "://" in text:
        # Remote file systems: only TFRecord shards stream through tf.io.gfile.
        return _call_with_options(from_tfrecord, text, path=text, labels=labels, **geometry, **options)

    if os.path.isdir(text):
        kind = _directory_kind(text)
        if kind == "tfrecord":
            return _call_with_options(from_tfrecord, text, path=text, labels=labels, **geometry, **options)
        if kind == "videos":
            return _call_with_options(from_video_files, text, paths=text, labels=labels, **geometry,
                                      **options)
        if kind == "frames":
            return _call_with_options(from_frame_folders, text, root=text, labels=labels, **geometry,
                                      **options)
        raise ValueError(f"data directory {text!r} holds no videos ({', '.join(VIDEO_EXTENSIONS[:5])}, ...), "
                         f"no folders of frame images and no TFRecord shards")
    if os.path.isfile(text):
        kind = _file_kind(text)
        if kind is None:
            raise ValueError(f"data file {text!r} is not a video, .npy or .tfrecord file; {_spec_help()}")
        return _load_files(kind, text, [text], labels, geometry, options)
    if is_glob(text):
        matches = sorted(glob.glob(text, recursive=True))
        if not matches:
            raise FileNotFoundError(f"the glob {text!r} matches no files")
        kinds = {_file_kind(m) for m in matches if os.path.isfile(m)}
        kinds.discard(None)
        if len(kinds) != 1:
            raise ValueError(f"the glob {text!r} matches {len(matches)} paths that are not all videos, "
                             f"all .tfrecord shards or one .npy file (found kinds: {sorted(kinds) or 'none'})")
        kind = kinds.pop()
        files = [m for m in matches if _file_kind(m) == kind]
        return _load_files(kind, text, files, labels, geometry, options)
    if os.sep in text or "/" in text or os.path.splitext(text)[1]:
        raise FileNotFoundError(f"data source {text!r} does not exist")
    raise ValueError(f"unknown data source {text!r}; {_spec_help()}")


def _load_files(kind, spec, files, labels, geometry, options):
    if kind == "npy":
        if len(files) != 1:
            raise ValueError(f"{spec!r} matches {len(files)} .npy files; give one")
        if labels:
            raise ValueError(f"labels=True needs videos in class folders or labelled TFRecords; "
                             f"the .npy file {files[0]!r} has no labels")
        return _call_with_options(from_npy, spec, path=files[0], **geometry, **options)
    if kind == "tfrecord":
        return _call_with_options(from_tfrecord, spec, path=spec, labels=labels, **geometry, **options)
    return _call_with_options(from_video_files, spec, paths=files, labels=labels, **geometry, **options)

