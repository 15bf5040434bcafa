"""Discriminator warm-up: D-only steps against the starting generator before adversarial fine-tuning."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from helpers import SHAPE, TWO_LOGICAL_CPUS, clips, run_with_two_logical_cpus
from keras_vgan.presets import get_preset
from keras_vgan.training import build_gan, model_batches, train, training_dataset

TINY = dict(frames=4, height=16, width=16, generator_filters=4, discriminator_filters=4, scale=2,
            model_options={"residual_blocks": 1}, batch_size=2, num_samples=2, num_videos=8,
            temporal_motion="none", steps_per_epoch=2, epochs=1, checkpoint_every=2, sample_every=1)


def _config(**changes):
    # The fine-tuning preset without its L1-trained parent: the untrained restorer (bilinear upsampling) starts.
    return dataclasses.replace(get_preset("enhance-sr-photos").replace(**{**TINY, **changes}), init_generator=None)


def test_warm_up_trains_the_discriminator_alone_and_teaches_it_the_difference():
    config = _config(discriminator_normalization="none", d_learning_rate=1e-2)
    gan = build_gan(config)
    generator_before = [w.copy() for w in gan.generator.get_weights()]
    ema_before = [w.copy() for w in gan.ema_generator.get_weights()]
    discriminator_before = [v.numpy().copy() for v in gan.discriminator_variables]
    # The same batch every step: a discriminator that learns anything must move off chance (hinge 2.0).
    batch = next(iter(model_batches(config, training_dataset(config))))
    d_losses = gan.warm_up_discriminators(tf.data.Dataset.from_tensors(batch).repeat(), steps=60)
    assert d_losses.shape == (60,) and np.all(np.isfinite(d_losses))
    assert d_losses[-10:].mean() < d_losses[:10].mean() - 0.2, d_losses
    assert int(gan.d_optimizer.iterations) == 60 and int(gan.g_optimizer.iterations) == 0
    for got, expected in zip(gan.generator.get_weights() + gan.ema_generator.get_weights(),
                             generator_before + ema_before):
        np.testing.assert_array_equal(got, expected)
    assert any(not np.array_equal(v.numpy(), before)
               for v, before in zip(gan.discriminator_variables, discriminator_before))
    assert gan.warm_up_discriminators(tf.data.Dataset.from_tensors(batch), steps=0).shape == (0,)


def test_warm_up_needs_a_discriminator_and_a_valid_count():
    without = build_gan(_config(adversarial_weight=0.0))
    with pytest.raises(ValueError, match="without a discriminator"):
        without.warm_up_discriminators(tf.data.Dataset.range(1), steps=5)
    with pytest.raises(ValueError, match="steps=-1"):
        build_gan(_config()).warm_up_discriminators(tf.data.Dataset.range(1), steps=-1)
    with pytest.raises(ValueError, match="discriminator_warmup=-3"):
        _config(discriminator_warmup=-3).validate()
    with pytest.raises(ValueError, match="discriminator_warmup=5 is not valid with adversarial_weight=0"):
        _config(discriminator_warmup=5, adversarial_weight=0.0).validate()


def test_train_warms_up_a_fresh_run_once_and_not_again_on_resume(tmp_path, capsys):
    config = _config(discriminator_warmup=3).validate()
    gan, _ = train(config, str(tmp_path / "run"), verbose=1)
    out = capsys.readouterr().out
    assert "discriminator warmed up for 3 steps" in out
    assert int(gan.d_optimizer.iterations) == 3 + 2 and int(gan.g_optimizer.iterations) == 2
    gan, _ = train(config.replace(epochs=2), str(tmp_path / "run"), verbose=1)
    out = capsys.readouterr().out
    assert "resuming from step 2" in out and "warmed up" not in out
    assert int(gan.d_optimizer.iterations) == 3 + 4 and int(gan.g_optimizer.iterations) == 4


def test_warm_up_runs_under_mirrored_strategy():
    result = run_with_two_logical_cpus(TWO_LOGICAL_CPUS + """
from test_discriminator_warmup import _config
from keras_vgan.training import build_gan, model_batches, training_dataset
config = _config(batch_size=4)
with strategy.scope():
    gan = build_gan(config)
d_losses = gan.warm_up_discriminators(model_batches(config, training_dataset(config)), steps=3)
assert d_losses.shape == (3,) and np.all(np.isfinite(d_losses)), d_losses
for variable in gan.discriminator_variables:
    copies = variable.value.values
    assert len(copies) == 2 and np.array_equal(copies[0].numpy(), copies[1].numpy()), variable.path
print("WARMUP_OK")
""")
    assert "WARMUP_OK" in result.stdout, result.stderr[-3000:]


def test_warm_up_reads_an_unconditional_models_clip_batches():
    from keras_vgan.models import VideoGAN, build_architecture

    generator, discriminators = build_architecture("conv3d", SHAPE["frames"], SHAPE["height"], SHAPE["width"], 1,
                                                   generator_filters=4, discriminator_filters=4)
    gan = VideoGAN(generator, discriminators)
    gan.compile(loss="relativistic")
    d_losses = gan.warm_up_discriminators(clips(8, batch_size=4, repeat=True), steps=3)
    assert d_losses.shape == (3,) and np.all(np.isfinite(d_losses))
    assert int(gan.d_optimizer.iterations) == 3 and int(gan.g_optimizer.iterations) == 0
