"""Temporal consistency of a video: the warping error between consecutive frames, with Farneback optical flow.

Restoration that treats frames independently flickers; video restoration
papers measure that as the warping error. For each pair of frames t, t+1:

1. the optical flow from frame t+1 to frame t is estimated on the grayscale
   frames with `cv2.calcOpticalFlowFarneback` (`FARNEBACK_OPTIONS`);
2. frame t is warped onto frame t+1 along it with `cv2.remap` (bilinear), so
   where the motion is what the flow says, the warped frame is frame t+1;
3. the error is the MEAN ABSOLUTE difference between the warped frame and
   frame t+1, in uint8 levels [0, 255], over every channel and every pixel
   whose flow points inside frame t (pixels that came from outside it have
   nothing to be compared with; all pixels count if none points inside).

A video's score is the mean over its T - 1 pairs: 0 for a still video
(identical consecutive frames score exactly 0 without estimating a flow, whose
estimate near the borders is not exactly zero even then), about 0 for content that moves as the flow can follow, and the size of the
change for flicker (brightness that steps by 20 levels each frame scores 20).
Lower is more consistent. Scores depend on the flow estimator, so compare
them only with scores computed here: `temporal_consistency_ratio` divides a
restored video's score by its ground truth's own, the issue's target being no
worse than `TEMPORAL_CONSISTENCY_TARGET` (1.2).

Note the unit: a per-pixel MEAN in [0, 255] levels, unlike `frame_quality`'s
MSE and MAE, which are sums over the frame of pixels in [0, 1].

Inputs are videos (N, T, H, W, C) or one video (T, H, W, C) with C 1 or 3
(RGB), uint8 in [0, 255] or float in [-1, 1] (converted to uint8 with the
package's rounding, `keras_vgan.pixels.to_uint8`, since the flow runs on 8-bit
frames); T must be at least 2.

Example:
>>> still = np.full((1, 4, 16, 16, 1), 90, np.uint8)
>>> flicker = still + np.array([0, 20, 0, 20], np.uint8)[None, :, None, None, None]
>>> scores = temporal_consistency(np.concatenate([still, flicker]))
>>> scores.per_video.round(1).tolist(), round(scores.mean, 1)
([0.0, 20.0], 10.0)
"""

from typing import NamedTuple

import cv2
import numpy as np

from keras_vgan.pixels import as_uint8_array, check_pixel_values

# OpenCV's documented example values (pyramid halving, 3 levels, 15-pixel window), the usual choice in
# video restoration evaluation code; changing them changes every score.
FARNEBACK_OPTIONS = dict(pyr_scale=0.5, levels=3, winsize=15, iterations=3, poly_n=5, poly_sigma=1.2, flags=0)
TEMPORAL_CONSISTENCY_TARGET = 1.2


class TemporalConsistency(NamedTuple):
    """Warping errors of a set of videos: `per_video` (N,) float64 and their `mean` (a float); lower is better."""

    per_video: np.ndarray
    mean: float


def _check_videos(name, videos):
    """Videos as uint8 (N, T, H, W, C), or a ValueError naming what is wrong."""
    array = np.asarray(videos)
    if array.ndim == 4:
        array = array[None]
    if array.ndim != 5:
        raise ValueError(f"{name}: expected videos of shape (N, T, H, W, C) or one video (T, H, W, C), "
                         f"got shape {array.shape}")
    if array.shape[1] < 2:
        raise ValueError(f"{name}: temporal consistency needs at least 2 frames per video, got T={array.shape[1]} "
                         f"(shape {array.shape})")
    if array.shape[-1] not in (1, 3):
        raise ValueError(f"{name}: expected 1 (grayscale) or 3 (RGB) channels, got C={array.shape[-1]} "
                         f"(shape {array.shape})")
    check_pixel_values(name, array)
    return as_uint8_array(array)


def _grayscale(frame):
    return frame[..., 0] if frame.shape[-1] == 1 else cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def _pair_warping_error(earlier, later, exclude_outside, pixel_grid):
    if np.array_equal(earlier, later):
        # The true flow is zero and so is the error; Farneback's estimate on equal frames is not exactly
        # zero near the borders and would report a little motion that is not there.
        return 0.0
    flow = cv2.calcOpticalFlowFarneback(_grayscale(later), _grayscale(earlier), None, **FARNEBACK_OPTIONS)
    columns, rows = pixel_grid
    map_x, map_y = columns + flow[..., 0], rows + flow[..., 1]
    warped = cv2.remap(earlier.astype(np.float32), map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    warped = warped.reshape(later.shape)  # remap drops a single channel's axis
    errors = np.abs(warped.astype(np.float64) - later.astype(np.float64))
    if exclude_outside:
        height, width = later.shape[:2]
        inside = (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)
        if inside.any():
            return float(errors[inside].mean())
    return float(errors.mean())


def frame_pair_warping_errors(videos, exclude_outside=True):
    """The warping error of every pair of consecutive frames: (N, T - 1) float64, uint8 levels.

    Pair t warps frame t onto frame t+1 (see the module docstring);
    `exclude_outside=False` also counts pixels whose flow points outside the
    frame (they are compared with the nearest border pixel).

    Example:
    >>> video = np.zeros((3, 8, 8, 1), np.uint8)
    >>> video[2] = 10  # a uniform step: no motion to find, every pixel off by 10
    >>> frame_pair_warping_errors(video).tolist()
    [[0.0, 10.0]]
    """
    videos = _check_videos("videos", videos)
    height, width = videos.shape[2:4]
    pixel_grid = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return np.array([[_pair_warping_error(video[index], video[index + 1], exclude_outside, pixel_grid)
                      for index in range(len(video) - 1)] for video in videos], np.float64)


def temporal_consistency(videos, exclude_outside=True):
    """Each video's warping error (the mean over its frame pairs) and the mean over the videos; lower is better.

    Example:
    >>> scores = temporal_consistency(np.zeros((2, 3, 8, 8, 3), np.uint8))
    >>> scores.per_video.tolist(), scores.mean
    ([0.0, 0.0], 0.0)
    """
    per_video = frame_pair_warping_errors(videos, exclude_outside).mean(axis=1)
    return TemporalConsistency(per_video=per_video, mean=float(per_video.mean()))


def temporal_consistency_ratio(output, ground_truth, exclude_outside=True):
    """The output's mean warping error divided by its ground truth's own: 1 is as consistent as the truth.

    At most `TEMPORAL_CONSISTENCY_TARGET` (1.2) meets the issue's target. It
    is the ratio of the means over the videos (so one still ground-truth clip
    does not make it infinite); if the ground truth scores 0 the ratio is 1.0
    when the output does too and inf otherwise.

    Example:
    >>> truth = np.zeros((1, 4, 8, 8, 1), np.uint8)
    >>> truth[:, 2:] = 30
    >>> temporal_consistency_ratio(truth, truth)
    1.0
    """
    output_shape, truth_shape = np.shape(output), np.shape(ground_truth)
    if output_shape != truth_shape:
        raise ValueError(f"output and ground_truth differ in shape: output {tuple(output_shape)}, "
                         f"ground_truth {tuple(truth_shape)}; expected the same videos")
    output_score = temporal_consistency(_check_videos("output", output), exclude_outside).mean
    truth_score = temporal_consistency(_check_videos("ground_truth", ground_truth), exclude_outside).mean
    if truth_score == 0.0:
        return 1.0 if output_score == 0.0 else float("inf")
    return output_score / truth_score
