"""The warping-error temporal consistency against hand-checkable videos: still, translated, shuffled, flickering."""

import numpy as np
import pytest

from keras_vgan.metrics.temporal_consistency import (TEMPORAL_CONSISTENCY_TARGET, frame_pair_warping_errors,
                                                     temporal_consistency, temporal_consistency_ratio)

HEIGHT, WIDTH = 48, 64


def smooth_pattern(shift_x=0, shift_y=0):
    """A smooth uint8 (H, W) texture in [48, 208], its content moved right by shift_x and down by shift_y pixels."""
    rows, columns = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float64)
    rows, columns = rows - shift_y, columns - shift_x
    values = (128 + 50 * np.sin(2 * np.pi * columns / 23) * np.cos(2 * np.pi * rows / 19)
              + 30 * np.sin(2 * np.pi * (columns + rows) / 31))
    return np.round(values).astype(np.uint8)


def translated_video(frames=8, step_x=2, step_y=0):
    """(T, H, W, 1): the pattern moving by whole pixels each frame, new content entering at the border."""
    return np.stack([smooth_pattern(step_x * index, step_y * index) for index in range(frames)])[..., None]


def test_a_still_video_scores_zero():
    still = np.repeat(smooth_pattern()[None, None, :, :, None], 5, axis=1)
    scores = temporal_consistency(still)
    assert scores.per_video.tolist() == [0.0] and scores.mean == 0.0


@pytest.mark.parametrize("step_x, step_y", [(2, 0), (1, 1)])
def test_whole_pixel_motion_is_followed_and_shuffling_it_is_not(step_x, step_y):
    video = translated_video(step_x=step_x, step_y=step_y)
    moving = temporal_consistency(video).mean
    shuffled = temporal_consistency(video[[0, 5, 2, 7, 1, 6, 3, 4]]).mean
    assert moving < 0.5  # of 255 levels: the flow recovers the shift
    assert shuffled > 5.0 and shuffled > 20 * moving


def test_flicker_of_twenty_levels_scores_twenty():
    steps = np.array([0, 20, 0, 20, 0, 20], np.uint8)
    flicker = smooth_pattern()[None, :, :, None] + steps[:, None, None, None]
    errors = frame_pair_warping_errors(flicker)
    assert errors.shape == (1, 5)
    np.testing.assert_allclose(errors, 20.0, atol=0.1)
    assert temporal_consistency(flicker).mean == pytest.approx(20.0, abs=0.1)


def test_per_video_scores_and_their_mean():
    moving = translated_video(frames=4)[None]
    flicker = np.stack([smooth_pattern() + level for level in (0, 20, 0, 20)])[None, ..., None].astype(np.uint8)
    scores = temporal_consistency(np.concatenate([moving, flicker]))
    assert scores.per_video.shape == (2,)
    assert scores.per_video[0] < 0.5 and scores.per_video[1] == pytest.approx(20.0, abs=0.1)
    assert scores.mean == pytest.approx(scores.per_video.mean())


def test_rgb_floats_and_one_video_agree_with_grayscale_uint8():
    video = translated_video(frames=4)
    gray = temporal_consistency(video[None]).mean
    # Equal channels have that same gray; float [-1, 1] converts back to the same bytes.
    assert temporal_consistency(np.repeat(video, 3, axis=-1)).mean == pytest.approx(gray, abs=1e-9)
    assert temporal_consistency(video.astype(np.float32) / 127.5 - 1.0).mean == pytest.approx(gray, abs=1e-9)
    assert temporal_consistency(video).per_video.shape == (1,)


def test_pixels_that_came_from_outside_the_frame_are_left_out_by_default():
    video = translated_video(frames=4, step_x=3)
    assert temporal_consistency(video).mean < temporal_consistency(video, exclude_outside=False).mean


def test_the_ratio_to_the_ground_truth():
    truth = translated_video(frames=6)
    assert temporal_consistency_ratio(truth, truth) == 1.0
    flickering = truth.astype(np.int16)
    flickering[1::2] += 20
    flickering = np.clip(flickering, 0, 255).astype(np.uint8)
    assert temporal_consistency_ratio(flickering, truth) > 10 * TEMPORAL_CONSISTENCY_TARGET
    still = np.repeat(truth[:1], 6, axis=0)
    assert temporal_consistency_ratio(still, still) == 1.0
    assert temporal_consistency_ratio(truth, still) == float("inf")


@pytest.mark.parametrize("videos, message", [
    (np.zeros((1, 1, 8, 8, 1), np.uint8), r"at least 2 frames per video, got T=1"),
    (np.zeros((8, 8, 1), np.uint8), r"\(N, T, H, W, C\) or one video \(T, H, W, C\), got shape \(8, 8, 1\)"),
    (np.zeros((3, 8, 8, 1), np.int32), r"dtype int32"),
    (np.full((3, 8, 8, 1), 3.0, np.float32), r"\[-1, 1\], got values in \[3, 3\]"),
    (np.zeros((3, 8, 8, 2), np.uint8), r"got C=2"),
])
def test_bad_videos_name_the_problem(videos, message):
    with pytest.raises(ValueError, match=message):
        temporal_consistency(videos)


def test_the_ratio_refuses_videos_of_different_shapes():
    with pytest.raises(ValueError, match=r"output \(3, 8, 8, 1\), ground_truth \(4, 8, 8, 1\)"):
        temporal_consistency_ratio(np.zeros((3, 8, 8, 1), np.uint8), np.zeros((4, 8, 8, 1), np.uint8))
