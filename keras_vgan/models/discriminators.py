"""Video discriminators built with the Keras functional API."""

import keras
from keras import layers

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
    name="video_discriminator",
):
    """Video → Conv3D stack (stride 2, LeakyReLU) → Flatten → one logit.

    The stack mirrors `build_video_generator`: widths double from
    `base_filters` and space halves down to 4 pixels on the shorter side.
    `normalization` is "none" (the default: right for every loss, including
    gradient penalties, which batch statistics would break), "layer", "batch"
    or "spectral" (`keras.layers.SpectralNormalization` on every kernel).

    Returns a `keras.Model` mapping (N, frames, height, width, channels) to
    float32 logits (N, 1).

    Example:
    >>> d = build_video_discriminator(frames=8, height=32, width=32, channels=1, base_filters=8)
    >>> d.output_shape
    (None, 1)
    """
    layout = video_layout(frames, height, width)
    check_positive_ints(channels=channels, base_filters=base_filters, kernel_size=kernel_size)
    check_choice("normalization", normalization, NORMALIZATIONS)

    def spectral(layer):
        return layers.SpectralNormalization(layer, name=f"{layer.name}_sn") if normalization == "spectral" else layer

    video = keras.Input(shape=(frames, height, width, channels), name="video")
    x = video
    # Fine to coarse: the generator's time strides in reverse.
    for i, time_stride in enumerate(reversed(layout.time_strides)):
        x = spectral(layers.Conv3D(base_filters * 2**i, kernel_size, strides=(time_stride, 2, 2), padding="same",
                                   name=f"down{i + 1}_conv"))(x)
        if i > 0 and normalization == "layer":
            x = layers.LayerNormalization(name=f"down{i + 1}_norm")(x)
        elif i > 0 and normalization == "batch":
            x = layers.BatchNormalization(name=f"down{i + 1}_norm")(x)
        x = layers.LeakyReLU(0.2, name=f"down{i + 1}_lrelu")(x)
    x = layers.Flatten(name="flatten")(x)
    logit = spectral(layers.Dense(1, dtype="float32", name="logit"))(x)
    if normalization == "spectral":
        # The wrapper takes the global policy; the score must stay float32.
        logit = layers.Activation("linear", dtype="float32", name="logit_float32")(logit)
    return keras.Model(video, logit, name=name)
