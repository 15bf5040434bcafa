"""Frame-prediction metrics against hand-computed values: the MSE/MAE sum convention, PSNR's inf, SSIM of equals."""

import math
import warnings

import numpy as np
import pytest

from keras_vgan.metrics import (copy_last_frame, frame_scores, identical_frames_per_step, mae_per_frame,
                                mean_over_steps, mse_per_frame, prediction_metrics, psnr_per_frame, ssim_per_frame)
from keras_vgan.pixels import to_uint8


def four_by_four_pair():
    """Float [-1, 1] clips (N=1, T=1, 4×4, C=1): 4 of 16 pixels off by 0.5 in [0, 1] (−1 → 0)."""
    true = -np.ones((1, 1, 4, 4, 1), np.float32)
    predicted = true.copy()
    predicted[0, 0, 1, :, 0] = 0.0
    return predicted, true


def test_mse_and_mae_are_sums_over_the_frame_in_unit_range():
    predicted, true = four_by_four_pair()
    assert mse_per_frame(predicted, true).tolist() == [4 * 0.5 ** 2]  # a sum, not the mean 1/16
    assert mae_per_frame(predicted, true).tolist() == [4 * 0.5]


def test_psnr_uses_the_per_pixel_mean_with_peak_one():
    predicted, true = four_by_four_pair()
    mean_squared = 4 * 0.5 ** 2 / 16
    assert psnr_per_frame(predicted, true)[0] == pytest.approx(10 * math.log10(1 / mean_squared), abs=1e-12)


def test_sums_scale_with_frame_size():
    # The same error pattern tiled 2×2: four times the pixels, four times MSE and MAE, the same PSNR.
    predicted, true = four_by_four_pair()
    big_predicted, big_true = (np.tile(video, (1, 1, 2, 2, 1)) for video in (predicted, true))
    assert mse_per_frame(big_predicted, big_true)[0] == 4 * mse_per_frame(predicted, true)[0]
    assert mae_per_frame(big_predicted, big_true)[0] == 4 * mae_per_frame(predicted, true)[0]
    assert psnr_per_frame(big_predicted, big_true)[0] == pytest.approx(psnr_per_frame(predicted, true)[0])


def test_uint8_and_float_inputs_give_the_same_numbers():
    rng = np.random.default_rng(0)
    # 0 and 255 are exactly −1 and +1: every metric must agree exactly.
    true_uint8 = rng.choice(np.array([0, 255], np.uint8), (2, 3, 16, 16, 1))
    predicted_uint8 = rng.choice(np.array([0, 255], np.uint8), (2, 3, 16, 16, 1))
    as_float = lambda video: video.astype(np.float32) / 127.5 - 1.0  # noqa: E731
    from_uint8 = prediction_metrics(predicted_uint8, true_uint8)
    from_float = prediction_metrics(as_float(predicted_uint8), as_float(true_uint8))
    mixed = prediction_metrics(predicted_uint8, as_float(true_uint8))
    for name in ("mse", "mae", "psnr", "ssim"):
        np.testing.assert_array_equal(from_uint8[name], from_float[name], err_msg=name)
        np.testing.assert_array_equal(from_uint8[name], mixed[name], err_msg=name)
    # Every pixel is 0 or 1 in [0, 1], so the sums count the differing pixels.
    differing = np.sum(predicted_uint8 != true_uint8, axis=(2, 3, 4)).mean(axis=0)
    np.testing.assert_array_equal(from_uint8["mse"], differing)
    np.testing.assert_array_equal(from_uint8["mae"], differing)


def test_general_uint8_values_match_float_to_rounding():
    rng = np.random.default_rng(1)
    true = rng.uniform(-1, 1, (2, 2, 12, 12, 3)).astype(np.float32)
    predicted = rng.uniform(-1, 1, true.shape).astype(np.float32)
    true_uint8, predicted_uint8 = to_uint8(true).numpy(), to_uint8(predicted).numpy()
    expected_mse = np.sum(((predicted_uint8 / 255.0) - (true_uint8 / 255.0)) ** 2, axis=(2, 3, 4)).mean(axis=0)
    np.testing.assert_allclose(mse_per_frame(predicted_uint8, true_uint8), expected_mse, rtol=1e-5)


def test_identical_frames_psnr_inf_left_out_of_the_means_without_warnings():
    true = -np.ones((3, 2, 4, 4, 1), np.float32)
    predicted = true.copy()
    # Clip 0, step 0: mean squared error 1/16, PSNR 10·log10(16) dB; every other frame exact.
    predicted[0, 0, 1, :, 0] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero or mean-of-empty RuntimeWarning
        scores = frame_scores(predicted, true, ("psnr",))["psnr"]
        per_step = psnr_per_frame(predicted, true)
        average = mean_over_steps(per_step)
    assert np.isposinf(scores).sum() == 5 and not np.isnan(scores).any()
    # Step 0: the two exact clips are left out, not averaged in as inf → the finite clip's value.
    assert per_step[0] == pytest.approx(10 * math.log10(16))
    # Step 1: every clip exact → +inf.
    assert np.isposinf(per_step[1])
    assert average == pytest.approx(10 * math.log10(16))  # the inf step is left out of the average too
    assert identical_frames_per_step(predicted, true).tolist() == [2, 3]
    assert mean_over_steps([np.inf, np.inf]) == np.inf


def test_prediction_metrics_keys_and_identical_frame_count():
    true = np.zeros((2, 3, 16, 16, 1), np.uint8)
    predicted = true.copy()
    predicted[1, 2, :4, :4] = 255  # 16 pixels fully wrong
    results = prediction_metrics(predicted, true)
    assert results["mse"].tolist() == [0.0, 0.0, 8.0]  # 16 / 2 clips
    assert results["mse_mean"] == pytest.approx(8.0 / 3)
    assert results["identical_frames"].tolist() == [2, 2, 1]
    assert results["num_clips"] == 2
    assert results["psnr"][:2].tolist() == [np.inf, np.inf]
    assert results["psnr_mean"] == pytest.approx(10 * math.log10(256 / 16))
    assert set(results) == {"mse", "mae", "psnr", "ssim", "mse_mean", "mae_mean", "psnr_mean", "ssim_mean",
                            "identical_frames", "num_clips"}


def test_ssim_of_identical_frames_is_one_and_drops_with_difference():
    rng = np.random.default_rng(2)
    true = rng.integers(0, 256, (2, 2, 16, 16, 3), dtype=np.uint8)
    assert ssim_per_frame(true, true).tolist() == [1.0, 1.0]
    noisy = np.clip(true.astype(int) + rng.integers(-40, 41, true.shape), 0, 255).astype(np.uint8)
    assert np.all(ssim_per_frame(noisy, true) < 0.99)


def test_ssim_refuses_frames_smaller_than_its_window():
    small = np.zeros((1, 1, 10, 16, 1), np.uint8)
    with pytest.raises(ValueError, match="at least 11×11 .*got 10×16"):
        ssim_per_frame(small, small)
    # The other metrics have no window: fine on tiny frames.
    assert mse_per_frame(small, small).tolist() == [0.0]


@pytest.mark.parametrize("predicted, true, message", [
    (np.zeros((2, 3, 4, 4, 1), np.uint8), np.zeros((2, 4, 4, 4, 1), np.uint8),
     r"differ in shape: predicted \(2, 3, 4, 4, 1\), true \(2, 4, 4, 4, 1\)"),
    (np.zeros((3, 4, 4, 1), np.uint8), np.zeros((3, 4, 4, 1), np.uint8),
     r"\(N, T, H, W, C\), got shape \(3, 4, 4, 1\)"),
    (np.zeros((1, 1, 4, 4, 1), np.int32), np.zeros((1, 1, 4, 4, 1), np.uint8), "predicted: .*got dtype int32"),
    (np.full((1, 1, 4, 4, 1), 3.0, np.float32), np.zeros((1, 1, 4, 4, 1), np.float32), r"\[-1, 1\].*\[3, 3\]"),
    (np.full((1, 1, 4, 4, 1), np.nan, np.float32), np.zeros((1, 1, 4, 4, 1), np.float32), "nan"),
])
def test_bad_inputs_raise_naming_the_values(predicted, true, message):
    for metric in (mse_per_frame, mae_per_frame, psnr_per_frame):
        with pytest.raises(ValueError, match=message):
            metric(predicted, true)


def test_copy_last_frame_repeats_the_last_context_frame():
    context = np.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2, 1).astype(np.float32) / 24 - 1
    baseline = copy_last_frame(context, 4)
    assert baseline.shape == (2, 4, 2, 2, 1) and baseline.dtype == np.float32
    for step in range(4):
        np.testing.assert_array_equal(baseline[:, step], context[:, -1])
    assert copy_last_frame(context.astype(np.uint8), 1).dtype == np.uint8
    with pytest.raises(ValueError, match="future_frames=0"):
        copy_last_frame(context, 0)
    with pytest.raises(ValueError, match=r"got shape \(3, 2, 2, 1\)"):
        copy_last_frame(context[0], 2)
