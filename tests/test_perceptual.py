"""The perceptual loss: the trained I3D stem on clips of any size, and the loss term that compares its features."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.loss_terms import PerceptualLoss, reconstruction_terms
from keras_vgan.metrics import i3d
from keras_vgan.presets import get_preset

TINY = dict(frames=4, height=16, width=16, generator_filters=4, discriminator_filters=4,
            model_options={"residual_blocks": 1}, batch_size=2, num_samples=2)


@pytest.fixture(scope="module")
def stem(i3d_model):
    return i3d.load_i3d_stem("Conv3d_2c_3x3")


def test_stem_is_the_full_networks_first_layers_on_any_size(i3d_model, stem):
    clip = tf.random.stateless_uniform([1, 9, 224, 224, 3], [0, 7], -1, 1)
    inside = keras.Model(i3d_model.input, i3d_model.get_layer("Conv3d_2c_3x3.bn").output)
    np.testing.assert_allclose(stem(clip).numpy(), inside(clip).numpy(), rtol=1e-5, atol=1e-4)
    small = tf.zeros([2, 8, 32, 48, 3])
    assert stem(small).shape == (2, 4, 8, 12, 192)
    assert i3d.load_i3d_stem("Conv3d_1a_7x7")(small).shape == (2, 4, 16, 24, 64)
    assert not stem.trainable_weights


def test_stem_refuses_a_layer_past_the_stem():
    with pytest.raises(ValueError, match="unit='Mixed_3b' is not valid; expected one of Conv3d_1a_7x7"):
        i3d.load_i3d_stem("Mixed_3b")
    with pytest.raises(ValueError, match="layer='Mixed_3b' is not valid"):
        PerceptualLoss(layer="Mixed_3b")


def test_perceptual_loss_is_zero_for_the_target_and_grows_with_blur(stem):
    term = PerceptualLoss(weight=3.0)
    target = tf.random.stateless_uniform([2, 8, 32, 32, 1], [1, 7], -1, 1)
    np.testing.assert_allclose(term(target, target, None).numpy(), [0.0, 0.0], atol=1e-6)
    blurred = tf.stack([tf.nn.avg_pool2d(target[:, t], 3, 1, "SAME") for t in range(8)], axis=1)
    more_blurred = tf.stack([tf.nn.avg_pool2d(target[:, t], 5, 1, "SAME") for t in range(8)], axis=1)
    some, more = term(blurred, target, None).numpy(), term(more_blurred, target, None).numpy()
    assert some.shape == (2,) and np.all(some > 0.05) and np.all(more > some)
    # Grayscale is read as RGB with three equal channels.
    rgb = PerceptualLoss()(tf.repeat(blurred, 3, axis=-1), tf.repeat(target, 3, axis=-1), None)
    np.testing.assert_allclose(rgb.numpy(), some, rtol=1e-5)
    with pytest.raises(ValueError, match="clips with 2 channels are not valid for the perceptual loss"):
        term(tf.zeros([1, 8, 16, 16, 2]), tf.zeros([1, 8, 16, 16, 2]), None)


def test_perceptual_loss_trains_the_output_only(stem):
    fake = tf.Variable(tf.random.stateless_uniform([1, 4, 16, 16, 1], [2, 7], -1, 1))
    real = tf.Variable(tf.random.stateless_uniform([1, 4, 16, 16, 1], [3, 7], -1, 1))
    with tf.GradientTape() as tape:
        value = PerceptualLoss()(fake, real, None)
    to_fake, to_real = tape.gradient(value, [fake, real])
    assert float(tf.reduce_max(tf.abs(to_fake))) > 0
    assert to_real is None or not np.any(to_real.numpy())


def test_perceptual_loss_reads_its_network_only_when_used_and_round_trips(tmp_path):
    term = PerceptualLoss(2.0, layer="Conv3d_1a_7x7", weights=str(tmp_path / "missing.ckpt"))
    again = PerceptualLoss.from_config(term.get_config())  # no weights read so far
    assert (again.weight, again.layer, again.weights) == (2.0, "Conv3d_1a_7x7", str(tmp_path / "missing.ckpt"))
    with pytest.raises(FileNotFoundError, match="missing.ckpt"):
        again(tf.zeros([1, 4, 8, 8, 1]), tf.zeros([1, 4, 8, 8, 1]), None)
    terms = reconstruction_terms(l1_weight=1.0, perceptual_weight=5.0, perceptual_layer="Conv3d_2b_1x1")
    assert [(t.name, t.weight) for t in terms] == [("l1_reconstruction", 1.0), ("perceptual", 5.0)]
    assert terms[1].layer == "Conv3d_2b_1x1"


def test_enhance_config_checks_the_perceptual_layer():
    config = get_preset("enhance-sr-moving-digits").replace(perceptual_weight=1.0, perceptual_layer="Conv3d_2b_1x1")
    assert config.validate().perceptual_layer == "Conv3d_2b_1x1"
    with pytest.raises(ValueError, match="perceptual_layer='conv1' is not valid"):
        config.replace(perceptual_layer="conv1").validate()
    # The perceptual term alone is something to train on.
    get_preset("enhance-sr-moving-digits").replace(l1_weight=0.0, adversarial_weight=0.0, temporal_weight=0.0,
                                                   perceptual_weight=1.0).validate()


def test_a_restorer_trains_with_the_perceptual_loss_and_loads_without_its_weights(stem, tmp_path):
    from keras_vgan.training import train

    config = get_preset("enhance-sr-moving-digits").replace(
        scale=2, perceptual_weight=1.0, num_videos=4, epochs=1, steps_per_epoch=2, sample_every=1, **TINY)
    gan, history = train(config, str(tmp_path / "run"), verbose=0)
    assert np.isfinite(history.history["perceptual"][-1]) and history.history["perceptual"][-1] > 0
    # Restoring with the run needs only the generator: the I3D weights are not read to load it.
    code = ("from keras_vgan.saving import load_video_gan; import numpy as np; "
            f"gan = load_video_gan({str(tmp_path / 'run')!r}); "
            "print(gan.translate(np.zeros((1, 4, 8, 8, 1), np.float32)).shape)")
    env = {**os.environ, "KERAS_VGAN_I3D_WEIGHTS": str(tmp_path / "missing.ckpt")}
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert "(1, 4, 16, 16, 1)" in loaded.stdout


def test_train_with_the_perceptual_loss_and_no_weights_is_one_line_and_no_run(tmp_path):
    env = {**os.environ, "KERAS_VGAN_I3D_WEIGHTS": str(tmp_path / "missing.ckpt")}
    result = subprocess.run(
        [sys.executable, "-m", "keras_vgan.cli", "train", "--preset", "enhance-sr-moving-digits",
         "--perceptual-weight", "1", "--output", str(tmp_path / "runs"), "--quiet"],
        capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "missing.ckpt" in result.stderr, result.stderr
    assert not (tmp_path / "runs").exists()
