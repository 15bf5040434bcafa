"""Restorers (keras_vgan.models.restorers): fully convolutional, start at the baseline, train as TranslationGAN."""

import numpy as np
import pytest
import tensorflow as tf

import keras

from keras_vgan.datasets.degradations import degraded_pairs, make_degradation
from keras_vgan.loss_terms import reconstruction_terms
from keras_vgan.models.restorers import build_restoration_discriminator, build_restoration_generator
from keras_vgan.models.translation import TranslationGAN
from keras_vgan.models.zoo import build_architecture, get_architecture


def _clips(count=2, frames=4, size=16, channels=1, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count, frames, size, size, channels)).astype(np.float32)


@pytest.mark.parametrize("upsampling", ["direct", "progressive"])
@pytest.mark.parametrize("scale", [1, 2, 4])
def test_untrained_restorer_is_the_baseline_at_any_size(scale, upsampling):
    model = build_restoration_generator(4, 16, 16, 1, scale=scale, filters=4, residual_blocks=1,
                                        upsampling=upsampling)
    assert model.input_shape == (None, None, None, None, 1)
    clip = _clips(1, frames=3, size=6)  # neither the training length nor size: fully convolutional
    clip = np.concatenate([clip, clip[:, :, :, :2]], axis=3)  # 6 x 8 frames
    output = np.asarray(model(clip))
    assert output.shape == (1, 3, 6 * scale, 8 * scale, 1) and output.dtype == np.float32
    expected = clip if scale == 1 else tf.image.resize(clip[0], (6 * scale, 8 * scale)).numpy()[None]
    np.testing.assert_allclose(output, expected, atol=1e-6)


def test_progressive_upsampling_draws_at_every_octave():
    model = build_restoration_generator(4, 16, 16, 1, scale=4, filters=8, residual_blocks=1,
                                        upsampling="progressive", upsampling_filters=6)
    refine = [layer for layer in model.layers if layer.name.endswith("_refine")]
    assert [layer.name for layer in refine] == ["upsample1_refine", "upsample2_refine"]
    clip = _clips(1, frames=2, size=5)
    # Each stage doubles the frame and works at the chosen width.
    probe = keras.Model(model.inputs, [layer.output for layer in refine])
    assert [tuple(np.shape(output)) for output in probe(clip)] == [(1, 2, 10, 10, 6), (1, 2, 20, 20, 6)]
    direct = build_restoration_generator(4, 16, 16, 1, scale=4, filters=8, residual_blocks=1)
    assert not any(layer.name.endswith("_refine") for layer in direct.layers)
    # The default width is the body's.
    default = build_restoration_generator(4, 16, 16, 1, scale=2, filters=8, residual_blocks=1,
                                          upsampling="progressive")
    assert default.get_layer("upsample1_refine").filters == 8


def test_the_zoo_passes_the_upsampling_options_to_the_restorer():
    generator, _ = build_architecture("restorer", frames=4, height=16, width=16, channels=1,
                                      degradation=make_degradation("sr", scale=4), generator_filters=4,
                                      residual_blocks=1, discriminator_filters=4, upsampling="progressive",
                                      upsampling_filters=4)
    assert generator.get_layer("upsample2_refine").filters == 4


def test_inpainting_restorer_reads_the_mask_and_outputs_the_clip_channels():
    model = build_restoration_generator(4, 16, 16, 3, condition_channels=4, filters=4, residual_blocks=1)
    condition = _clips(2, channels=4)
    output = np.asarray(model(condition))
    assert output.shape == (2, 4, 16, 16, 3)
    np.testing.assert_allclose(output, condition[..., :3], atol=1e-6)


@pytest.mark.parametrize("scale, upsampling", [(2, "direct"), (4, "progressive")])
def test_restorer_round_trips_through_a_keras_file(tmp_path, scale, upsampling):
    model = build_restoration_generator(4, 16, 16, 1, scale=scale, condition_channels=1, filters=4,
                                        residual_blocks=1, upsampling=upsampling)
    for variable in model.trainable_variables:  # non-zero residual, so the check is not trivially the baseline
        variable.assign(tf.random.stateless_normal(variable.shape, [0, 1]) * 0.1)
    path = str(tmp_path / "restorer.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    clip = _clips(1, size=8)
    np.testing.assert_allclose(np.asarray(loaded(clip)), np.asarray(model(clip)), atol=1e-6)


def test_bad_restorer_options_name_the_value():
    with pytest.raises(ValueError, match="scale=3"):
        build_restoration_generator(4, 16, 16, 1, scale=3)
    with pytest.raises(ValueError, match="condition_channels=5"):
        build_restoration_generator(4, 16, 16, 1, condition_channels=5)
    with pytest.raises(ValueError, match="height=18 is not divisible by scale=4"):
        build_restoration_generator(4, 18, 16, 1, scale=4)
    with pytest.raises(ValueError, match="upsampling='bicubic'"):
        build_restoration_generator(4, 16, 16, 1, scale=4, upsampling="bicubic")
    with pytest.raises(ValueError, match="upsampling_filters=0"):
        build_restoration_generator(4, 16, 16, 1, scale=4, upsampling="progressive", upsampling_filters=0)
    with pytest.raises(ValueError, match="upsampling_filters=8 is not valid with upsampling='direct'"):
        build_restoration_generator(4, 16, 16, 1, scale=4, upsampling_filters=8)


def test_discriminator_joins_the_resized_condition():
    d = build_restoration_discriminator(4, 16, 16, 1, scale=4, base_filters=4)
    assert [tuple(t.shape) for t in d.inputs] == [(None, 4, 16, 16, 1), (None, 4, 4, 4, 1)]
    assert d([np.zeros((2, 4, 16, 16, 1)), np.zeros((2, 4, 4, 4, 1))]).shape == (2, 1)


def test_patch_discriminator_scores_every_window():
    d = build_restoration_discriminator(4, 16, 16, 1, scale=2, base_filters=4, patch_layers=2)
    scores = d([np.zeros((2, 4, 16, 16, 1)), np.zeros((2, 4, 8, 8, 1))])
    assert scores.shape == (2, 4, 4, 4, 1) and scores.dtype == "float32"
    with pytest.raises(ValueError, match="patch_layers=4 is not valid for frames of 8x8"):
        build_restoration_discriminator(4, 8, 8, 1, patch_layers=4)
    with pytest.raises(ValueError, match="patch_layers=0"):
        build_restoration_discriminator(4, 16, 16, 1, patch_layers=0)


@pytest.mark.parametrize("degradation, condition", [("sr", (4, 4, 4, 1)), ("inpaint", (4, 16, 16, 2))])
def test_zoo_builds_a_restorer_for_the_degradation(degradation, condition):
    assert get_architecture("restorer").task == "enhance"
    generator, [discriminator] = build_architecture("restorer", 4, 16, 16, 1, degradation=degradation,
                                                    generator_filters=4, discriminator_filters=4,
                                                    residual_blocks=1)
    assert tuple(discriminator.inputs[1].shape[1:]) == condition
    assert generator.input_shape[-1] == condition[-1]
    with pytest.raises(ValueError, match="degradation=None"):
        build_architecture("restorer", 4, 16, 16, 1)
    with pytest.raises(ValueError, match="degradation='sr' is not valid for 'conv3d'"):
        build_architecture("conv3d", 4, 16, 16, 1, degradation="sr")


def test_translation_gan_trains_a_restorer_and_translates_any_size():
    degradation = make_degradation("sr", scale=2)
    generator, discriminators = build_architecture("restorer", 4, 16, 16, 1, degradation=degradation,
                                                   generator_filters=4, discriminator_filters=4,
                                                   residual_blocks=1, patch_layers=2)
    model = TranslationGAN(generator, discriminators, ema_decay=0.5)
    model.compile(loss_terms=reconstruction_terms(l1_weight=10.0))
    assert model.condition_shape == (None, None, None, 1)
    pairs = degraded_pairs(tf.data.Dataset.from_tensor_slices(_clips(4)), degradation).batch(2)
    history = model.fit(pairs, epochs=1, steps_per_epoch=2, verbose=0)
    assert np.isfinite(history.history["g_loss"][-1])
    assert model.translate(_clips(1, frames=5, size=12)).shape == (1, 5, 24, 24, 1)
    shown = model.showcase(_clips(2, size=8), _clips(2), layout="panels")
    assert shown.shape == (2, 4, 16, 3 * 16 + 4, 1) and shown.dtype == np.uint8
    with pytest.raises(ValueError, match="expected \\(N, any, any, any, 1\\)"):
        model.translate(_clips(1, channels=3))


@pytest.mark.parametrize("condition_channels", [None, 2])
def test_the_baseline_stays_float32_under_mixed_precision(condition_channels):
    # bfloat16 keeps 8 bits of mantissa: a baseline through it would be off by more than a grey level.
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = build_restoration_generator(4, 16, 16, 1, scale=2, filters=4, residual_blocks=1,
                                            condition_channels=condition_channels)
    finally:
        keras.config.set_dtype_policy(previous)
    condition = _clips(1, size=8, channels=condition_channels or 1)
    output = np.asarray(model(condition))
    assert output.dtype == np.float32
    expected = tf.image.resize(condition[0, ..., :1], (16, 16)).numpy()[None]
    np.testing.assert_allclose(output, expected, atol=1e-6)
