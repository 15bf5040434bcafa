"""VideoGAN's seams: named generator inputs and one noise path, named loss terms, the augmentation hook."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.datasets.synthetic import moving_digits
from keras_vgan.export import export_generator
from keras_vgan.loss_terms import GradientPenalty, LossTerm, R1Penalty
from keras_vgan.models import VideoGAN, build_video_discriminator, build_video_generator
from keras_vgan.noise import NoiseSpec, latent_noise

SHAPE = dict(frames=4, height=16, width=16, channels=1)


def clips(n=16):
    return moving_digits(n, **SHAPE, seed=0).batch(8)


def structured_generator():
    """Content (per clip) + motion (per frame) codes, as MoCoGAN takes them."""
    content = keras.Input((6,), name="content")
    motion = keras.Input((SHAPE["frames"], 2), name="motion")
    flat_motion = keras.layers.Flatten(name="flat_motion")(motion)
    codes = keras.layers.Concatenate(name="codes")([content, flat_motion])
    body = build_video_generator(**SHAPE, latent_dim=6 + 2 * SHAPE["frames"], base_filters=4)
    return keras.Model([content, motion], body(codes), name="structured_generator")


def test_noise_spec_reads_named_inputs_and_skips_the_condition():
    noise = keras.Input((5,), name="noise")
    condition = keras.Input((), dtype="int32", name="condition")
    generator = keras.Model([noise, condition], keras.layers.Dense(2)(noise))
    spec = NoiseSpec.from_generator(generator)
    assert spec.shapes == {"noise": (5,)} and spec.latent_dim == 5
    # An int input not named "condition" is a mistake, not noise: the message says how to declare it.
    labels = keras.Input((), dtype="int32", name="labels")
    with pytest.raises(ValueError, match=r"'labels'.*name 'condition'"):
        NoiseSpec.from_generator(keras.Model([noise, labels], keras.layers.Dense(2)(noise)))


def test_one_vector_noise_is_the_latent_noise_of_the_seed():
    spec = NoiseSpec({"noise": (8,)})
    assert np.array_equal(spec.sample(3, seed=5)["noise"].numpy(), latent_noise(3, 8, 5).numpy())


def test_structured_noise_trains_samples_round_trips_and_exports(tmp_path):
    gan = VideoGAN(structured_generator(), build_video_discriminator(**SHAPE, base_filters=4), ema_decay=0.9)
    assert gan.noise_spec.shapes == {"content": (6,), "motion": (4, 2)} and gan.latent_dim is None
    gan.compile()
    gan.fit(clips(), epochs=1, verbose=0)
    videos = gan.generate(3, seed=2)
    assert videos.shape == (3, 4, 16, 16, 1) and np.array_equal(videos, gan.generate(3, seed=2))
    noise = gan.sample_noise(3, seed=2)
    assert np.array_equal(gan.generate_from_noise({k: v.numpy() for k, v in noise.items()}), videos)
    with pytest.raises(ValueError, match="expected a dict with keys"):
        gan.generate_from_noise(np.zeros((3, 6), "float32"))

    path = str(tmp_path / "structured.keras")
    gan.save(path)
    restored = keras.models.load_model(path)
    assert restored.noise_spec.shapes == gan.noise_spec.shapes
    assert np.array_equal(restored.generate(3, seed=2), videos)

    served = tf.saved_model.load(export_generator(gan, str(tmp_path / "exported")))
    sampled = served.signatures["sample"](num_videos=tf.constant(3), seed=tf.constant(2))["videos"].numpy()
    assert np.array_equal(sampled, videos)
    generated = served.signatures["generate"](content=noise["content"], motion=noise["motion"])["videos"].numpy()
    assert np.array_equal(generated, videos)


def test_lazy_r1_runs_on_its_interval_only():
    gan = VideoGAN(build_video_generator(**SHAPE, latent_dim=8, base_filters=4),
                   build_video_discriminator(**SHAPE, base_filters=4))
    gan.compile(r1_weight=1.0, r1_interval=3)
    (term,) = gan.loss_terms
    assert isinstance(term, R1Penalty) and term.effective_weight == 3.0
    data = moving_digits(8, **SHAPE, seed=0).batch(8).repeat()
    gan.fit(data, epochs=1, steps_per_epoch=7, verbose=0)
    # Steps 0, 3 and 6 of seven: the tracker's count is the number of steps the penalty ran.
    assert float(gan.trackers["r1_penalty"].count.numpy()) == 3.0
    assert float(gan.trackers["d_loss"].count.numpy()) == 7.0


class MeanFakeBrightness(LossTerm):
    """A generator term for the test: it pushes generated pixels towards white."""

    name = "brightness"
    network = "generator"

    def __call__(self, fake_videos, real_videos, condition):
        return tf.reduce_mean(1.0 - fake_videos, axis=[1, 2, 3, 4])


def test_every_loss_term_is_logged_under_its_name():
    noise = keras.Input((8,), name="noise")
    body = build_video_generator(**SHAPE, latent_dim=8, base_filters=4)
    # An activity regularizer is one of the network's own losses: logged under its layer's name.
    video = keras.layers.Activation("linear", activity_regularizer=keras.regularizers.L1(0.01),
                                    name="pixel_sparsity")(body(noise))
    generator = keras.Model(noise, video)
    discriminators = [build_video_discriminator(**SHAPE, base_filters=4, name=f"{kind}_discriminator")
                      for kind in ("image", "video")]
    gan = VideoGAN(generator, discriminators)
    gan.compile(loss="wasserstein", gradient_penalty_weight=10.0, r1_weight=0.5, loss_terms=[MeanFakeBrightness()])
    history = gan.fit(clips(), epochs=1, verbose=0).history
    expected = {"d_loss", "g_loss", "real_score", "fake_score", "gradient_penalty", "r1_penalty", "brightness",
                "pixel_sparsity", "image_d_loss", "video_d_loss", "image_g_loss", "video_g_loss",
                "image_real_score", "video_real_score", "image_fake_score", "video_fake_score"}
    assert expected <= set(history), expected - set(history)
    assert history["pixel_sparsity"][0] > 0 and history["gradient_penalty"][0] > 0
    compiled = gan.get_compile_config()
    assert [term["class_name"] for term in compiled["loss_terms"]] == ["GradientPenalty", "R1Penalty",
                                                                        "MeanFakeBrightness"]


def test_repeated_metric_names_are_refused():
    gan = VideoGAN(build_video_generator(**SHAPE, latent_dim=8, base_filters=4),
                   build_video_discriminator(**SHAPE, base_filters=4))
    with pytest.raises(ValueError, match="distinct names"):
        gan.compile(loss_terms=[GradientPenalty(1.0), GradientPenalty(2.0)])
    with pytest.raises(ValueError, match="interval=0"):
        R1Penalty(1.0, interval=0)


class CountingAugment(keras.layers.Layer):
    """Counts its calls (eagerly) and flips clips upside down."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = 0

    def call(self, videos, training=False):
        self.calls += 1
        return tf.reverse(videos, axis=[2])


def test_augmentation_runs_before_every_discriminator_call_in_both_steps():
    augment = CountingAugment()
    gan = VideoGAN(build_video_generator(**SHAPE, latent_dim=8, base_filters=4),
                   [build_video_discriminator(**SHAPE, base_filters=4, name=f"d{i}_discriminator") for i in (1, 2)],
                   augment=augment)
    gan.compile(run_eagerly=True, discriminator_steps=2)
    gan.fit(moving_digits(8, **SHAPE, seed=0).batch(8), epochs=1, verbose=0)
    # Per step: 2 D steps × 2 discriminators × (real + fake) + 1 G step × 2 discriminators.
    assert augment.calls == 2 * 2 * 2 + 2


def test_discriminator_variables_are_what_the_optimizer_updates():
    discriminators = [build_video_discriminator(**SHAPE, base_filters=4, name=f"d{i}") for i in (1, 2)]
    gan = VideoGAN(build_video_generator(**SHAPE, latent_dim=8, base_filters=4), discriminators)
    gan.compile()
    expected = [v for d in discriminators for v in d.trainable_variables]
    assert [v.path for v in gan.discriminator_variables] == [v.path for v in expected]
