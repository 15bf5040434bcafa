import json
import os
import warnings

import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.cli import main as cli_main
from keras_vgan.datasets import SkippedItemWarning, from_tfrecord, write_tfrecord_shards
from keras_vgan.pixels import to_uint8
from video_factory import write_video


def _clips(num=10, shape=(4, 8, 8, 3), seed=0):
    return np.random.default_rng(seed).integers(0, 256, (num,) + shape, dtype=np.uint8)


def test_round_trip_is_exact_and_sharded(tmp_path):
    clips = _clips()
    manifest = write_tfrecord_shards(tf.data.Dataset.from_tensor_slices(clips), tmp_path / "out",
                                     clips_per_shard=4)
    assert manifest["num_clips"] == 10 and manifest["shape"] == [4, 8, 8, 3]
    assert [s["num_clips"] for s in manifest["shards"]] == [4, 4, 2]
    on_disk = sorted(os.listdir(tmp_path / "out"))
    assert on_disk == ["clips-00000.tfrecord", "clips-00001.tfrecord", "clips-00002.tfrecord", "manifest.json"]
    dataset = from_tfrecord(tmp_path / "out", shuffle=False, seed=0)
    read = [to_uint8(c).numpy() for c in dataset]
    assert len(read) == 10
    np.testing.assert_array_equal(np.stack(read), clips)


def test_float_clips_labels_and_class_names(tmp_path):
    clips = _clips(6)
    floats = clips.astype(np.float32) / 127.5 - 1.0
    labels = np.array([0, 1, 2, 0, 1, 2], np.int32)
    source = tf.data.Dataset.from_tensor_slices((floats, labels))
    write_tfrecord_shards(source, tmp_path, clips_per_shard=4, class_names=["a", "b", "c"],
                          compression="GZIP")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["has_labels"] and manifest["class_names"] == ["a", "b", "c"]
    assert manifest["shards"][0]["file"].endswith(".tfrecord.gz")
    dataset = from_tfrecord(tmp_path, labels=True, shuffle=False, seed=0)
    assert dataset.class_names == ["a", "b", "c"]
    pairs = list(dataset)
    assert [int(label) for _, label in pairs] == labels.tolist()
    np.testing.assert_array_equal(to_uint8(pairs[3][0]).numpy(), clips[3])


def test_reading_smaller_clips_from_the_shards(tmp_path):
    write_tfrecord_shards(tf.data.Dataset.from_tensor_slices(_clips(3, (8, 16, 16, 3))), tmp_path)
    dataset = from_tfrecord(tmp_path, frames=4, height=8, width=8, channels=1, clips_per_video=2)
    assert dataset.element_spec.shape == (4, 8, 8, 1)
    assert len(list(dataset)) == 6
    with pytest.raises(ValueError, match="without labels"):
        from_tfrecord(tmp_path, labels=True)
    with pytest.raises(ValueError, match="fewer than"):
        from_tfrecord(tmp_path, frames=9)


def test_glob_and_single_shard(tmp_path):
    write_tfrecord_shards(tf.data.Dataset.from_tensor_slices(_clips(5)), tmp_path, clips_per_shard=2)
    assert len(list(from_tfrecord(str(tmp_path / "clips-*.tfrecord")))) == 5
    assert len(list(from_tfrecord(tmp_path / "clips-00002.tfrecord"))) == 1
    with pytest.raises(FileNotFoundError, match="matches no"):
        from_tfrecord(str(tmp_path / "nothing-*.tfrecord"))


def test_failed_write_leaves_nothing_behind(tmp_path):
    def clips_then_failure():
        for clip in _clips(5):
            yield clip
        raise RuntimeError("decoder exploded")

    source = tf.data.Dataset.from_generator(
        clips_then_failure, output_signature=tf.TensorSpec((4, 8, 8, 3), tf.uint8))
    with pytest.raises(Exception, match="decoder exploded"):
        write_tfrecord_shards(source, tmp_path, clips_per_shard=2)
    assert os.listdir(tmp_path) == []


def test_existing_dataset_is_kept_unless_overwrite(tmp_path):
    write_tfrecord_shards(tf.data.Dataset.from_tensor_slices(_clips(5)), tmp_path, clips_per_shard=2)
    with pytest.raises(ValueError, match="overwrite"):
        write_tfrecord_shards(tf.data.Dataset.from_tensor_slices(_clips(2)), tmp_path)
    write_tfrecord_shards(tf.data.Dataset.from_tensor_slices(_clips(2, seed=1)), tmp_path, clips_per_shard=2,
                          overwrite=True)
    assert sorted(os.listdir(tmp_path)) == ["clips-00000.tfrecord", "manifest.json"]
    assert len(list(from_tfrecord(tmp_path))) == 2


def test_truncated_shard_is_skipped_with_a_warning(tmp_path):
    write_tfrecord_shards(tf.data.Dataset.from_tensor_slices(_clips(6)), tmp_path, clips_per_shard=3)
    shard = tmp_path / "clips-00001.tfrecord"
    shard.write_bytes(shard.read_bytes()[:100])
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        dataset = from_tfrecord(tmp_path)
    messages = [str(r.message) for r in records if issubclass(r.category, SkippedItemWarning)]
    assert len(messages) == 1 and "clips-00001" in messages[0] and "truncated" in messages[0]
    assert len(list(dataset)) == 3


def test_mixed_shapes_and_empty_sources_are_refused(tmp_path):
    with pytest.raises(ValueError, match="no clips"):
        write_tfrecord_shards(tf.data.Dataset.from_tensor_slices(_clips(0)), tmp_path / "a")
    mixed = tf.data.Dataset.from_generator(
        lambda: iter([_clips(1)[0], _clips(1, (4, 8, 6, 3))[0]]),
        output_signature=tf.TensorSpec(None, tf.uint8))
    with pytest.raises(ValueError, match="shape"):
        write_tfrecord_shards(mixed, tmp_path / "b")
    assert not os.path.exists(tmp_path / "b" / "manifest.json")


def test_prepare_command_writes_shards_that_train_can_read(tmp_path, capsys):
    for name in ("a", "b"):
        write_video(tmp_path / "videos" / "cls" / f"{name}.mp4", num_frames=20)
    out = tmp_path / "shards"
    status = cli_main(["prepare", str(tmp_path / "videos"), str(out), "--frames", "8", "--size", "16",
                       "--clips-per-video", "2", "--shard-size", "3", "--labels"])
    assert status == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["num_clips"] == 4 and manifest["shape"] == [8, 16, 16, 3]
    assert manifest["class_names"] == ["cls"] and len(manifest["shards"]) == 2
    assert "4 clips" in capsys.readouterr().out
    # The same command again refuses to overwrite; a missing source is a one-line error.
    assert cli_main(["prepare", str(tmp_path / "videos"), str(out), "--frames", "8", "--size", "16"]) == 2
    assert cli_main(["prepare", str(tmp_path / "missing"), str(tmp_path / "x")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_non_local_file_systems_through_gfile():
    """TF's in-memory file system stands in for gs://: every path goes through tf.io.gfile."""
    import uuid

    from keras_vgan.datasets import load_source

    root = f"ram://keras_vgan_test_{uuid.uuid4().hex}/shards"
    clips = _clips(5)
    write_tfrecord_shards(tf.data.Dataset.from_tensor_slices(clips), root, clips_per_shard=2)
    assert sorted(tf.io.gfile.listdir(root)) == [
        "clips-00000.tfrecord", "clips-00001.tfrecord", "clips-00002.tfrecord", "manifest.json"]
    read = [to_uint8(c).numpy() for c in from_tfrecord(root, shuffle=False)]
    np.testing.assert_array_equal(np.stack(read), clips)
    assert len(list(load_source(root, frames=4, height=8, width=8, channels=3))) == 5
