"""evaluate_predictions and format_report: a perfect predictor, the copy-last baseline, batching, tables, errors."""

import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.metrics import (BASELINE_NAME, PUBLISHED_MOVING_MNIST, evaluate_predictions, format_report, i3d,
                                published_moving_mnist_table)

CONTEXT, FUTURE, SIZE = 3, 2, 16


def sliding_squares(num_clips, frames=CONTEXT + FUTURE, seed=0):
    """Float [-1, 1] clips of a bright square that moves one pixel right per frame: the future follows the context."""
    rng = np.random.default_rng(seed)
    clips = -np.ones((num_clips, frames, SIZE, SIZE, 1), np.float32)
    for index, (row, column) in enumerate(rng.integers(0, SIZE - 4, (num_clips, 2))):
        first = -np.ones((SIZE, SIZE, 1), np.float32)
        first[row:row + 4, column:column + 4] = 1.0
        for t in range(frames):
            clips[index, t] = np.roll(first, t, axis=1)
    return clips


def split(clips, context_frames=CONTEXT):
    return clips[:, :context_frames], clips[:, context_frames:]


def perfect_prediction(context, future_frames=FUTURE):
    """The truth, from the context alone: keep moving the square one pixel per frame."""
    return np.stack([np.roll(context[:, -1], step, axis=2) for step in range(1, future_frames + 1)], axis=1)


def test_perfect_predictor_scores_zero_and_beats_copy_last():
    context, future = split(sliding_squares(4))
    results = evaluate_predictions(perfect_prediction, [(context, future)])
    model, baseline = results["model"], results[BASELINE_NAME]
    assert model["mse"].tolist() == [0.0, 0.0] and model["mae_mean"] == 0.0
    assert model["ssim"].tolist() == [1.0, 1.0] and np.isposinf(model["psnr_mean"])
    assert model["identical_frames"].tolist() == [4, 4] and model["num_clips"] == 4
    # The square moved 1 then 2 pixels: 2·4 then 2·8 pixels wrong by 1 in [0, 1].
    assert baseline["mse"].tolist() == [8.0, 16.0]
    assert np.all(baseline["ssim"] < 1.0) and np.all(np.isfinite(baseline["psnr"]))


def test_uint8_predictions_score_like_float_ones():
    context, future = split(sliding_squares(2))
    as_uint8 = lambda batch: ((perfect_prediction(batch) + 1) * 127.5).astype(np.uint8)  # noqa: E731
    results = evaluate_predictions({"uint8": as_uint8, "float": perfect_prediction}, [(context, future)])
    assert list(results) == ["uint8", "float", BASELINE_NAME]
    for name in ("mse", "ssim"):
        np.testing.assert_array_equal(results["uint8"][name], results["float"][name])


def test_datasets_batched_or_not_and_num_clips_across_batches():
    context, future = split(sliding_squares(5))
    reference = evaluate_predictions(perfect_prediction, [(context, future)])
    seen = []

    def recording(batch):
        seen.append(len(batch))
        return perfect_prediction(batch)

    unbatched = tf.data.Dataset.from_tensor_slices((context, future))
    results = evaluate_predictions(recording, unbatched, batch_size=2)
    assert seen == [2, 2, 1]
    np.testing.assert_array_equal(results[BASELINE_NAME]["mse"], reference[BASELINE_NAME]["mse"])
    seen.clear()
    # num_clips stops within a batch and predicts only the clips it scores; an infinite dataset is fine with it.
    results = evaluate_predictions(recording, unbatched.batch(2).repeat(), num_clips=3)
    assert seen == [2, 1] and results["model"]["num_clips"] == 3
    baseline_three = evaluate_predictions(perfect_prediction, [(context[:3], future[:3])])[BASELINE_NAME]
    np.testing.assert_allclose(results[BASELINE_NAME]["mae"], baseline_three["mae"])


def test_argument_and_shape_errors_name_the_problem():
    context, future = split(sliding_squares(2))
    pairs = [(context, future)]
    with pytest.raises(ValueError, match=r"model: predicted and true videos differ in shape: predicted "
                                         r"\(2, 3, 16, 16, 1\), true \(2, 2, 16, 16, 1\)"):
        evaluate_predictions(lambda batch: batch, pairs)
    with pytest.raises(ValueError, match="infinite.*num_clips"):
        evaluate_predictions(perfect_prediction, tf.data.Dataset.from_tensor_slices((context, future)).repeat())
    with pytest.raises(ValueError, match="num_clips=3 but pairs gave only 2"):
        evaluate_predictions(perfect_prediction, pairs, num_clips=3)
    with pytest.raises(ValueError, match="not callable"):
        evaluate_predictions({"model": None}, pairs)
    with pytest.raises(ValueError, match="context and future differ"):
        evaluate_predictions(perfect_prediction, [(context, future[:1])])
    with pytest.raises(ValueError, match="no clips"):
        evaluate_predictions(perfect_prediction, [])
    with pytest.raises(ValueError, match="at least 2 videos"):
        evaluate_predictions(perfect_prediction, pairs, fvd_num_videos=1)
    # 3 + 2 frames are fewer than I3D's 9: refused before any I3D work (no weights read).
    with pytest.raises(ValueError, match=f"at least {i3d.MIN_FRAMES} frames.*context 3 \\+ future 2"):
        evaluate_predictions(perfect_prediction, pairs, fvd_num_videos=2, fvd_weights="/nonexistent/never.ckpt")


def test_format_report_rows_per_step_and_averages():
    context, future = split(sliding_squares(3))
    results = evaluate_predictions({"GAN": perfect_prediction}, [(context, future)])
    report = format_report(results)
    lines = report.splitlines()
    assert "per-frame sums over all H×W×C pixels with values in [0, 1]" in lines[0]
    step_rows = [line for line in lines if line.startswith("| 1 |") or line.startswith("| 2 |")]
    assert len(step_rows) == 2
    # Step 2: MSE of GAN, then of the baseline (16 wrong pixels), as the header orders them.
    assert step_rows[1].split(" | ")[1:3] == ["0.00", "16.00"]
    assert "| Step | MSE ↓ GAN | MSE ↓ copy last frame | MAE ↓ GAN |" in report
    assert "| copy last frame | 12.00 | 12.00 |" in report  # the mean of 8 and 16
    assert "Exact frames left out of PSNR: GAN: 6" in report
    assert "FVD" not in report and "Published" not in report
    only_second = format_report(results, steps=[2]).splitlines()
    assert not any(line.startswith("| 1 |") for line in only_second)
    with pytest.raises(ValueError, match=r"steps \[3\] are not valid; expected future steps 1 to 2"):
        format_report(results, steps=[3])


def test_format_report_fvd_column_and_published_table():
    context, future = split(sliding_squares(2))
    results = evaluate_predictions(perfect_prediction, [(context, future)])
    results["model"]["fvd"] = 12.345
    report = format_report(results, published=True)
    assert "| Model | MSE ↓ | MAE ↓ | PSNR ↑ | SSIM ↑ | FVD ↓ | Clips |" in report
    assert "| 12.3 | 2 |" in report and "| — | 2 |" in report  # the baseline has no FVD here
    assert report.endswith(published_moving_mnist_table())
    published = published_moving_mnist_table()
    assert published.startswith("Published, not run here:")
    assert "| SimVP+gSTA-S | 15.05 | 49.80 | 0.967 |" in published
    assert len(PUBLISHED_MOVING_MNIST) == published.count("\n| ") - 1  # a row each, after the header


def test_fvd_of_context_and_prediction(i3d_model):
    # As small as FVD allows: 2 clips of 9 frames of 16×16.
    context, future = split(sliding_squares(2, frames=i3d.MIN_FRAMES), context_frames=5)
    results = evaluate_predictions(lambda batch: perfect_prediction(batch, 4), [(context, future)],
                                   fvd_num_videos=2, fvd_model=i3d_model)
    assert abs(results["model"]["fvd"]) < 1e-6  # the real clips themselves
    assert results[BASELINE_NAME]["fvd"] > 0
