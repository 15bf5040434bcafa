"""TGAN's singular value clipping: after every training step, no discriminator kernel stretches any direction by > 1.

Saito et al. 2017 keep the discriminator 1-Lipschitz (as WGAN needs) by
clipping the singular values of every weight matrix to at most 1 after each
update. Spectral normalization (`normalization="spectral"`) is the cheaper
modern alternative; this callback reproduces the original recipe.
"""

import keras
import tensorflow as tf

from keras_vgan.validation import check_positive_int


def clip_singular_values(variable, max_singular_value=1.0):
    """Clip the singular values of `variable` (reshaped to (-1, outputs)) to <= `max_singular_value`, in place.

    A convolution kernel (..., inputs, outputs) becomes the matrix that maps
    a flattened input patch to the outputs; its singular values are the
    layer's per-patch gains. Returns True when the variable changed.

    Example:
    >>> v = keras.Variable([[3.0, 0.0], [0.0, 0.5]])
    >>> clip_singular_values(v)
    True
    >>> v.numpy().tolist()
    [[1.0, 0.0], [0.0, 0.5]]
    """
    kernel = tf.convert_to_tensor(variable)
    matrix = tf.reshape(kernel, (-1, kernel.shape[-1]))
    singular_values, left, right = tf.linalg.svd(matrix)
    if float(tf.reduce_max(singular_values)) <= max_singular_value:
        return False
    clipped = tf.minimum(singular_values, max_singular_value)
    matrix = tf.matmul(left * clipped[tf.newaxis, :], right, transpose_b=True)
    variable.assign(tf.reshape(matrix, kernel.shape))
    return True


class SingularValueClipping(keras.callbacks.Callback):
    """Every `every_n_steps` training steps, clip the singular values of every discriminator kernel to <= 1.

    Args:
        discriminators: the `keras.Model`s whose kernels to clip; default:
            the trained model's `discriminators` (a `VideoGAN`'s list).
        every_n_steps: clip after steps N, 2N, ... (TGAN clips after every step).
        max_singular_value: the bound (1 in TGAN).

    Example:
    >>> gan.fit(clips, epochs=10, callbacks=[SingularValueClipping()])  # doctest: +SKIP
    """

    def __init__(self, discriminators=None, every_n_steps=1, max_singular_value=1.0):
        super().__init__()
        if isinstance(discriminators, keras.Model):
            discriminators = [discriminators]
        self.discriminators = None if discriminators is None else list(discriminators)
        self.every_n_steps = check_positive_int("every_n_steps", every_n_steps)
        if isinstance(max_singular_value, bool) or not isinstance(max_singular_value, (int, float)) or not (
                max_singular_value > 0):
            raise ValueError(f"max_singular_value={max_singular_value!r} is not valid; expected a number > 0")
        self.max_singular_value = float(max_singular_value)
        self._steps = 0

    def kernels(self):
        """The variables this callback clips: every trainable matrix or convolution kernel of the discriminators."""
        discriminators = self.discriminators
        if discriminators is None:
            discriminators = getattr(self.model, "discriminators", None)
            if discriminators is None:
                raise ValueError("SingularValueClipping(discriminators=None) needs a model with a "
                                 "`discriminators` list (a VideoGAN); pass the discriminators explicitly")
        return [variable for discriminator in discriminators for variable in discriminator.trainable_variables
                if variable.name.endswith("kernel") and len(variable.shape) >= 2]

    def clip(self):
        """Clip every kernel now; returns how many changed."""
        return sum(clip_singular_values(kernel, self.max_singular_value) for kernel in self.kernels())

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1
        if self._steps % self.every_n_steps == 0:
            self.clip()
