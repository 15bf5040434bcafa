"""Video discriminators built with the Keras functional API."""

import keras
from keras import layers

from keras_vgan.models.blocks import attention_block, down_block, spectral_normalizer
from keras_vgan.models.layers import FactorizedSelfAttention
from keras_vgan.models.layout import video_layout
from keras_vgan.validation import check_choice, check_positive_ints

NORMALIZATIONS = ("none", "layer", "batch", "spectral")


def build_video_discriminator(
    frames=16,
    height=64,
    width=64,
    channels=3,
    base_filters=64,
    kernel_size=4,
    normalization="none",
    time_downsampling=True,
    attention_resolution=None,
    name="video_discriminator",
):
    """Video → Conv3D stack (stride 2, LeakyReLU) → Flatten → one logit.

    The stack mirrors `build_video_generator`: widths double from
    `base_filters` and space halves down to 4 pixels on the shorter side.
    `normalization` is "none" (the default: right for every loss, including
    gradient penalties, which batch statistics would break), "layer", "batch"
    or "spectral" (`keras.layers.SpectralNormalization` on every kernel).

    `time_downsampling=False` makes every convolution stride (1, 2, 2), as in
    MoCoGAN's video discriminator: time keeps full resolution and the final
    Flatten sees every frame. `attention_resolution` (e.g. 16) inserts a
    `FactorizedSelfAttention` block after the convolution whose output's
    shorter spatial side is that size.

    Returns a `keras.Model` mapping (N, frames, height, width, channels) to
    float32 logits (N, 1).

    Example:
    >>> d = build_video_discriminator(frames=8, height=32, width=32, channels=1, base_filters=8)
    >>> d.output_shape
    (None, 1)
    """
    video_layout(frames, height, width)
    check_positive_ints(channels=channels)
    video = keras.Input(shape=(frames, height, width, channels), name="video")
    logit = video_discriminator_layers(video, base_filters, kernel_size, normalization, time_downsampling,
                                       attention_resolution)
    return keras.Model(video, logit, name=name)


def video_discriminator_layers(video, base_filters=64, kernel_size=4, normalization="none", time_downsampling=True,
                               attention_resolution=None):
    """The Conv3D stack and logit of `build_video_discriminator`, applied to a symbolic video tensor.

    For discriminators that transform the clip first (DVD-GAN's temporal
    discriminator pools it 2× in space). The layout follows from
    `video.shape`; returns the float32 logit tensor (N, 1).

    Example:
    >>> video = keras.Input((8, 32, 32, 1))
    >>> tuple(video_discriminator_layers(video, base_filters=8).shape)
    (None, 1)
    """
    frames, height, width = video.shape[1:4]
    layout = video_layout(frames, height, width)
    check_positive_ints(base_filters=base_filters, kernel_size=kernel_size)
    check_choice("normalization", normalization, NORMALIZATIONS)
    if not isinstance(time_downsampling, bool):
        raise ValueError(f"time_downsampling={time_downsampling!r} is not valid; expected True or False")
    side = min(height, width)
    attention_at = attention_block(attention_resolution, [side // 2 ** (i + 1) for i in range(layout.depth)])

    spectral = spectral_normalizer(normalization)

    # Fine to coarse: the generator's time strides in reverse.
    time_strides = reversed(layout.time_strides) if time_downsampling else (1,) * layout.depth
    x = video
    for i, time_stride in enumerate(time_strides):
        x = down_block(x, layers.Conv3D(base_filters * 2**i, kernel_size, strides=(time_stride, 2, 2),
                                        padding="same", name=f"down{i + 1}_conv"), normalization, i)
        if attention_at == i:
            x = FactorizedSelfAttention(name=f"down{i + 1}_attention")(x)
    x = layers.Flatten(name="flatten")(x)
    logit = spectral(layers.Dense(1, dtype="float32", name="logit"))(x)
    if normalization == "spectral":
        # The wrapper takes the global policy; the score must stay float32.
        logit = layers.Activation("linear", dtype="float32", name="logit_float32")(logit)
    return logit
