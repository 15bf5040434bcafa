import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import (LATENT_DIM, SHAPE, TWO_LOGICAL_CPUS, VIDEO_SHAPE, clips, run_with_two_logical_cpus,
                     tiny_discriminator, tiny_gan, tiny_generator)
from keras_vgan.datasets.synthetic import moving_digits
from keras_vgan.models import VideoGAN


def snapshot(model):
    return [v.numpy().copy() for v in model.trainable_variables]


def changed(before, model):
    """Every kernel moved. (Not every bias: under the hinge loss the last bias's gradient is exactly 0.)"""
    pairs = [(a, v) for a, v in zip(before, model.trainable_variables) if "kernel" in v.path]
    return bool(pairs) and all(not np.allclose(a, v.numpy()) for a, v in pairs)


@pytest.mark.parametrize("loss, options", [
    ("non_saturating", {}),
    ("minimax", {"label_smoothing": 0.1}),
    ("hinge", {"discriminator_steps": 2}),
    ("wasserstein", {"gradient_penalty_weight": 10.0}),
    ("least_squares", {"r1_weight": 1.0}),
    ("relativistic", {}),
])
def test_fit_changes_both_models(loss, options):
    gan = tiny_gan()
    gan.compile(loss=loss, **options)
    g_before, d_before = snapshot(gan.generator), snapshot(gan.discriminator)
    history = gan.fit(clips(), epochs=1, verbose=0)
    assert changed(g_before, gan.generator) and changed(d_before, gan.discriminator)
    for name in ("d_loss", "g_loss", "real_score", "fake_score"):
        assert np.isfinite(history.history[name][-1])
    if options.get("gradient_penalty_weight"):
        assert "gradient_penalty" in history.history
    if options.get("r1_weight"):
        assert history.history["r1_penalty"][-1] > 0
    assert int(gan.d_optimizer.iterations) == 2 * options.get("discriminator_steps", 1)
    assert int(gan.g_optimizer.iterations) == 2


def test_metrics_are_mean_trackers():
    gan = tiny_gan()
    gan.compile()
    assert [m.name for m in gan.metrics] == ["d_loss", "g_loss", "real_score", "fake_score"]
    assert all(isinstance(m, keras.metrics.Mean) for m in gan.metrics)


def test_several_discriminators_are_all_trained():
    gan = tiny_gan(discriminators=2)
    gan.compile(loss="hinge")
    before = [snapshot(d) for d in gan.discriminators]
    gan.fit(clips(), epochs=1, verbose=0)
    assert all(changed(b, d) for b, d in zip(before, gan.discriminators))


def test_conditional_batches_reach_both_networks():
    # The generator names its condition input; every other input is noise.
    noise, labels = keras.Input((LATENT_DIM,), name="noise"), keras.Input((), dtype="int32", name="condition")
    label_code = keras.layers.Embedding(3, LATENT_DIM)(labels)
    unconditional = tiny_generator()
    generator = keras.Model([noise, labels], unconditional(keras.layers.Add()([noise, label_code])))
    video, video_labels = keras.Input(VIDEO_SHAPE, name="video"), keras.Input((), dtype="int32", name="condition")
    features = tiny_discriminator()(video)
    projection = keras.layers.Embedding(3, 1)(video_labels)
    discriminator = keras.Model([video, video_labels], keras.layers.Add()([features, projection]))
    gan = VideoGAN(generator, discriminator)
    gan.compile()
    data = tf.data.Dataset.zip((moving_digits(16, **SHAPE), tf.data.Dataset.range(16).map(lambda i: tf.cast(i % 3, tf.int32))))
    gan.fit(data.batch(8), epochs=1, verbose=0)
    videos = gan.generate(3, seed=1, condition=np.array([0, 1, 2], "int32"))
    assert videos.shape == (3, 4, 16, 16, 1)


def test_generate_is_uint8_and_seeded():
    gan = tiny_gan()
    a, b, c = gan.generate(5, seed=7), gan.generate(5, seed=7), gan.generate(5, seed=8)
    assert a.dtype == np.uint8 and a.shape == (5, 4, 16, 16, 1)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.array_equal(gan.generate(5, seed=7, batch_size=2), a)
    with pytest.raises(ValueError, match="num_videos=0"):
        gan.generate(0)
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        gan.generate_from_noise(np.zeros((2, 3), "float32"))


def test_keras_round_trip_gives_identical_videos(tmp_path):
    gan = tiny_gan(ema_decay=0.9)
    gan.compile(loss="hinge", g_optimizer=keras.optimizers.Adam(1e-3), d_optimizer=keras.optimizers.Adam(3e-4))
    gan.fit(clips(), epochs=1, verbose=0)
    path = tmp_path / "gan.keras"
    gan.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, VideoGAN)
    for use_ema in (True, False):
        assert np.array_equal(loaded.generate(6, seed=3, use_ema=use_ema), gan.generate(6, seed=3, use_ema=use_ema))
    assert loaded.adversarial_loss.name == "hinge"
    assert float(loaded.d_optimizer.learning_rate) == pytest.approx(3e-4)
    assert int(loaded.g_optimizer.iterations) == 2
    loaded.fit(clips(), epochs=1, verbose=0)  # and it trains on


def test_constructor_and_compile_errors_name_the_value():
    generator, discriminator = tiny_generator(), tiny_discriminator()
    with pytest.raises(ValueError, match="ema_decay=1.5"):
        VideoGAN(generator, discriminator, ema_decay=1.5)
    with pytest.raises(ValueError, match="discriminator="):
        VideoGAN(generator, [])
    gan = VideoGAN(generator, discriminator)
    with pytest.raises(ValueError, match="discriminator_steps=0"):
        gan.compile(discriminator_steps=0)
    with pytest.raises(ValueError, match="label_smoothing=0.1"):
        gan.compile(loss="hinge", label_smoothing=0.1)


MIRRORED = TWO_LOGICAL_CPUS + textwrap.dedent("""
    from helpers import clips, tiny_gan
    with strategy.scope():
        gan = tiny_gan(ema_decay=0.9, compile_options=dict(loss="wasserstein", gradient_penalty_weight=10.0))
    before = [v.numpy().copy() for v in gan.generator.trainable_variables + gan.discriminator.trainable_variables]
    history = gan.fit(clips(32), epochs=2, verbose=0)
    after = gan.generator.trainable_variables + gan.discriminator.trainable_variables
    # Kernels only: under the Wasserstein loss the last bias has exactly zero gradient.
    assert all(not np.allclose(b, a.numpy()) for b, a in zip(before, after) if "kernel" in a.path)
    assert all(np.isfinite(v[-1]) for v in history.history.values()), history.history
    assert int(gan.g_optimizer.iterations.numpy()) == 8
    # Each replica applies the same all-reduced gradients to its own copy: the copies must stay identical.
    for variable in after:
        copies = variable.value.values
        assert len(copies) == 2 and np.array_equal(copies[0].numpy(), copies[1].numpy()), variable.path
    print("MIRRORED_OK", sorted(history.history))
""")


def test_fit_under_mirrored_strategy_on_two_logical_cpus():
    result = run_with_two_logical_cpus(MIRRORED)
    assert "MIRRORED_OK" in result.stdout, result.stderr[-3000:]


# One training step on a global batch of 8 clips: on one device, and split 4 + 4 over two replicas.
# The replicated step must move every weight exactly as far, which it does only if each replica
# divides its loss sum by the global batch, not by its own share of it.
REPLICATED_STEP = TWO_LOGICAL_CPUS + textwrap.dedent("""
    from helpers import clips, tiny_discriminator, tiny_generator
    from keras_vgan.models import VideoGAN

    class FixedNoiseGAN(VideoGAN):
        # Training noise that depends only on an example's place in the global batch, so that both
        # runs feed the generator the same 8 noise vectors however the batch is split.
        def sample_noise(self, num_videos, seed=None):
            if seed is not None:
                return super().sample_noise(num_videos, seed)
            replica = tf.distribute.get_replica_context().replica_id_in_sync_group
            place = tf.cast(replica * num_videos + tf.range(num_videos), tf.float32)
            return {"noise": tf.sin(place[:, None] * 1.3 + tf.range(self.latent_dim, dtype=tf.float32)[None, :] * 0.7)}

    keras.utils.set_random_seed(0)
    # No batch normalization anywhere: per-replica batch statistics would differ from the global ones.
    initial_g = tiny_generator(normalization="none").get_weights()
    initial_d = tiny_discriminator(normalization="none").get_weights()

    def weights_after_one_step(distribution):
        with distribution.scope():
            gan = FixedNoiseGAN(tiny_generator(normalization="none"), tiny_discriminator(normalization="none"))
            gan.generator.set_weights(initial_g)
            gan.discriminator.set_weights(initial_d)
            # Plain SGD: an update is the learning rate times the gradient, nothing else.
            gan.compile(g_optimizer=keras.optimizers.SGD(0.5), d_optimizer=keras.optimizers.SGD(0.5),
                        jit_compile=False)
        gan.fit(clips(8, batch_size=8), epochs=1, steps_per_epoch=1, verbose=0)
        return gan.generator.get_weights(), gan.discriminator.get_weights()

    single = weights_after_one_step(tf.distribute.get_strategy())
    mirrored = weights_after_one_step(strategy)
    for name, initial, one, two in (("generator", initial_g, single[0], mirrored[0]),
                                    ("discriminator", initial_d, single[1], mirrored[1])):
        step_one = np.concatenate([(a - w).ravel() for a, w in zip(one, initial)])
        step_two = np.concatenate([(a - w).ravel() for a, w in zip(two, initial)])
        size = np.linalg.norm(step_one)
        assert size > 1e-3, (name, size)
        ratio = np.linalg.norm(step_two) / size
        error = np.linalg.norm(step_two - step_one) / size
        assert error < 1e-3, f"{name}: the replicated step differs by {error:.3g} (its size is {ratio:.3g}x)"
    print("REPLICATED_STEP_OK")
""")


def test_a_replicated_step_equals_the_single_device_step_on_the_same_global_batch():
    result = run_with_two_logical_cpus(REPLICATED_STEP)
    assert "REPLICATED_STEP_OK" in result.stdout, result.stderr[-3000:]
