"""Optimizers whose per-variable update runs as one TensorFlow kernel."""

import keras
import tensorflow as tf


def _fusable(gradient, variable):
    # TF's fused kernels take a dense gradient and a resource variable; anything
    # else (IndexedSlices from an embedding, a non-TF variable) takes Keras's path.
    return not isinstance(gradient, tf.IndexedSlices) and hasattr(variable, "handle")


@keras.saving.register_keras_serializable(package="keras_vgan")
class FusedAdam(keras.optimizers.Adam):
    """`keras.optimizers.Adam` with each variable's update done by TF's `ResourceApplyAdam`.

    Keras's Adam updates a variable with about ten elementwise ops, each a full
    pass over the variable and its two slots; on a CPU, where those passes are
    memory-bound, they took ~13 % of a `vgan-64` training step under bf16
    (`benchmarks/profile_step.py`). TensorFlow's kernel does the same update in
    one pass. The formula, the slots (`m`, `v`), the config and the saved state
    are Keras's, so the two are interchangeable; AMSGrad and sparse gradients
    use Keras's own update.

    Example:
    >>> optimizer = FusedAdam(2e-4, beta_1=0.5)
    >>> variable = keras.Variable([1.0, 2.0])
    >>> optimizer.apply_gradients([(tf.constant([0.5, -0.5]), variable)])
    """

    def update_step(self, gradient, variable, learning_rate):
        if self.amsgrad or not _fusable(gradient, variable):
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        index = self._get_variable_index(variable)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle,
            m=self._momentums[index].handle,
            v=self._velocities[index].handle,
            beta1_power=tf.pow(beta_1, step),
            beta2_power=tf.pow(beta_2, step),
            lr=tf.cast(learning_rate, dtype),
            beta1=beta_1,
            beta2=beta_2,
            epsilon=tf.cast(self.epsilon, dtype),
            grad=tf.cast(gradient, dtype),
            use_locking=False,
        )
