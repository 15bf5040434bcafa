"""`shard=(index, count)`: each worker of a multi-worker job reads its own part of a source.

The parts of every source must be disjoint and together the whole, so the
clips here are told apart by their (constant) grey level or by their file.
"""

import os
import sys
import types
import warnings

import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.datasets import (
    ShardingWarning,
    describe_source,
    from_array,
    from_frame_folders,
    from_tfrecord,
    from_video_files,
    load_source,
    write_tfrecord_shards,
)
from keras_vgan.datasets.sharding import Shard, check_shard
from keras_vgan.pixels import to_uint8
from video_factory import write_frame_folder, write_video

NUM_CLIPS = 12
CLASSES = ["a", "b", "c"]


def _level(clip):
    return int(round(float(np.mean(to_uint8(clip).numpy()))))


def _clip_level(index):
    return 10 + 20 * index  # distinct and exact through uint8 storage


def _shards(directory, clips_per_shard):
    """NUM_CLIPS one-level clips, clip i labelled i % 3, in shards of `clips_per_shard`."""
    clips = np.stack([np.full((2, 4, 4, 1), _clip_level(i), np.uint8) for i in range(NUM_CLIPS)])
    labels = np.arange(NUM_CLIPS) % len(CLASSES)
    write_tfrecord_shards(tf.data.Dataset.from_tensor_slices((clips, labels)), directory,
                          clips_per_shard=clips_per_shard, class_names=CLASSES)
    return directory


def _read(dataset):
    """{level: label} of every clip a labelled dataset gives, refusing a level seen twice."""
    seen = {}
    for clip, label in dataset:
        level = _level(clip)
        assert level not in seen, f"clip of level {level} read twice"
        seen[level] = int(label)
    return seen


def _assert_disjoint_and_whole(parts):
    levels = [set(part) for part in parts]
    for i, part in enumerate(levels):
        for other in levels[i + 1:]:
            assert not part & other, f"workers overlap on {sorted(part & other)}"
    assert set().union(*levels) == {_clip_level(i) for i in range(NUM_CLIPS)}
    for part in parts:  # labels are those written, on every worker
        assert all(label == ((level - 10) // 20) % len(CLASSES) for level, label in part.items())


def test_each_worker_reads_a_disjoint_part_of_a_sharded_tfrecord_dataset(tmp_path):
    path = _shards(tmp_path / "shards", clips_per_shard=3)  # 4 shards of 3
    with warnings.catch_warnings():
        warnings.simplefilter("error", ShardingWarning)
        datasets = [load_source(str(path), frames=None, height=None, width=None, channels=None, labels=True,
                                seed=0, shard=(index, 2)) for index in range(2)]
    parts = [_read(dataset) for dataset in datasets]
    _assert_disjoint_and_whole(parts)
    # Split by file, before the shuffle: worker 0 has shards 0 and 2, worker 1 shards 1 and 3.
    assert [os.path.basename(f) for f in datasets[1].files] == ["clips-00001.tfrecord", "clips-00003.tfrecord"]
    assert sorted(parts[0]) == [_clip_level(i) for i in (0, 1, 2, 6, 7, 8)]
    assert datasets[0].class_names == CLASSES == datasets[1].class_names
    summary = describe_source(datasets[1])
    assert summary.num_items == 6 and summary.clips_per_pass == 6
    assert "  part: worker 2 of 2 (index 1): 2 of 4 shards" in summary.lines()


def test_a_tf_distribute_input_context_names_the_worker(tmp_path):
    path = _shards(tmp_path / "shards", clips_per_shard=3)
    context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=1)
    assert check_shard(context) == Shard(1, 2)
    by_context = _read(from_tfrecord(path, labels=True, shuffle=False, shard=context))
    assert by_context == _read(from_tfrecord(path, labels=True, shuffle=False, shard=(1, 2)))


def test_fewer_shards_than_workers_warns_and_splits_by_record(tmp_path):
    path = _shards(tmp_path / "shards", clips_per_shard=4)  # 3 shards of 4
    parts = []
    for index in range(4):
        with pytest.warns(ShardingWarning, match="3 TFRecord shards .* for 4 workers"):
            dataset = from_tfrecord(path, labels=True, seed=1, shard=(index, 4))
        parts.append(_read(dataset))
        # By position in the whole dataset: 12 clips, 3 per worker.
        assert len(parts[-1]) == 3 == dataset.data_summary.num_items
    _assert_disjoint_and_whole(parts)
    assert dataset.data_summary.part == "worker 4 of 4 (index 3): one in 4 records of all 3 TFRecord shards, 3 of 12 clips"

    # Without the manifest (a glob of the shards) the split still holds, by the file's position.
    os.remove(path / "manifest.json")
    with pytest.warns(ShardingWarning):
        parts = [_read(from_tfrecord(str(path / "*.tfrecord"), labels=True, shuffle=False, shard=(i, 4)))
                 for i in range(4)]
    _assert_disjoint_and_whole(parts)


def test_fewer_stored_clips_than_workers_is_an_error(tmp_path):
    clips = np.zeros((3, 2, 4, 4, 1), np.uint8)
    write_tfrecord_shards(tf.data.Dataset.from_tensor_slices(clips), tmp_path / "few", clips_per_shard=3)
    with pytest.raises(ValueError, match="3 stored clips .* cannot be split across 4 workers"):
        from_tfrecord(tmp_path / "few", shard=(0, 4))


def test_shard_none_and_a_single_worker_read_everything_as_before(tmp_path):
    path = _shards(tmp_path / "shards", clips_per_shard=5)
    levels = [[_level(clip) for clip, _ in from_tfrecord(path, labels=True, shuffle=False, shard=shard)]
              for shard in (None, (0, 1))]
    assert levels[0] == levels[1] == [_clip_level(i) for i in range(NUM_CLIPS)]
    summary = from_tfrecord(path, shard=None).data_summary
    assert summary.part is None and summary.num_items == NUM_CLIPS
    assert not any(line.startswith("  part:") for line in summary.lines())


@pytest.mark.parametrize("bad", [(2, 2), (-1, 2), (0, 0), (1,), (0, 2, 1), "0/2", (True, 2), (0.0, 2), 2])
def test_a_bad_shard_is_a_value_error_naming_it(bad):
    with pytest.raises(ValueError, match=r"shard=.* is not valid; expected \(index, count\)"):
        load_source("moving_digits", frames=4, height=16, width=16, channels=1, num_videos=4, shard=bad)


@pytest.fixture(scope="module")
def class_videos(tmp_path_factory):
    """Five tiny 8-frame videos in class folders: a/0 a/1 b/2 b/3 c/4."""
    root = tmp_path_factory.mktemp("videos")
    for index, name in enumerate(["a", "a", "b", "b", "c"]):
        write_video(root / name / f"{index}.avi", num_frames=8, width=16, height=16)
    return root


def test_video_files_split_by_item_with_global_labels(class_videos):
    datasets = [from_video_files(class_videos, frames=4, height=8, width=8, labels=True, seed=0, shard=(i, 2))
                for i in range(2)]
    names = [[os.path.relpath(f, class_videos) for f in dataset.files] for dataset in datasets]
    assert names == [["a/0.avi", "b/2.avi", "c/4.avi"], ["a/1.avi", "b/3.avi"]]
    # Worker 1 has no "c" video, yet its class indices are the job's.
    assert datasets[1].class_names == ["a", "b", "c"]
    assert sorted(int(label) for _, label in datasets[1]) == [0, 1]
    assert datasets[0].data_summary.part == "worker 1 of 2 (index 0): 3 of 5 usable video files"
    with pytest.raises(ValueError, match="5 usable video files .* cannot be split across 6 workers"):
        load_source(str(class_videos), frames=4, height=8, width=8, shard=(0, 6))


def test_frame_folders_split_by_item(tmp_path):
    for index in range(4):
        write_frame_folder(str(tmp_path / "frames" / f"video_{index}"), num_frames=6, width=16, height=16)
    parts = [load_source(str(tmp_path / "frames"), frames=4, height=8, width=8, shard=(i, 3)) for i in range(3)]
    folders = [[os.path.basename(f) for f in dataset.folders] for dataset in parts]
    assert folders == [["video_0", "video_3"], ["video_1"], ["video_2"]]
    assert [len(list(dataset)) for dataset in parts] == [2, 1, 1]


def test_npy_videos_split_by_item(tmp_path):
    videos = np.stack([np.full((4, 8, 8), _clip_level(i), np.uint8) for i in range(NUM_CLIPS)])
    np.save(tmp_path / "clips.npy", videos)
    parts = [{_level(clip) for clip in load_source(str(tmp_path / "clips.npy"), frames=4, height=None,
                                                      width=None, channels=None, seed=0, shard=(i, 5))}
             for i in range(5)]
    assert [len(part) for part in parts] == [3, 3, 2, 2, 2]
    assert set().union(*parts) == {_clip_level(i) for i in range(NUM_CLIPS)} and sum(map(len, parts)) == NUM_CLIPS
    with pytest.raises(ValueError, match="2 videos cannot be split across 3 workers"):
        from_array(videos[:2], shard=(0, 3))


@pytest.mark.parametrize("name", ["moving_digits", "bouncing_shapes"])
def test_procedural_sources_differ_per_worker_for_the_same_seed(name):
    def part(index):
        dataset = load_source(name, frames=4, height=16, width=16, channels=1, num_videos=5, seed=3,
                              shard=(index, 2))
        return np.stack([clip.numpy() for clip in dataset])

    first, second = part(0), part(1)
    assert len(first) + len(second) == 5  # the shares add up to num_videos
    assert not any(np.array_equal(a, b) for a in first for b in second)
    np.testing.assert_array_equal(part(1), second)  # the same seed, the same worker: the same videos
    whole = load_source(name, frames=4, height=16, width=16, channels=1, num_videos=5, seed=3)
    assert whole.data_summary.part is None and whole.data_summary.num_items == 5


def test_moving_mnist_renders_a_share_per_worker(tmp_path):
    digits = np.random.default_rng(0).integers(0, 256, (10, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=digits, y_train=np.zeros(10), x_test=digits, y_test=np.zeros(10))
    parts = [load_source("moving_mnist", frames=20, height=None, width=None, channels=None, num_videos=3,
                         mnist_path=str(tmp_path / "mnist.npz"), seed=0, shuffle=False, shard=(i, 2))
             for i in range(2)]
    clips = [[clip.numpy() for clip in dataset] for dataset in parts]
    assert [len(c) for c in clips] == [2, 1]
    assert not any(np.array_equal(a, b) for a in clips[0] for b in clips[1])


def test_tfds_reads_through_its_own_file_sharding(monkeypatch):
    calls = {}

    def load(name, split, data_dir, download, shuffle_files, with_info, read_config=None):
        calls["read_config"] = read_config
        examples = tf.data.Dataset.from_tensor_slices({"video": np.zeros((2, 6, 8, 8, 3), np.uint8)})
        return examples, types.SimpleNamespace(features={}, splits={})

    stand_in = types.SimpleNamespace(load=load, ReadConfig=lambda **options: types.SimpleNamespace(**options))
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", stand_in)
    dataset = load_source("tfds:fake_videos", frames=4, height=8, width=8, shard=(1, 3))
    context = calls["read_config"].input_context
    assert (context.input_pipeline_id, context.num_input_pipelines) == (1, 3)
    assert dataset.data_summary.part.startswith("worker 2 of 3 (index 1)")
    load_source("tfds:fake_videos", frames=4, height=8, width=8)
    assert calls["read_config"] is None  # no shard: tfds.load is called as before
