"""Frame-prediction results on held-out clips: models beside the copy-last-frame baseline, as Markdown tables.

`evaluate_predictions` runs predictors over `(context, future)` pairs and
scores each with `keras_vgan.metrics.frame_quality` (per future step and
averaged), the copy-last-frame baseline always included, and optionally FVD
of context + prediction against the real context + future. `format_report`
renders the results as tables for BENCHMARKS.md; `published_moving_mnist_table`
renders OpenSTL's published Moving MNIST numbers, which were not run here.

Example:
>>> context = -np.ones((2, 3, 16, 16, 1), np.float32)
>>> future = np.ones((2, 2, 16, 16, 1), np.float32)
>>> results = evaluate_predictions(lambda batch: np.ones((len(batch), 2, 16, 16, 1), np.float32),
...                                [(context, future)])
>>> results["model"]["mse"].tolist(), results["copy last frame"]["mse"].tolist()
([0.0, 0.0], [256.0, 256.0])
"""

import numpy as np
import tensorflow as tf

from keras_vgan.metrics.distances import frechet_distance
from keras_vgan.metrics.features import DEFAULT_BATCH_SIZE, video_features
from keras_vgan.metrics.frame_quality import copy_last_frame, frame_scores, summarize_frame_scores
from keras_vgan.metrics.i3d import MIN_FRAMES
from keras_vgan.pixels import as_uint8_array
from keras_vgan.validation import check_positive_int

BASELINE_NAME = "copy last frame"
DEFAULT_MODEL_NAME = "model"

# OpenSTL's Moving MNIST benchmark (10 → 10 frames, 64×64, pixels in [0, 1], MSE and MAE summed over the
# frame): the "trained to convergence" table of docs/en/model_zoos/video_benchmarks.md in
# github.com/chengtan9907/OpenSTL. Rows: (method, MSE, MAE, SSIM). The SimVP+gSTA-S row is its 2000-epoch
# model; the SimVP+IncepU row repeats that page's gSTA 200-epoch numbers (its IncepU rows say 32.15 at
# 200 epochs and 21.15 at 2000), so it is listed as published, not vouched for.
PUBLISHED_MOVING_MNIST = (
    ("ConvLSTM-L", 29.88, 95.05, 0.925),
    ("PredRNN", 25.04, 76.26, 0.944),
    ("PredRNN++", 22.45, 69.70, 0.950),
    ("SimVP+IncepU", 26.69, 77.19, 0.940),
    ("SimVP+gSTA-S", 15.05, 49.80, 0.967),
)
PUBLISHED_SOURCE = ("OpenSTL benchmark (github.com/chengtan9907/OpenSTL, docs/en/model_zoos/video_benchmarks.md), "
                    "models trained for hundreds to thousands of GPU epochs")

MSE_CONVENTION = ("MSE and MAE are per-frame sums over all H×W×C pixels with values in [0, 1] "
                  "(the Moving MNIST convention: they scale with the frame size); PSNR in dB with peak 1 "
                  "(exact frames, PSNR +inf, left out of its means); SSIM by tf.image.ssim (11×11 Gaussian window)")
METRIC_COLUMNS = (("mse", "MSE ↓", "{:.2f}"), ("mae", "MAE ↓", "{:.2f}"), ("psnr", "PSNR ↑", "{:.2f}"),
                  ("ssim", "SSIM ↑", "{:.4f}"))


# --------------------------------------------------------------------------- #
# Evaluation
# --------------------------------------------------------------------------- #

def _named_predictors(predict_fn):
    predictors = dict(predict_fn) if isinstance(predict_fn, dict) else {DEFAULT_MODEL_NAME: predict_fn}
    for name, function in predictors.items():
        if not callable(function):
            raise ValueError(f"predict_fn {name!r} is not callable: got {type(function).__name__}; expected a "
                             "function from a context batch to a predicted future batch")
    if BASELINE_NAME in predictors:
        raise ValueError(f"predict_fn names {BASELINE_NAME!r}, the baseline's name; give the model another name")
    return predictors


def _check_pair(context, future):
    if context.ndim != 5 or future.ndim != 5:
        raise ValueError(f"expected batches (context, future) of shape (N, T, H, W, C), got shapes "
                         f"{context.shape} and {future.shape}")
    if context.shape[0] != future.shape[0] or context.shape[2:] != future.shape[2:]:
        raise ValueError(f"context and future differ in clips or frame shape: context {context.shape}, "
                         f"future {future.shape}; expected the same N, H, W and C")


def _pair_batches(pairs, batch_size, num_clips):
    """NumPy (context, future) batches from a dataset (batched or not) or an iterable of batches."""
    if isinstance(pairs, tf.data.Dataset):
        spec = pairs.element_spec
        if not (isinstance(spec, tuple) and len(spec) == 2 and all(isinstance(s, tf.TensorSpec) for s in spec)
                and spec[0].shape.rank in (4, 5)):
            raise ValueError(f"pairs: expected a dataset of (context, future) clips or batches, got element_spec "
                             f"{spec}")
        if spec[0].shape.rank == 4:
            pairs = pairs.batch(batch_size)
        if num_clips is None and pairs.cardinality() == tf.data.INFINITE_CARDINALITY:
            raise ValueError("pairs: the dataset is infinite (repeated); pass num_clips")
        pairs = pairs.as_numpy_iterator()
    for element in pairs:
        if not (isinstance(element, (tuple, list)) and len(element) == 2):
            raise ValueError(f"pairs: expected (context, future) batches, got a {type(element).__name__}")
        context, future = (np.asarray(part) for part in element)
        _check_pair(context, future)
        yield context, future


def _fvd_clips(context, predicted):
    # Context frames in both, so FVD judges the prediction as the continuation of what the model saw.
    return np.concatenate([as_uint8_array(context), as_uint8_array(predicted)], axis=1)


def evaluate_predictions(predict_fn, pairs, *, num_clips=None, fvd_num_videos=None, batch_size=DEFAULT_BATCH_SIZE,
                         fvd_model=None, fvd_weights=None):
    """Score predictions of the future frames and the copy-last-frame baseline on the same clips.

    `predict_fn(context) -> predicted future`: context is a NumPy batch
    (N, T_context, H, W, C) as `pairs` gave it (float in [-1, 1] by the
    package's convention); the prediction (N, T_future, H, W, C) is uint8 or
    float in [-1, 1]. A dict `{name: predict_fn}` scores several models in one
    pass (e.g. the GAN and the same network trained L1-only).
    `pairs`: an iterable of `(context, future)` batches, or a `tf.data.Dataset`
    of them (batched, or single clips batched here by `batch_size`).
    `num_clips`: score the first N clips (required for an infinite dataset;
    default all). `fvd_num_videos`: also compute FVD on the first that many
    clips, context + prediction against context + future (I3D needs
    T_context + T_future >= 9; FVD is biased by N, compare equal Ns);
    `batch_size` is also I3D's batch, `fvd_model` / `fvd_weights` as `model`
    / `weights` in `video_features`.

    Returns `{name: results}` for each model and for "copy last frame", each
    as `prediction_metrics` returns (per-step arrays, `*_mean` floats,
    "identical_frames", "num_clips") plus "fvd" when asked.

    Example:
    >>> pairs = [(np.zeros((2, 3, 16, 16, 1), np.float32), np.zeros((2, 2, 16, 16, 1), np.float32))]
    >>> sorted(evaluate_predictions({"L1 only": lambda context: context[:, :2]}, pairs))
    ['L1 only', 'copy last frame']
    >>> evaluate_predictions(predict, test_pairs, num_clips=2048, fvd_num_videos=2048)  # doctest: +SKIP
    """
    predictors = _named_predictors(predict_fn)
    check_positive_int("num_clips", num_clips, allow_none=True)
    check_positive_int("batch_size", batch_size)
    if fvd_num_videos is not None:
        check_positive_int("fvd_num_videos", fvd_num_videos)
        if fvd_num_videos < 2:
            raise ValueError(f"fvd_num_videos={fvd_num_videos} is not valid; FVD compares distributions and "
                             "needs at least 2 videos")
        if num_clips is not None and fvd_num_videos > num_clips:
            raise ValueError(f"fvd_num_videos={fvd_num_videos} is more than num_clips={num_clips}")
    names = [*predictors, BASELINE_NAME]
    scores = {name: [] for name in names}
    fvd_videos = {name: [] for name in ["real", *names]} if fvd_num_videos else None
    seen = 0
    for context, future in _pair_batches(pairs, batch_size, num_clips):
        if num_clips is not None:
            context, future = context[:num_clips - seen], future[:num_clips - seen]
        if fvd_videos is not None and context.shape[1] + future.shape[1] < MIN_FRAMES:
            raise ValueError(f"FVD: I3D needs at least {MIN_FRAMES} frames per clip, got context "
                             f"{context.shape[1]} + future {future.shape[1]}; pass fvd_num_videos=None")
        predictions = {name: np.asarray(function(context)) for name, function in predictors.items()}
        predictions[BASELINE_NAME] = copy_last_frame(context, future.shape[1])
        for name, predicted in predictions.items():
            try:
                scores[name].append(frame_scores(predicted, future))
            except ValueError as error:
                raise ValueError(f"{name}: {error}") from error
        kept = 0 if fvd_videos is None else min(len(future), max(fvd_num_videos - seen, 0))
        if kept:
            fvd_videos["real"].append(_fvd_clips(context[:kept], future[:kept]))
            for name, predicted in predictions.items():
                fvd_videos[name].append(_fvd_clips(context[:kept], predicted[:kept]))
        seen += len(future)
        if num_clips is not None and seen >= num_clips:
            break
    if seen == 0:
        raise ValueError("pairs: no clips given")
    if num_clips is not None and seen < num_clips:
        raise ValueError(f"num_clips={num_clips} but pairs gave only {seen} clips")
    if fvd_num_videos is not None and seen < fvd_num_videos:
        raise ValueError(f"fvd_num_videos={fvd_num_videos} but pairs gave only {seen} clips")
    results = {}
    for name in names:
        merged = {metric: np.concatenate([batch[metric] for batch in scores[name]]) for metric in scores[name][0]}
        results[name] = summarize_frame_scores(merged)
    if fvd_videos is not None:
        options = dict(batch_size=batch_size, model=fvd_model, weights=fvd_weights, verbose=0)
        real_features = video_features(np.concatenate(fvd_videos["real"]), **options)  # once, shared by all
        for name in names:
            fake_features = video_features(np.concatenate(fvd_videos[name]), **options)
            results[name]["fvd"] = frechet_distance(real_features, fake_features)
    return results


# --------------------------------------------------------------------------- #
# Markdown
# --------------------------------------------------------------------------- #

def _cell(value, template):
    value = float(value)
    return "inf" if np.isposinf(value) else template.format(value)


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _steps_to_show(results_by_name, steps):
    lengths = {name: len(results["mse"]) for name, results in results_by_name.items()}
    num_steps = min(lengths.values())
    if len(set(lengths.values())) != 1:
        raise ValueError(f"results have different numbers of future steps: {lengths}; expected one number")
    if steps is None:
        return list(range(1, num_steps + 1))
    steps = list(steps)
    bad = [step for step in steps if isinstance(step, bool) or not isinstance(step, (int, np.integer))
           or not 1 <= step <= num_steps]
    if bad:
        raise ValueError(f"steps {bad} are not valid; expected future steps 1 to {num_steps} (1 = first predicted)")
    return steps


def format_report(results_by_name, steps=None, *, published=False):
    """Markdown tables of `evaluate_predictions` results: one row per future step, then the averages.

    `results_by_name`: `{name: results}` (what `evaluate_predictions`
    returns, or several such dicts merged). `steps`: the 1-based future steps
    to list (default all). `published`: append OpenSTL's published Moving
    MNIST table (`published_moving_mnist_table`), labelled as not run here.

    Example:
    >>> context = -np.ones((2, 3, 16, 16, 1), np.float32)
    >>> future = np.ones((2, 2, 16, 16, 1), np.float32)
    >>> results = evaluate_predictions(lambda batch: np.ones((2, 2, 16, 16, 1), np.float32), [(context, future)])
    >>> print(format_report(results))  # doctest: +ELLIPSIS
    Per future step, mean over 2 clips. MSE and MAE are per-frame sums ...
    <BLANKLINE>
    | Step | MSE ↓ model | MSE ↓ copy last frame | MAE ↓ model | MAE ↓ copy last frame | PSNR ↑ model | ...
    |---|---|---|---|---|---|---|---|---|
    | 1 | 0.00 | 256.00 | 0.00 | 256.00 | inf | 0.00 | 1.0000 | 0.0001 |
    | 2 | 0.00 | 256.00 | 0.00 | 256.00 | inf | 0.00 | 1.0000 | 0.0001 |
    <BLANKLINE>
    Averaged over the 2 future steps. Exact frames left out of PSNR: model: 4.
    <BLANKLINE>
    | Model | MSE ↓ | MAE ↓ | PSNR ↑ | SSIM ↑ | Clips |
    |---|---|---|---|---|---|
    | model | 0.00 | 0.00 | inf | 1.0000 | 2 |
    | copy last frame | 256.00 | 256.00 | 0.00 | 0.0001 | 2 |
    """
    if not results_by_name:
        raise ValueError("results_by_name is empty; expected {name: results} for at least one model")
    steps = _steps_to_show(results_by_name, steps)
    names = list(results_by_name)
    counts = sorted({results["num_clips"] for results in results_by_name.values()})
    clips = " / ".join(str(count) for count in counts)
    header = ["Step"] + [f"{label} {name}" for _, label, _ in METRIC_COLUMNS for name in names]
    rows = [[str(step)] + [_cell(results_by_name[name][metric][step - 1], template)
                           for metric, _, template in METRIC_COLUMNS for name in names] for step in steps]
    per_step = f"Per future step, mean over {clips} clips. {MSE_CONVENTION}.\n\n" + _table(header, rows)

    with_fvd = any("fvd" in results for results in results_by_name.values())
    header = ["Model"] + [label for _, label, _ in METRIC_COLUMNS] + (["FVD ↓"] if with_fvd else []) + ["Clips"]
    rows = []
    for name, results in results_by_name.items():
        row = [name] + [_cell(results[f"{metric}_mean"], template) for metric, _, template in METRIC_COLUMNS]
        if with_fvd:
            row.append(_cell(results["fvd"], "{:.1f}") if "fvd" in results else "—")
        rows.append(row + [str(results["num_clips"])])
    exact = {name: int(np.sum(results["identical_frames"])) for name, results in results_by_name.items()}
    exact_note = "; ".join(f"{name}: {count}" for name, count in exact.items() if count)
    caption = (f"Averaged over the {len(results_by_name[names[0]]['mse'])} future steps"
               + (", FVD on context + prediction against the real clips" if with_fvd else "")
               + (f". Exact frames left out of PSNR: {exact_note}" if exact_note else "") + ".")
    report = per_step + "\n\n" + caption + "\n\n" + _table(header, rows)
    if published:
        report += "\n\n" + published_moving_mnist_table()
    return report


def published_moving_mnist_table():
    """OpenSTL's published Moving MNIST results (`PUBLISHED_MOVING_MNIST`) as Markdown, labelled not run here.

    Example:
    >>> print(published_moving_mnist_table())  # doctest: +ELLIPSIS
    Published, not run here: ...
    | Method | MSE ↓ | MAE ↓ | SSIM ↑ |
    |---|---|---|---|
    | ConvLSTM-L | 29.88 | 95.05 | 0.925 |
    ...
    """
    rows = [[method, f"{mse:.2f}", f"{mae:.2f}", f"{ssim:.3f}"] for method, mse, mae, ssim in PUBLISHED_MOVING_MNIST]
    caption = (f"Published, not run here: {PUBLISHED_SOURCE}. Moving MNIST, 10 → 10 frames of 64×64; "
               "MSE and MAE summed over the frame, pixels in [0, 1]; SSIM by scikit-image.")
    return caption + "\n\n" + _table(["Method", "MSE ↓", "MAE ↓", "SSIM ↑"], rows)
