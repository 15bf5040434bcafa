"""VGAN's two-stream generator (Vondrick, Pirsiavash and Torralba 2016, "Generating Videos with Scene Dynamics").

One noise vector drives two streams: a 3D (space-time) stream that paints a
moving foreground and a mask saying where it is, and a 2D stream that paints
one static background frame, repeated over time. The video is their
composition m·f + (1 − m)·b. An L1 penalty on the mask (weight 0.1, the
reference code's value) keeps the foreground from covering everything.
"""

import keras
from keras import layers

from keras_vgan.models.blocks import UPSAMPLINGS, has_named_layers, named_outputs_model, normalization_layer, upsample
from keras_vgan.models.layers import MaskComposite, MaskSparsity
from keras_vgan.models.layout import image_layout, video_layout
from keras_vgan.validation import check_choice, check_positive_ints

STREAM_OUTPUTS = ("video", "foreground", "mask", "background")


def build_vgan_generator(
    frames,
    height,
    width,
    channels,
    latent_dim=100,
    base_filters=64,
    mask_sparsity=0.1,
    upsampling="transpose",
    name="vgan_generator",
):
    """Noise → foreground, mask (3D stream) and background (2D stream) → their composition.

    Layers named "foreground" (tanh), "mask" (sigmoid, one channel),
    "background" (the 2D stream's frame repeated over time) and "video"
    (m·f + (1 − m)·b) hold the streams; `vgan_streams` exposes them. The
    3D stream is `build_video_generator`'s stack whose last layer splits
    into the foreground and mask heads. `mask_sparsity` is the weight of the
    mean |mask| term the "mask_sparsity" layer adds to `generator.losses`
    (0 turns it off). `upsampling` is "transpose" or "resize" for both streams.

    Returns a `keras.Model` from "noise" (N, latent_dim) to float32 videos
    (N, frames, height, width, channels) in [-1, 1].

    Example:
    >>> g = build_vgan_generator(16, 32, 32, 1, latent_dim=16, base_filters=8)
    >>> g.output_shape
    (None, 16, 32, 32, 1)
    """
    layout = video_layout(frames, height, width)
    check_positive_ints(channels=channels, latent_dim=latent_dim, base_filters=base_filters)
    check_choice("upsampling", upsampling, UPSAMPLINGS)
    if isinstance(mask_sparsity, bool) or not isinstance(mask_sparsity, (int, float)) or not mask_sparsity >= 0:
        raise ValueError(f"mask_sparsity={mask_sparsity!r} is not valid; expected a number >= 0")
    kernel_size = 4
    widths = [base_filters * 2 ** (layout.depth - 1 - i) for i in range(layout.depth)]

    noise = keras.Input(shape=(latent_dim,), name="noise")

    # Foreground stream (space-time), up to the features before the last layer.
    start_frames, start_height, start_width = layout.start_shape
    x = layers.Dense(start_frames * start_height * start_width * widths[0], use_bias=False, name="project")(noise)
    x = layers.Reshape((start_frames, start_height, start_width, widths[0]), name="to_video_grid")(x)
    x = normalization_layer("batch", "project_norm")(x)
    x = layers.ReLU(name="project_relu")(x)
    for i, time_stride in enumerate(layout.time_strides[:-1]):
        block = f"up{i + 1}"
        x = upsample(x, widths[i + 1], (time_stride, 2, 2), kernel_size, upsampling, use_bias=False, name=block)
        x = normalization_layer("batch", f"{block}_norm")(x)
        x = layers.ReLU(name=f"{block}_relu")(x)
    last_strides = (layout.time_strides[-1], 2, 2)
    foreground = upsample(x, channels, last_strides, kernel_size, upsampling, use_bias=True, name="foreground")
    foreground = layers.Activation("tanh", dtype="float32", name="foreground")(foreground)
    mask = upsample(x, 1, last_strides, kernel_size, upsampling, use_bias=True, name="mask")
    mask = layers.Activation("sigmoid", dtype="float32", name="mask")(mask)
    sparse_mask = MaskSparsity(float(mask_sparsity), dtype="float32", name="mask_sparsity")(mask)

    # Background stream (one still frame).
    frame_layout = image_layout(height, width)
    grid_height, grid_width = frame_layout.start_shape
    b = layers.Dense(grid_height * grid_width * widths[0], use_bias=False, name="background_project")(noise)
    b = layers.Reshape((grid_height, grid_width, widths[0]), name="background_grid")(b)
    b = normalization_layer("batch", "background_project_norm")(b)
    b = layers.ReLU(name="background_project_relu")(b)
    for i in range(frame_layout.depth - 1):
        block = f"background_up{i + 1}"
        b = upsample(b, widths[i + 1], (2, 2), kernel_size, upsampling, use_bias=False, name=block)
        b = normalization_layer("batch", f"{block}_norm")(b)
        b = layers.ReLU(name=f"{block}_relu")(b)
    b = upsample(b, channels, (2, 2), kernel_size, upsampling, use_bias=True, name="background_frame")
    b = layers.Activation("tanh", dtype="float32", name="background_frame")(b)
    b = layers.Reshape((1, height, width, channels), dtype="float32", name="background_as_clip")(b)
    background = layers.UpSampling3D((frames, 1, 1), dtype="float32", name="background")(b)

    video = MaskComposite(dtype="float32", name="video")([sparse_mask, foreground, background])
    return keras.Model(noise, video, name=name)


def is_vgan_generator(generator):
    """Whether `generator` has the layers `vgan_streams` reads (one built by `build_vgan_generator`)."""
    return has_named_layers(generator, STREAM_OUTPUTS)


def vgan_streams(generator):
    """A model from the generator's noise to dict(video, foreground, mask, background), sharing its layers.

    For samples that show what each stream learned: the mask (one channel,
    [0, 1]), the moving foreground and the static background.

    Example:
    >>> streams = vgan_streams(build_vgan_generator(8, 32, 32, 1, latent_dim=16, base_filters=8))
    >>> sorted(streams(keras.ops.zeros((2, 16))))
    ['background', 'foreground', 'mask', 'video']
    """
    return named_outputs_model(generator, STREAM_OUTPUTS, "a VGAN generator")


def stream_samples(gan, num_videos, seed, use_ema=True):
    """uint8 videos (4·N, T, H, W, C): for each of N samples its video, foreground, mask and background.

    The noise is `gan.sample_noise(num_videos, seed)`, so the videos are
    those of `gan.generate(num_videos, seed)`. The mask ([0, 1], one
    channel) is shown as grey levels, white where the foreground shows.
    Tile them four to a row to read each sample's streams side by side.

    Example:
    >>> gan = VideoGAN(build_vgan_generator(8, 32, 32, 1, latent_dim=16, base_filters=8),
    ...                build_video_discriminator(8, 32, 32, 1, base_filters=8))
    >>> stream_samples(gan, 2, seed=0).shape
    (8, 8, 32, 32, 1)
    """
    import numpy as np

    from keras_vgan.pixels import to_uint8

    generator = gan.generator_for_sampling(use_ema)
    streams = vgan_streams(generator)(gan.generator_inputs(gan.sample_noise(num_videos, seed), generator=generator),
                                      training=False)
    channels = int(streams["video"].shape[-1])
    mask = keras.ops.repeat(2.0 * streams["mask"] - 1.0, channels, axis=-1)
    parts = [streams["video"], streams["foreground"], mask, streams["background"]]
    return to_uint8(keras.ops.stack(parts, axis=1)).numpy().reshape((-1,) + tuple(parts[0].shape[1:])).astype(np.uint8)
