"""Scores of image-to-video: does the clip start from the picture, and does it move as real clips move?

* Frame 0 against the picture it was asked to animate: PSNR and SSIM
  (`frame_quality`'s conventions: pixels in [0, 1], PSNR with peak 1, SSIM
  as `tf.image.ssim`).
* Motion: the mean absolute difference between consecutive frames, in grey
  levels of [0, 255], over every pixel, frame pair and clip. A still clip
  scores 0; the animator's motion is compared with that of real clips
  (`motion_ratio` 1.0 = as much motion as real clips have).

Inputs are videos (N, T, H, W, C), uint8 or float in [-1, 1] (`keras_vgan.pixels`).

Example:
>>> clips = np.zeros((2, 3, 4, 4, 1), np.uint8)
>>> clips[:, 1:] = 10  # one step of 10 levels, then none
>>> mean_motion(clips)
5.0
"""

from typing import NamedTuple

import numpy as np

from keras_vgan.metrics.frame_quality import psnr_per_frame, ssim_per_frame
from keras_vgan.pixels import as_uint8_array


def mean_motion(videos):
    """Mean |frame t+1 − frame t| over pixels, frame pairs and clips, in grey levels of [0, 255].

    Example:
    >>> mean_motion(np.stack([-np.ones((1, 2, 2, 1)), np.ones((1, 2, 2, 1))], axis=1).astype(np.float32))
    255.0
    """
    videos = as_uint8_array(videos).astype(np.float32)
    if videos.ndim != 5 or videos.shape[1] < 2:
        raise ValueError(f"videos of shape {tuple(videos.shape)} are not valid for motion; expected (N, T, H, W, "
                         "C) with T >= 2")
    return float(np.mean(np.abs(np.diff(videos, axis=1))))


class AnimationScores(NamedTuple):
    """What `animation_scores` measured."""

    first_frame_psnr: float  # dB, generated frame 0 against the picture, averaged over clips
    first_frame_ssim: float
    motion: float  # mean_motion of the generated clips
    real_motion: float  # mean_motion of the real clips
    num_clips: int

    @property
    def motion_ratio(self):
        """Generated motion over real motion (1.0: as much as real clips)."""
        return self.motion / self.real_motion if self.real_motion else float("nan")

    def lines(self):
        """The scores as text, one per line."""
        return [f"first-frame PSNR: {self.first_frame_psnr:.2f} dB  (generated frame 0 vs the picture, "
                f"{self.num_clips} clips)",
                f"first-frame SSIM: {self.first_frame_ssim:.4f}",
                f"motion: {self.motion:.2f} grey levels a frame (real clips: {self.real_motion:.2f}; ratio "
                f"{self.motion_ratio:.2f})"]


def animation_scores(generated, pictures, real_clips):
    """Frame 0 of `generated` (N, T, …) against `pictures` (N, H, W, C), and its motion against `real_clips`'.

    Example:
    >>> clips = np.zeros((2, 3, 16, 16, 1), np.uint8)
    >>> clips[:, 1:] = 10
    >>> scores = animation_scores(clips, clips[:, 0], clips)
    >>> scores.first_frame_psnr, scores.motion_ratio
    (inf, 1.0)
    """
    generated, pictures = as_uint8_array(generated), as_uint8_array(pictures)
    if pictures.ndim != 4 or generated.ndim != 5 or pictures.shape != generated.shape[:1] + generated.shape[2:]:
        raise ValueError(f"pictures of shape {tuple(pictures.shape)} are not valid for clips of shape "
                         f"{tuple(generated.shape)}; expected one (H, W, C) picture per clip")
    first, given = generated[:, :1], pictures[:, None]
    return AnimationScores(float(psnr_per_frame(first, given)[0]), float(ssim_per_frame(first, given)[0]),
                           mean_motion(generated), mean_motion(real_clips), int(len(generated)))
