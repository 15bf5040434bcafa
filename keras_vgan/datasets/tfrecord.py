"""Sharded TFRecords of decoded uint8 clips, and a reader for them.

Decoding video is the slow part of a video pipeline; `keras-vgan prepare`
does it once and stores clips as raw uint8 (optionally GZIP-compressed) in
shards that read at disk speed. Each `tf.train.Example` holds:

* `clip`: the clip's bytes, uint8, C-order (T, H, W, C);
* `shape`: int64 [T, H, W, C];
* `label`: int64, when the clips have labels.

A `manifest.json` beside the shards records the clip shape, the shards (with
their clip counts and byte sizes), whether there are labels and the class
names. It is written last, so its presence means the shards are complete.
All paths go through `tf.io.gfile`, so `gs://` and other TF file systems work.
"""

import json
import logging
import os
import posixpath
import uuid
import warnings

import numpy as np
import tensorflow as tf

from keras_vgan.datasets.clip_options import check_clip_options
from keras_vgan.datasets.files import is_glob
from keras_vgan.datasets.pipeline import with_element_seeds
from keras_vgan.datasets.sharding import ShardingWarning, check_shard, shard_items, shard_seed
from keras_vgan.datasets.skipping import SkippedItemWarning
from keras_vgan.datasets.tensor_clips import process_video_tensor
from keras_vgan.datasets.summary import DataSummary, attach_summary
from keras_vgan.pixels import as_uint8_array, to_unit_range
from keras_vgan.validation import check_choice, check_positive_int

logger = logging.getLogger("keras_vgan.datasets")

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "keras_vgan.tfrecord_clips"
MANIFEST_VERSION = 1
COMPRESSIONS = (None, "GZIP", "ZLIB")


def _join(directory, name):
    # os.path.join would use "\\" on Windows, which gs:// paths do not accept.
    return posixpath.join(directory, name) if "://" in directory else os.path.join(directory, name)


def _write_text_atomically(path, text):
    directory = posixpath.dirname(path) if "://" in path else os.path.dirname(path)
    temporary = _join(directory, f".{os.path.basename(path)}.tmp-{uuid.uuid4().hex}")
    try:
        with tf.io.gfile.GFile(temporary, "w") as handle:
            handle.write(text)
        tf.io.gfile.rename(temporary, path, overwrite=True)
    finally:
        if tf.io.gfile.exists(temporary):
            tf.io.gfile.remove(temporary)


def _example(clip_bytes, shape, label):
    features = {
        "clip": tf.train.Feature(bytes_list=tf.train.BytesList(value=[clip_bytes])),
        "shape": tf.train.Feature(int64_list=tf.train.Int64List(value=list(shape))),
    }
    if label is not None:
        features["label"] = tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label)]))
    return tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()


def write_tfrecord_shards(clips_dataset, out_dir, clips_per_shard=256, class_names=None,
                          compression=None, prefix="clips", overwrite=False, max_clips=None,
                          progress=None):
    """Write a dataset of clips (or `(clip, label)` pairs) to TFRecord shards plus `manifest.json`.

    Clips may be float in [-1, 1] or uint8; they are stored as uint8. Shards
    are written under temporary names and renamed once all clips are in; the
    manifest comes last. On any error every file this call wrote is removed.
    `class_names` defaults to `clips_dataset.class_names` when it has them.
    `progress(num_clips_written)` is called after each shard. Returns the
    manifest (a dict).

    Example:
    >>> clips = tf.data.Dataset.from_tensor_slices(tf.zeros((10, 4, 8, 8, 3)))
    >>> write_tfrecord_shards(clips, "/tmp/clips", clips_per_shard=4)["num_clips"]  # doctest: +SKIP
    10
    """
    check_positive_int("clips_per_shard", clips_per_shard)
    check_choice("compression", compression, COMPRESSIONS)
    out_dir = os.fspath(out_dir)
    manifest_path = _join(out_dir, MANIFEST_NAME)
    if tf.io.gfile.exists(manifest_path) and not overwrite:
        raise ValueError(f"{out_dir!r} already holds clips ({MANIFEST_NAME}); choose another "
                         f"directory or pass overwrite=True")
    if class_names is None:
        class_names = getattr(clips_dataset, "class_names", None)
    tf.io.gfile.makedirs(out_dir)
    extension = ".tfrecord" + {"GZIP": ".gz", "ZLIB": ".zz"}.get(compression, "")
    options = tf.io.TFRecordOptions(compression_type=compression or "")

    # Shards keep temporary names until every clip is written, so a failure
    # (or an interrupt) leaves no partial dataset and an older one in the
    # same directory untouched.
    shards, finished = [], []  # manifest entries; (temporary path, final path)
    state = {"writer": None, "temporary": None, "count": 0}
    shape, has_labels, total = None, None, 0

    def close_shard():
        state["writer"].close()
        name = f"{prefix}-{len(shards):05d}{extension}"
        finished.append((state["temporary"], _join(out_dir, name)))
        shards.append({"file": name, "num_clips": state["count"],
                       "num_bytes": tf.io.gfile.stat(state["temporary"]).length})
        state.update(writer=None, temporary=None, count=0)
        if progress is not None:
            progress(total)

    try:
        for element in clips_dataset:
            if isinstance(element, (tuple, list)):
                clip, label = element[0], int(np.asarray(element[1]))
            else:
                clip, label = element, None
            if has_labels is None:
                has_labels = label is not None
            elif has_labels != (label is not None):
                raise ValueError("the dataset mixes clips with and without labels")
            clip = as_uint8_array(clip.numpy() if hasattr(clip, "numpy") else clip)
            if clip.ndim != 4:
                raise ValueError(f"expected clips of shape (T, H, W, C), got shape {clip.shape}")
            if shape is None:
                shape = clip.shape
            elif clip.shape != shape:
                raise ValueError(f"clip {total} has shape {clip.shape}, unlike the first clip's {shape}; "
                                 f"all clips of one dataset must have one shape")
            if state["writer"] is None:
                state["temporary"] = _join(out_dir, f".{prefix}-{len(shards):05d}.tmp-{uuid.uuid4().hex}")
                state["writer"] = tf.io.TFRecordWriter(state["temporary"], options)
            state["writer"].write(_example(np.ascontiguousarray(clip).tobytes(), shape, label))
            state["count"] += 1
            total += 1
            if state["count"] == clips_per_shard:
                close_shard()
            if max_clips is not None and total >= max_clips:
                break
        if state["writer"] is not None:
            close_shard()
        if total == 0:
            raise ValueError("the dataset yielded no clips; nothing was written")
    except BaseException:
        if state["writer"] is not None:
            state["writer"].close()
        for temporary in [t for t, _ in finished] + ([state["temporary"]] if state["temporary"] else []):
            if tf.io.gfile.exists(temporary):
                tf.io.gfile.remove(temporary)
        raise

    old = read_manifest(out_dir) if overwrite else None
    if old is not None:
        # No manifest may ever describe shards that are half old, half new.
        tf.io.gfile.remove(manifest_path)
    for temporary, final in finished:
        tf.io.gfile.rename(temporary, final, overwrite=True)
    if old is not None:
        current = {entry["file"] for entry in shards}
        for entry in old["shards"]:
            stale = _join(out_dir, entry["file"])
            if entry["file"] not in current and tf.io.gfile.exists(stale):
                tf.io.gfile.remove(stale)
    manifest = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "shape": [int(d) for d in shape],
        "dtype": "uint8",
        "num_clips": total,
        "compression": compression,
        "has_labels": bool(has_labels),
        "class_names": list(class_names) if class_names is not None and has_labels else None,
        "shards": shards,
    }
    _write_text_atomically(manifest_path, json.dumps(manifest, indent=2))
    logger.info("wrote %d clips of shape %s in %d shards to %s", total, tuple(shape), len(shards), out_dir)
    return manifest


def read_manifest(directory):
    """The manifest dict of a shard directory, or None when it has none."""
    path = _join(os.fspath(directory), MANIFEST_NAME)
    if not tf.io.gfile.exists(path):
        return None
    try:
        with tf.io.gfile.GFile(path, "r") as handle:
            manifest = json.loads(handle.read())
    except (ValueError, tf.errors.OpError) as error:
        raise ValueError(f"cannot read the manifest {path!r}: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"{path!r} is not a keras_vgan clip manifest (format "
                         f"{manifest.get('format') if isinstance(manifest, dict) else None!r})")
    return manifest


def _resolve_shards(path):
    """(shard paths, manifest or None) for a shard directory, a shard file or a glob."""
    path = os.fspath(path)
    if tf.io.gfile.isdir(path):
        manifest = read_manifest(path)
        if manifest is not None:
            return [_join(path, shard["file"]) for shard in manifest["shards"]], manifest
        files = sorted(tf.io.gfile.glob(_join(path, "*.tfrecord")) + tf.io.gfile.glob(_join(path, "*.tfrecord.gz")))
        if not files:
            raise ValueError(f"{path!r} holds neither {MANIFEST_NAME} nor *.tfrecord shards")
        return files, None
    if is_glob(path):
        files = sorted(tf.io.gfile.glob(path))
        if not files:
            raise FileNotFoundError(f"the glob {path!r} matches no TFRecord files")
    elif tf.io.gfile.exists(path):
        files = [path]
    else:
        raise FileNotFoundError(f"TFRecord path {path!r} does not exist")
    directory = posixpath.dirname(files[0]) if "://" in files[0] else os.path.dirname(files[0])
    return files, read_manifest(directory or ".")


def _check_shards(files, manifest):
    """Drop missing, empty or truncated shards (one warning each); an error when none is left."""
    expected = {}
    if manifest is not None:
        expected = {shard["file"]: shard.get("num_bytes") for shard in manifest["shards"]}
    good = []
    for path in files:
        if not tf.io.gfile.exists(path):
            reason = "it does not exist"
        else:
            size = tf.io.gfile.stat(path).length
            want = expected.get(os.path.basename(path))
            if size == 0:
                reason = "it is empty (0 bytes)"
            elif want is not None and size != want:
                reason = f"it has {size} bytes, not the {want} the manifest records (truncated?)"
            else:
                good.append(path)
                continue
        warnings.warn(f"skipping shard {path}: {reason}", SkippedItemWarning, stacklevel=3)
    if not good:
        raise ValueError(f"none of the {len(files)} TFRecord shards is readable ({files[:3]}...)")
    if len(good) < len(files):
        logger.warning("skipped %d of %d shards", len(files) - len(good), len(files))
    return good


def _compression_of(files, manifest):
    if manifest is not None:
        return manifest.get("compression") or ""
    return "GZIP" if files[0].endswith(".gz") else ""


FEATURES = {
    "clip": tf.io.FixedLenFeature([], tf.string),
    "shape": tf.io.FixedLenFeature([4], tf.int64),
    "label": tf.io.FixedLenFeature([], tf.int64, default_value=-1),
}


def _first_clip_shape(files, compression):
    for record in tf.data.TFRecordDataset(files[:1], compression_type=compression).take(1):
        return [int(d) for d in tf.io.parse_single_example(record, FEATURES)["shape"].numpy()]
    raise ValueError(f"the TFRecord shard {files[0]!r} holds no records")


def _worker_shards(files, manifest, shard, path):
    """Worker `shard`'s part of the readable shard `files`: `(files, record_shards, num_clips, part)`.

    With at least one file per worker it takes files index, index + count, ...
    (`record_shards` None: whole files). With fewer it warns and takes every
    file, `record_shards` giving for each the position (mod count) of its first
    record that is this worker's: record j of file f is worker
    (offset_f + j) % count's, offset_f being the records before file f (from
    the manifest) or else f, so the parts are disjoint either way.
    `num_clips` is this worker's count (None without a manifest).
    """
    counts = None
    if manifest is not None:
        recorded = {entry["file"]: entry.get("num_clips") for entry in manifest["shards"]}
        counts = [recorded.get(os.path.basename(name)) for name in files]
        counts = None if None in counts else counts
    if len(files) >= shard.count:
        mine = shard.take(files)
        num_clips = sum(shard.take(counts)) if counts is not None else None
        return mine, None, num_clips, shard.part(len(mine), len(files), "shard")
    total = sum(counts) if counts is not None else None
    # Fewer clips than workers is an error (shard_items), before any warning.
    num_clips = len(shard_items(range(total), shard, "stored clip", path)) if total is not None else None
    shards = f"{len(files)} TFRecord shard{'s' if len(files) != 1 else ''}"
    warnings.warn(f"{shards} in {path!r} for {shard.count} workers: fewer shards than workers, so every "
                  f"worker reads every shard and keeps one record in {shard.count}; write at least "
                  f"{shard.count} shards (a smaller `keras-vgan prepare --shard-size`) to split by file",
                  ShardingWarning, stacklevel=3)
    offsets = np.cumsum([0] + counts[:-1]).tolist() if counts is not None else list(range(len(files)))
    record_shards = [(shard.index - offset) % shard.count for offset in offsets]
    part = f"{shard}: one in {shard.count} records of all {shards}"
    if num_clips is not None:
        part += f", {num_clips:,} of {total:,} clips"
    return files, record_shards, num_clips, part


def from_tfrecord(path, frames=None, height=None, width=None, channels=None, labels=False,
                  frame_step=1, clips_per_video=1, clip_sampling="random", crop="center",
                  shuffle=True, seed=None, shard=None, num_parallel_reads=tf.data.AUTOTUNE):
    """A `tf.data.Dataset` of float32 clips in [-1, 1] from shards `write_tfrecord_shards` wrote.

    `path`: the shard directory (with its manifest), one shard, or a glob
    (local or `gs://...`). `shuffle` reads the shards in a new random order
    each pass, several at once; without it clips come in the order written. None for frames/height/width/channels keeps the
    stored clips' shape; otherwise shorter clips are sampled and frames
    resized-to-cover then cropped. With `labels=True` elements are
    `(clip, label)` and the dataset has `class_names` from the manifest.
    Missing, empty or truncated shards are skipped with a warning; a corrupt
    record ends its shard with a logged warning instead of the run.

    `shard=(index, count)` (or a `tf.distribute.InputContext`) reads worker
    `index`'s part: shard files index, index + count, ... of the readable
    shards in the manifest's order (sorted by name without one), chosen before
    any shuffle. With fewer shard files than workers a `ShardingWarning` says
    so and every worker reads every file, keeping every count-th record (by
    its position in the whole dataset when the manifest gives the counts).
    Either way the parts are disjoint and together the whole; the data
    summary counts this worker's clips and says which part it reads. `seed`
    becomes one seed per worker (`sharding.shard_seed`).

    Example:
    >>> clips = from_tfrecord("data/ucf101_16x64")  # doctest: +SKIP
    >>> part = from_tfrecord("data/ucf101_16x64", shard=(1, 4))  # doctest: +SKIP
    """
    frames, height, width, channels, frame_step, clips_per_video, _ = check_clip_options(
        frames, height, width, channels, frame_step, clips_per_video, crop, clip_sampling,
        allow_none=True)
    shard = check_shard(shard)
    seed = shard_seed(seed, shard)
    files, manifest = _resolve_shards(path)
    files = _check_shards(files, manifest)
    compression = _compression_of(files, manifest)
    num_clips = manifest.get("num_clips") if manifest is not None else None
    record_shards, part = None, None
    if shard is not None:
        files, record_shards, num_clips, part = _worker_shards(files, manifest, shard, os.fspath(path))
    shape = manifest["shape"] if manifest is not None else _first_clip_shape(files, compression)
    if labels and manifest is not None and not manifest.get("has_labels"):
        raise ValueError(f"labels=True but the clips in {os.fspath(path)!r} were written without labels")
    if frames is not None and shape[0] < (frames - 1) * frame_step + 1:
        raise ValueError(f"stored clips have {shape[0]} frames, fewer than the "
                         f"{(frames - 1) * frame_step + 1} that frames={frames}, frame_step={frame_step} need")

    def parse(record):
        example = tf.io.parse_single_example(record, FEATURES)
        clip = tf.reshape(tf.io.decode_raw(example["clip"], tf.uint8), shape)
        return clip, tf.cast(example["label"], tf.int32)

    same_geometry = (frames in (None, shape[0]) and clips_per_video == 1
                     and height in (None, shape[1]) and width in (None, shape[2])
                     and channels in (None, shape[3]))

    def to_clips(element, element_seed):
        clip, label = element
        if same_geometry:
            clips = to_unit_range(clip)[None]
        else:
            clips = process_video_tensor(
                clip, frames, height, width, channels, frame_step, clips_per_video, clip_sampling, crop,
                seed=tf.stack([element_seed, tf.constant(0, tf.int64)]) if seed is not None else None)
        if not labels:
            return clips
        return clips, tf.fill([tf.shape(clips)[0]], label)

    def read_shard(name, keep=None):
        # A corrupt record ends its shard (TF logs it), not the run.
        records = tf.data.TFRecordDataset(name, compression_type=compression).ignore_errors(log_warning=True)
        # Split by record: this worker keeps the file's records keep, keep + count, ...
        return records if keep is None else records.shard(shard.count, keep)

    shard_names = tf.data.Dataset.from_tensor_slices(
        files if record_shards is None else (files, np.asarray(record_shards, np.int64)))
    if shuffle and len(files) > 1:
        shard_names = shard_names.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
        records = shard_names.interleave(read_shard, cycle_length=min(len(files), 8),
                                         num_parallel_calls=num_parallel_reads, deterministic=seed is not None)
    else:
        # Unshuffled: the clips come back in the order they were written.
        records = shard_names.flat_map(read_shard)
    dataset = with_element_seeds(records.map(parse, num_parallel_calls=tf.data.AUTOTUNE), seed)
    dataset = dataset.map(to_clips, num_parallel_calls=tf.data.AUTOTUNE).unbatch()
    if labels:
        if manifest is None:
            dataset = dataset.filter(lambda clip, label: label >= 0)
        dataset.class_names = manifest.get("class_names") if manifest is not None else None
    dataset.manifest = manifest
    dataset.files = files
    return attach_summary(dataset, DataSummary(
        kind="TFRecord shards" + ("" if manifest is not None else ", no manifest"), part=part,
        num_items=num_clips, item_name="stored clip", frame_counts=(shape[0],), frame_sizes=(tuple(shape[1:3]),),
        channels=shape[3], dtype="uint8", value_range=(0, 255), frame_step=frame_step,
        clips_per_item=clips_per_video if frames is not None else 1, clip_sampling=clip_sampling, crop=crop,
        num_classes=len(dataset.class_names) if labels and dataset.class_names else None))
