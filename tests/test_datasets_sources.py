"""`load_source` resolution, TFDS (faked: no download), `make_training_dataset` and the shared helpers."""

import builtins
import sys
import types

import numpy as np
import pytest
import tensorflow as tf

from keras_vgan import training
from keras_vgan.datasets import (
    bouncing_shapes,
    from_tfds,
    load_source,
    make_training_dataset,
    moving_digits,
    write_tfrecord_shards,
)
from keras_vgan.datasets.opencv_clips import clip_frame_indices, cover_size, resize_frame_to_cover
from keras_vgan.datasets.tensor_clips import process_video_tensor, resize_and_crop
from keras_vgan.presets import TrainingConfig
from video_factory import write_frame_folder, write_video

GEOMETRY = dict(frames=4, height=8, width=8, channels=3)


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    root = tmp_path_factory.mktemp("sources")
    write_video(root / "videos" / "cls" / "a.mp4")
    write_video(root / "videos" / "cls" / "b.avi")
    write_frame_folder(root / "frames" / "cls" / "v1", num_frames=6)
    np.save(root / "clips.npy", np.zeros((3, 6, 8, 8, 3), np.uint8))
    write_tfrecord_shards(tf.data.Dataset.from_tensor_slices(np.zeros((5, 4, 8, 8, 3), np.uint8)),
                          root / "shards", clips_per_shard=2)
    return root


@pytest.mark.parametrize("spec, count", [
    ("videos", 2), ("frames", 1), ("clips.npy", 3), ("shards", 5), ("videos/cls/*.avi", 1),
    ("videos/cls/a.mp4", 1), ("shards/clips-00000.tfrecord", 2), ("shards/*.tfrecord", 5),
])
def test_each_kind_of_spec(sources, spec, count):
    dataset = load_source(str(sources / spec), **GEOMETRY)
    assert dataset.element_spec.shape == (4, 8, 8, 3)
    assert dataset.element_spec.dtype == tf.float32
    assert len(list(dataset)) == count


def test_builtin_sources_and_options():
    dataset = load_source("moving_digits", frames=4, height=16, width=16, channels=1, num_videos=3, seed=1)
    assert dataset.element_spec.shape == (4, 16, 16, 1)
    assert len(list(dataset)) == 3
    with pytest.raises(ValueError, match="clips_per_video"):
        load_source("bouncing_shapes", num_videos=2, clips_per_video=2)
    with pytest.raises(ValueError, match="no labels"):
        load_source("moving_mnist", labels=True)
    # The procedural ones label each clip with its one digit or shape.
    pairs = load_source("moving_digits", frames=4, height=16, width=16, channels=1, num_videos=3, labels=True)
    assert pairs.element_spec[1].dtype == tf.int32 and len(pairs.class_names) == 10


def test_builtin_num_objects_becomes_the_sources_own_option():
    via_spec = load_source("bouncing_shapes", frames=4, height=16, width=16, channels=3, num_videos=2,
                           num_objects=[2, 3], seed=4)
    direct = bouncing_shapes(2, 4, 16, 16, 3, num_shapes=(2, 3), seed=4)
    np.testing.assert_array_equal(np.stack(list(via_spec)), np.stack(list(direct)))
    with pytest.raises(ValueError, match="num_objects or num_digits"):
        load_source("moving_digits", num_objects=1, num_digits=2)


def test_training_reads_builtin_datasets_through_load_source(monkeypatch):
    config = TrainingConfig(dataset="moving_digits", num_videos=3, num_objects=(1, 2), frames=4, height=16,
                            width=16, channels=1, seed=7)
    specs = []
    real_load_source = training.load_source
    monkeypatch.setattr(training, "load_source", lambda spec, **options: specs.append(spec)
                        or real_load_source(spec, **options))
    clips = np.stack(list(training.source_clips(config)))
    assert specs == ["moving_digits"]
    np.testing.assert_array_equal(clips, np.stack(list(moving_digits(3, 4, 16, 16, 1, (1, 2), seed=7))))
    with pytest.raises(ValueError, match="not built in"):
        training.source_clips(config.replace(dataset="moving_mnist"))


def test_labels_through_load_source(sources):
    dataset = load_source(str(sources / "videos"), labels=True, **GEOMETRY)
    assert dataset.class_names == ["cls"]
    assert dataset.element_spec[1].dtype == tf.int32


def test_bad_specs_are_named(sources):
    with pytest.raises(ValueError, match="unknown data source 'ucf-101'"):
        load_source("ucf-101")
    with pytest.raises(ValueError, match="tfds:NAME"):
        load_source("tfds:")
    with pytest.raises(ValueError, match="not a video"):
        bad = sources / "notes.txt"
        bad.write_text("x")
        load_source(str(bad))
    empty = sources / "empty_dir"
    empty.mkdir()
    with pytest.raises(ValueError, match="holds no videos"):
        load_source(str(empty))
    with pytest.raises(ValueError, match="option.*fps.*do not apply"):
        load_source(str(sources / "clips.npy"), fps=10)


def test_tfds_missing_package_names_the_install_command(monkeypatch):
    real_import = builtins.__import__

    def no_tfds(name, *args, **kwargs):
        if name == "tensorflow_datasets":
            raise ImportError("No module named 'tensorflow_datasets'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "tensorflow_datasets", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_tfds)
    with pytest.raises(ImportError, match="pip install tensorflow-datasets"):
        from_tfds("ucf101")
    with pytest.raises(ImportError, match="pip install tensorflow-datasets"):
        load_source("tfds:ucf101:test")


def test_tfds_source_with_a_stand_in_module(monkeypatch):
    videos = np.arange(3 * 10 * 12 * 12 * 3, dtype=np.int64).reshape(3, 10, 12, 12, 3) % 256
    calls = {}

    def load(name, split, data_dir, download, shuffle_files, with_info):
        calls.update(name=name, split=split, download=download)
        examples = tf.data.Dataset.from_tensor_slices(
            {"video": videos.astype(np.uint8), "label": np.array([1, 0, 1], np.int64)})
        info = types.SimpleNamespace(features={"label": types.SimpleNamespace(names=["x", "y"])})
        return examples, info

    monkeypatch.setitem(sys.modules, "tensorflow_datasets", types.SimpleNamespace(load=load))
    dataset = load_source("tfds:fake_videos:validation", frames=4, height=8, width=8, channels=3,
                          labels=True)
    assert calls == {"name": "fake_videos", "split": "validation", "download": False}
    assert dataset.class_names == ["x", "y"]
    elements = list(dataset)
    assert [int(label) for _, label in elements] == [1, 0, 1]
    assert elements[0][0].shape == (4, 8, 8, 3)


def test_make_training_dataset_batches_repeats_and_augments():
    clips = tf.data.Dataset.from_tensor_slices(tf.random.uniform((6, 4, 8, 8, 3), -1, 1))
    batches = make_training_dataset(clips, batch_size=4, shuffle_buffer=6, augment=True, seed=1)
    first = list(batches.take(3))
    assert all(b.shape == (4, 4, 8, 8, 3) for b in first)  # repeats past the 6 clips
    again = list(make_training_dataset(clips, batch_size=4, shuffle_buffer=6, augment=True, seed=1).take(3))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    once = list(make_training_dataset(clips, batch_size=4, repeat=False, drop_remainder=False))
    assert [b.shape[0] for b in once] == [4, 2]


def test_make_training_dataset_keeps_labels_and_validates():
    pairs = tf.data.Dataset.from_tensor_slices((tf.zeros((4, 2, 4, 4, 1)), tf.range(4)))
    clips, labels = next(iter(make_training_dataset(pairs, batch_size=2, augment={"flip": True})))
    assert clips.shape == (2, 2, 4, 4, 1) and labels.shape == (2,)
    with pytest.raises(ValueError, match="batch_size"):
        make_training_dataset(pairs, batch_size=0)
    with pytest.raises(ValueError, match="augment"):
        make_training_dataset(pairs, batch_size=2, augment="lots")


def test_clip_indices_and_geometry_helpers():
    assert clip_frame_indices(20, 4, 2, 2, "even").tolist() == [[0, 2, 4, 6], [13, 15, 17, 19]]
    assert clip_frame_indices(5, 4, 2) is None
    assert cover_size(360, 640, 64, 64) == (64, 114)
    assert cover_size(100, 50, 32, 64) == (128, 64)
    assert resize_frame_to_cover(np.zeros((360, 641, 3), np.uint8), 64, 64).shape == (64, 114, 3)
    assert resize_frame_to_cover(np.zeros((10, 10, 1), np.uint8), 20, 20).shape == (20, 20, 1)
    # TF resize-and-crop keeps the aspect: the centre of a horizontal ramp stays the centre.
    ramp = tf.tile(tf.linspace(0.0, 255.0, 64)[None, None, :, None], [2, 32, 1, 3])
    cropped = resize_and_crop(ramp, 16, 16).numpy()
    assert cropped.shape == (2, 16, 16, 3)
    assert 60 < cropped[0, 8, :, 0].mean() < 195 and cropped[0, 8, -1, 0] - cropped[0, 8, 0, 0] < 140
    clips = process_video_tensor(tf.zeros((10, 32, 48, 3), tf.uint8), frames=4, height=16, width=16,
                                 channels=1, clips_per_video=3, crop="random", seed=3)
    assert clips.shape == (3, 4, 16, 16, 1) and float(tf.reduce_max(clips)) == -1.0
