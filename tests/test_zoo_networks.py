"""The model zoo's networks: sizes, round trips, mixed precision, and what each architecture promises.

Discriminators that sample frames (image, spatial) are random only with
`training=True`; the round trips compare them in their deterministic mode
(evenly spaced frames, the default), which is what makes two models with
equal weights give equal scores.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.callbacks.singular_value_clipping import SingularValueClipping, clip_singular_values
from keras_vgan.models import build_video_discriminator, build_video_generator
from keras_vgan.models.dvd_gan import build_spatial_discriminator, build_temporal_discriminator
from keras_vgan.models.image_networks import build_image_generator
from keras_vgan.models.mocogan import build_image_discriminator, build_mocogan_generator
from keras_vgan.models.sprites import build_sprite_generator
from keras_vgan.models.tgan import build_tgan_generator, temporal_doublings
from keras_vgan.models.vgan import build_vgan_generator, vgan_streams

GENERATORS = {
    "conv3d_resize_attention": lambda f, h, w, c: build_video_generator(
        f, h, w, c, latent_dim=8, base_filters=4, upsampling="resize", attention_resolution=8),
    "vgan": lambda f, h, w, c: build_vgan_generator(f, h, w, c, latent_dim=8, base_filters=4),
    "vgan_resize": lambda f, h, w, c: build_vgan_generator(f, h, w, c, latent_dim=8, base_filters=4,
                                                           upsampling="resize"),
    "tgan": lambda f, h, w, c: build_tgan_generator(f, h, w, c, latent_dim=8, frame_latent_dim=6, base_filters=4),
    "mocogan": lambda f, h, w, c: build_mocogan_generator(f, h, w, c, content_dim=6, motion_dim=3, base_filters=4),
    "sprites": lambda f, h, w, c: build_sprite_generator(f, h, w, c, latent_dim=8, sprites=3, base_filters=4),
}
DISCRIMINATORS = {
    "conv3d_attention_no_time_downsampling": lambda f, h, w, c: build_video_discriminator(
        f, h, w, c, base_filters=4, time_downsampling=False, attention_resolution=8),
    "image": lambda f, h, w, c: build_image_discriminator(f, h, w, c, frames_per_clip=2, base_filters=4),
    "spatial": lambda f, h, w, c: build_spatial_discriminator(f, h, w, c, base_filters=4),
    "temporal": lambda f, h, w, c: build_temporal_discriminator(f, h, w, c, base_filters=4),
}
SIZES = [(8, 32, 32, 1), (16, 32, 32, 3), (8, 64, 64, 3), (16, 64, 64, 1)]


def noise_for(generator, batch, seed=0):
    """Standard-normal noise for every input of the generator, by the input's shape (the zoo's contract)."""
    rng = np.random.default_rng(seed)
    noise = [rng.normal(size=(batch, *x.shape[1:])).astype("float32") for x in generator.inputs]
    return noise if len(noise) > 1 else noise[0]


def _videos(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype("float32")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
def test_every_network_builds_at_every_size(size):
    frames, height, width, channels = size
    for name, build in GENERATORS.items():
        generator = build(*size)
        assert generator.output_shape == (None, *size), name
        video = generator(noise_for(generator, 1))
        assert tuple(video.shape) == (1, *size) and video.dtype == tf.float32, name
        assert float(np.abs(video.numpy()).max()) <= 1.0, name
    for name, build in DISCRIMINATORS.items():
        discriminator = build(*size)
        assert discriminator.input.name == "video", name
        assert discriminator.output_shape == (None, 1), name
        assert tuple(discriminator(_videos((2, *size)), training=True).shape) == (2, 1), name


def test_generators_take_only_named_noise_inputs():
    names = {name: [x.name for x in build(8, 32, 32, 1).inputs] for name, build in GENERATORS.items()}
    assert names == {"conv3d_resize_attention": ["noise"], "vgan": ["noise"], "vgan_resize": ["noise"],
                     "tgan": ["noise"], "mocogan": ["content", "motion"], "sprites": ["noise"]}


@pytest.mark.parametrize("name", sorted(GENERATORS) + sorted(DISCRIMINATORS))
def test_keras_file_round_trip_gives_identical_outputs(name, tmp_path):
    size = (8, 32, 32, 1)
    if name in GENERATORS:
        model = GENERATORS[name](*size)
        inputs = noise_for(model, 2)
    else:
        model = DISCRIMINATORS[name](*size)
        inputs = _videos((2, *size))
    model.save(tmp_path / f"{name}.keras")
    loaded = keras.models.load_model(tmp_path / f"{name}.keras")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    np.testing.assert_array_equal(loaded(inputs).numpy(), model(inputs).numpy())


def test_one_mixed_bfloat16_step_gives_float32_videos_logits_and_gradients():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    size = (8, 32, 32, 1)
    discriminators = [build(*size) for build in DISCRIMINATORS.values()]
    discriminators.append(build_video_discriminator(*size, base_filters=4, normalization="spectral",
                                                    attention_resolution=16))
    discriminators.append(build_video_discriminator(*size, base_filters=4, normalization="batch"))
    # Each generator against one discriminator: every network takes part once, at a fifth of the cost.
    assert len(discriminators) == len(GENERATORS)
    for (name, build), discriminator in zip(GENERATORS.items(), discriminators):
        generator = build(*size)
        with tf.GradientTape() as tape:
            video = generator(noise_for(generator, 2), training=True)
            logits = discriminator(video, training=True)
            loss = tf.add_n([tf.reduce_mean(logits)] + list(generator.losses))
        assert video.dtype == tf.float32, name
        assert logits.dtype == tf.float32, discriminator.name
        gradients = tape.gradient(loss, generator.trainable_variables + discriminator.trainable_variables)
        assert all(g is not None for g in gradients), name
        assert all(np.isfinite(tf.cast(g, tf.float32).numpy()).all() for g in gradients), name


# ---- VGAN ---------------------------------------------------------------------------------------


def test_vgan_video_is_the_mask_composition_of_its_streams():
    generator = build_vgan_generator(16, 32, 32, 3, latent_dim=8, base_filters=4)
    streams = vgan_streams(generator)(noise_for(generator, 2))
    mask, foreground, background = (streams[key].numpy() for key in ("mask", "foreground", "background"))
    assert mask.shape == (2, 16, 32, 32, 1) and 0.0 <= mask.min() and mask.max() <= 1.0
    np.testing.assert_allclose(streams["video"].numpy(), mask * foreground + (1 - mask) * background,
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(streams["video"].numpy(), generator(noise_for(generator, 2)).numpy())
    # The background is one frame, held still.
    np.testing.assert_array_equal(background, np.repeat(background[:, :1], 16, axis=1))
    assert np.abs(foreground[:, 1:] - foreground[:, :1]).max() > 0


def test_vgan_mask_sparsity_is_in_the_generator_losses():
    generator = build_vgan_generator(8, 32, 32, 1, latent_dim=8, base_filters=4, mask_sparsity=0.1)
    noise = noise_for(generator, 2)
    with tf.GradientTape() as tape:
        generator(noise, training=True)
        penalty = tf.add_n(generator.losses)
    mask = vgan_streams(generator)(noise, training=True)["mask"].numpy()
    np.testing.assert_allclose(float(penalty), 0.1 * mask.mean(), rtol=1e-5)
    gradient = tape.gradient(penalty, generator.get_layer("mask_deconv").kernel)
    assert float(tf.reduce_sum(tf.abs(gradient))) > 0
    assert build_vgan_generator(8, 32, 32, 1, latent_dim=8, base_filters=4, mask_sparsity=0).losses == []


def test_vgan_streams_refuses_another_generator_and_bad_options_are_named():
    with pytest.raises(ValueError, match="generator='video_generator'"):
        vgan_streams(build_video_generator(8, 32, 32, 1, latent_dim=8, base_filters=4))
    with pytest.raises(ValueError, match="mask_sparsity=-0.1"):
        build_vgan_generator(8, 32, 32, 1, mask_sparsity=-0.1)
    with pytest.raises(ValueError, match="upsampling='bilinear'"):
        build_vgan_generator(8, 32, 32, 1, upsampling="bilinear")


# ---- TGAN ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("frames, doublings", [(16, 4), (8, 3), (20, 2), (5, 0)])
def test_tgan_temporal_generator_grows_one_latent_into_a_latent_per_frame(frames, doublings):
    assert temporal_doublings(frames) == doublings
    generator = build_tgan_generator(frames, 32, 32, 1, latent_dim=8, frame_latent_dim=6, base_filters=4)
    assert generator.get_layer("temporal_grid").output.shape[1] == frames // 2**doublings
    strides = [layer.strides[0] for layer in generator.layers if isinstance(layer, keras.layers.Conv1DTranspose)]
    assert strides == [2] * doublings or (doublings == 0 and strides == [1])
    codes = keras.Model(generator.input, generator.get_layer("frame_codes").output)(noise_for(generator, 2))
    assert tuple(codes.shape) == (2, frames, 8 + 6)
    np.testing.assert_array_equal(codes[:, :, :8].numpy(), np.repeat(codes[:, :1, :8].numpy(), frames, axis=1))


# ---- MoCoGAN ------------------------------------------------------------------------------------


def test_mocogan_content_is_constant_over_a_clip_and_motion_changes():
    generator = build_mocogan_generator(16, 32, 32, 1, content_dim=6, motion_dim=3, base_filters=4)
    content, motion = noise_for(generator, 4)
    codes = keras.Model(generator.inputs, generator.get_layer("frame_codes").output)([content, motion]).numpy()
    assert codes.shape == (4, 16, 9)
    np.testing.assert_array_equal(codes[:, :, :6], np.repeat(content[:, None], 16, axis=1))
    motion_codes = codes[:, :, 6:]
    assert (np.abs(np.diff(motion_codes, axis=1)).max(axis=2) > 1e-4).all()  # every step moves
    assert not np.allclose(motion_codes[0], motion_codes[1])
    # Inputs are found by name, whatever order a caller builds them in.
    by_name = generator({"motion": motion, "content": content}).numpy()
    np.testing.assert_array_equal(by_name, generator([content, motion]).numpy())


def test_mocogan_video_discriminator_keeps_every_frame():
    discriminator = build_video_discriminator(16, 32, 32, 1, base_filters=4, time_downsampling=False)
    assert [layer.strides for layer in discriminator.layers if isinstance(layer, keras.layers.Conv3D)] == \
        [(1, 2, 2)] * 3
    assert discriminator.get_layer("flatten").output.shape[-1] == 16 * 4 * 4 * 16


def test_image_discriminator_scores_single_random_frames():
    discriminator = build_image_discriminator(16, 32, 32, 1, base_filters=4)
    clips = _videos((3, 16, 32, 32, 1))
    assert discriminator.get_layer("sample_frames").output.shape == (None, 1, 32, 32, 1)
    frame_model = discriminator.get_layer("frame_scores").layer
    # Outside training the frame is the middle one; the score is that frame's score.
    np.testing.assert_allclose(discriminator(clips).numpy(), frame_model(clips[:, 8]).numpy(), rtol=1e-5)
    scores = {float(discriminator(clips[:1], training=True)[0, 0]) for _ in range(8)}
    assert len(scores) > 1


# ---- DVD-GAN ------------------------------------------------------------------------------------


def test_dvd_gan_spatial_discriminator_sums_the_scores_of_eight_frames():
    discriminator = build_spatial_discriminator(16, 32, 32, 1, base_filters=4)
    clips = _videos((2, 16, 32, 32, 1))
    frame_model = discriminator.get_layer("frame_scores").layer
    assert any(isinstance(layer, keras.layers.SpectralNormalization) for layer in frame_model.layers)
    evenly = [1, 3, 5, 7, 9, 11, 13, 15]
    expected = frame_model(clips[:, evenly].reshape(16, 32, 32, 1)).numpy().reshape(2, 8).sum(axis=1)
    np.testing.assert_allclose(discriminator(clips).numpy()[:, 0], expected, rtol=1e-4)
    with pytest.raises(ValueError, match="frames_per_clip=8"):
        build_spatial_discriminator(4, 32, 32, 1)


def test_dvd_gan_temporal_discriminator_sees_the_clip_at_half_resolution():
    discriminator = build_temporal_discriminator(16, 64, 64, 1, base_filters=4)
    assert discriminator.get_layer("downsample_2x").output.shape == (None, 16, 32, 32, 1)
    assert discriminator.get_layer("down1_conv_sn").output.shape == (None, 8, 16, 16, 4)
    with pytest.raises(ValueError, match="height=8"):
        build_temporal_discriminator(8, 8, 8, 1)


# ---- conv3d options -----------------------------------------------------------------------------


def test_conv3d_defaults_keep_their_layers_and_options_add_named_ones():
    default = [layer.name for layer in build_video_generator(8, 32, 32, 1, latent_dim=8, base_filters=4).layers]
    assert default == ["noise", "project", "to_video_grid", "project_norm", "project_relu", "up1_deconv",
                       "up1_norm", "up1_relu", "up2_deconv", "up2_norm", "up2_relu", "to_video_deconv", "video"]
    resize = build_video_generator(8, 32, 32, 1, latent_dim=8, base_filters=4, upsampling="resize",
                                   attention_resolution=16)
    names = [layer.name for layer in resize.layers]
    assert not any(isinstance(layer, keras.layers.Conv3DTranspose) for layer in resize.layers)
    assert names[names.index("up2_relu") + 1] == "up2_attention"
    assert resize.get_layer("up2_attention").output.shape == (None, 4, 16, 16, 4)
    assert resize.get_layer("to_video_upsample").output.shape == (None, 8, 32, 32, 4)
    discriminator = build_video_discriminator(8, 32, 32, 1, base_filters=4, attention_resolution=4)
    assert discriminator.get_layer("down3_attention").output.shape == (None, 1, 4, 4, 16)


@pytest.mark.parametrize("build, kwargs, named", [
    (build_video_generator, {"attention_resolution": 32}, "attention_resolution=32"),
    (build_video_generator, {"upsampling": "bilinear"}, "upsampling='bilinear'"),
    (build_video_discriminator, {"attention_resolution": 6}, "attention_resolution=6"),
    (build_video_discriminator, {"time_downsampling": "no"}, "time_downsampling='no'"),
    (build_image_discriminator, {"frames_per_clip": 9}, "frames_per_clip=9"),
    (build_image_generator, {"activation": "relu"}, "activation='relu'"),
    (build_tgan_generator, {"frame_latent_dim": 0}, "frame_latent_dim=0"),
    (build_mocogan_generator, {"motion_dim": 0}, "motion_dim=0"),
    (build_mocogan_generator, {"height": 48, "width": 48}, "height=48"),
])
def test_bad_options_name_the_value(build, kwargs, named):
    size = {"height": 32, "width": 32, "channels": 1}
    if build is not build_image_generator:
        size["frames"] = 8
    if build is build_image_generator:
        size["latent_dim"] = 8
    with pytest.raises(ValueError, match=named):
        build(**{**size, **kwargs})


# ---- TGAN's singular value clipping -------------------------------------------------------------


def _largest_singular_value(kernel):
    matrix = np.reshape(kernel, (-1, kernel.shape[-1]))
    return np.linalg.svd(matrix, compute_uv=False).max()


def test_singular_value_clipping_bounds_every_discriminator_kernel():
    video_d = build_video_discriminator(8, 32, 32, 1, base_filters=4)
    image_d = build_image_discriminator(8, 32, 32, 1, base_filters=4)
    for variable in video_d.trainable_variables + image_d.trainable_variables:
        variable.assign(variable * 20.0)
    small = video_d.get_layer("down1_conv").kernel
    small.assign(small / 1000.0)
    untouched = small.numpy()

    class FakeGAN:
        discriminators = [video_d, image_d]

    callback = SingularValueClipping()
    callback.set_model(FakeGAN())
    kernels = callback.kernels()
    assert len(kernels) == 4 + 4  # three convolutions and a dense layer each
    assert max(_largest_singular_value(k.numpy()) for k in kernels) > 2
    callback.on_train_batch_end(0)
    assert all(_largest_singular_value(k.numpy()) <= 1 + 1e-5 for k in kernels)
    np.testing.assert_array_equal(small.numpy(), untouched)  # already within the bound: left alone


def test_clipping_keeps_the_directions_and_only_shrinks_large_singular_values():
    kernel = np.random.default_rng(0).normal(size=(3, 3, 2, 5)).astype("float32") * 3
    variable = keras.Variable(kernel)
    assert clip_singular_values(variable)
    before = np.linalg.svd(kernel.reshape(-1, 5), compute_uv=False)
    after = np.linalg.svd(variable.numpy().reshape(-1, 5), compute_uv=False)
    np.testing.assert_allclose(after, np.minimum(before, 1.0), atol=1e-5)
    with pytest.raises(ValueError, match="every_n_steps=0"):
        SingularValueClipping(every_n_steps=0)
