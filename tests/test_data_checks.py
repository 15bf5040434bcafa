"""Sanity checks before training: each problem stops or warns in one line that names it."""

import os
import subprocess
import sys

import numpy as np
import pytest

from keras_vgan.cli import main
from keras_vgan.datasets import DataWarning, check_first_batch, from_array, take_clips

TINY = ["--frames", "4", "--size", "16", "--channels", "1", "--generator-filters", "4",
        "--discriminator-filters", "4", "--latent-dim", "8", "--batch-size", "4", "--steps-per-epoch", "1",
        "--epochs", "1", "--quiet"]


def _moving(count=4, frames=8, size=8):
    """Float clips in [-1, 1] whose frames all differ."""
    values = np.linspace(-0.9, 0.9, frames)[None, :, None, None, None]
    return np.broadcast_to(values, (count, frames, size, size, 1)).astype(np.float32).copy()


def test_a_batch_of_still_clips_stops_in_one_line():
    still = np.repeat(np.random.default_rng(0).uniform(-1, 1, (4, 1, 8, 8, 1)), 6, axis=1)
    with pytest.raises(ValueError) as error:
        check_first_batch(still, batch_size=4)
    message = str(error.value)
    assert "\n" not in message
    assert "every clip of the first batch (4 clips) has 6 identical frames: still images read as video?" in message
    # One moving clip among stills is video enough.
    mixed = still.copy()
    mixed[0] = _moving(1, 6)[0]
    assert check_first_batch(mixed, batch_size=4) == []


def test_values_outside_the_declared_range_stop_in_one_line():
    clips = _moving()
    clips[1, 2, 0, 0, 0] = 1.5
    with pytest.raises(ValueError, match=r"^the first batch's values span \[-0.9, 1.5\], outside the declared "
                                         r"range \[-1, 1\][^\n]*$"):
        check_first_batch(clips)
    clips[1, 2, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="outside the declared range"):
        check_first_batch(clips)


def test_fewer_videos_than_the_batch_size_warns_in_one_line():
    with pytest.warns(DataWarning, match=r"^the source has 3 distinct videos, fewer than the batch size 4: "
                                         r"every batch repeats videos[^\n]*$"):
        check_first_batch(_moving(4), batch_size=4, num_videos=3)
    # Source size unknown: repeated clips within the batch give it away.
    repeated = _moving(4)
    with pytest.warns(DataWarning, match="holds only 1 distinct clips"):
        check_first_batch(repeated, batch_size=4)


def test_float_arrays_in_zero_one_read_as_minus_one_one_warn():
    unit = np.random.default_rng(0).uniform(0, 1, (3, 10, 8, 8)).astype(np.float32)
    with pytest.warns(DataWarning, match=r"span \[0\.\d+, 0\.\d+\], only the upper half.*value_range=\(0, 1\)"):
        from_array(unit)


def test_take_clips_takes_whole_batches_from_one_iterator():
    import tensorflow as tf

    batches = tf.data.Dataset.from_tensor_slices(_moving(10)).batch(4)
    assert take_clips(batches, 5).shape == (8, 8, 8, 8, 1)
    assert take_clips(batches, 1).shape == (4, 8, 8, 8, 1)
    assert take_clips(tf.data.Dataset.from_tensor_slices(_moving(3)), 2).shape == (2, 8, 8, 8, 1)


def test_training_on_still_images_stops_before_the_first_step(tmp_path, capsys):
    stills = np.repeat(np.random.default_rng(0).integers(0, 256, (12, 1, 16, 16), np.uint8), 10, axis=1)
    np.save(tmp_path / "photos.npy", stills)
    assert main(["train", "--data", str(tmp_path / "photos.npy"), *TINY, "--output", str(tmp_path),
                 "--name", "run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "identical frames: still images read as video?" in err[0]
    assert not (tmp_path / "run" / "model.keras").exists()
    assert not (tmp_path / "run" / "samples").exists()


def test_training_on_a_far_too_long_time_axis_stops_in_one_line(tmp_path, capsys):
    np.save(tmp_path / "long.npy", np.zeros((60, 1500, 16, 16), np.uint8))
    assert main(["train", "--data", str(tmp_path / "long.npy"), *TINY, "--output", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "60 videos of 1,500 frames each" in err[0] and "--layout TNHW" in err[0]


def test_training_on_too_few_videos_warns(tmp_path):
    videos = np.random.default_rng(0).integers(0, 256, (3, 6, 16, 16), np.uint8)
    np.save(tmp_path / "three.npy", videos)
    with pytest.warns(DataWarning, match="the source has 3 distinct videos, fewer than the batch size 4"):
        assert main(["train", "--data", str(tmp_path / "three.npy"), *TINY, "--output", str(tmp_path),
                     "--name", "run"]) == 0


def test_warnings_on_the_command_line_are_one_line(tmp_path):
    np.save(tmp_path / "either.npy", np.zeros((30, 40, 8, 8), np.uint8))
    result = subprocess.run(
        [sys.executable, "-m", "keras_vgan.cli", "prepare", str(tmp_path / "either.npy"), str(tmp_path / "out"),
         "--frames", "4", "--size", "8", "--channels", "1"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if "LayoutWarning" in line or "warnings.warn" in line]
    assert len(lines) == 1
    assert lines[0].startswith("keras-vgan: LayoutWarning: read the array of shape (30, 40, 8, 8) videos-first")
    assert "30 videos of 40 frames each" in lines[0]
