"""Video restorers: a degraded clip in, the clean clip out (super-resolution, denoising, deblocking, inpainting).

`build_restoration_generator` is fully convolutional: its `condition` input
is (None, None, None, C_in), so the network trained on 4 × 16 × 16 clips runs
on any clip length and tile size (`keras_vgan.tiling.enhance_frames` feeds it
tiles of a whole video). It is a stack of 3D-convolution residual blocks
(3 × 3 × 3, "same" padding) on the degraded clip, sub-pixel upsampling
(`DepthToSpace`) for super-resolution, in one step or one octave at a
time, and a global skip: the output is the input, upsampled per frame for
SR, plus the learned residual. The residual head starts at zero, so an
untrained restorer is exactly the baseline (bilinear upsampling, or the
degraded clip itself), and training only has to learn what the baseline gets
wrong.

`build_restoration_discriminator` judges a (restored or real) `video` together
with its degraded `condition`, resized to the video's size and joined along
channels, so it can tell an output that is sharp but does not match its input.
"""

import keras
from keras import layers

from keras_vgan.models.blocks import down_block, spectral_normalizer
from keras_vgan.models.discriminators import NORMALIZATIONS, video_discriminator_layers
from keras_vgan.models.layers import DepthToSpace, TakeChannels, UpsampleFrames
from keras_vgan.models.layout import video_layout
from keras_vgan.noise import CONDITION_INPUT
from keras_vgan.validation import check_choice, check_int, check_positive_ints

SCALES = (1, 2, 4)
# How SR reaches the full size: one sub-pixel convolution to ×scale, or one ×2 sub-pixel stage per octave with a
# convolution at each new size (ESRGAN's layout), so detail is drawn where it will be seen.
UPSAMPLINGS = ("direct", "progressive")


def _check_restoration(scale, channels, condition_channels):
    scale = check_int("scale", scale, minimum=1)
    if scale not in SCALES:
        raise ValueError(f"scale={scale!r} is not valid; expected one of {list(SCALES)}")
    check_positive_ints(channels=channels)
    condition_channels = channels if condition_channels is None else condition_channels
    if condition_channels not in (channels, channels + 1):
        raise ValueError(f"condition_channels={condition_channels!r} is not valid for {channels}-channel clips; "
                         f"expected {channels} (the degraded clip) or {channels + 1} (an inpainting condition: "
                         "the clip and its mask)")
    return scale, condition_channels


def build_restoration_generator(frames=None, height=None, width=None, channels=1, scale=1, filters=32,
                                residual_blocks=4, condition_channels=None, upsampling="direct",
                                upsampling_filters=None, name="restoration_generator"):
    """A fully convolutional restorer: condition (N, T, h, w, C_in) → (N, T, h·scale, w·scale, C), float32.

    Args:
        frames, height, width: the training clip's size, checked (height and
            width must be multiples of `scale`) but not built in: the model
            takes any T, h, w. None skips the check.
        channels: C, the clean clip's channels (1 or 3).
        scale: 1 (denoising, deblocking, inpainting), 2 or 4 (super-resolution:
            the condition is the clip at 1/scale of its size).
        filters, residual_blocks: width and depth of the 3D residual stack.
        condition_channels: C_in; default C. C + 1 for inpainting, whose last
            condition channel is the mask (1 where a pixel is missing); the
            output has C channels.
        upsampling: for SR, "direct" (one sub-pixel convolution to ×scale,
            then the output convolution at full size) or "progressive" (per
            ×2: a sub-pixel convolution, then a 3 × 3 × 3 convolution at the
            new size, so texture is drawn at every scale).
        upsampling_filters: the width of the progressive stages; default
            `filters`. They work on 4× and 16× the body's pixels, so at the
            body's width they cost more than the body itself; a narrower
            width keeps them cheap.

    The global skip reads the condition's first C channels (the masked frames
    for inpainting), bilinearly upsampled for SR; the residual head is
    zero-initialised, so the untrained model outputs that baseline exactly.

    Example:
    >>> model = build_restoration_generator(4, 16, 16, 1, scale=2, filters=4, residual_blocks=1)
    >>> model.input_shape, model.output_shape
    ((None, None, None, None, 1), (None, None, None, None, 1))
    >>> import numpy as np
    >>> model(np.zeros((1, 3, 5, 7, 1), np.float32)).shape
    TensorShape([1, 3, 10, 14, 1])
    """
    scale, condition_channels = _check_restoration(scale, channels, condition_channels)
    check_positive_ints(filters=filters)
    residual_blocks = check_int("residual_blocks", residual_blocks, minimum=0)
    check_choice("upsampling", upsampling, UPSAMPLINGS)
    if upsampling_filters is None:
        upsampling_filters = filters
    elif upsampling != "progressive":
        raise ValueError(f"upsampling_filters={upsampling_filters!r} is not valid with upsampling={upsampling!r}; "
                         "expected it only with upsampling='progressive', whose stages it sizes")
    else:
        check_positive_ints(upsampling_filters=upsampling_filters)
    for axis, size in (("height", height), ("width", width)):
        if size is not None and check_int(axis, size, minimum=1) % scale:
            raise ValueError(f"{axis}={size} is not divisible by scale={scale}; expected clips whose height and "
                             f"width are multiples of {scale}")
    if frames is not None:
        check_int("frames", frames, minimum=1)

    condition = keras.Input((None, None, None, condition_channels), name=CONDITION_INPUT)
    degraded = condition
    if condition_channels != channels:
        # The mask channel guides the network; the baseline is the masked frames themselves.
        degraded = TakeChannels(channels, dtype="float32", name="degraded_frames")(condition)
    baseline = UpsampleFrames(scale, dtype="float32", name="baseline")(degraded) if scale > 1 else degraded

    x = layers.Conv3D(filters, 3, padding="same", name="stem")(condition)
    x = layers.Activation("relu", name="stem_relu")(x)
    stem = x
    for index in range(residual_blocks):
        y = layers.Conv3D(filters, 3, padding="same", activation="relu", name=f"block{index}_conv1")(x)
        y = layers.Conv3D(filters, 3, padding="same", name=f"block{index}_conv2")(y)
        x = layers.Add(name=f"block{index}_add")([x, y])
    x = layers.Conv3D(filters, 3, padding="same", name="body_out")(x)
    x = layers.Add(name="body_skip")([stem, x])
    if scale > 1 and upsampling == "direct":
        # Sub-pixel upsampling: a convolution at the low resolution, rearranged into scale × scale pixels.
        x = layers.Conv3D(filters * scale * scale, 3, padding="same", name="upsample_conv")(x)
        x = DepthToSpace(scale, name="upsample")(x)
        x = layers.Activation("relu", name="upsample_relu")(x)
    elif scale > 1:
        for stage in range(1, scale.bit_length()):
            x = layers.Conv3D(upsampling_filters * 4, 3, padding="same", name=f"upsample{stage}_conv")(x)
            x = DepthToSpace(2, name=f"upsample{stage}")(x)
            x = layers.Activation("relu", name=f"upsample{stage}_relu")(x)
            x = layers.Conv3D(upsampling_filters, 3, padding="same", activation="relu",
                              name=f"upsample{stage}_refine")(x)
    residual = layers.Conv3D(channels, 3, padding="same", kernel_initializer="zeros", dtype="float32",
                             name="residual")(x)
    baseline = layers.Activation("linear", dtype="float32", name="baseline_float32")(baseline)
    output = layers.Add(dtype="float32", name="restored")([baseline, residual])
    return keras.Model(condition, output, name=name)


def build_restoration_discriminator(frames, height, width, channels=1, scale=1, condition_channels=None,
                                    base_filters=32, normalization="spectral", patch_layers=None,
                                    name="restoration_discriminator"):
    """A conditional discriminator: `video` (N, T, H, W, C) and its degraded `condition` → logits.

    The condition (N, T, H/scale, W/scale, C_in) is upsampled to the video's
    size (nearest: it shows the discriminator the input as it is) and joined
    along channels; then strided Conv3D with spectral normalization (by
    default) and a global logit (N, 1), as the package's other discriminators.

    `patch_layers=n` makes it a patch discriminator (pix2pix's PatchGAN, in
    3D): n blocks that halve height and width, then a 3 × 3 × 3 convolution to
    one logit per overlapping patch, (N, T, H / 2ⁿ, W / 2ⁿ, 1). Each logit sees
    a small window, so what it can judge is local texture, not the layout of
    the whole clip; the losses average the patches of each clip.

    Example:
    >>> d = build_restoration_discriminator(4, 16, 16, 1, scale=2, base_filters=4)
    >>> [tuple(tensor.shape) for tensor in d.inputs], d.output_shape
    ([(None, 4, 16, 16, 1), (None, 4, 8, 8, 1)], (None, 1))
    >>> build_restoration_discriminator(4, 16, 16, 1, base_filters=4, patch_layers=2).output_shape
    (None, 4, 4, 4, 1)
    """
    scale, condition_channels = _check_restoration(scale, channels, condition_channels)
    video_layout(frames, height, width)
    if height % scale or width % scale:
        raise ValueError(f"frames of {height}x{width} are not divisible by scale={scale}; expected multiples of "
                         f"{scale}")
    video = keras.Input((frames, height, width, channels), name="video")
    condition = keras.Input((frames, height // scale, width // scale, condition_channels), name=CONDITION_INPUT)
    resized = condition
    if scale > 1:
        resized = layers.UpSampling3D((1, scale, scale), name="condition_upsample")(condition)
    joined = layers.Concatenate(axis=-1, name="video_and_condition")([video, resized])
    if patch_layers is None:
        logits = video_discriminator_layers(joined, base_filters, kernel_size=3, normalization=normalization)
    else:
        logits = _patch_logits(joined, base_filters, normalization, patch_layers)
    return keras.Model([video, condition], logits, name=name)


def _patch_logits(x, base_filters, normalization, patch_layers):
    check_choice("normalization", normalization, NORMALIZATIONS)
    patch_layers = check_int("patch_layers", patch_layers, minimum=1)
    height, width = x.shape[2:4]
    if height % 2**patch_layers or width % 2**patch_layers:
        raise ValueError(f"patch_layers={patch_layers!r} is not valid for frames of {height}x{width}; expected "
                         f"the frame size to be divisible by 2**patch_layers = {2**patch_layers}")
    for i in range(patch_layers):
        # Time is never strided: a patch is a short space-time window at every frame.
        x = down_block(x, layers.Conv3D(base_filters * 2**i, 3, strides=(1, 2, 2), padding="same",
                                        name=f"down{i + 1}_conv"), normalization, i)
    logits = spectral_normalizer(normalization)(layers.Conv3D(1, 3, padding="same", dtype="float32",
                                                              name="patch_logits"))(x)
    # The spectral-norm wrapper takes the global policy; the scores must stay float32.
    return layers.Activation("linear", dtype="float32", name="patch_logits_float32")(logits)


def is_restorer(model):
    """Whether `model` is a restorer: a `TranslationGAN` without noise whose generator takes clips of any size.

    Example:
    >>> from keras_vgan.models.translation import TranslationGAN
    >>> is_restorer(TranslationGAN(build_restoration_generator(filters=4, residual_blocks=0)))
    True
    """
    from keras_vgan.models.translation import TranslationGAN

    return (isinstance(model, TranslationGAN) and not model.noise_spec.names
            and all(size is None for size in model.condition_shape[:3]))


def restoration_geometry(generator):
    """(scale, condition channels, output channels) of a restorer's generator, read by running it once on zeros.

    Example:
    >>> restoration_geometry(build_restoration_generator(channels=3, scale=2, filters=4, residual_blocks=0))
    (2, 3, 3)
    """
    condition_channels = int(generator.inputs[0].shape[-1])
    output = generator(keras.ops.zeros((1, 1, 4, 4, condition_channels)), training=False)
    return int(output.shape[2]) // 4, condition_channels, int(output.shape[-1])


__all__ = ["build_restoration_discriminator", "build_restoration_generator", "is_restorer", "restoration_geometry"]
