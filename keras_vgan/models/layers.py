"""Custom Keras layers the video networks share.

Every layer here is registered under the "keras_vgan" package and has a
`get_config`, so models that use them round-trip through `.keras` files.
"""

import keras
import tensorflow as tf
from keras import ops

from keras_vgan.validation import check_int, check_positive_int


def _check_video_rank(layer, shape):
    if len(shape) != 5:
        raise ValueError(f"{layer} expects videos (N, T, H, W, C); got an input of shape {tuple(shape)}")


@keras.saving.register_keras_serializable(package="keras_vgan")
class FactorizedSelfAttention(keras.layers.Layer):
    """SAGAN self-attention for videos, factorized into space then time.

    First every pixel of a frame attends to every pixel of the same frame,
    then every pixel attends to itself at every time step. Joint attention at
    32×32×16 would need a 16,384² matrix per clip; the factorized form needs
    a (H·W)² matrix per frame and a T² one per pixel.

    Each of the two steps has 1×1 query/key projections to `key_channels`
    (default C/8, as in SAGAN), a value projection to C, and a learned
    scalar gate initialised to 0, so a fresh block is the identity and the
    network learns how much non-local context to mix in. The softmax runs in
    float32 under mixed precision.

    Args:
        key_channels: width of queries and keys; default max(1, C // 8).

    Example:
    >>> attention = FactorizedSelfAttention()
    >>> attention(keras.ops.zeros((2, 4, 8, 8, 16))).shape
    TensorShape([2, 4, 8, 8, 16])
    """

    def __init__(self, key_channels=None, **kwargs):
        super().__init__(**kwargs)
        self.key_channels = check_positive_int("key_channels", key_channels, allow_none=True)

    def build(self, input_shape):
        _check_video_rank("FactorizedSelfAttention", input_shape)
        channels = input_shape[-1]
        if channels is None:
            raise ValueError("FactorizedSelfAttention needs a known channel count; got input shape "
                             f"{tuple(input_shape)}")
        key_channels = self.key_channels or max(1, channels // 8)
        projections = {}
        for axis in ("spatial", "temporal"):
            for role, width in (("query", key_channels), ("key", key_channels), ("value", channels)):
                dense = keras.layers.Dense(width, use_bias=False, dtype=self.dtype_policy,
                                           name=f"{axis}_{role}")
                dense.build((None, None, channels))
                projections[f"{axis}_{role}"] = dense
        self.spatial_query = projections["spatial_query"]
        self.spatial_key = projections["spatial_key"]
        self.spatial_value = projections["spatial_value"]
        self.temporal_query = projections["temporal_query"]
        self.temporal_key = projections["temporal_key"]
        self.temporal_value = projections["temporal_value"]
        self.spatial_gate = self.add_weight(name="spatial_gate", shape=(), initializer="zeros")
        self.temporal_gate = self.add_weight(name="temporal_gate", shape=(), initializer="zeros")

    @staticmethod
    def _attend(sequence, query, key, value):
        # sequence: (B, L, C). Logits and softmax in float32: bfloat16's 8-bit mantissa
        # makes a softmax over hundreds of positions visibly wrong.
        logits = ops.matmul(ops.cast(query(sequence), "float32"),
                            ops.transpose(ops.cast(key(sequence), "float32"), (0, 2, 1)))
        weights = ops.softmax(logits, axis=-1)
        values = value(sequence)
        return ops.matmul(ops.cast(weights, values.dtype), values)

    def call(self, inputs):
        shape = ops.shape(inputs)
        frames, height, width, channels = inputs.shape[1], inputs.shape[2], inputs.shape[3], inputs.shape[4]
        frames = shape[1] if frames is None else frames
        height = shape[2] if height is None else height
        width = shape[3] if width is None else width

        per_frame = ops.reshape(inputs, (-1, height * width, channels))
        spatial = self._attend(per_frame, self.spatial_query, self.spatial_key, self.spatial_value)
        x = inputs + ops.cast(self.spatial_gate, inputs.dtype) * ops.reshape(spatial, shape)

        per_pixel = ops.reshape(ops.transpose(x, (0, 2, 3, 1, 4)), (-1, frames, channels))
        temporal = self._attend(per_pixel, self.temporal_query, self.temporal_key, self.temporal_value)
        temporal = ops.transpose(ops.reshape(temporal, (shape[0], height, width, frames, channels)),
                                 (0, 3, 1, 2, 4))
        return x + ops.cast(self.temporal_gate, x.dtype) * temporal

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "key_channels": self.key_channels}


@keras.saving.register_keras_serializable(package="keras_vgan")
class SampleFrames(keras.layers.Layer):
    """Pick `frames_per_clip` frames of every clip: (N, T, H, W, C) → (N, k, H, W, C).

    With `training=True` each clip gets its own random k frames, drawn
    without replacement (kept in time order) by `tf.random` ops, so the layer
    works inside `tf.function` and under `tf.distribute`. Otherwise (the
    default) it takes k evenly spaced frames: a discriminator scored outside
    training, and a model reloaded from a `.keras` file, give the same output
    for the same input. Picking is a gather, so gradients reach the pixels.

    Example:
    >>> clips = keras.ops.reshape(keras.ops.arange(8.0), (1, 8, 1, 1, 1))
    >>> SampleFrames(2)(clips)[0, :, 0, 0, 0].numpy().tolist()
    [2.0, 6.0]
    """

    def __init__(self, frames_per_clip, **kwargs):
        super().__init__(**kwargs)
        self.frames_per_clip = check_positive_int("frames_per_clip", frames_per_clip)

    def build(self, input_shape):
        _check_video_rank("SampleFrames", input_shape)
        frames = input_shape[1]
        if frames is None:
            raise ValueError(f"SampleFrames needs a known frame count; got input shape {tuple(input_shape)}")
        if self.frames_per_clip > frames:
            raise ValueError(f"frames_per_clip={self.frames_per_clip} is not valid; expected an integer "
                             f"<= frames={frames}")

    def call(self, inputs, training=None):
        frames = inputs.shape[1]
        batch = tf.shape(inputs)[0]
        k = self.frames_per_clip
        if training:
            # The top k of T uniform scores is a uniformly random k-subset, a different one per clip.
            scores = tf.random.uniform(tf.stack([batch, frames]))
            indices = tf.sort(tf.math.top_k(scores, k).indices, axis=-1)
        else:
            evenly = [int((i + 0.5) * frames / k) for i in range(k)]
            indices = tf.tile(tf.constant([evenly], tf.int32), tf.stack([batch, 1]))
        return tf.gather(inputs, indices, axis=1, batch_dims=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.frames_per_clip, *input_shape[2:])

    def get_config(self):
        return {**super().get_config(), "frames_per_clip": self.frames_per_clip}


@keras.saving.register_keras_serializable(package="keras_vgan")
class MaskSparsity(keras.layers.Layer):
    """Identity on a mask that adds `weight · mean|mask|` to the model's losses.

    VGAN's L1 mask penalty: without it the generator can set the mask to 1
    everywhere and never use its static background. The term appears in
    `model.losses` after every call (eager, in a `GradientTape`, inside
    `tf.function`), where the training step adds it to the generator loss.
    A weight of 0 adds nothing.

    Example:
    >>> sparsity = MaskSparsity(0.1)
    >>> _ = sparsity(keras.ops.ones((2, 4)))
    >>> [round(float(loss), 4) for loss in sparsity.losses]
    [0.1]
    """

    def __init__(self, weight=0.1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight >= 0:
            raise ValueError(f"weight={weight!r} is not valid; expected a number >= 0")
        self.weight = float(weight)

    def call(self, inputs):
        if self.weight:
            self.add_loss(self.weight * ops.mean(ops.abs(ops.cast(inputs, "float32"))))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "weight": self.weight}


@keras.saving.register_keras_serializable(package="keras_vgan")
class FrameDistributed(keras.layers.Wrapper):
    """Apply `layer` to every frame: (N, T, ...) → (N·T, ...) → layer → (N, T, ...).

    Unlike `keras.layers.TimeDistributed`, which with a known frame count
    calls the layer once per frame, the frames are folded into the batch:
    one batched call (faster), BatchNormalization statistics over all N·T
    frames (as MoCoGAN's and TGAN's image generators compute them), one
    spectral-norm power iteration per step. A layer (a model) with several
    outputs gives a list, each output unfolded the same way.

    Example:
    >>> per_frame = FrameDistributed(keras.layers.Dense(3))
    >>> per_frame(keras.ops.zeros((2, 5, 7))).shape
    TensorShape([2, 5, 3])
    """

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"FrameDistributed expects inputs (N, T, ...); got shape {tuple(input_shape)}")
        if not self.layer.built:
            self.layer.build((None, *input_shape[2:]))
        self.built = True

    def call(self, inputs, training=None):
        shape = ops.shape(inputs)
        folded = ops.reshape(inputs, (-1, *inputs.shape[2:]))
        outputs = self.layer(folded, training=training)
        if isinstance(outputs, (list, tuple)):
            return [ops.reshape(output, (shape[0], shape[1], *output.shape[1:])) for output in outputs]
        return ops.reshape(outputs, (shape[0], shape[1], *outputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((None, *input_shape[2:]))
        if isinstance(inner, (list, tuple)) and inner and isinstance(inner[0], (list, tuple)):
            return [(input_shape[0], input_shape[1], *shape[1:]) for shape in inner]
        return (input_shape[0], input_shape[1], *inner[1:])


@keras.saving.register_keras_serializable(package="keras_vgan")
class SumOverFrames(keras.layers.Layer):
    """Per-frame scores (N, k, 1) → one score per clip (N, 1), their sum (DVD-GAN's spatial discriminator).

    Example:
    >>> SumOverFrames()(keras.ops.ones((2, 3, 1))).numpy().tolist()
    [[3.0], [3.0]]
    """

    def call(self, inputs):
        return ops.sum(inputs, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *input_shape[2:])


@keras.saving.register_keras_serializable(package="keras_vgan")
class MaskComposite(keras.layers.Layer):
    """[mask, foreground, background] → mask · foreground + (1 − mask) · background.

    VGAN's composition of a moving foreground over a static background; the
    mask (values in [0, 1]) broadcasts over the channels.

    Example:
    >>> composite = MaskComposite()
    >>> composite([keras.ops.full((1, 2), 0.25), keras.ops.ones((1, 2)), keras.ops.zeros((1, 2))]).numpy().tolist()
    [[0.25, 0.25]]
    """

    def call(self, inputs):
        mask, foreground, background = inputs
        return mask * foreground + (1.0 - mask) * background

    def compute_output_shape(self, input_shape):
        return input_shape[1]


@keras.saving.register_keras_serializable(package="keras_vgan")
class DepthToSpace(keras.layers.Layer):
    """(N, T, h, w, b·b·C) → (N, T, h·b, w·b, C): sub-pixel upsampling (Shi et al. 2016) of every frame.

    Example:
    >>> DepthToSpace(2)(keras.ops.ones((1, 3, 4, 4, 8))).shape
    TensorShape([1, 3, 8, 8, 2])
    """

    def __init__(self, block_size, **kwargs):
        super().__init__(**kwargs)
        self.block_size = check_int("block_size", block_size, minimum=1)

    def call(self, inputs):
        block, shape = self.block_size, ops.shape(inputs)
        channels = inputs.shape[-1] // (block * block)
        x = ops.reshape(inputs, (shape[0], shape[1], shape[2], shape[3], block, block, channels))
        x = ops.transpose(x, (0, 1, 2, 4, 3, 5, 6))
        return ops.reshape(x, (shape[0], shape[1], shape[2] * block, shape[3] * block, channels))

    def compute_output_shape(self, input_shape):
        block = self.block_size
        scaled = [None if side is None else side * block for side in input_shape[2:4]]
        return (input_shape[0], input_shape[1], *scaled, input_shape[4] // (block * block))

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}


@keras.saving.register_keras_serializable(package="keras_vgan")
class UpsampleFrames(keras.layers.Layer):
    """(N, T, H, W, C) → (N, T, H·s, W·s, C): every frame resized by an integer factor, any T, H and W.

    For clips whose frame count and size are unknown when the model is built
    (fully convolutional restorers): frames are folded into the batch with
    their dynamic shape, which `FrameDistributed` (static inner shape) cannot.
    `interpolation` is "bilinear" (half-pixel centres, as `tf.image.resize`)
    or "nearest"; scale 1 is the identity.

    Example:
    >>> UpsampleFrames(2)(keras.ops.ones((1, 3, 4, 5, 2))).shape
    TensorShape([1, 3, 8, 10, 2])
    """

    def __init__(self, scale, interpolation="bilinear", **kwargs):
        super().__init__(**kwargs)
        self.scale = check_int("scale", scale, minimum=1)
        if interpolation not in ("bilinear", "nearest"):
            raise ValueError(f"interpolation={interpolation!r} is not valid; expected 'bilinear' or 'nearest'")
        self.interpolation = interpolation

    def call(self, inputs):
        if self.scale == 1:
            return inputs
        shape = tf.shape(inputs)
        frames = tf.reshape(inputs, tf.concat([[-1], shape[2:]], axis=0))
        method = tf.image.ResizeMethod.BILINEAR if self.interpolation == "bilinear" else \
            tf.image.ResizeMethod.NEAREST_NEIGHBOR
        resized = tf.image.resize(frames, shape[2:4] * self.scale, method=method)
        resized = tf.cast(resized, inputs.dtype)
        return tf.reshape(resized, tf.concat([shape[:2], shape[2:4] * self.scale, shape[4:]], axis=0))

    def compute_output_shape(self, input_shape):
        scaled = [None if side is None else side * self.scale for side in input_shape[2:4]]
        return (input_shape[0], input_shape[1], *scaled, input_shape[4])

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "interpolation": self.interpolation}


@keras.saving.register_keras_serializable(package="keras_vgan")
class TakeChannels(keras.layers.Layer):
    """(…, C) → (…, count): the first `count` channels (an inpainting condition without its mask channel).

    A layer rather than a Lambda, so a model using it loads without `safe_mode=False`.

    Example:
    >>> TakeChannels(1)(keras.ops.ones((2, 3, 4, 4, 2))).shape
    TensorShape([2, 3, 4, 4, 1])
    """

    def __init__(self, count, **kwargs):
        super().__init__(**kwargs)
        self.count = check_int("count", count, minimum=1)

    def call(self, inputs):
        return inputs[..., :self.count]

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.count)

    def get_config(self):
        return {**super().get_config(), "count": self.count}


__all__ = ["DepthToSpace", "FactorizedSelfAttention", "FrameDistributed", "MaskComposite", "MaskSparsity",
           "SampleFrames", "SumOverFrames", "TakeChannels", "UpsampleFrames"]
