"""Bad items are skipped with one warning each and counted every pass; bad sources fail up front."""

import logging
import os
import warnings

import numpy as np
import pytest

from keras_vgan.datasets import (
    SkippedItemWarning,
    from_array,
    from_frame_folders,
    from_npy,
    from_video_files,
    load_source,
)
from keras_vgan.datasets.skipping import SkipTracker
from video_factory import write_frame_folder, write_video


def _truncate(path, fraction):
    data = open(path, "rb").read()
    with open(path, "wb") as handle:
        handle.write(data[: int(len(data) * fraction)])
    return path


@pytest.fixture
def messy_folder(tmp_path):
    """Two good videos and one of each kind of bad file."""
    good = [write_video(tmp_path / "ok" / "a.mp4"), write_video(tmp_path / "ok" / "b.avi")]
    bad = {
        "empty": str(tmp_path / "bad" / "empty.mp4"),
        "truncated": _truncate(write_video(tmp_path / "bad" / "truncated.mp4"), 0.5),
        "truncated_late": _truncate(write_video(tmp_path / "bad" / "cut.webm", num_frames=36), 0.6),
        "not_video": str(tmp_path / "bad" / "notes.avi"),
        "short": write_video(tmp_path / "bad" / "short.mkv", num_frames=3),
    }
    open(bad["empty"], "wb").close()
    with open(bad["not_video"], "w") as handle:
        handle.write("this is not a video\n" * 20)
    return tmp_path, good, bad


def _skip_warnings(records):
    return [str(r.message) for r in records if issubclass(r.category, SkippedItemWarning)]


def test_each_bad_file_skipped_with_one_warning_and_counted_each_pass(messy_folder, caplog):
    root, good, bad = messy_folder
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")  # so any repeat would show; the dataset must not repeat itself
        with caplog.at_level(logging.WARNING, logger="keras_vgan.datasets"):
            # Evenly spread clips reach the end of every video, where truncation shows.
            dataset = from_video_files(root, frames=8, height=8, width=8, clip_sampling="even",
                                       clips_per_video=2)
            clips = [clip for clip in dataset.repeat(3)]
    # Training goes on: every pass yields the good videos' clips.
    assert len(clips) == 3 * 2 * len(good)
    messages = _skip_warnings(records)
    for name, path in bad.items():
        naming = [m for m in messages if path in m]
        assert len(naming) == 1, (name, messages)
    assert len(messages) == len(bad)
    assert "empty" in next(m for m in messages if bad["empty"] in m)
    assert "3 frames" in next(m for m in messages if bad["short"] in m)
    # The count is said once: passes that skip the same number again stay quiet.
    passes = [r.getMessage() for r in caplog.records if "this pass" in r.getMessage()]
    total = len(good) + len(bad)
    assert passes == [f"pass 1: skipped {len(bad)} of {total} items this pass"]
    assert dataset.skip_tracker.history == [(n, len(bad)) for n in (1, 2, 3)]


def test_skip_count_is_logged_again_only_when_it_changes(caplog):
    tracker = SkipTracker(3, name="files")
    skipped_each_pass = [{"a"}, {"a"}, {"a", "b"}, {"a", "b"}, set(), set(), set()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedItemWarning)
        with caplog.at_level(logging.INFO, logger="keras_vgan.datasets"):
            for keys in skipped_each_pass:
                for key in keys:
                    tracker.skip(key, "unreadable", permanent=False)
                tracker.end_pass()
    logged = [(r.levelname, r.getMessage()) for r in caplog.records if "this pass" in r.getMessage()]
    assert logged == [("WARNING", "pass 1: skipped 1 of 3 files this pass"),
                      ("WARNING", "pass 3: skipped 2 of 3 files this pass"),
                      ("INFO", "pass 5: skipped 0 of 3 files this pass")]
    assert [count for _, count in tracker.history] == [1, 1, 2, 2, 0, 0, 0]


def test_file_truncated_after_its_first_frames_is_skipped_during_the_pass(tmp_path):
    good = write_video(tmp_path / "good.webm", num_frames=36)
    cut = _truncate(write_video(tmp_path / "cut.webm", num_frames=36), 0.6)
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        dataset = from_video_files(tmp_path, frames=28, height=8, width=8, clip_sampling="even")
        assert cut in dataset.files  # it opens and its header says 40 frames: the probe passes it
        clips = list(dataset)
    assert len(clips) == 1
    messages = _skip_warnings(records)
    assert len(messages) == 1 and cut in messages[0] and "truncated" in messages[0]
    assert good in dataset.files


def test_unreadable_subfolder_is_skipped_with_a_warning(tmp_path, monkeypatch):
    write_video(tmp_path / "fine" / "a.mp4")
    write_video(tmp_path / "locked" / "b.mp4")
    locked = str(tmp_path / "locked")
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    # Root ignores permission bits, so simulate the unreadable folder.
    monkeypatch.setattr(os, "scandir", scandir)
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        dataset = from_video_files(tmp_path, frames=4, height=8, width=8)
        assert len(list(dataset)) == 1
    messages = _skip_warnings(records)
    assert len(messages) == 1 and locked in messages[0] and "Permission" in messages[0]


def test_frame_folder_with_a_corrupt_frame_is_skipped(tmp_path):
    write_frame_folder(tmp_path / "cls" / "good", num_frames=8)
    broken = write_frame_folder(tmp_path / "cls" / "broken", num_frames=8)
    with open(os.path.join(broken, "frame_3.png"), "wb") as handle:
        handle.write(b"not a png")
    write_frame_folder(tmp_path / "cls" / "short", num_frames=2)
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        dataset = from_frame_folders(tmp_path, frames=6, height=8, width=8, clip_sampling="even")
        assert len(list(dataset.repeat(2))) == 2
    messages = _skip_warnings(records)
    assert len(messages) == 2
    assert any("frame_3.png" in m for m in messages)
    assert any(str(tmp_path / "cls" / "short") in m and "2 frames" in m for m in messages)


def test_nothing_readable_fails_before_training(tmp_path):
    open(tmp_path / "empty.mp4", "wb").close()
    with open(tmp_path / "text.avi", "w") as handle:
        handle.write("nope")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedItemWarning)
        with pytest.raises(ValueError, match=r"none of the 2 items .* gives a clip"):
            from_video_files(tmp_path, frames=4)


def test_every_clip_too_long_for_the_videos_fails_up_front(tmp_path):
    write_video(tmp_path / "a.mp4", num_frames=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedItemWarning)
        with pytest.raises(ValueError, match="10 frames"):
            from_video_files(tmp_path, frames=16)


def test_missing_paths_and_empty_globs(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        from_video_files(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="matches no files"):
        from_video_files(str(tmp_path / "*.mp4"))
    with pytest.raises(ValueError, match="no video files"):
        from_video_files(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        from_frame_folders(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        from_npy(tmp_path / "nowhere.npy")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_source(str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="matches no files"):
        load_source(str(tmp_path / "*.avi"))


def test_arrays_of_the_wrong_rank_or_type(tmp_path):
    with pytest.raises(ValueError, match=r"shape \(N, T, H, W\).*got shape \(4, 8, 8\)"):
        from_array(np.zeros((4, 8, 8), np.uint8))
    with pytest.raises(ValueError, match="channels"):
        from_array(np.zeros((2, 4, 8, 8, 2), np.uint8))
    with pytest.raises(ValueError, match="value_range"):
        from_array(np.full((2, 4, 8, 8), 200.0, np.float32))
    with pytest.raises(ValueError, match="fewer than one clip"):
        from_array(np.zeros((2, 4, 8, 8), np.uint8), frames=8)
    pickled = tmp_path / "objects.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="without unpickling"):
        from_npy(pickled)


def test_unknown_source_spec_is_named():
    with pytest.raises(ValueError, match="unknown data source 'kinetics9000'"):
        load_source("kinetics9000")
