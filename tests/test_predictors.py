"""Frame predictors, the TranslationGAN that trains them, and `keras-vgan train --task predict`."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.datasets.pairs import context_future_pairs
from keras_vgan.loss_terms import GradientDifference, L1Reconstruction, L2Reconstruction, reconstruction_terms
from keras_vgan.models import TranslationGAN, build_architecture
from keras_vgan.models.predictors import (DepthToSpace, FutureSlots, WarpFrames, build_convlstm_predictor,
                                          build_prediction_discriminator, build_unet_predictor)
from keras_vgan.presets import get_preset

BUILDERS = {"convlstm": build_convlstm_predictor, "unet3d": build_unet_predictor}
CONTEXT, FUTURE, SIDE = 4, 3, 16


def _pairs(batches=2, batch_size=4, seed=0):
    rng = np.random.default_rng(seed)
    clips = rng.uniform(-1, 1, (batches * batch_size, CONTEXT + FUTURE, SIDE, SIDE, 1)).astype(np.float32)
    return context_future_pairs(tf.data.Dataset.from_tensor_slices(clips).batch(batch_size), CONTEXT, FUTURE)


@pytest.mark.parametrize("name", sorted(BUILDERS))
@pytest.mark.parametrize("side, channels, noise_dim", [(16, 1, 0), (32, 3, 4)])
def test_predictor_shapes_and_inputs(name, side, channels, noise_dim):
    model = BUILDERS[name](CONTEXT, FUTURE, side, side, channels, filters=4, noise_dim=noise_dim)
    assert model.output_shape == (None, FUTURE, side, side, channels)
    assert [t.name for t in model.inputs] == (["condition", "noise"] if noise_dim else ["condition"])
    inputs = [tf.zeros([2, CONTEXT, side, side, channels])] + ([tf.zeros([2, noise_dim])] if noise_dim else [])
    output = model(inputs if noise_dim else inputs[0])
    assert output.dtype == tf.float32 and float(tf.reduce_max(tf.abs(output))) <= 1.0


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_temporal_operation_is_causal(name):
    """A change to step t + 1 of the sequence leaves the outputs for steps <= t as they were.

    The sequence checked is the last one over every step, before the future
    steps are cut from it for the per-frame decoder.
    """
    model = BUILDERS[name](6, 2, SIDE, SIDE, 1, filters=4)
    sequence_model = keras.Model(model.input, model.get_layer("decode_future0").input)
    rng = np.random.default_rng(1)
    context = rng.uniform(-1, 1, (2, 6, SIDE, SIDE, 1)).astype(np.float32)
    before = sequence_model(context).numpy()
    for t in range(5):
        changed = context.copy()
        changed[:, t + 1] = rng.uniform(-1, 1, changed[:, t + 1].shape)
        after = sequence_model(changed).numpy()
        np.testing.assert_array_equal(after[:, :t + 1], before[:, :t + 1], err_msg=f"step {t} saw step {t + 1}")
        assert not np.allclose(after[:, t + 1], before[:, t + 1])  # the change itself does reach t + 1


def test_warp_frames_moves_pixels_by_the_velocity_times_the_step():
    frame = np.zeros((1, 1, 8, 8, 1), np.float32)
    frame[0, 0, 2, 3] = 1.0
    frames = np.repeat(frame, 2, axis=1)
    velocity = np.zeros((1, 2, 8, 8, 2), np.float32)
    velocity[..., 0], velocity[..., 1] = 1.0, 2.0  # down 1, right 2 per step
    moved = WarpFrames()([frames, velocity]).numpy()
    assert moved[0, 0, 3, 5, 0] == 1.0 and moved[0, 1, 4, 7, 0] == 1.0  # step k moves (k + 1) times as far
    assert moved[0, 0].sum() == 1.0
    half = WarpFrames(scale_by_step=False)([frames[:, :1], np.full((1, 1, 8, 8, 2), [0.0, 0.5], np.float32)]).numpy()
    np.testing.assert_allclose(half[0, 0, 2, 3:5, 0], [0.5, 0.5])  # bilinear between two pixels


def test_warp_frames_has_a_gradient_for_the_velocity():
    frame = tf.constant(np.pad(np.ones((1, 1, 4, 4, 1), np.float32), ((0, 0), (0, 0), (2, 2), (2, 2), (0, 0))))
    velocity = tf.Variable(tf.fill([1, 1, 8, 8, 2], 0.5))  # between pixels: both neighbours count
    target = tf.roll(frame, 1, axis=3)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.abs(WarpFrames()([frame, velocity]) - target))
    gradient = tape.gradient(loss, velocity).numpy()
    assert gradient[..., 1].sum() < 0  # descending it moves right, towards the target


def test_depth_to_space_matches_tensorflow():
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5, 12)).astype(np.float32)
    expected = tf.reshape(tf.nn.depth_to_space(tf.reshape(x, (6, 4, 5, 12)), 2), (2, 3, 8, 10, 3))
    np.testing.assert_array_equal(DepthToSpace(2)(x).numpy(), expected.numpy())


def test_future_slots_mark_what_was_seen():
    slots = FutureSlots(2)(tf.fill([1, 3, 4, 4, 1], 0.5)).numpy()
    assert slots.shape == (1, 5, 4, 4, 2)
    np.testing.assert_array_equal(slots[:, :3, ..., 1], 1.0)
    np.testing.assert_array_equal(slots[:, 3:], 0.0)
    np.testing.assert_array_equal(slots[:, :3, ..., 0], 0.5)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_the_context_of_the_output_equals_the_input_when_the_model_echoes_it(name):
    model = BUILDERS[name](CONTEXT, FUTURE, SIDE, SIDE, 1, filters=4, echo_context=True)
    assert model.output_shape == (None, CONTEXT + FUTURE, SIDE, SIDE, 1)
    context = np.random.default_rng(2).uniform(-1, 1, (2, CONTEXT, SIDE, SIDE, 1)).astype(np.float32)
    np.testing.assert_array_equal(model(context).numpy()[:, :CONTEXT], context)


def test_the_discriminator_scores_context_and_future_together():
    discriminator = build_prediction_discriminator(CONTEXT, FUTURE, SIDE, SIDE, 1, base_filters=4)
    assert [t.name for t in discriminator.inputs] == ["video", "condition"]
    future, context = tf.zeros([2, FUTURE, SIDE, SIDE, 1]), tf.zeros([2, CONTEXT, SIDE, SIDE, 1])
    assert tuple(discriminator([future, context]).shape) == (2, 1)


def test_reconstruction_terms_against_hand_computed_values():
    fake = tf.constant(np.arange(8, dtype=np.float32).reshape(1, 1, 2, 4, 1) / 8)
    real = tf.zeros_like(fake)
    np.testing.assert_allclose(L1Reconstruction()(fake, real, None).numpy(), [np.mean(np.arange(8) / 8)])
    np.testing.assert_allclose(L2Reconstruction()(fake, real, None).numpy(), [np.mean((np.arange(8) / 8) ** 2)])
    # Rows 0-3 and 4-7 of 1/8 steps: |dx| = 1/8 everywhere against 0; |dy| = 4/8 against 0.
    np.testing.assert_allclose(GradientDifference()(fake, real, None).numpy(), [0.5 + 0.125], rtol=1e-6)
    assert [t.weight for t in reconstruction_terms(100.0, 0.0, 2.0)] == [100.0, 2.0]


@pytest.mark.parametrize("adversarial", [True, False])
def test_a_fit_step_of_the_adversarial_and_the_l1_only_modes(adversarial):
    keras.utils.set_random_seed(0)
    predictor = build_convlstm_predictor(CONTEXT, FUTURE, SIDE, SIDE, 1, filters=4)
    discriminator = build_prediction_discriminator(CONTEXT, FUTURE, SIDE, SIDE, 1, base_filters=4)
    model = TranslationGAN(predictor, discriminator if adversarial else None, ema_decay=0.9)
    model.compile(loss="hinge", loss_terms=reconstruction_terms(l1_weight=100.0))
    before = [w.copy() for w in predictor.get_weights()]
    history = model.fit(_pairs(), epochs=1, verbose=0)
    expected = {"g_loss", "l1_reconstruction"} | ({"d_loss", "real_score", "fake_score"} if adversarial else set())
    assert set(history.history) == expected
    assert any(not np.array_equal(a, b) for a, b in zip(before, predictor.get_weights()))
    assert model.translate(np.zeros([3, CONTEXT, SIDE, SIDE, 1], np.float32)).shape == (3, FUTURE, SIDE, SIDE, 1)


def test_keras_round_trip_gives_the_same_predictions(tmp_path):
    keras.utils.set_random_seed(0)
    model = TranslationGAN(build_unet_predictor(CONTEXT, FUTURE, SIDE, SIDE, 1, filters=4, noise_dim=4),
                           build_prediction_discriminator(CONTEXT, FUTURE, SIDE, SIDE, 1, base_filters=4),
                           ema_decay=0.9)
    model.compile(loss_terms=reconstruction_terms(l1_weight=10.0, gradient_difference_weight=1.0))
    model.fit(_pairs(batches=1), epochs=1, verbose=0)
    context = np.random.default_rng(3).uniform(-1, 1, (5, CONTEXT, SIDE, SIDE, 1)).astype(np.float32)
    model.save(tmp_path / "predictor.keras")
    loaded = keras.models.load_model(tmp_path / "predictor.keras")
    assert isinstance(loaded, TranslationGAN) and loaded.discriminators
    np.testing.assert_array_equal(loaded.translate(context, seed=7), model.translate(context, seed=7))


def test_bad_translation_input_is_one_clear_error():
    model = TranslationGAN(build_convlstm_predictor(CONTEXT, FUTURE, SIDE, SIDE, 1, filters=4))
    with pytest.raises(ValueError, match=r"condition of shape \(2, 5, 16, 16, 1\) is not valid.*expected \(N, 4, 16"):
        model.translate(np.zeros([2, 5, SIDE, SIDE, 1], np.float32))
    with pytest.raises(ValueError, match="a batch of a translation model must be \\(condition, target\\)"):
        model._unpack(tf.zeros([2, 7, SIDE, SIDE, 1]))
    generator = keras.Sequential([keras.Input((4,), name="noise"), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="has no 'condition' input"):
        TranslationGAN(generator)
    with pytest.raises(ValueError, match="clips of 6 frames are too short for context=4 and future=3"):
        context_future_pairs(tf.data.Dataset.from_tensors(tf.zeros([2, 6, 8, 8, 1])), 4, 3)


def test_the_registry_and_the_config_keep_tasks_apart():
    predictor, discriminators = build_architecture("convlstm", 7, SIDE, SIDE, 1, context_frames=4,
                                                   generator_filters=4, discriminator_filters=4)
    assert predictor.output_shape == (None, 3, SIDE, SIDE, 1) and len(discriminators) == 1
    with pytest.raises(ValueError, match="context_frames=None is not valid for the predictor 'convlstm'"):
        build_architecture("convlstm", 7, SIDE, SIDE, 1)
    with pytest.raises(ValueError, match="context_frames=4 is not valid for 'conv3d'"):
        build_architecture("conv3d", 8, SIDE, SIDE, 1, context_frames=4)
    config = get_preset("predict-moving-digits")
    assert (config.task, config.frames, config.context, config.future) == ("predict", 20, 10, 10)
    with pytest.raises(ValueError, match="frames=16 is not valid with context=10 and future=10; expected frames"):
        config.replace(frames=16).validate()
    with pytest.raises(ValueError, match="model='conv3d' is a 'generate' architecture, not valid for task='predict'"):
        config.replace(model="conv3d", model_options={}).validate()
    with pytest.raises(ValueError, match="model='convlstm' is a 'predict' architecture"):
        get_preset("quickstart").replace(model="convlstm", model_options={}).validate()
    with pytest.raises(ValueError, match="expected at least one term to train on"):
        config.replace(adversarial_weight=0.0, l1_weight=0.0).validate()


def test_train_task_predict_end_to_end_then_predict_a_video(tmp_path):
    import video_factory

    run = tmp_path / "runs" / "tiny-prediction"
    result = subprocess.run(
        [sys.executable, "-m", "keras_vgan.cli", "train", "--task", "predict", "--context", "4", "--future", "3",
         "--frames", "7", "--size", "16", "--generator-filters", "4", "--discriminator-filters", "4",
         "--num-videos", "16", "--batch-size", "4", "--epochs", "2", "--steps-per-epoch", "2", "--num-samples", "2",
         "--output", str(tmp_path / "runs"), "--name", "tiny-prediction", "--quiet"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("model.keras", "config.json", "samples/epoch_0002.png", "samples/epoch_0002.gif", "samples/real.png"):
        assert (run / name).is_file(), name
    # A sample is context → truth | context → prediction: 7 frames, two 16-pixel panels and a separator.
    from PIL import Image

    grid = Image.open(run / "samples" / "epoch_0002.png")
    assert grid.size[0] >= 7 * (2 * SIDE + 2)
    video = tmp_path / "input.mp4"
    video_factory.write_h264(str(video), num_frames=12, width=48, height=32)
    out = tmp_path / "continued.gif"
    predicted = subprocess.run([sys.executable, "-m", "keras_vgan.cli", "predict", str(run), str(video), "--out",
                                str(out)], capture_output=True, text=True, timeout=300)
    assert predicted.returncode == 0, predicted.stderr[-3000:]
    assert out.is_file() and os.path.getsize(out) > 0


def test_train_task_predict_on_the_moving_mnist_test_set_layout(tmp_path):
    """`mnist_test_seq.npy` (20 frames × N videos × 64 × 64, uint8) trains a 10 → 10 predictor through --data."""
    rng = np.random.default_rng(0)
    sequences = np.zeros((20, 4, 64, 64), np.uint8)
    for video in range(4):  # one bright square a clip, moving right one pixel a frame
        top, left = rng.integers(0, 40, 2)
        for frame in range(20):
            sequences[frame, video, top:top + 8, left + frame:left + frame + 8] = 255
    path = tmp_path / "mnist_test_seq.npy"
    np.save(path, sequences)
    result = subprocess.run(
        [sys.executable, "-m", "keras_vgan.cli", "train", "--task", "predict", "--data", str(path), "--context", "10",
         "--future", "10", "--frames", "20", "--size", "64", "--generator-filters", "4", "--discriminator-filters",
         "4", "--batch-size", "2", "--epochs", "1", "--steps-per-epoch", "1", "--num-samples", "1",
         "--output", str(tmp_path / "runs"), "--name", "mnist", "--quiet"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    from keras_vgan.saving import load_video_gan

    model = load_video_gan(str(tmp_path / "runs" / "mnist"))
    assert model.condition_shape == (10, 64, 64, 1)
    context = sequences[:10, :1].transpose(1, 0, 2, 3)[..., None]
    assert model.translate(context).shape == (1, 10, 64, 64, 1)
