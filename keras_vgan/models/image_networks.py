"""Per-frame (2D) networks: the image generator and image discriminators of TGAN, MoCoGAN and DVD-GAN.

Video models that treat a clip as a sequence of images build one of these
for a single frame and apply it to every frame with `FrameDistributed`
(frames folded into the batch).
"""

import keras
from keras import layers

from keras_vgan.models.blocks import UPSAMPLINGS, down_block, normalization_layer, spectral_normalizer, up_block
from keras_vgan.models.conditioning import (check_auxiliary_classifier, check_num_classes, class_condition_input,
                                            class_head_size, with_class_projection)
from keras_vgan.models.layers import FrameDistributed, SampleFrames, SumOverFrames
from keras_vgan.models.layout import image_layout, video_layout
from keras_vgan.validation import check_choice, check_int, check_positive_ints

GENERATOR_NORMALIZATIONS = ("batch", "layer", "none")
DISCRIMINATOR_NORMALIZATIONS = ("none", "layer", "batch", "spectral")


def build_image_generator(
    height,
    width,
    channels,
    latent_dim,
    base_filters=64,
    kernel_size=4,
    normalization="batch",
    upsampling="transpose",
    activation="tanh",
    name="image_generator",
):
    """Code (N, latent_dim) → Dense → Reshape → Conv2DTranspose stack → one frame (N, H, W, C).

    The 2D twin of `build_video_generator` (same widths and size rule, see
    `image_layout`). `activation="tanh"` ends in a float32 tanh layer
    "frame"; `activation=None` returns the last convolution's output, for
    video models that apply the tanh once to the whole clip.

    Example:
    >>> g = build_image_generator(32, 32, 1, latent_dim=16, base_filters=8)
    >>> g.output_shape
    (None, 32, 32, 1)
    """
    layout = image_layout(height, width)
    check_positive_ints(channels=channels, latent_dim=latent_dim, base_filters=base_filters, kernel_size=kernel_size)
    check_choice("normalization", normalization, GENERATOR_NORMALIZATIONS)
    check_choice("upsampling", upsampling, UPSAMPLINGS)
    check_choice("activation", activation, ("tanh", None))

    widths = [base_filters * 2 ** (layout.depth - 1 - i) for i in range(layout.depth)]
    start_height, start_width = layout.start_shape
    code = keras.Input(shape=(latent_dim,), name="code")
    x = layers.Dense(start_height * start_width * widths[0], use_bias=normalization == "none", name="project")(code)
    x = layers.Reshape((start_height, start_width, widths[0]), name="to_image_grid")(x)
    norm = normalization_layer(normalization, "project_norm")
    if norm is not None:
        x = norm(x)
    x = layers.ReLU(name="project_relu")(x)
    for i in range(layout.depth):
        last = i == layout.depth - 1
        block = "to_frame" if last else f"up{i + 1}"
        x = up_block(x, channels if last else widths[i + 1], (2, 2), kernel_size, upsampling, normalization,
                     block, last)
    if activation == "tanh":
        x = layers.Activation("tanh", dtype="float32", name="frame")(x)
    return keras.Model(code, x, name=name)


def video_from_frame_codes(codes, height, width, channels, base_filters, upsampling="transpose"):
    """A float32 video (N, T, H, W, C) in [-1, 1]: an image generator draws each frame from its code.

    `codes` (N, T, code_dim) is TGAN's [z0, z1_t] or MoCoGAN's [content, motion_t]. The frames are
    folded into the batch (`FrameDistributed`), so batch normalization sees every frame of the batch.

    Example:
    >>> video = video_from_frame_codes(keras.Input((8, 6)), 32, 32, 1, base_filters=8)
    >>> tuple(video.shape)
    (None, 8, 32, 32, 1)
    """
    image_generator = build_image_generator(height, width, channels, int(codes.shape[-1]), base_filters,
                                            upsampling=upsampling, activation=None)
    x = FrameDistributed(image_generator, name="image_generator_per_frame")(codes)
    return layers.Activation("tanh", dtype="float32", name="video")(x)


def build_frame_discriminator(
    height,
    width,
    channels,
    base_filters=64,
    kernel_size=4,
    normalization="none",
    with_features=False,
    name="frame_discriminator",
):
    """One frame (N, H, W, C) → Conv2D stack (stride 2, LeakyReLU) → Flatten → float32 logit (N, 1).

    The 2D twin of `build_video_discriminator`, with the same
    `normalization` choices ("none", "layer", "batch", "spectral").
    `with_features=True` returns the final feature map too, as a second
    output `[logit, features]`, for a class projection on top.

    Example:
    >>> d = build_frame_discriminator(32, 32, 1, base_filters=8)
    >>> d.output_shape
    (None, 1)
    """
    layout = image_layout(height, width)
    check_positive_ints(channels=channels, base_filters=base_filters, kernel_size=kernel_size)
    check_choice("normalization", normalization, DISCRIMINATOR_NORMALIZATIONS)

    spectral = spectral_normalizer(normalization)

    frame = keras.Input(shape=(height, width, channels), name="frame")
    x = frame
    for i in range(layout.depth):
        x = down_block(x, layers.Conv2D(base_filters * 2**i, kernel_size, strides=2, padding="same",
                                        name=f"down{i + 1}_conv"), normalization, i)
    features = x
    x = layers.Flatten(name="flatten")(x)
    logit = spectral(layers.Dense(1, dtype="float32", name="logit"))(x)
    if normalization == "spectral":
        # The wrapper takes the global policy; the score must stay float32.
        logit = layers.Activation("linear", dtype="float32", name="logit_float32")(logit)
    return keras.Model(frame, [logit, features] if with_features else logit, name=name)


def build_image_discriminator(
    frames,
    height,
    width,
    channels,
    frames_per_clip=1,
    base_filters=64,
    kernel_size=4,
    normalization="none",
    num_classes=None,
    auxiliary_classifier=False,
    name="image_discriminator",
):
    """Video → `frames_per_clip` frames per clip → a 2D discriminator per frame → the sum of their logits.

    MoCoGAN's image discriminator (k = 1: one random frame per clip) and
    DVD-GAN's spatial one (k = 8, spectral normalization). It judges
    appearance, not motion. Frames are random with `training=True` and
    evenly spaced otherwise (see `SampleFrames`), so call it with
    `training=True` in the training step.

    `num_classes` (e.g. 10) makes it a projection discriminator (see
    `keras_vgan.models.conditioning`): a second input `condition` takes
    int32 class indices (N,), and the summed frame logits gain
    <embed(label), the chosen frames' final features averaged over frames
    and space>.

    `auxiliary_classifier=True` (with `num_classes`) adds AC-GAN's class
    head on every chosen frame (`frame_class_logits`) as a second output:
    class logits per chosen frame, float32 (N, k, num_classes);
    `auxiliary_classifier="fake_class"` adds the class of generated clips
    (N, k, num_classes + 1).

    Returns a `keras.Model` from "video" (N, frames, height, width, channels)
    (and, if conditional, "condition" (N,)) to float32 logits (N, 1), and
    with the class head to `[logits, class logits (N, k, num_classes)]`.

    Example:
    >>> d = build_image_discriminator(16, 32, 32, 1, frames_per_clip=2, base_filters=8)
    >>> d.output_shape
    (None, 1)
    >>> d = build_image_discriminator(8, 16, 16, 1, frames_per_clip=2, base_filters=4, num_classes=3)
    >>> [tensor.name for tensor in d.inputs]
    ['video', 'condition']
    >>> build_image_discriminator(8, 16, 16, 1, frames_per_clip=2, base_filters=4, num_classes=3,
    ...                           auxiliary_classifier=True).output_shape
    [(None, 1), (None, 2, 3)]
    """
    video_layout(frames, height, width)
    frames_per_clip = check_int("frames_per_clip", frames_per_clip, minimum=1)
    if frames_per_clip > frames:
        raise ValueError(f"frames_per_clip={frames_per_clip} is not valid; expected an integer "
                         f"<= frames={frames}")
    num_classes = check_num_classes(num_classes)
    check_auxiliary_classifier(auxiliary_classifier, num_classes)
    frame_discriminator = build_frame_discriminator(height, width, channels, base_filters, kernel_size,
                                                    normalization, with_features=bool(num_classes))
    video = keras.Input(shape=(frames, height, width, channels), name="video")
    chosen = SampleFrames(frames_per_clip, name="sample_frames")(video)
    if not num_classes:
        scores = FrameDistributed(frame_discriminator, name="frame_scores")(chosen)
        return keras.Model(video, SumOverFrames(dtype="float32", name="logit")(scores), name=name)
    # One pass of the frames gives both the scores and the features the projection reads.
    scores, features = FrameDistributed(frame_discriminator, name="frame_scores")(chosen)
    logit = SumOverFrames(dtype="float32", name="logit")(scores)
    condition = class_condition_input()
    logit = with_class_projection(logit, features, condition, num_classes)
    if auxiliary_classifier:
        class_logits = frame_class_logits(features, num_classes, auxiliary_classifier=auxiliary_classifier)
        return keras.Model([video, condition], [logit, class_logits], name=name)
    return keras.Model([video, condition], logit, name=name)


def frame_class_logits(features, num_classes, name="class", auxiliary_classifier=True):
    """AC-GAN's class head on every frame: features (N, k, h, w, C) → class logits per frame (N, k, num_classes).

    Each frame's final feature map is averaged over space
    (`{name}_frame_pool`) and one `Dense(num_classes)` shared by all frames
    gives that frame's class logits (`{name}_logits`, float32; one more
    with `auxiliary_classifier="fake_class"`, `conditioning.class_head_size`). The class
    terms (`keras_vgan.loss_terms.AuxiliaryClassification`) take the
    cross-entropy of every frame against the clip's label and average it.

    Example:
    >>> tuple(frame_class_logits(keras.Input((8, 2, 2, 16)), num_classes=10).shape)
    (None, 8, 10)
    """
    pooled = FrameDistributed(layers.GlobalAveragePooling2D(name=f"{name}_pool_2d"),
                              name=f"{name}_frame_pool")(features)
    # Why per frame: a clip-level head (or the mean of the frames' logits, the same thing for an affine head)
    # is satisfied by a clip whose class shows in some frames only, and a generator that fools it draws a
    # different object from one time slice to the next. A cross-entropy on each frame asks every chosen frame
    # to show the class on its own.
    size = class_head_size(num_classes, auxiliary_classifier)
    return layers.Dense(size, dtype="float32", name=f"{name}_logits")(pooled)
