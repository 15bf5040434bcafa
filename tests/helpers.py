"""What many tests build: a tiny video GAN, and clips of moving digits to train it on.

Small enough that a few training steps take well under a second on a CPU. Test
modules import these by name (`from helpers import tiny_gan`): pytest puts this
folder on `sys.path`, as for `video_factory`.
"""

import os
import subprocess
import sys
import textwrap

import keras

from keras_vgan.datasets.synthetic import moving_digits
from keras_vgan.models import VideoGAN, build_video_discriminator, build_video_generator

SHAPE = dict(frames=4, height=16, width=16, channels=1)
VIDEO_SHAPE = (SHAPE["frames"], SHAPE["height"], SHAPE["width"], SHAPE["channels"])
LATENT_DIM = 8


def tiny_generator(base_filters=4, **options):
    """`build_video_generator` at `SHAPE` with a `LATENT_DIM` noise."""
    return build_video_generator(**SHAPE, latent_dim=LATENT_DIM, base_filters=base_filters, **options)


def tiny_discriminator(base_filters=4, **options):
    """`build_video_discriminator` at `SHAPE`."""
    return build_video_discriminator(**SHAPE, base_filters=base_filters, **options)


def tiny_gan(ema_decay=None, discriminators=1, generator_filters=4, seed=None, compile_options=None):
    """A `VideoGAN` of a tiny generator and `discriminators` tiny discriminators.

    Args:
        seed: if given, `keras.utils.set_random_seed(seed)` first, for the same initial weights every run.
        compile_options: if given, the GAN comes compiled with these `compile` arguments.
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)
    generator = tiny_generator(generator_filters)
    if discriminators == 1:
        discriminator = tiny_discriminator()
    else:
        discriminator = [tiny_discriminator(name=f"critic_{i}") for i in range(discriminators)]
    gan = VideoGAN(generator, discriminator, ema_decay=ema_decay)
    if compile_options is not None:
        gan.compile(**compile_options)
    return gan


def eager_gan(**options):
    """`tiny_gan` with an EMA generator, compiled to run eagerly: for tests of a few steps,
    which run quicker eagerly than the train step takes to trace."""
    return tiny_gan(**{"ema_decay": 0.9, "compile_options": {"run_eagerly": True}, **options})


def clips(num_videos=16, batch_size=8, repeat=False):
    """`num_videos` moving-digit clips at `SHAPE` (always the same ones), in batches; endless with `repeat`."""
    data = moving_digits(num_videos, **SHAPE, seed=0).batch(batch_size)
    return data.repeat() if repeat else data


def endless_clips():
    """8 clips in batches of 4, repeated: for `fit(..., steps_per_epoch=N)`."""
    return clips(8, batch_size=4, repeat=True)


# Logical devices must be configured before TensorFlow initializes its runtime: in a fresh process.
TWO_LOGICAL_CPUS = textwrap.dedent("""
    import numpy as np, tensorflow as tf, keras
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
""")


def run_with_two_logical_cpus(script):
    """Run `script` (usually `TWO_LOGICAL_CPUS` + more) in a fresh Python, with this folder on its path."""
    tests = os.path.dirname(os.path.abspath(__file__))
    python_path = os.pathsep.join(filter(None, [tests, os.environ.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": python_path})
