"""Class conditioning: a label embedding for generators, a projection for discriminators.

A class-conditional network takes its labels through an input named
`condition` (`keras_vgan.noise.CONDITION_INPUT`, as `VideoGAN` expects) of
int32 class indices, shape (N,): one scalar label per clip, as
`tf.data` batches of `(clip, label)` pairs give them.

* The generator embeds the label (`keras.layers.Embedding(num_classes, dim)`)
  and joins it to the noise before its first Dense layer.
* The discriminator is a projection discriminator (Miyato & Koyama 2018,
  "cGANs with Projection Discriminator"): logit = linear(h) + <embed(y), pool(h)>,
  where linear(h) is the unconditional network's own logit and pool(h) the
  final feature map averaged over time and space. The label only adds a term:
  the unconditional network is unchanged, layer for layer.

Only Keras built-in layers are added (Embedding, Concatenate, global average
pooling, Dot, Add), so conditional models round-trip through `.keras` files.

Example:
>>> condition = class_condition_input()
>>> features = keras.Input((2, 4, 4, 8))
>>> tuple(class_projection(features, condition, num_classes=10).shape)
(None, 1)
"""

import reprlib

import keras
import numpy as np
from keras import layers

from keras_vgan.noise import CONDITION_INPUT

# The class heads a discriminator can have: none, AC-GAN's (one output per class), or AC-GAN's with one
# more class, "generated" (a K+1-way head, as in Salimans et al. 2016's semi-supervised GAN): taught that
# generated clips are of no class, the head cannot be satisfied by a clip unlike every real class.
FAKE_CLASS = "fake_class"
AUXILIARY_CLASSIFIERS = (False, True, FAKE_CLASS)


def check_num_classes(num_classes):
    """`num_classes` as an int >= 1, or None for an unconditional network (None or 0).

    Example:
    >>> check_num_classes(0) is None, check_num_classes(10)
    (True, 10)
    """
    if num_classes is None:
        return None
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 0:
        raise ValueError(f"num_classes={num_classes!r} is not valid; expected a positive integer (the number of "
                         "classes), or None or 0 for an unconditional network")
    return int(num_classes) or None


def class_condition_input():
    """The `condition` input of a class-conditional network: int32 class indices of shape (N,)."""
    return keras.Input(shape=(), dtype="int32", name=CONDITION_INPUT)


def class_embedding(condition, num_classes, dim, name="class_embedding", stddev=1.0):
    """The labels `condition` (N,) as learned vectors (N, `dim`): one row of an Embedding per class.

    The rows start as N(0, `stddev`²) draws. For a generator, 1 puts the
    label on the scale of the standard normal noise it joins: Keras's default
    Embedding start (uniform in ±0.05) made the label about 1/30 of the
    noise, and a conditional quickstart learned to ignore it (one label for
    another changed its clips by 1 uint8 level, a new noise by 23).
    """
    initializer = keras.initializers.RandomNormal(stddev=stddev)
    return layers.Embedding(num_classes, dim, embeddings_initializer=initializer, name=name)(condition)


def noise_and_class(noise, num_classes, dim):
    """A class-conditional generator's inputs: `(condition, code)`, the label's embedding (`dim`) joined to `noise`.

    `condition` is the new `condition` input (`class_condition_input`); `code`
    is layer "noise_and_class", [noise, class_embedding(condition)], what the
    generator's first layers read in place of the noise alone.

    Example:
    >>> condition, code = noise_and_class(keras.Input((8,), name="noise"), 10, 8)
    >>> condition.name, tuple(code.shape)
    ('condition', (None, 16))
    """
    condition = class_condition_input()
    embedded = class_embedding(condition, num_classes, dim)
    return condition, layers.Concatenate(name="noise_and_class")([noise, embedded])


def _pooled(features, use, name):
    """A feature map (N, ..., C) of rank 3 to 5 averaged over all but the batch and channels, in layer `name`."""
    pools = {3: layers.GlobalAveragePooling1D, 4: layers.GlobalAveragePooling2D, 5: layers.GlobalAveragePooling3D}
    rank = len(features.shape)
    if rank not in pools:
        raise ValueError(f"features of shape {tuple(features.shape)} are not valid for {use}; expected a feature "
                         "map (N, ..., C) of rank 3 to 5")
    return pools[rank](name=name)(features)


def class_projection(features, condition, num_classes, name="class"):
    """Miyato & Koyama's projection term <embed(y), pool(h)> as float32 (N, 1).

    `features`: the discriminator's final feature map, (N, ..., C) of rank 3
    to 5; it is averaged over every axis but the batch and the channels
    (`{name}_pool`), and dotted (`{name}_projection`) with the label's
    C-wide embedding (`{name}_embedding`).
    """
    pooled = _pooled(features, "a class projection", f"{name}_pool")
    channels = int(features.shape[-1])
    # On the scale of a Dense(1) head's start over the same features (Glorot: 1/sqrt(C) or so), so that the
    # label's term weighs as much as the unconditional logit from the first step.
    embedded = class_embedding(condition, num_classes, channels, name=f"{name}_embedding",
                               stddev=channels ** -0.5)
    # float32: the term joins the float32 logit, and a bfloat16 dot product over C channels loses digits.
    return layers.Dot(axes=1, dtype="float32", name=f"{name}_projection")([embedded, pooled])


def with_class_projection(logit, features, condition, num_classes, name="class"):
    """The logit plus `class_projection`, float32 (N, 1), in a layer named `{name}_logit`."""
    projection = class_projection(features, condition, num_classes, name)
    return layers.Add(dtype="float32", name=f"{name}_logit")([logit, projection])


def class_modulation(features, condition, num_classes, name):
    """Class-conditional normalization's second half: normalized `features` × γ[label] + β[label], per channel.

    What makes batch normalization class-conditional (de Vries et al. 2017,
    as BigGAN and DVD-GAN condition their generators): each class has its
    own scale and shift of every channel (Embeddings `{name}_class_scale`,
    starting at 1, and `{name}_class_shift`, starting at 0), so the label
    acts at every resolution of the generator, not only through its first
    layer. Apply it after a normalization without its own scale and shift,
    or after one with them (the product is still one scale per class).

    Example:
    >>> condition = class_condition_input()
    >>> tuple(class_modulation(keras.Input((2, 4, 4, 8)), condition, num_classes=10, name="up1").shape)
    (None, 2, 4, 4, 8)
    """
    channels = int(features.shape[-1])
    shape = (1,) * (len(features.shape) - 2) + (channels,)
    scale = layers.Embedding(num_classes, channels, embeddings_initializer="ones", name=f"{name}_class_scale")
    shift = layers.Embedding(num_classes, channels, embeddings_initializer="zeros", name=f"{name}_class_shift")
    scale = layers.Reshape(shape, name=f"{name}_class_scale_grid")(scale(condition))
    shift = layers.Reshape(shape, name=f"{name}_class_shift_grid")(shift(condition))
    scaled = layers.Multiply(name=f"{name}_class_scaled")([features, scale])
    return layers.Add(name=f"{name}_class_shifted")([scaled, shift])


def class_head_size(num_classes, auxiliary_classifier):
    """The class head's outputs: `num_classes`, one more with `auxiliary_classifier="fake_class"`.

    Example:
    >>> class_head_size(10, True), class_head_size(10, "fake_class")
    (10, 11)
    """
    return int(num_classes) + (auxiliary_classifier == FAKE_CLASS)


def auxiliary_class_logits(features, num_classes, name="class", auxiliary_classifier=True):
    """AC-GAN's class head (Odena et al. 2017): the final feature map averaged, then a Dense layer.

    A discriminator's second output, float32 (N, `num_classes`), in a layer
    named `{name}_logits`; with `auxiliary_classifier="fake_class"` it has
    one more output, the class of generated clips (`class_head_size`).
    Trained by cross-entropy on real clips and scored on generated ones
    (`keras_vgan.loss_terms.AuxiliaryClassification`), it hands the
    generator a direct gradient towards the class it was asked for, where a
    projection alone gave labels too weak a voice to obey.

    Example:
    >>> features = keras.Input((2, 4, 4, 8))
    >>> tuple(auxiliary_class_logits(features, num_classes=10).shape)
    (None, 10)
    >>> tuple(auxiliary_class_logits(features, num_classes=10, auxiliary_classifier="fake_class").shape)
    (None, 11)
    """
    pooled = _pooled(features, "a class head", f"{name}_head_pool")
    size = class_head_size(num_classes, auxiliary_classifier)
    return layers.Dense(size, dtype="float32", name=f"{name}_logits")(pooled)


def check_auxiliary_classifier(auxiliary_classifier, num_classes):
    """One ValueError naming the value unless `auxiliary_classifier` is one of `AUXILIARY_CLASSIFIERS`.

    Any head needs `num_classes`.

    Example:
    >>> check_auxiliary_classifier(True, None)
    Traceback (most recent call last):
    ...
    ValueError: auxiliary_classifier=True is not valid with num_classes=None; expected a class-conditional ...
    """
    if not (isinstance(auxiliary_classifier, bool) or auxiliary_classifier == FAKE_CLASS):
        raise ValueError(f"auxiliary_classifier={auxiliary_classifier!r} is not valid; expected one of "
                         f"{list(AUXILIARY_CLASSIFIERS)}")
    if auxiliary_classifier and not num_classes:
        raise ValueError(f"auxiliary_classifier={auxiliary_classifier!r} is not valid with num_classes="
                         f"{num_classes!r}; expected a class-conditional discriminator (num_classes >= 1)")


def has_class_head(discriminator):
    """Whether `discriminator` has AC-GAN's class head: a second output, its class logits."""
    return len(discriminator.outputs) == 2


def class_count(model, condition_input=CONDITION_INPUT):
    """The classes of `model`'s label input: the size of the Embedding its integer `condition_input` feeds.

    None when the model has no such input (an unconditional model, or one
    conditioned on something other than class labels, such as a clip).

    Example:
    >>> from keras_vgan.models.generators import build_video_generator
    >>> class_count(build_video_generator(8, 16, 16, 1, latent_dim=8, base_filters=4, num_classes=3))
    3
    """
    condition = next((tensor for tensor in model.inputs if tensor.name == condition_input), None)
    if condition is None or not str(condition.dtype).startswith(("int", "uint")):
        return None
    for layer in model.layers:
        if isinstance(layer, layers.Embedding):
            try:
                source = layer.input
            except (AttributeError, ValueError):  # called more than once: no single input to compare
                continue
            if source is condition:
                return int(layer.input_dim)
    return None


def check_labels(labels, num_videos, num_classes):
    """`labels` (one int for every video, or one per video) as int32 NumPy (num_videos,).

    One ValueError naming the value when a label is not an integer, the count
    is not `num_videos`, or a label lies outside [0, num_classes).

    Example:
    >>> check_labels(2, 3, num_classes=10).tolist()
    [2, 2, 2]
    >>> check_labels([0, 12], 2, num_classes=10)
    Traceback (most recent call last):
    ...
    ValueError: label 12 is not valid (labels=[0, 12]); expected class indices in [0, 10)
    """
    expected = f"an int or a list of {num_videos} ints (one per video) in [0, {num_classes})"
    try:
        values = np.asarray(labels)
    except (TypeError, ValueError):
        values = np.asarray(None)
    if values.dtype.kind not in "iu" or values.ndim > 1:
        raise ValueError(f"labels={reprlib.repr(labels)} is not valid; expected {expected}")
    if values.ndim == 0:
        values = np.full(num_videos, values)
    if len(values) != num_videos:
        raise ValueError(f"labels={reprlib.repr(labels)} gives {len(values)} labels for {num_videos} videos; "
                         f"expected {expected}")
    outside = values[(values < 0) | (values >= num_classes)]
    if outside.size:
        raise ValueError(f"label {int(outside[0])} is not valid (labels={reprlib.repr(labels)}); expected class "
                         f"indices in [0, {num_classes})")
    return values.astype(np.int32)
