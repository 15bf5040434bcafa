"""Pieces the network builders share: normalization, upsampling, where attention goes.

Functions here add layers to a functional graph under the names the
builders have always used, so a change of option never renames the layers
of the default configuration (old `.keras` files keep loading).
"""

import keras
import tensorflow as tf
from keras import layers

from keras_vgan.validation import check_positive_int

UPSAMPLINGS = ("transpose", "resize")


def batch_normalization(name):
    """A `BatchNormalization` called `name`, synchronized across replicas when built under several.

    Synchronized, its batch statistics are the global batch's, so a step on N
    replicas normalizes as one device would on the whole batch, and the moving
    statistics stay the same on every replica and worker (unsynchronized, each
    worker's would drift apart on its own data).

    Example:
    >>> batch_normalization("up1_norm").synchronized  # built outside any multi-replica strategy
    False
    """
    return layers.BatchNormalization(name=name, synchronized=tf.distribute.get_strategy().num_replicas_in_sync > 1)


def normalization_layer(kind, name):
    """A new "batch" or "layer" normalization layer called `name`; None for "none".

    Example:
    >>> normalization_layer("batch", "up1_norm").name
    'up1_norm'
    """
    if kind == "batch":
        return batch_normalization(name)
    if kind == "layer":
        return layers.LayerNormalization(name=name)
    return None


def upsample(x, filters, strides, kernel_size, upsampling, use_bias, name):
    """One learned upsampling of a 2D (len(strides) == 2) or 3D (== 3) feature map.

    "transpose": a transposed convolution, layer `{name}_deconv`.
    "resize": nearest-neighbour `UpSampling` by `strides` (`{name}_upsample`)
    then a stride-1 convolution (`{name}_conv`). A transposed convolution
    whose kernel is not a multiple of its stride overlaps unevenly and paints
    a checkerboard; resize-convolution cannot (Odena et al. 2016).

    Example:
    >>> import keras
    >>> y = upsample(keras.Input((2, 4, 4, 8)), 4, (2, 2, 2), 4, "resize", True, "up1")
    >>> tuple(y.shape)
    (None, 4, 8, 8, 4)
    """
    three_d = len(strides) == 3
    if upsampling == "transpose":
        deconv = layers.Conv3DTranspose if three_d else layers.Conv2DTranspose
        return deconv(filters, kernel_size, strides=strides, padding="same", use_bias=use_bias,
                      name=f"{name}_deconv")(x)
    resize = layers.UpSampling3D if three_d else layers.UpSampling2D
    conv = layers.Conv3D if three_d else layers.Conv2D
    x = resize(tuple(strides), name=f"{name}_upsample")(x)
    return conv(filters, kernel_size, padding="same", use_bias=use_bias, name=f"{name}_conv")(x)


def up_block(x, filters, strides, kernel_size, upsampling, normalization, name, last, modulate=None):
    """`upsample`, then (unless `last`, which leaves the raw output to its caller) normalization and ReLU.

    Layers: `{name}_deconv` (or `_upsample` + `_conv`), `{name}_norm`, `{name}_relu`. Biases only
    where no normalization follows, or on the last layer. `modulate(x, name)`, if given, transforms
    the normalized features before the ReLU.

    Example:
    >>> import keras
    >>> tuple(up_block(keras.Input((4, 4, 8)), 4, (2, 2), 4, "transpose", "batch", "up1", last=False).shape)
    (None, 8, 8, 4)
    """
    x = upsample(x, filters, strides, kernel_size, upsampling, use_bias=last or normalization == "none", name=name)
    if last:
        return x
    norm = normalization_layer(normalization, f"{name}_norm")
    if norm is not None:
        x = norm(x)
        if modulate is not None:
            x = modulate(x, name)  # e.g. a class's own scale and shift: class-conditional batch norm
    return layers.ReLU(name=f"{name}_relu")(x)


def spectral_normalizer(normalization):
    """A function that wraps a layer in `SpectralNormalization` when `normalization` is "spectral"."""

    def wrap(layer):
        return layers.SpectralNormalization(layer, name=f"{layer.name}_sn") if normalization == "spectral" else layer

    return wrap


def down_block(x, convolution, normalization, index):
    """A discriminator block: `convolution` (spectrally normalized if asked), normalization, LeakyReLU(0.2).

    The first block (index 0) is never normalized, as in DCGAN. Layers: the
    convolution's own name, `down{index + 1}_norm`, `down{index + 1}_lrelu`.

    Example:
    >>> import keras
    >>> conv = layers.Conv2D(4, 4, strides=2, padding="same", name="down1_conv")
    >>> tuple(down_block(keras.Input((8, 8, 1)), conv, "none", 0).shape)
    (None, 4, 4, 4)
    """
    x = spectral_normalizer(normalization)(convolution)(x)
    if index > 0 and normalization == "layer":
        x = layers.LayerNormalization(name=f"down{index + 1}_norm")(x)
    elif index > 0 and normalization == "batch":
        x = batch_normalization(f"down{index + 1}_norm")(x)
    return layers.LeakyReLU(0.2, name=f"down{index + 1}_lrelu")(x)


def attention_block(attention_resolution, sides):
    """The index into `sides` (the shorter spatial side after each block) equal to `attention_resolution`.

    None → None (no attention). A side no block has is a ValueError listing the sides there are.

    Example:
    >>> attention_block(16, [4, 8, 16])
    2
    """
    if attention_resolution is None:
        return None
    check_positive_int("attention_resolution", attention_resolution)
    if attention_resolution not in sides:
        raise ValueError(f"attention_resolution={attention_resolution!r} is not valid; expected None or the "
                         f"spatial side after one of the blocks: {sorted(set(sides))}")
    return list(sides).index(attention_resolution)


def has_named_layers(model, names):
    """Whether `model` has a layer of every name in `names` (what `named_outputs_model` would read)."""
    return set(names) <= {layer.name for layer in model.layers}


def named_outputs_model(model, names, expected):
    """A model from `model`'s inputs to {name: that layer's output}, sharing its layers (a generator's streams).

    `expected` says what kind of model has those layers, for the one error a
    model without them gives.

    Example:
    >>> import keras
    >>> x = keras.Input((3,), name="noise")
    >>> model = keras.Model(x, keras.layers.Dense(2, name="out")(keras.layers.Dense(4, name="hidden")(x)))
    >>> sorted(named_outputs_model(model, ["hidden", "out"], "a two-layer model").output)
    ['hidden', 'out']
    """
    try:
        outputs = {key: model.get_layer(key).output for key in names}
    except ValueError as error:
        raise ValueError(f"generator={model.name!r} is not valid; expected {expected} with layers {list(names)} "
                         f"({error})") from None
    return keras.Model(model.input, outputs, name=f"{model.name}_streams")
