"""Axis order of rank-4/5 arrays: frames-first recognised from the shape, never a silent misread."""

import dataclasses
import warnings

import numpy as np
import pytest

from keras_vgan.cli import main
from keras_vgan.datasets import (
    LayoutWarning,
    choose_layout,
    describe_source,
    from_array,
    from_npy,
    load_source,
)
from keras_vgan.pixels import to_uint8


def _frames_first(frames, sequences, size=64):
    """uint8 (frames, sequences, size, size): pixel = 3 * (sequence % 80) + frame % 3, so a clip names both."""
    sequence = (np.arange(sequences) % 80)[None, :]
    frame = (np.arange(frames) % 3)[:, None]
    values = (3 * sequence + frame).astype(np.uint8)
    return np.ascontiguousarray(np.broadcast_to(values[:, :, None, None], (frames, sequences, size, size)))


@pytest.mark.parametrize("sequences", [100, 1000, 4000])
def test_a_renamed_moving_mnist_subset_is_read_frames_first(tmp_path, sequences):
    path = tmp_path / "digits_subset.npy"  # not mnist_test_seq*: only the shape can tell
    array = _frames_first(20, sequences)
    np.save(path, array)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # recognised, not guessed: no warning either
        clips = from_npy(path, frames=16, shuffle=False, clip_sampling="even")
    summary = describe_source(clips)
    assert summary.num_items == sequences and summary.frame_counts == (20,)
    assert "frames-first (TNHW)" in summary.layout_note
    assert f"{sequences:,} videos of 20 frames each" in str(summary)
    assert "layout='NTHW' (--layout NTHW)" in summary.layout_note  # how to say otherwise
    first = to_uint8(next(iter(clips))).numpy()[..., 0]
    np.testing.assert_array_equal(first, array[2:18, 0])  # sequence 0's frames, not frame 0's sequences


def test_videos_first_arrays_stay_videos_first(tmp_path):
    path = tmp_path / "clips.npy"
    videos = np.swapaxes(_frames_first(20, 300), 0, 1)  # (300, 20, 64, 64)
    np.save(path, videos)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clips = from_npy(path, frames=20, shuffle=False)
    summary = describe_source(clips)
    assert summary.layout == "NTHW" and summary.num_items == 300
    assert "300 videos of 20 frames each" in summary.layout_note
    np.testing.assert_array_equal(to_uint8(next(iter(clips))).numpy()[..., 0], videos[0])


def test_layout_overrides_the_shape_both_ways(tmp_path):
    frames_first = _frames_first(20, 100)
    as_given = from_array(frames_first, layout="NTHW")
    assert describe_source(as_given).num_items == 20 and "NTHW, as given" in as_given.data_summary.layout_note
    videos_first = np.swapaxes(_frames_first(20, 300), 0, 1)
    swapped = from_array(videos_first, layout="tnhw")  # case-insensitive
    assert swapped.data_summary.num_items == 20 and swapped.data_summary.frame_counts == (300,)
    # Rank 5: "TNHW" means the same with a channel axis.
    assert from_array(frames_first[..., None], layout="NTHW").data_summary.layout == "NTHWC"
    with pytest.raises(ValueError, match="layout='NHWT' is not valid"):
        from_array(frames_first, layout="NHWT")


def test_a_time_axis_far_too_long_is_refused_in_one_line(tmp_path):
    path = tmp_path / "long.npy"
    np.save(path, np.zeros((60, 2000, 32, 32), np.uint8))  # 60 frames: more than a few dozen
    with pytest.raises(ValueError) as error:
        from_npy(path, frames=16)
    message = str(error.value)
    assert "\n" not in message
    assert "60 videos of 2,000 frames each" in message and "over 1,000 frames per video" in message
    assert "layout='TNHW' (--layout TNHW)" in message and "2,000 videos of 60 frames each" in message
    # Said explicitly, it is read as asked, with a warning.
    with pytest.warns(LayoutWarning, match="60 videos of 2,000 frames each, far longer"):
        assert from_npy(path, frames=16, layout="NTHW").data_summary.num_items == 60


def test_a_shape_that_allows_both_readings_warns_how_it_was_read():
    array = np.zeros((30, 40, 32, 32), np.uint8)
    with pytest.warns(LayoutWarning) as record:
        clips = from_array(array, frames=16)
    message = str(record[0].message)
    assert "30 videos of 40 frames each" in message and "layout='TNHW' (--layout TNHW)" in message
    assert "40 videos of 30 frames each" in message
    assert clips.data_summary.layout == "NTHW"
    # A first axis too short for one clip cannot be time: no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from_array(np.zeros((4, 20, 64, 64), np.uint8), frames=16)


def test_too_short_videos_say_how_the_array_was_read():
    with pytest.raises(ValueError, match=r"fewer than one clip.*read frames-first \(TNHW\).*100 videos of 20"):
        from_array(_frames_first(20, 100), frames=32)


def test_choose_layout_rules():
    assert choose_layout((20, 10000, 64, 64)).layout == "TNHW"
    assert choose_layout((20, 4, 64, 64), path="data/mnist_test_seq_small.npy").layout == "TNHW"
    with pytest.warns(LayoutWarning):  # non-square frames: not recognised, but not silent either
        assert choose_layout((20, 100, 64, 48)).layout == "NTHW"
    assert choose_layout((20, 100, 64, 64, 1)).layout == "TNHWC"
    with pytest.warns(LayoutWarning):  # colour: a few long episodes as likely as a frames-first array
        assert choose_layout((20, 100, 64, 64, 3)).layout == "NTHWC"
    with pytest.raises(ValueError, match=r"got shape \(4, 8, 8\) \(rank 3\)"):
        choose_layout((4, 8, 8))


def test_load_source_passes_layout_to_arrays_only(tmp_path):
    np.save(tmp_path / "a.npy", _frames_first(20, 100, size=16))
    clips = load_source(str(tmp_path / "a.npy"), frames=8, height=16, width=16, channels=1, layout="NTHW")
    assert clips.data_summary.num_items == 20 and clips.data_summary.source == str(tmp_path / "a.npy")
    with pytest.raises(ValueError, match="layout do not apply"):
        load_source("moving_digits", frames=8, height=16, width=16, channels=1, num_videos=2, layout="TNHW")


def test_prepare_reads_frames_first_and_layout_overrides_it(tmp_path, capsys):
    path = tmp_path / "subset.npy"
    np.save(path, _frames_first(20, 100, size=16))
    assert main(["prepare", str(path), str(tmp_path / "auto"), "--frames", "8", "--size", "16",
                 "--channels", "1"]) == 0
    out = capsys.readouterr().out
    assert "layout: frames-first (TNHW)" in out and "100 videos of 20 frames each" in out
    assert "100 clips written" in out or "100 clips of shape" in out
    assert main(["prepare", str(path), str(tmp_path / "given"), "--frames", "8", "--size", "16",
                 "--channels", "1", "--layout", "NTHW"]) == 0
    out = capsys.readouterr().out
    assert "layout: NTHW, as given: 20 videos of 100 frames each" in out and "20 clips of shape" in out
    assert main(["prepare", "moving_digits", str(tmp_path / "built"), "--layout", "TNHW"]) == 2
    assert "--layout applies to .npy arrays only" in capsys.readouterr().err


def test_train_layout_flag_reaches_the_array(tmp_path, capsys):
    from keras_vgan.cli import build_parser
    from keras_vgan.cli.train import config_from_args
    from keras_vgan.training import source_clips

    path = tmp_path / "subset.npy"
    np.save(path, _frames_first(20, 100, size=16))
    args = build_parser().parse_args(["train", "--data", str(path), "--frames", "8", "--size", "16",
                                      "--layout", "NTHW"])
    config = config_from_args(args)
    assert config.layout == "NTHW"
    assert source_clips(config).data_summary.num_items == 20
    # `TrainingConfig.replace` keeps fields given None: dataclasses.replace clears them.
    assert source_clips(dataclasses.replace(config, layout=None)).data_summary.num_items == 100
    with pytest.raises(ValueError, match="layout='TNHW' applies to --data arrays"):
        source_clips(dataclasses.replace(config, data=None, dataset="moving_digits", layout="TNHW"))


def test_evaluate_prints_the_summary_and_takes_layout(tmp_path, monkeypatch, capsys):
    import importlib

    from keras_vgan.metrics import i3d
    from keras_vgan.models import VideoGAN, build_video_discriminator, build_video_generator

    gan = VideoGAN(build_video_generator(8, 16, 16, 1, latent_dim=4, base_filters=4),
                   build_video_discriminator(8, 16, 16, 1, base_filters=4))
    gan.save(tmp_path / "model.keras")
    monkeypatch.setattr(i3d, "resolve_weights", lambda path=None: "weights")
    # Scores are not what this test is about: features are the clips' means, cheap and deterministic.
    features = importlib.import_module("keras_vgan.metrics.features")
    monkeypatch.setattr(features, "video_features", lambda videos, **options: np.stack(
        [np.asarray(v, np.float64).mean(axis=(1, 2, 3)) for v in videos]))
    path = tmp_path / "subset.npy"
    np.save(path, _frames_first(20, 100, size=16))
    assert main(["evaluate", str(tmp_path / "model.keras"), "--data", str(path), "--num-videos", "4",
                 "--layout", "TNHW"]) == 0
    out = capsys.readouterr().out
    assert "layout: TNHW, as given: 100 videos of 20 frames each" in out
    assert "FVD:" in out
