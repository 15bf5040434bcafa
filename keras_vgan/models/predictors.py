"""Frame predictors: the context frames in, the future frames out, every temporal operation causal.

Both predictors read the context followed by one empty slot per future frame
(`FutureSlots`: zeros plus an "observed" channel), run a causal sequence model
over that whole sequence, and take as the prediction of frame t + 1 the output
at step t. Causal means the output at step t depends on steps <= t only:
ConvLSTM is so by construction, and the 3D convolutions pad time on the past
side only (`causal_conv3d`). The keras-io ConvLSTM example ends in a Conv3D
with "same" padding, whose output at t sees t + 1 (keras-team/keras-io#1003);
`tests/test_predictors.py` checks that a change to step t + 1 leaves the
outputs up to t alone.

Inputs are named as `VideoGAN` expects: `condition` takes the context, and an
optional `noise` vector (broadcast over space and time at the coarsest
features) makes the future stochastic.
"""

import keras
from keras import layers, ops

from keras_vgan.models.discriminators import video_discriminator_layers
from keras_vgan.models.image_networks import build_frame_discriminator
# DepthToSpace lives in layers.py (the restorers use it too); imported here, where it was first defined.
from keras_vgan.models.layers import DepthToSpace, FrameDistributed  # noqa: F401
from keras_vgan.models.layout import image_layout
from keras_vgan.noise import CONDITION_INPUT
from keras_vgan.validation import check_int, check_positive_ints


@keras.saving.register_keras_serializable(package="keras_vgan")
class FutureSlots(keras.layers.Layer):
    """(N, T, H, W, C) context → (N, T + future_frames, H, W, C + 1): empty slots after it, and a flag channel.

    The flag is 1 on observed frames and 0 on the slots, so a network can tell
    a black frame it saw from one it is to predict.

    Example:
    >>> FutureSlots(3)(keras.ops.ones((2, 4, 8, 8, 1))).shape
    TensorShape([2, 7, 8, 8, 2])
    """

    def __init__(self, future_frames, **kwargs):
        super().__init__(**kwargs)
        self.future_frames = check_int("future_frames", future_frames, minimum=1)

    def call(self, context):
        shape = ops.shape(context)
        observed = ops.concatenate([context, ops.ones_like(context[..., :1])], axis=-1)
        slots = ops.zeros((shape[0], self.future_frames, shape[2], shape[3], context.shape[-1] + 1),
                          dtype=context.dtype)
        return ops.concatenate([observed, slots], axis=1)

    def compute_output_shape(self, input_shape):
        frames = None if input_shape[1] is None else input_shape[1] + self.future_frames
        return (input_shape[0], frames, *input_shape[2:4], input_shape[4] + 1)

    def get_config(self):
        return {**super().get_config(), "future_frames": self.future_frames}


@keras.saving.register_keras_serializable(package="keras_vgan")
class HoldLastFrame(keras.layers.Layer):
    """(N, T, H, W, C) context → (N, T + future_frames, H, W, C): the latest frame seen at each step.

    Steps inside the context are the context itself; every step after it holds
    the last context frame. Step t depends on steps <= t only.

    Example:
    >>> HoldLastFrame(2)(keras.ops.reshape(keras.ops.arange(3.0), (1, 3, 1, 1, 1)))[0, :, 0, 0, 0].numpy().tolist()
    [0.0, 1.0, 2.0, 2.0, 2.0]
    """

    def __init__(self, future_frames, **kwargs):
        super().__init__(**kwargs)
        self.future_frames = check_int("future_frames", future_frames, minimum=1)

    def call(self, context):
        last = ops.repeat(context[:, -1:], self.future_frames, axis=1)
        return ops.concatenate([context, last], axis=1)

    def compute_output_shape(self, input_shape):
        frames = None if input_shape[1] is None else input_shape[1] + self.future_frames
        return (input_shape[0], frames, *input_shape[2:])

    def get_config(self):
        return {**super().get_config(), "future_frames": self.future_frames}


@keras.saving.register_keras_serializable(package="keras_vgan")
class WarpFrames(keras.layers.Layer):
    """Move each pixel of a frame along a flow: bilinear backward warping, differentiable in the flow.

    Inputs `[frames (N, T, H, W, C), velocity (N, T, H, W, 2)]`. The output at
    (y, x) of step k reads the frame at (y - dy, x - dx), where (dy, dx) is
    the velocity times `k + 1` with `scale_by_step` (a predictor's k-th future
    frame is k + 1 frames after the last one it saw, so a constant velocity is
    the natural default) or the velocity itself without it. Positions outside
    the frame read its nearest edge pixel.

    Example:
    >>> frames = keras.ops.reshape(keras.ops.arange(4.0), (1, 1, 1, 4, 1))
    >>> right = keras.ops.concatenate([keras.ops.zeros((1, 1, 1, 4, 1)), keras.ops.ones((1, 1, 1, 4, 1))], -1)
    >>> WarpFrames()([frames, right])[0, 0, 0, :, 0].numpy().tolist()
    [0.0, 0.0, 1.0, 2.0]
    """

    def __init__(self, scale_by_step=True, **kwargs):
        super().__init__(**kwargs)
        self.scale_by_step = bool(scale_by_step)

    def call(self, inputs):
        frames, velocity = inputs
        shape = ops.shape(frames)
        steps, height, width, channels = shape[1], shape[2], shape[3], frames.shape[-1]
        velocity = ops.cast(velocity, frames.dtype)
        if self.scale_by_step:
            velocity = velocity * ops.reshape(ops.cast(ops.arange(1, steps + 1), frames.dtype), (1, -1, 1, 1, 1))
        rows = ops.reshape(ops.cast(ops.arange(height), frames.dtype), (1, 1, -1, 1))
        columns = ops.reshape(ops.cast(ops.arange(width), frames.dtype), (1, 1, 1, -1))
        source_y = ops.clip(rows - velocity[..., 0], 0.0, ops.cast(height - 1, frames.dtype))
        source_x = ops.clip(columns - velocity[..., 1], 0.0, ops.cast(width - 1, frames.dtype))
        top, left = ops.floor(source_y), ops.floor(source_x)
        weight_y, weight_x = (source_y - top)[..., None], (source_x - left)[..., None]
        top, left = ops.cast(top, "int32"), ops.cast(left, "int32")
        bottom, right = ops.minimum(top + 1, height - 1), ops.minimum(left + 1, width - 1)
        pixels = ops.reshape(frames, (shape[0], steps, height * width, channels))

        def read(y, x):
            index = ops.reshape(y * width + x, (shape[0], steps, height * width, 1))
            values = ops.take_along_axis(pixels, ops.repeat(index, channels, axis=-1), axis=2)
            return ops.reshape(values, shape)

        upper = read(top, left) * (1.0 - weight_x) + read(top, right) * weight_x
        lower = read(bottom, left) * (1.0 - weight_x) + read(bottom, right) * weight_x
        return upper * (1.0 - weight_y) + lower * weight_y

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "scale_by_step": self.scale_by_step}


def causal_conv3d(x, filters, name, kernel_time=3, dilation=1, strides=(1, 1, 1), activation="relu"):
    """A 3D convolution (kernel_time × 3 × 3) whose output at step t sees steps t - (kernel_time - 1)·dilation … t.

    Time is zero-padded on the past side only; space is padded as "same".

    Example:
    >>> tuple(causal_conv3d(keras.Input((5, 8, 8, 2)), 4, "c1", dilation=2).shape)
    (None, 5, 8, 8, 4)
    """
    past = (kernel_time - 1) * dilation
    x = layers.ZeroPadding3D(((past, 0), (1, 1), (1, 1)), name=f"{name}_pad")(x)
    x = layers.Conv3D(filters, (kernel_time, 3, 3), strides=strides, dilation_rate=(dilation, 1, 1),
                      padding="valid", name=f"{name}_conv")(x)
    return layers.Activation(activation, name=f"{name}_{activation}")(x) if activation else x


def _check_sizes(context_frames, future_frames, height, width, channels, levels):
    context_frames = check_int("context_frames", context_frames, minimum=1)
    future_frames = check_int("future_frames", future_frames, minimum=1)
    check_positive_ints(channels=channels)
    depth = image_layout(height, width).depth
    if depth < levels:
        raise ValueError(f"frames of {height}x{width} are too small for {levels} halvings; expected sides of at "
                         f"least {4 * 2**levels}")
    return context_frames, future_frames


def predictor_inputs(context_frames, future_frames, height, width, channels, noise_dim):
    """The predictors' start: (the `condition` input, the `noise` input or None, context + future slots)."""
    context_frames, future_frames = _check_sizes(context_frames, future_frames, height, width, channels, 2)
    context = keras.Input((context_frames, height, width, channels), name=CONDITION_INPUT)
    noise = keras.Input((noise_dim,), name="noise") if noise_dim else None
    sequence = FutureSlots(future_frames, name="future_slots")(context)
    return context, noise, sequence


def _predictor_model(features, context, noise, echo_context, name, frame_change=True):
    """Both predictors' end: frames from the future steps' features (`_future_steps`), as a `keras.Model`."""
    frames = _to_frames(features, context, features.shape[1], frame_change)
    if echo_context:
        frames = layers.Concatenate(axis=1, name="context_and_future")([context, frames])
    return keras.Model([context, noise] if noise is not None else context, frames, name=name)


def _future_steps(tensors, context_frames, name):
    """The steps context_frames - 1 … T - 2 of each (N, T, …) tensor: those whose output predicts a future frame.

    The per-frame decoders run on these only, half the steps: the outputs at
    the other steps would predict frames of the context, which nothing uses.
    """
    return [layers.Cropping3D(((context_frames - 1, 1), (0, 0), (0, 0)), name=f"{name}_future{index}")(tensor)
            for index, tensor in enumerate(tensors)]


def _broadcast_noise(noise, features, name):
    """Join a noise vector to every step and position of (N, T, h, w, F) features."""
    if noise is None:
        return features
    frames, height, width = features.shape[1:4]
    code = layers.Dense(height * width * 8, name=f"{name}_project")(noise)
    code = layers.Reshape((1, height, width, 8), name=f"{name}_reshape")(code)
    code = layers.UpSampling3D((frames, 1, 1), name=f"{name}_repeat")(code)
    return layers.Concatenate(name=f"{name}_join")([features, code])


def _to_frames(x, context, future_frames, frame_change=True):
    """Each future step's prediction from its features (at the frame size or below it): the last context frame,
    moved by a predicted velocity, plus a predicted change.

    Moving the last frame (`WarpFrames`, as Deep Voxel Flow and Finn et al.'s
    advection predict by transforming pixels) keeps the digits sharp and makes
    constant motion the easiest thing to learn; the change draws what moving
    pixels cannot (what comes into view, a bounce). Both heads start at zero, so
    an untrained predictor copies the last frame, the baseline every predictor
    must beat. The velocity is predicted at the features' size and upsampled
    (motion is smooth), the change by sub-pixel convolution (`DepthToSpace`).
    `frame_change=False` leaves the change out: every frame is then the
    last context frame's own pixels, moved. Outputs can stray a little
    outside [-1, 1]; `to_uint8` clips them for samples and metrics. float32 for the loss under a mixed policy, as every
    generator of the package.
    """
    height, width, channels = context.shape[2], context.shape[3], context.shape[-1]
    block = height // x.shape[2]
    if x.shape[2] * block != height or x.shape[3] * block != width:
        raise ValueError(f"features of {x.shape[2]}x{x.shape[3]} do not tile frames of {height}x{width}")
    velocity = FrameDistributed(layers.Conv2D(2, 3, padding="same", kernel_initializer="zeros", dtype="float32"),
                                name="velocity")(x)
    if block > 1:
        velocity = FrameDistributed(layers.UpSampling2D(block, interpolation="bilinear", dtype="float32"),
                                    name="velocity_upsample")(velocity)
    change = None
    if frame_change:
        change = FrameDistributed(layers.Conv2D(block * block * channels, 3, padding="same",
                                                kernel_initializer="zeros", dtype="float32"), name="frame_change")(x)
        if block > 1:
            change = DepthToSpace(block, dtype="float32", name="frame_change_upsample")(change)
    latest = HoldLastFrame(future_frames, dtype="float32", name="latest_frame")(context)
    latest = layers.Cropping3D(((context.shape[1], 0), (0, 0), (0, 0)), dtype="float32",
                               name="last_context_frame")(latest)
    moved = WarpFrames(dtype="float32", name="moved_frame")([latest, velocity])
    if change is None:
        return moved
    return layers.Add(dtype="float32", name="to_frames")([moved, change])


def build_convlstm_predictor(context_frames=10, future_frames=10, height=64, width=64, channels=1, filters=32,
                             noise_dim=0, echo_context=False, frame_change=True, name="convlstm_predictor"):
    """Per-frame 2D encoder → two stacked `ConvLSTM2D` → per-frame 2D decoder with skips.

    The encoder halves each frame twice (to H/4), the recurrent layers read
    the context then the empty future slots, and the decoder brings each
    step's state back to a frame, with the encoder's features of the same step
    joined in (skips within a step keep it causal). Returns a `keras.Model`
    from `condition` (N, context_frames, H, W, C) [and `noise` (N, noise_dim)]
    to the future (N, future_frames, H, W, C) in [-1, 1], or context and
    future (N, context_frames + future_frames, …) with `echo_context`.
    `frame_change=False` draws every frame by moving the last context
    frame's pixels alone (see `_to_frames`).

    Example:
    >>> model = build_convlstm_predictor(4, 3, 16, 16, 1, filters=4)
    >>> model.output_shape
    (None, 3, 16, 16, 1)
    """
    context, noise, sequence = predictor_inputs(context_frames, future_frames, height, width, channels, noise_dim)
    x = convlstm_features(sequence, noise, context.shape[1], filters)
    return _predictor_model(x, context, noise, echo_context, name, frame_change)


def convlstm_features(sequence, noise, context_frames, filters):
    """The ConvLSTM predictor's body: per-step features (N, future, H/4, W/4, 2·filters) of the future steps.

    `sequence`: the context then the future slots (`predictor_inputs`);
    `noise` (or None) joins every step before the recurrent layers. A head
    turns the features into frames (`_to_frames` here, or an animator's).
    """
    check_positive_ints(filters=filters)
    skip1 = FrameDistributed(layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu"),
                             name="encode1")(sequence)
    skip2 = FrameDistributed(layers.Conv2D(2 * filters, 3, strides=2, padding="same", activation="relu"),
                             name="encode2")(skip1)
    x = _broadcast_noise(noise, skip2, "noise")
    x = layers.ConvLSTM2D(2 * filters, 3, padding="same", return_sequences=True, name="recurrent1")(x)
    x = layers.ConvLSTM2D(2 * filters, 3, padding="same", return_sequences=True, name="recurrent2")(x)
    x, skip2 = _future_steps([x, skip2], context_frames, "decode")
    x = layers.Concatenate(name="skip2")([x, skip2])
    return FrameDistributed(layers.Conv2D(2 * filters, 3, padding="same", activation="relu"), name="decode")(x)


def build_unet_predictor(context_frames=10, future_frames=10, height=64, width=64, channels=1, filters=32,
                         noise_dim=0, echo_context=False, name="unet_predictor"):
    """A causal 3D-convolution U-Net: two levels down in space, dilated causal convolutions in time at the bottom.

    Full resolution is handled per frame (2D convolutions, causal by
    construction; 3D ones there would cost most of the step); at H/2 and H/4
    causal 3D convolutions, padded on the past side only, mix time, and at the
    bottom dilations 1, 2, 4, 8 let the last slot see the first context frame
    (a reach of 31 steps). The way up mirrors it, with the skips of each level.
    Inputs and outputs as `build_convlstm_predictor`.

    Example:
    >>> model = build_unet_predictor(4, 3, 16, 16, 1, filters=4)
    >>> model.output_shape
    (None, 3, 16, 16, 1)
    """
    context, noise, sequence = predictor_inputs(context_frames, future_frames, height, width, channels, noise_dim)
    check_positive_ints(filters=filters)
    skip0 = FrameDistributed(layers.Conv2D(filters, 3, padding="same", activation="relu"), name="level0")(sequence)
    x = FrameDistributed(layers.Conv2D(2 * filters, 3, strides=2, padding="same", activation="relu"),
                         name="down1")(skip0)
    skip1 = causal_conv3d(x, 2 * filters, "level1")
    x = FrameDistributed(layers.Conv2D(4 * filters, 3, strides=2, padding="same", activation="relu"),
                         name="down2")(skip1)
    x = _broadcast_noise(noise, x, "noise")
    for dilation in (1, 2, 4, 8):
        x = causal_conv3d(x, 4 * filters, f"bottom_dilation{dilation}", dilation=dilation)
    x = layers.UpSampling3D((1, 2, 2), name="up1")(x)
    x = layers.Concatenate(name="skip1")([x, skip1])
    x = causal_conv3d(x, 2 * filters, "up1a")
    x, skip0, sequence = _future_steps([x, skip0, sequence], context.shape[1], "decode")
    x = layers.UpSampling3D((1, 2, 2), name="up0")(x)
    x = layers.Concatenate(name="skip0")([x, skip0, sequence])
    x = FrameDistributed(layers.Conv2D(filters, 3, padding="same", activation="relu"), name="up0a")(x)
    return _predictor_model(x, context, noise, echo_context, name)


def build_prediction_discriminator(context_frames=10, future_frames=10, height=64, width=64, channels=1,
                                   base_filters=32, normalization="spectral", pool_space=False,
                                   frames_as_channels=True, name="prediction_discriminator"):
    """A conditional discriminator: the context and the (real or predicted) future joined in time, one logit.

    Judging the continuation with its context, it can tell a future that does
    not follow from the past, not only one that looks wrong on its own.
    Inputs `video` (the future) and `condition` (the context). `pool_space`
    halves the frames' sides first, as DVD-GAN's temporal discriminator does:
    a quarter of the cost, for the motion rather than the finest texture.
    `frames_as_channels` (default) stacks the clip's frames as the channels of
    one image for a 2D convolution stack (`build_frame_discriminator`), as
    SimVP stacks frames for its encoder: its first layer sees every frame at
    once, so motion is in view, and 2D convolutions train many times faster
    than 3D ones on CPUs where TensorFlow has no oneDNN 3D kernels (measured:
    `benchmarks/prediction.py`'s adversarial step). False: a Conv3D stack.

    Example:
    >>> d = build_prediction_discriminator(4, 4, 16, 16, 1, base_filters=4)
    >>> [tensor.name for tensor in d.inputs], d.output_shape
    (['video', 'condition'], (None, 1))
    """
    context_frames, future_frames = _check_sizes(context_frames, future_frames, height, width, channels, 1)
    future = keras.Input((future_frames, height, width, channels), name="video")
    context = keras.Input((context_frames, height, width, channels), name=CONDITION_INPUT)
    clip = layers.Concatenate(axis=1, name="context_and_future")([context, future])
    if pool_space:
        clip = layers.AveragePooling3D((1, 2, 2), name="pool_space")(clip)
    if frames_as_channels:
        frames = context_frames + future_frames
        side_height, side_width = clip.shape[2], clip.shape[3]
        stacked = layers.Permute((2, 3, 1, 4), name="frames_last")(clip)
        stacked = layers.Reshape((side_height, side_width, frames * channels), name="frames_as_channels")(stacked)
        judge = build_frame_discriminator(side_height, side_width, frames * channels, base_filters=base_filters,
                                          kernel_size=3, normalization=normalization, name="stacked_frames_judge")
        logit = judge(stacked)
    else:
        # A 3-wide kernel: under half the 4-wide one's cost on the 20-frame clip, which dominated the step.
        logit = video_discriminator_layers(clip, base_filters, kernel_size=3, normalization=normalization)
    return keras.Model([future, context], logit, name=name)


PREDICTORS = {"convlstm": build_convlstm_predictor, "unet3d": build_unet_predictor}
