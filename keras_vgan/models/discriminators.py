"""Video discriminators built with the Keras functional API."""

import keras
from keras import layers

from keras_vgan.models.blocks import attention_block, down_block, spectral_normalizer
from keras_vgan.models.conditioning import (auxiliary_class_logits, check_auxiliary_classifier, check_num_classes,
                                            class_condition_input, with_class_projection)
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
    num_classes=None,
    auxiliary_classifier=False,
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

    `num_classes` (e.g. 10) makes it a projection discriminator (Miyato &
    Koyama 2018; see `keras_vgan.models.conditioning`): a second input
    `condition` takes int32 class indices (N,), and the logit gains
    <embed(label), the final features averaged over time and space>.

    `auxiliary_classifier=True` (with `num_classes`) adds AC-GAN's class
    head (`conditioning.auxiliary_class_logits`) as a second output;
    `auxiliary_classifier="fake_class"` gives it one more class, for
    generated clips (`conditioning.FAKE_CLASS`).

    Returns a `keras.Model` mapping (N, frames, height, width, channels)
    (and, if conditional, labels (N,)) to float32 logits (N, 1), and with
    the class head to `[logits, class logits (N, num_classes)]`.

    Example:
    >>> d = build_video_discriminator(frames=8, height=32, width=32, channels=1, base_filters=8)
    >>> d.output_shape
    (None, 1)
    >>> d = build_video_discriminator(8, 16, 16, 1, base_filters=4, num_classes=10)
    >>> [tensor.name for tensor in d.inputs], d.output_shape
    (['video', 'condition'], (None, 1))
    >>> build_video_discriminator(8, 16, 16, 1, base_filters=4, num_classes=10, auxiliary_classifier=True).output_shape
    [(None, 1), (None, 10)]
    """
    video_layout(frames, height, width)
    check_positive_ints(channels=channels)
    num_classes = check_num_classes(num_classes)
    check_auxiliary_classifier(auxiliary_classifier, num_classes)
    video = keras.Input(shape=(frames, height, width, channels), name="video")
    condition = class_condition_input() if num_classes else None
    outputs = video_discriminator_layers(video, base_filters, kernel_size, normalization, time_downsampling,
                                         attention_resolution, condition=condition, num_classes=num_classes,
                                         auxiliary_classifier=auxiliary_classifier)
    return keras.Model(video if condition is None else [video, condition], outputs, name=name)


def video_discriminator_layers(video, base_filters=64, kernel_size=4, normalization="none", time_downsampling=True,
                               attention_resolution=None, condition=None, num_classes=None,
                               auxiliary_classifier=False):
    """The Conv3D stack and logit of `build_video_discriminator`, applied to a symbolic video tensor.

    For discriminators that transform the clip first (DVD-GAN's temporal
    discriminator pools it 2× in space). The layout follows from
    `video.shape`; returns the float32 logit tensor (N, 1). With a
    `condition` input (int32 labels, see `conditioning.class_condition_input`)
    and `num_classes`, the logit gains the class projection term, and with
    `auxiliary_classifier` the result is `[logit, class logits]`.

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
    num_classes = check_num_classes(num_classes)
    if (condition is None) != (not num_classes):
        raise ValueError(f"condition={condition!r} with num_classes={num_classes!r} is not valid; expected both "
                         "(a class-conditional discriminator) or neither")
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
    features = x
    x = layers.Flatten(name="flatten")(x)
    logit = spectral(layers.Dense(1, dtype="float32", name="logit"))(x)
    if normalization == "spectral":
        # The wrapper takes the global policy; the score must stay float32.
        logit = layers.Activation("linear", dtype="float32", name="logit_float32")(logit)
    if condition is not None:
        logit = with_class_projection(logit, features, condition, num_classes)
    if auxiliary_classifier:
        return [logit, auxiliary_class_logits(features, num_classes, auxiliary_classifier=auxiliary_classifier)]
    return logit
