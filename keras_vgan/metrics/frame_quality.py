"""Per-frame quality of a predicted clip against the true one: MSE, MAE, PSNR, SSIM.

Every metric compares frame t of each predicted clip with frame t of its true
clip and returns a NumPy array of shape (T,): the mean over the N clips at
each future step (`mean_over_steps` averages that over the steps).

Inputs are videos (N, T, H, W, C), uint8 in [0, 255] or float in [-1, 1] (the
package's conventions, `keras_vgan.pixels`), chosen by dtype; the metrics see
pixels in [0, 1], as the frame-prediction literature does.

Conventions, as OpenSTL computes them (`openstl/core/metrics.py`: `MSE` and
`MAE` are `np.mean(error, axis=(0, 1)).sum()` over (batch, time, C, H, W), on
pixels in [0, 1]), so Moving MNIST numbers compare with its benchmark:

- MSE and MAE are the SUM over the frame (all pixels and channels) of the
  squared / absolute error, not a per-pixel mean: they scale with the frame
  size (a 64×64 grayscale frame has 4096 terms) and are only comparable at
  the same H × W × C.
- PSNR is per frame, in dB, with peak 1.0 and the per-pixel MEAN squared error.
- SSIM is `tf.image.ssim` (11×11 Gaussian window, σ = 1.5, max_val 1.0),
  averaged over channels. OpenSTL uses scikit-image's `structural_similarity`
  instead; the two implementations differ slightly.

Example:
>>> true = np.zeros((1, 2, 16, 16, 1), np.uint8)
>>> predicted = true.copy()
>>> predicted[:, 1, :2, :2] = 255  # 4 pixels fully wrong in the second frame
>>> mse_per_frame(predicted, true).tolist()
[0.0, 4.0]
"""

import numpy as np
import tensorflow as tf

from keras_vgan.pixels import check_pixel_values, to_unit_range
from keras_vgan.validation import check_positive_int

# tf.image.ssim's default Gaussian window; a frame must be at least this big in H and W.
SSIM_FILTER_SIZE = 11
PEAK_VALUE = 1.0
METRIC_NAMES = ("mse", "mae", "psnr", "ssim")


def _unit_interval(name, video):
    """A video as float32 NumPy pixels in [0, 1], from uint8 [0, 255] or float [-1, 1]."""
    array = np.asarray(video)
    if array.size:
        check_pixel_values(name, array)
    elif not (array.dtype == np.uint8 or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"{name}: videos must be uint8 in [0, 255] or float in [-1, 1], got dtype {array.dtype}")
    signed = to_unit_range(array).numpy() if array.dtype == np.uint8 else array.astype(np.float32, copy=False)
    return (signed + 1.0) / 2.0


def unit_interval_pair(predicted, true):
    """Predicted and true videos as float32 pixels in [0, 1], checked to have one shape (N, T, H, W, C).

    Example:
    >>> predicted, true = unit_interval_pair(np.full((1, 1, 2, 2, 1), 255, np.uint8),
    ...                                      -np.ones((1, 1, 2, 2, 1), np.float32))
    >>> float(predicted.max()), float(true.max())
    (1.0, 0.0)
    """
    predicted_shape, true_shape = np.shape(predicted), np.shape(true)
    if predicted_shape != true_shape:
        raise ValueError(f"predicted and true videos differ in shape: predicted {tuple(predicted_shape)}, "
                         f"true {tuple(true_shape)}; expected the same (N, T, H, W, C)")
    if len(true_shape) != 5:
        raise ValueError(f"expected videos of shape (N, T, H, W, C), got shape {tuple(true_shape)}")
    return _unit_interval("predicted", predicted), _unit_interval("true", true)


# --------------------------------------------------------------------------- #
# Scores of every frame: (N, T) arrays
# --------------------------------------------------------------------------- #

def _frame_errors(predicted, true):
    # float64 so a sum over a frame of 4096+ terms does not lose digits.
    return predicted.astype(np.float64) - true.astype(np.float64)


def _frame_psnr(errors):
    mean_squared = np.mean(errors ** 2, axis=(2, 3, 4))
    # Identical frames have no error: their PSNR is +inf, set here rather than by a divide-by-zero warning.
    psnr = np.full(mean_squared.shape, np.inf)
    nonzero = mean_squared > 0
    psnr[nonzero] = 10.0 * np.log10(PEAK_VALUE ** 2 / mean_squared[nonzero])
    return psnr


def _frame_ssim(predicted, true):
    height, width = predicted.shape[2:4]
    if height < SSIM_FILTER_SIZE or width < SSIM_FILTER_SIZE:
        raise ValueError(f"SSIM needs frames of at least {SSIM_FILTER_SIZE}×{SSIM_FILTER_SIZE} pixels "
                         f"(its Gaussian window), got {height}×{width}")
    ssim = tf.image.ssim(tf.constant(predicted), tf.constant(true), max_val=PEAK_VALUE).numpy().astype(np.float64)
    # Equal frames score 1 by the formula; set it exactly so float rounding cannot give 0.9999999.
    identical = np.all(predicted == true, axis=(2, 3, 4))
    return np.where(identical, 1.0, ssim)


def frame_scores(predicted, true, metrics=METRIC_NAMES):
    """Every frame's score: `{metric: (N, T) float64 array}` for each name in `metrics`.

    What the per-step functions average; `evaluate_predictions` collects these
    batch by batch. PSNR is +inf for a frame predicted exactly.

    Example:
    >>> true = np.zeros((3, 2, 4, 4, 1), np.uint8)
    >>> {name: scores.shape for name, scores in frame_scores(true, true, ("mse", "psnr")).items()}
    {'mse': (3, 2), 'psnr': (3, 2)}
    """
    unknown = set(metrics) - set(METRIC_NAMES)
    if unknown:
        raise ValueError(f"unknown metrics {sorted(unknown)}; expected some of {list(METRIC_NAMES)}")
    predicted, true = unit_interval_pair(predicted, true)
    errors = _frame_errors(predicted, true) if {"mse", "mae", "psnr"} & set(metrics) else None
    compute = {
        "mse": lambda: np.sum(errors ** 2, axis=(2, 3, 4)),
        "mae": lambda: np.sum(np.abs(errors), axis=(2, 3, 4)),
        "psnr": lambda: _frame_psnr(errors),
        "ssim": lambda: _frame_ssim(predicted, true),
    }
    return {name: compute[name]() for name in metrics}


# --------------------------------------------------------------------------- #
# Means over clips and over steps
# --------------------------------------------------------------------------- #

def _mean_ignoring_inf(values, axis=None):
    values = np.asarray(values, np.float64)
    finite = ~np.isposinf(values)
    counts = np.sum(finite, axis=axis)
    sums = np.sum(np.where(finite, values, 0.0), axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = sums / counts
    return np.where(counts > 0, means, np.inf)


def mean_over_clips(frame_values):
    """(N, T) per-frame scores → (T,) means over the clips, leaving out +inf (exact frames' PSNR).

    A step is +inf only when every clip's frame at that step was exact; count
    those frames with `identical_frames_per_step`. Finite scores are plain means.

    Example:
    >>> mean_over_clips([[20.0, np.inf], [30.0, np.inf], [np.inf, 10.0]]).tolist()
    [25.0, 10.0]
    >>> mean_over_clips([[np.inf], [np.inf]]).tolist()
    [inf]
    """
    return _mean_ignoring_inf(frame_values, axis=0)


def mean_over_steps(per_step):
    """(T,) per-step values → their mean (a float), leaving out +inf steps; +inf only if all are.

    Example:
    >>> mean_over_steps([20.0, np.inf, 30.0])
    25.0
    """
    return float(_mean_ignoring_inf(per_step))


# --------------------------------------------------------------------------- #
# The per-step metrics
# --------------------------------------------------------------------------- #

def mse_per_frame(predicted, true):
    """Sum of squared errors over each frame, pixels in [0, 1]: (T,), the mean over the clips.

    The Moving MNIST convention (a SUM over the 64×64 frame, not a per-pixel
    mean), so it grows with H × W × C; see the module docstring.

    Example:
    >>> true = -np.ones((1, 1, 4, 4, 1), np.float32)
    >>> predicted = true.copy()
    >>> predicted[0, 0, 0, :] = 0.0  # 4 pixels off by 0.5 in [0, 1]
    >>> mse_per_frame(predicted, true).tolist()  # 4 × 0.5²
    [1.0]
    """
    return mean_over_clips(frame_scores(predicted, true, ("mse",))["mse"])


def mae_per_frame(predicted, true):
    """Sum of absolute errors over each frame, pixels in [0, 1]: (T,), the mean over the clips.

    A SUM over the frame like `mse_per_frame` (OpenSTL's `MAE`), not a per-pixel mean.

    Example:
    >>> true = -np.ones((1, 1, 4, 4, 1), np.float32)
    >>> predicted = true.copy()
    >>> predicted[0, 0, 0, :] = 0.0
    >>> mae_per_frame(predicted, true).tolist()  # 4 × 0.5
    [2.0]
    """
    return mean_over_clips(frame_scores(predicted, true, ("mae",))["mae"])


def psnr_per_frame(predicted, true):
    """Peak signal-to-noise ratio of each frame in dB (peak 1.0, per-pixel mean squared error): (T,).

    An exact frame has PSNR +inf. The mean over the clips leaves those frames
    out (so one exact frame does not make a step +inf) and is +inf only when
    every clip's frame at that step is exact; `identical_frames_per_step`
    says how many were left out.

    Example:
    >>> true = -np.ones((2, 1, 4, 4, 1), np.float32)
    >>> predicted = true.copy()
    >>> predicted[0, 0, 0, :] = 0.0  # clip 0: mean squared error 1/16; clip 1 exact
    >>> psnr_per_frame(predicted, true).round(4).tolist()  # 10·log10(16)
    [12.0412]
    """
    return mean_over_clips(frame_scores(predicted, true, ("psnr",))["psnr"])


def identical_frames_per_step(predicted, true):
    """How many clips' frames are predicted exactly at each step: (T,) int (the PSNR's +inf frames).

    Example:
    >>> true = np.zeros((2, 2, 4, 4, 1), np.uint8)
    >>> predicted = true.copy()
    >>> predicted[0, 1] = 1
    >>> identical_frames_per_step(predicted, true).tolist()
    [2, 1]
    """
    predicted, true = unit_interval_pair(predicted, true)
    return np.sum(np.all(predicted == true, axis=(2, 3, 4)), axis=0)


def ssim_per_frame(predicted, true):
    """Structural similarity of each frame (`tf.image.ssim`, max_val 1.0): (T,), the mean over the clips.

    Frames must be at least 11×11 (the Gaussian window); exact frames score 1.0.

    Example:
    >>> true = np.zeros((1, 2, 16, 16, 1), np.uint8)
    >>> ssim_per_frame(true, true).tolist()
    [1.0, 1.0]
    """
    return mean_over_clips(frame_scores(predicted, true, ("ssim",))["ssim"])


def summarize_frame_scores(scores):
    """`frame_scores` output (with every metric) → the per-step means and their averages.

    Returns `{metric: (T,) array, f"{metric}_mean": float}` for MSE, MAE, PSNR
    and SSIM, plus "identical_frames" ((T,) int: exact frames, left out of
    PSNR's means) and "num_clips".
    """
    summary = {}
    for name in METRIC_NAMES:
        summary[name] = mean_over_clips(scores[name])
        summary[f"{name}_mean"] = mean_over_steps(summary[name])
    summary["identical_frames"] = np.sum(np.isposinf(scores["psnr"]), axis=0)
    summary["num_clips"] = int(scores["mse"].shape[0])
    return summary


def prediction_metrics(predicted, true):
    """All four metrics per step and averaged over the steps, for one set of predicted clips.

    See `summarize_frame_scores` for the keys.

    Example:
    >>> true = np.zeros((2, 3, 16, 16, 1), np.uint8)
    >>> results = prediction_metrics(true, true)
    >>> results["mse"].tolist(), results["ssim_mean"], results["psnr_mean"], results["identical_frames"].tolist()
    ([0.0, 0.0, 0.0], 1.0, inf, [2, 2, 2])
    """
    return summarize_frame_scores(frame_scores(predicted, true))


def copy_last_frame(context, future_frames):
    """The copy-last-frame baseline: each clip's last context frame repeated `future_frames` times.

    `context` (N, T, H, W, C), any dtype (kept) → (N, future_frames, H, W, C).

    Example:
    >>> context = np.arange(2 * 3).reshape(2, 3, 1, 1, 1).astype(np.uint8)
    >>> copy_last_frame(context, 2)[..., 0, 0, 0].tolist()
    [[2, 2], [5, 5]]
    """
    check_positive_int("future_frames", future_frames)
    context = np.asarray(context)
    if context.ndim != 5 or context.shape[1] < 1:
        raise ValueError(f"context: expected clips of shape (N, T, H, W, C) with T >= 1, got shape {context.shape}")
    return np.repeat(context[:, -1:], future_frames, axis=1)
