"""`describe_source`: what each kind of source holds and what the pipeline makes of it, without decoding."""

import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.datasets import DataSummary, describe_source, load_source, write_tfrecord_shards
from video_factory import write_frame_folder, write_video


def test_builtin_summary_is_exact():
    clips = load_source("bouncing_shapes", frames=4, height=16, width=16, channels=3, num_videos=5)
    summary = describe_source(clips)
    assert (summary.source, summary.kind, summary.num_items, summary.frame_counts) == (
        "bouncing_shapes", "built-in, procedural", 5, (4,))
    assert summary.clip_shape == (4, 16, 16, 3) and summary.conversions() == []
    assert summary.clips_per_pass == 5
    text = str(summary)
    for line in ("data: bouncing_shapes (built-in, procedural)", "videos: 5", "frames per video: 4",
                 "frame size: 16×16, 3 channels (RGB)", "values: uint8 in [0, 255] → float32 in [-1, 1]",
                 "clips: 4×16×16×3; conversion: none", "clips per pass: 5; skipped so far: 0"):
        assert line in text, text


def test_array_summary_names_dtype_range_and_conversion(tmp_path):
    path = tmp_path / "unit.npy"
    np.save(path, np.random.default_rng(0).uniform(-1, 1, (6, 10, 24, 32, 1)).astype(np.float32))
    clips = load_source(str(path), frames=8, height=16, width=16, channels=3, frame_step=1, clips_per_video=2)
    summary = describe_source(clips)
    assert summary.kind == "array in a .npy file, shape (6, 10, 24, 32, 1), float32"
    assert summary.clips_per_pass == 12
    text = str(summary)
    assert "values: float32 in [-1, 1]" in text
    assert "conversion: clips of 8 frames (random start), grayscale → RGB, resize (aspect kept) to cover " \
           "16×16, centre crop" in text
    assert "clips per pass: 12 (2 per video)" in text


def test_video_files_summary_from_the_probe(tmp_path):
    write_video(tmp_path / "videos" / "a.avi", num_frames=12, width=48, height=32)
    write_video(tmp_path / "videos" / "b.avi", num_frames=20, width=48, height=32)
    write_video(tmp_path / "videos" / "c.avi", num_frames=30, width=64, height=48)
    (tmp_path / "videos" / "broken.mp4").write_bytes(b"")
    with pytest.warns(Warning, match="broken.mp4"):
        clips = load_source(str(tmp_path / "videos"), frames=4, height=16, width=16, channels=1)
    summary = describe_source(clips)
    assert summary.kind == "video files" and summary.num_items == 3 and summary.total_items == 4
    assert summary.frame_stats() == (12, 20, 30) and summary.skipped == 1
    text = str(summary)
    assert "video files: 3 (of 4 found)" in text
    assert "frames per video file: min 12, median 20, max 30" in text
    assert "frame size: 2 sizes from 32×48 to 48×64, mostly 32×48, 3 channels (RGB)" in text
    assert "RGB → grayscale" in text and "centre crop" in text
    assert "clips per pass: 3; skipped so far: 1" in text


def test_frame_folders_and_tfrecord_summaries(tmp_path):
    write_frame_folder(tmp_path / "frames" / "v1", num_frames=6, width=16, height=16)
    write_frame_folder(tmp_path / "frames" / "v2", num_frames=8, width=16, height=16)
    folders = describe_source(load_source(str(tmp_path / "frames"), frames=4, height=16, width=16, channels=3))
    assert (folders.kind, folders.num_items, folders.frame_stats()) == ("frame folders", 2, (6, 7, 8))
    assert "frame size: 16×16, 3 channels (RGB)" in str(folders)

    write_tfrecord_shards(tf.data.Dataset.from_tensor_slices(np.zeros((5, 4, 8, 8, 3), np.uint8)),
                          tmp_path / "shards", clips_per_shard=2)
    shards = describe_source(load_source(str(tmp_path / "shards"), frames=4, height=8, width=8, channels=3))
    assert (shards.kind, shards.num_items, shards.item_name) == ("TFRecord shards", 5, "stored clip")
    assert "stored clips: 5" in str(shards) and "conversion: none" in str(shards)


def test_any_dataset_gets_at_least_its_clip_shape():
    clips = tf.data.Dataset.from_tensor_slices(np.zeros((3, 4, 8, 8, 1), np.float32))
    summary = describe_source(clips, "my clips")
    assert summary.clip_shape == (4, 8, 8, 1) and summary.num_items is None
    assert str(summary).splitlines() == ["data: my clips (tf.data.Dataset)",
                                         "  clips: 4×8×8×1; conversion: none"]
    assert isinstance(summary, DataSummary)
