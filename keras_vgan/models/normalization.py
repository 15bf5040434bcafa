"""Batch normalization through TensorFlow's fused kernel."""

import keras
import tensorflow as tf

_FUSED_DTYPES = (tf.float32, tf.bfloat16, tf.float16)


@keras.saving.register_keras_serializable(package="keras_vgan")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization` computed by TF's `FusedBatchNormV3` kernel.

    Keras 3 normalizes with separate moments / normalize ops and, under mixed
    precision, casts bf16/float16 activations to float32 and back around them.
    The fused kernel reads the low-precision activations directly, keeps its
    statistics in float32, and does each direction in one pass; with the
    casts gone, a bf16 `vgan-64` step spends less time on memory traffic. Same
    weights, config, moving-average rule (Keras's biased variance) and results
    (up to float rounding) as the Keras layer. Inputs it cannot fuse (not 4D/5D
    channels-last, masked, renormalized or synchronized) take Keras's path.

    Example:
    >>> layer = FusedBatchNormalization(name="up1_norm")
    >>> layer(tf.random.normal([2, 4, 8, 8, 16]), training=True).shape
    TensorShape([2, 4, 8, 8, 16])
    """

    def _can_fuse(self, inputs, mask):
        rank = len(inputs.shape)
        return (
            mask is None
            and rank in (4, 5)
            and self.axis in (-1, rank - 1)
            and not getattr(self, "renorm", False)
            and not self.synchronized
            and inputs.dtype in _FUSED_DTYPES
        )

    def call(self, inputs, training=None, mask=None):
        if not self._can_fuse(inputs, mask):
            return super().call(inputs, training=training, mask=mask)
        channels = inputs.shape[-1]
        scale = self.gamma if self.scale else tf.ones([channels])
        offset = self.beta if self.center else tf.zeros([channels])
        data_format = "NHWC" if len(inputs.shape) == 4 else "NDHWC"
        if training and self.trainable:
            outputs, batch_mean, batch_variance, *_ = tf.raw_ops.FusedBatchNormV3(
                x=inputs, scale=scale, offset=offset, mean=tf.zeros([channels]), variance=tf.ones([channels]),
                epsilon=self.epsilon, exponential_avg_factor=1.0, data_format=data_format, is_training=True,
            )
            # The kernel returns the unbiased variance; Keras averages the biased one.
            count = tf.cast(tf.size(inputs) // channels, tf.float32)
            biased_variance = batch_variance * (count - 1.0) / tf.maximum(count, 1.0)
            momentum = self.momentum
            self.moving_mean.assign(self.moving_mean * momentum + batch_mean * (1.0 - momentum))
            self.moving_variance.assign(self.moving_variance * momentum + biased_variance * (1.0 - momentum))
            return outputs
        outputs, *_ = tf.raw_ops.FusedBatchNormV3(
            x=inputs, scale=scale, offset=offset, mean=self.moving_mean, variance=self.moving_variance,
            epsilon=self.epsilon, data_format=data_format, is_training=False,
        )
        return outputs
