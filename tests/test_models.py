import pytest

from keras_vgan.models import build_video_discriminator, build_video_generator, video_layout


@pytest.mark.parametrize(
    "frames, height, width, channels",
    [(16, 64, 64, 3), (8, 32, 32, 1), (20, 64, 64, 1), (12, 32, 48, 3), (2, 8, 8, 1), (32, 16, 16, 3)],
)
def test_generator_and_discriminator_shapes(frames, height, width, channels):
    generator = build_video_generator(frames, height, width, channels, latent_dim=8, base_filters=4)
    discriminator = build_video_discriminator(frames, height, width, channels, base_filters=4)
    assert generator.input_shape == (None, 8)
    assert generator.output_shape == (None, frames, height, width, channels)
    assert discriminator.input_shape == (None, frames, height, width, channels)
    assert discriminator.output_shape == (None, 1)
    video = generator(keras_noise(3, 8))
    assert tuple(video.shape) == (3, frames, height, width, channels)
    assert float(abs(video).numpy().max()) <= 1.0
    assert tuple(discriminator(video).shape) == (3, 1)


def keras_noise(n, d):
    import numpy as np

    return np.random.default_rng(0).normal(size=(n, d)).astype("float32")


def test_the_benchmark_model_has_the_vgan_layout():
    generator = build_video_generator(16, 64, 64, 3, latent_dim=100, base_filters=64)
    widths = [layer.filters for layer in generator.layers if layer.__class__.__name__ == "Conv3DTranspose"]
    assert widths == [256, 128, 64, 3]
    assert generator.get_layer("to_video_grid").output.shape[1:] == (1, 4, 4, 512)
    discriminator = build_video_discriminator(16, 64, 64, 3, base_filters=64)
    widths = [layer.filters for layer in discriminator.layers if layer.__class__.__name__ == "Conv3D"]
    assert widths == [64, 128, 256, 512]
    total = generator.count_params() + discriminator.count_params()
    assert 20e6 < total < 26e6


def test_depth_follows_from_the_size():
    assert video_layout(16, 64, 64).depth == 4
    assert video_layout(16, 32, 32).depth == 3
    assert video_layout(20, 64, 64).start_shape == (5, 4, 4)
    assert video_layout(12, 32, 48).start_shape == (3, 4, 6)


@pytest.mark.parametrize(
    "kwargs, named",
    [
        ({"frames": 1}, "frames=1"),
        ({"height": 48, "width": 48}, "height=48"),
        ({"height": 64, "width": 100}, "width=100"),
        ({"height": 4, "width": 4}, "height=4"),
        ({"channels": 0}, "channels=0"),
        ({"normalization": "group"}, "normalization='group'"),
    ],
)
def test_unbuildable_configurations_name_the_value(kwargs, named):
    options = dict(frames=8, height=32, width=32, channels=1)
    options.update(kwargs)
    with pytest.raises(ValueError, match=named.replace("(", r"\(")):
        build_video_generator(**options)
    if "normalization" not in kwargs:
        with pytest.raises(ValueError, match=named):
            build_video_discriminator(**options)


def test_spectral_discriminator_keeps_float32_logits():
    import keras

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    discriminator = build_video_discriminator(4, 16, 16, 1, base_filters=4, normalization="spectral")
    logits = discriminator(keras_noise(2, 4 * 16 * 16).reshape(2, 4, 16, 16, 1), training=True)
    assert logits.dtype == "float32"


def test_layers_are_named():
    generator = build_video_generator(8, 32, 32, 1, latent_dim=8, base_filters=4)
    names = [layer.name for layer in generator.layers]
    assert names[:3] == ["noise", "project", "to_video_grid"]
    assert names[-1] == "video"
