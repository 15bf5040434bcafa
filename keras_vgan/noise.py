"""Latent noise that is a pure function of a seed.

`generate`, the sample callbacks, `keras-vgan sample` and the exported
SavedModel's `sample(num_videos, seed)` signature all draw noise through
`latent_noise`, so the same seed gives the same videos everywhere, in-process
or served by TensorFlow alone.
"""

import tensorflow as tf


def latent_noise(num_videos, latent_dim, seed):
    """Standard-normal noise of shape (num_videos, latent_dim), float32.

    Stateless: the result depends only on the arguments, on any device.

    Example:
    >>> a = latent_noise(2, 8, seed=3)
    >>> bool(tf.reduce_all(a == latent_noise(2, 8, seed=3)))
    True
    """
    seed = tf.cast(seed, tf.int32)
    return tf.random.stateless_normal(
        shape=tf.stack([tf.cast(num_videos, tf.int32), tf.cast(latent_dim, tf.int32)]),
        seed=tf.stack([seed, tf.constant(0, tf.int32)]),
        dtype=tf.float32,
    )
