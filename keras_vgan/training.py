"""A whole training run from a `TrainingConfig`: data, models, callbacks, outputs.

This is what `keras-vgan train` runs. In a notebook the same pieces are
available one by one (`build_gan`, `training_dataset`, `VideoGAN.fit`).

The run directory it fills:
    config.json        the configuration, to rerun or resume the run
    samples/           epoch_NNNN.png sample grids (rows = samples, columns = time)
    tensorboard/       loss scalars for `tensorboard --logdir`
    model.keras        the trained VideoGAN (`keras.models.load_model`)
"""

import os

import keras
import tensorflow as tf

from keras_vgan import precision as precision_policy
from keras_vgan.callbacks import SampleGrid
from keras_vgan.datasets import synthetic
from keras_vgan.models import VideoGAN, build_video_discriminator, build_video_generator
from keras_vgan.presets import DATASETS
from keras_vgan.video_io import atomic_path


def build_gan(config):
    """A compiled `VideoGAN` as `config` describes (set the precision policy first)."""
    generator = build_video_generator(
        config.frames, config.height, config.width, config.channels,
        latent_dim=config.latent_dim, base_filters=config.generator_filters,
    )
    discriminator = build_video_discriminator(
        config.frames, config.height, config.width, config.channels,
        base_filters=config.discriminator_filters, normalization=config.discriminator_normalization,
    )
    gan = VideoGAN(generator, discriminator, ema_decay=config.ema_decay)
    optimizer_options = {"beta_1": config.beta_1, "beta_2": 0.999}
    if config.clipnorm:
        optimizer_options["clipnorm"] = config.clipnorm
    gan.compile(
        g_optimizer=keras.optimizers.Adam(config.g_learning_rate, **optimizer_options),
        d_optimizer=keras.optimizers.Adam(config.d_learning_rate, **optimizer_options),
        loss=config.loss,
        discriminator_steps=config.discriminator_steps,
        label_smoothing=config.label_smoothing,
        gradient_penalty_weight=config.gradient_penalty_weight,
        r1_weight=config.r1_weight,
        jit_compile=precision_policy.resolve_jit_compile(config.jit_compile),
    )
    return gan


def source_clips(config):
    """The unbatched clips `config` names: a built-in dataset, or any source `load_source` reads."""
    if config.data:
        from keras_vgan.datasets import load_source

        return load_source(config.data, frames=config.frames, height=config.height, width=config.width,
                           channels=config.channels)
    if config.dataset not in DATASETS:
        raise ValueError(f"dataset={config.dataset!r} is not built in; expected one of {list(DATASETS)} or --data PATH")
    make = getattr(synthetic, config.dataset)
    return make(config.num_videos, frames=config.frames, height=config.height, width=config.width,
                channels=config.channels, seed=config.seed)


def training_dataset(config, clips=None):
    """Shuffled, repeated, batched, prefetched clips for `fit`."""
    clips = source_clips(config) if clips is None else clips
    return (
        clips.shuffle(4 * config.batch_size * 16, seed=config.seed)
        .repeat()
        .batch(config.batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def save_model(gan, path):
    """`gan.save(path)`, atomically: a crash mid-write leaves the previous file intact."""
    with atomic_path(path) as temporary:
        os.remove(temporary)  # Keras refuses to overwrite without asking; the name is all we need.
        gan.save(temporary)
    return path


def train(config, run_dir, verbose=1, extra_callbacks=()):
    """Train as `config` says, writing into `run_dir`; returns (gan, history)."""
    os.makedirs(run_dir, exist_ok=True)
    with atomic_path(os.path.join(run_dir, "config.json")) as temporary:
        with open(temporary, "w") as file:
            file.write(config.to_json())
    keras.utils.set_random_seed(config.seed)
    policy = precision_policy.set_precision(config.precision)
    if verbose:
        print(f"keras-vgan: precision {policy} on {precision_policy.accelerator()}; run directory {run_dir}")
    dataset = training_dataset(config)
    gan = build_gan(config)
    callbacks = [
        SampleGrid(os.path.join(run_dir, "samples"), num_videos=config.num_samples,
                   every_n_epochs=config.sample_every, seed=config.seed + 1),
        keras.callbacks.TensorBoard(os.path.join(run_dir, "tensorboard"), update_freq="epoch",
                                    write_graph=False, profile_batch=0),
        *extra_callbacks,
    ]
    history = gan.fit(dataset, epochs=config.epochs, steps_per_epoch=config.steps_per_epoch,
                      callbacks=callbacks, verbose=verbose)
    save_model(gan, os.path.join(run_dir, "model.keras"))
    return gan, history
