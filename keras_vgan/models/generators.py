"""Video generators built with the Keras functional API."""

import keras
from keras import layers

from keras_vgan.models.blocks import UPSAMPLINGS, attention_block, normalization_layer, up_block
from keras_vgan.models.conditioning import check_num_classes, class_modulation, noise_and_class
from keras_vgan.models.layers import FactorizedSelfAttention
from keras_vgan.models.layout import video_layout
from keras_vgan.validation import check_choice, check_positive_ints

NORMALIZATIONS = ("batch", "layer", "none")


def build_video_generator(
    frames=16,
    height=64,
    width=64,
    channels=3,
    latent_dim=128,
    base_filters=64,
    kernel_size=4,
    normalization="batch",
    upsampling="transpose",
    attention_resolution=None,
    num_classes=None,
    class_embedding_dim=None,
    class_normalization=False,
    name="video_generator",
):
    """Noise → Dense → Reshape → Conv3DTranspose stack → tanh video.

    The number of upsampling layers follows from the size (see
    `keras_vgan.models.layout.video_layout`): the coarse grid is 4 pixels on
    the shorter side, and every layer doubles space (and time, while the frame
    count allows). Widths halve from `base_filters · 2^(depth-1)` at the coarse
    end to `base_filters` before the last layer.

    `upsampling="resize"` replaces every transposed convolution with
    nearest-neighbour upsampling and a Conv3D (no checkerboard artifacts).
    `attention_resolution` (e.g. 16) inserts a `FactorizedSelfAttention`
    block after the block whose output's shorter spatial side is that size
    (the 4-pixel grid or any block before the last).

    `num_classes` (e.g. 10) makes it class-conditional: a second input
    `condition` takes int32 class indices of shape (N,), a learned
    `class_embedding` turns each into a `class_embedding_dim`-wide vector
    (default: `latent_dim`), and the noise and that vector, concatenated,
    feed the Dense projection. None or 0: unconditional, noise alone.
    `class_normalization=True` also makes every batch normalization
    class-conditional (`conditioning.class_modulation`: a scale and shift
    per class and channel), so the label reaches every resolution.

    Returns a `keras.Model` mapping float noise (N, latent_dim) (and, if
    conditional, labels (N,)) to float32 videos (N, frames, height, width,
    channels) in [-1, 1].

    Example:
    >>> g = build_video_generator(frames=8, height=32, width=32, channels=1, latent_dim=16, base_filters=8)
    >>> g.output_shape
    (None, 8, 32, 32, 1)
    >>> g = build_video_generator(8, 16, 16, 1, latent_dim=8, base_filters=4, num_classes=10)
    >>> [tensor.name for tensor in g.inputs]
    ['noise', 'condition']
    """
    layout = video_layout(frames, height, width)
    check_positive_ints(channels=channels, latent_dim=latent_dim, base_filters=base_filters, kernel_size=kernel_size)
    check_choice("normalization", normalization, NORMALIZATIONS)
    check_choice("upsampling", upsampling, UPSAMPLINGS)
    num_classes = check_num_classes(num_classes)
    if class_embedding_dim is not None:
        check_positive_ints(class_embedding_dim=class_embedding_dim)
    if not isinstance(class_normalization, bool):
        raise ValueError(f"class_normalization={class_normalization!r} is not valid; expected True or False")
    if class_normalization and not (num_classes and normalization == "batch"):
        raise ValueError(f"class_normalization=True is not valid with num_classes={num_classes!r} and "
                         f"normalization={normalization!r}; expected a class-conditional generator with batch "
                         "normalization")
    start_side = min(layout.start_shape[1:])
    # Attention can follow the projection (block 0) or any up block, not the last layer (pixels).
    attention_at = attention_block(attention_resolution, [start_side * 2**i for i in range(layout.depth)])

    widths = [base_filters * 2 ** (layout.depth - 1 - i) for i in range(layout.depth)]
    start_frames, start_height, start_width = layout.start_shape

    noise = keras.Input(shape=(latent_dim,), name="noise")
    inputs, code, modulate = noise, noise, None
    if num_classes:
        condition, code = noise_and_class(noise, num_classes, class_embedding_dim or latent_dim)
        inputs = [noise, condition]
        if class_normalization:
            def modulate(features, block):
                return class_modulation(features, condition, num_classes, block)
    x = layers.Dense(start_frames * start_height * start_width * widths[0], use_bias=normalization == "none",
                     name="project")(code)
    x = layers.Reshape((start_frames, start_height, start_width, widths[0]), name="to_video_grid")(x)
    norm = normalization_layer(normalization, "project_norm")
    if norm is not None:
        x = norm(x)
        if modulate is not None:
            x = modulate(x, "project")
    x = layers.ReLU(name="project_relu")(x)
    if attention_at == 0:
        x = FactorizedSelfAttention(name="project_attention")(x)
    for i, time_stride in enumerate(layout.time_strides):
        last = i == layout.depth - 1
        block = "to_video" if last else f"up{i + 1}"
        x = up_block(x, channels if last else widths[i + 1], (time_stride, 2, 2), kernel_size, upsampling,
                     normalization, block, last, modulate=modulate)
        if attention_at == i + 1:
            x = FactorizedSelfAttention(name=f"{block}_attention")(x)
    # Under mixed precision the pixels still leave the model in float32.
    video = layers.Activation("tanh", dtype="float32", name="video")(x)
    return keras.Model(inputs, video, name=name)
