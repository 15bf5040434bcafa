"""What makes a class-conditional generator obey its label: AC-GAN's class head and terms, the matching-aware
term, class-conditional batch normalization; each logged under its name, serializable, and refused where it
cannot apply."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.loss_terms import AuxiliaryClassification, MismatchedLabels, classification_terms
from keras_vgan.losses import get_adversarial_loss
from keras_vgan.models import VideoGAN, build_video_discriminator, build_video_generator
from keras_vgan.models.conditioning import has_class_head
from keras_vgan.models.zoo import build_architecture
from keras_vgan.presets import TrainingConfig
from keras_vgan.saving import load_video_gan
from keras_vgan.training import build_gan

SHAPE = dict(frames=4, height=16, width=16, channels=1)
CLIP = tuple(SHAPE.values())
TINY = dict(latent_dim=8, generator_filters=4, discriminator_filters=4)


def labelled_batches(steps=2, seed=0):
    rng = np.random.default_rng(seed)
    clips = rng.uniform(-1, 1, (steps * 4, *CLIP)).astype(np.float32)
    labels = rng.integers(0, 3, steps * 4).astype(np.int32)
    return tf.data.Dataset.from_tensor_slices((clips, labels)).batch(4)


def gan_with(auxiliary_classifier=True, class_normalization=False, terms=(), loss="hinge"):
    keras.utils.set_random_seed(0)
    generator, discriminators = build_architecture("conv3d", *CLIP, num_classes=3, upsampling="resize",
                                                   discriminator_normalization="batch",
                                                   auxiliary_classifier=auxiliary_classifier,
                                                   class_normalization=class_normalization, **TINY)
    gan = VideoGAN(generator, discriminators, ema_decay=0.9)
    gan.compile(loss=loss, loss_terms=list(terms))
    return gan


def test_the_class_head_is_a_second_output_and_the_critic_still_sees_the_logit():
    discriminator = build_video_discriminator(**SHAPE, base_filters=4, num_classes=3, auxiliary_classifier=True)
    assert has_class_head(discriminator) and discriminator.output_shape == [(None, 1), (None, 3)]
    assert not has_class_head(build_video_discriminator(**SHAPE, base_filters=4, num_classes=3))
    gan = gan_with(terms=classification_terms(1.0))
    clips, labels = next(iter(labelled_batches()))
    critic, classify = gan._critic(gan.discriminator, labels), gan._classifier(gan.discriminator, labels)
    assert critic(clips).shape == (4, 1) and classify(clips).shape == (4, 3)


def test_classification_terms_train_the_head_on_real_clips_and_score_the_generated_ones():
    gan = gan_with(terms=classification_terms(1.0))
    head = gan.discriminator.get_layer("class_logits")
    before = [w.numpy().copy() for w in head.weights]
    history = gan.fit(labelled_batches(), epochs=1, verbose=0).history
    assert {"d_classification", "g_classification", "d_loss", "g_loss"} <= set(history)
    assert all(np.isfinite(history[name][-1]) for name in history)
    assert any(not np.allclose(a, b.numpy()) for a, b in zip(before, head.weights))
    # By hand: the head's cross-entropy on real clips, the D term's value.
    term = AuxiliaryClassification(network="discriminator")
    clips, labels = next(iter(labelled_batches(seed=3)))
    logits = gan._classifier(gan.discriminator, labels)(clips, training=True)
    expected = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
    np.testing.assert_allclose(term(gan._classifier(gan.discriminator, labels), clips, labels), expected,
                               rtol=1e-5)


def test_a_head_with_logits_per_frame_is_scored_on_every_frame():
    # Two clips of three frames; clip 0's label (1) shows in frame 0 only, clip 1's (0) in every frame.
    logits = tf.constant([[[0.0, 4.0], [4.0, 0.0], [4.0, 0.0]], [[4.0, 0.0], [4.0, 0.0], [4.0, 0.0]]])
    labels = tf.constant([1, 0])
    value = AuxiliaryClassification()(lambda videos, training=False: logits, tf.zeros([2, 3, 4, 4, 1]), labels)
    by_frame = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant([[1, 1, 1], [0, 0, 0]]), logits)
    np.testing.assert_allclose(value, tf.reduce_mean(by_frame, axis=1), rtol=1e-6)
    # The mean of the frames' logits would call clip 0 class 0 with less confidence; per frame, it costs more.
    assert float(value[0]) > float(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, tf.reduce_mean(logits, 1))[0])


def test_the_generator_term_moves_the_generator_towards_the_head_s_class():
    # G trained on the classification term alone (no adversary): the head's loss on its clips falls.
    gan = gan_with(terms=[AuxiliaryClassification(1.0, network="generator")])
    gan.adversarial_weight = 0.0
    noise, labels = gan.sample_noise(8, seed=0), tf.constant([0, 1, 2, 0, 1, 2, 0, 1])
    classify = gan._classifier(gan.discriminator, labels)

    def loss():
        videos = gan.generator(gan.generator_inputs(noise, labels), training=False)
        return float(tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, classify(videos))))

    before = loss()
    gan.g_optimizer.learning_rate.assign(1e-2)
    for _ in range(3):
        gan.fit(labelled_batches(steps=1), epochs=1, verbose=0)
    assert loss() < before


def test_mismatched_labels_always_draws_a_wrong_label_and_scores_it_as_fake():
    seen = []

    def critic_for(labels):
        seen.append(labels.numpy())
        return lambda videos, training=False: tf.fill([tf.shape(videos)[0], 1], 2.0)

    labels = tf.constant(np.arange(400) % 4, tf.int32)
    values = MismatchedLabels()(critic_for, tf.zeros([400, 1, 2, 2, 1]), labels, 4, get_adversarial_loss("hinge"))
    wrong = seen[0]
    assert np.all(wrong != labels.numpy()) and set(wrong) == {0, 1, 2, 3}
    np.testing.assert_allclose(values, 3.0)  # hinge's fake side: max(0, 1 + 2)
    for name, expected in (("non_saturating", np.log1p(np.exp(2.0))), ("least_squares", 2.0),
                           ("wasserstein", 2.0)):
        values = MismatchedLabels()(critic_for, tf.zeros([2, 1, 2, 2, 1]), labels[:2], 4, get_adversarial_loss(name))
        np.testing.assert_allclose(values, expected, rtol=1e-5)


def test_class_normalization_lets_the_label_reach_every_block():
    generator = build_video_generator(**SHAPE, latent_dim=8, base_filters=4, num_classes=3, upsampling="resize",
                                      class_normalization=True)
    scales = [layer.name for layer in generator.layers if layer.name.endswith("_class_scale")]
    assert scales == ["project_class_scale", "up1_class_scale"]
    noise = np.zeros((1, 8), np.float32)
    # Starting as the plain BN (scale 1, shift 0): only the input embedding tells the labels apart.
    generator.get_layer("class_embedding").set_weights([np.zeros((3, 8), np.float32)])
    same = [generator([noise, np.array([label])], training=False).numpy() for label in (0, 1)]
    np.testing.assert_array_equal(same[0], same[1])
    generator.get_layer("up1_class_shift").set_weights([np.arange(3 * 4, dtype=np.float32).reshape(3, 4)])
    different = [generator([noise, np.array([label])], training=False).numpy() for label in (0, 1)]
    assert not np.allclose(different[0], different[1])


def test_a_config_with_the_obedience_terms_round_trips_through_keras(tmp_path):
    config = TrainingConfig(dataset="moving_digits", num_videos=8, num_objects=1, batch_size=4, epochs=1,
                            steps_per_epoch=1, conditional=True, classification_weight=1.0, mismatch_weight=0.5,
                            model_options={"upsampling": "resize", "class_normalization": True},
                            discriminator_normalization="batch", **SHAPE, **TINY)
    config.validate()
    gan = build_gan(config, num_classes=3)
    assert [term.name for term in gan.loss_terms] == ["mismatched_labels", "d_classification", "g_classification"]
    assert has_class_head(gan.discriminator)
    history = gan.fit(labelled_batches(), epochs=1, verbose=0).history
    assert {"mismatched_labels", "d_classification", "g_classification"} <= set(history)
    gan.save(str(tmp_path / "model.keras"))
    loaded = load_video_gan(str(tmp_path / "model.keras"))
    assert [term.get_config() for term in loaded.loss_terms] == [term.get_config() for term in gan.loss_terms]
    np.testing.assert_array_equal(loaded.generate(3, seed=1, labels=[0, 1, 2]), gan.generate(3, seed=1,
                                                                                              labels=[0, 1, 2]))


def test_classification_weight_gives_dvd_gan_a_class_head_on_both_discriminators_and_trains_them():
    # As for conv3d: classification_weight turns the auxiliary_classifier option on.
    config = TrainingConfig(dataset="moving_digits", num_videos=8, num_objects=1, batch_size=4, epochs=1,
                            steps_per_epoch=1, conditional=True, classification_weight=1.0, model="dvd-gan",
                            model_options={"class_normalization": True}, loss="hinge", **SHAPE, **TINY)
    config.validate()
    keras.utils.set_random_seed(0)
    gan = build_gan(config, num_classes=3)
    spatial, temporal = gan.discriminators
    assert has_class_head(spatial) and has_class_head(temporal)
    heads = [spatial.get_layer("class_logits"), temporal.get_layer("class_logits")]
    before = [[w.numpy().copy() for w in head.weights] for head in heads]
    gan.run_eagerly = True  # quicker than tracing, for two steps
    history = gan.fit(labelled_batches(), epochs=1, verbose=0).history
    assert {"d_classification", "g_classification", "d_loss", "g_loss"} <= set(history)
    assert all(np.isfinite(history[name][-1]) for name in history)
    for head, weights in zip(heads, before):
        assert any(not np.allclose(a, b.numpy()) for a, b in zip(weights, head.weights)), head.name


@pytest.mark.parametrize("changes, named", [
    (dict(conditional=False, classification_weight=1.0), "classification_weight=1.0 is not valid without "
                                                         "conditional=True"),
    (dict(conditional=False, mismatch_weight=1.0), "mismatch_weight=1.0 is not valid without conditional=True"),
    (dict(mismatch_weight=-1.0), "mismatch_weight=-1.0 is not valid; expected a number >= 0"),
    (dict(model="vgan", classification_weight=1.0), r"option\(s\) \['auxiliary_classifier'\] are not taken"),
])
def test_bad_obedience_options_are_named(changes, named):
    base = dict(dataset="moving_digits", num_objects=1, conditional=True, **SHAPE, **TINY)
    with pytest.raises(ValueError, match=named):
        TrainingConfig(**{**base, **changes}).validate()


def test_mismatched_labels_are_refused_with_the_relativistic_loss():
    config = TrainingConfig(dataset="moving_digits", num_objects=1, conditional=True, mismatch_weight=0.5,
                            loss="relativistic", **SHAPE, **TINY).validate()
    with pytest.raises(ValueError, match=r"\['mismatched_labels'\] are not valid with loss='relativistic'"):
        build_gan(config, num_classes=3)


def test_terms_that_need_labels_or_a_head_are_refused_at_compile():
    with pytest.raises(ValueError, match="need a class-conditional model .* class head"):
        gan_with(auxiliary_classifier=False, terms=classification_terms(1.0))
    generator, discriminators = build_architecture("conv3d", *CLIP, **TINY)
    with pytest.raises(ValueError, match="score clips under other labels"):
        VideoGAN(generator, discriminators).compile(loss_terms=[MismatchedLabels()])
    with pytest.raises(ValueError, match="auxiliary_classifier=True is not valid with num_classes=None"):
        build_video_discriminator(**SHAPE, base_filters=4, auxiliary_classifier=True)
    with pytest.raises(ValueError, match="class_normalization=True is not valid"):
        build_video_generator(**SHAPE, latent_dim=8, base_filters=4, class_normalization=True)


def test_a_fake_class_head_has_a_class_more_and_learns_generated_clips_as_that_class():
    discriminator = build_video_discriminator(**SHAPE, base_filters=4, num_classes=3,
                                              auxiliary_classifier="fake_class")
    assert discriminator.output_shape == [(None, 1), (None, 4)]
    gan = gan_with(auxiliary_classifier="fake_class", terms=classification_terms(1.0, fake_class=True))
    history = gan.fit(labelled_batches(), epochs=1, verbose=0).history
    assert all(np.isfinite(history[name][-1]) for name in ("d_classification", "g_classification"))
    # By hand: the D term is the real clips' cross-entropy against their labels plus the generated clips'
    # against the extra class (index 3); the G term scores the generated clips against their labels only.
    clips, labels = next(iter(labelled_batches(seed=3)))
    generated = tf.constant(gan.generate(4, seed=0, labels=labels.numpy(), use_ema=False) / 127.5 - 1, tf.float32)
    classify = gan._classifier(gan.discriminator, labels)
    real_logits, fake_logits = classify(clips, training=True), classify(generated, training=True)
    d_term, g_term = classification_terms(1.0, fake_class=True)
    expected = (tf.nn.sparse_softmax_cross_entropy_with_logits(labels, real_logits)
                + tf.nn.sparse_softmax_cross_entropy_with_logits(tf.fill([4], 3), fake_logits))
    np.testing.assert_allclose(d_term(classify, clips, labels, generated=generated), expected, rtol=1e-5)
    np.testing.assert_allclose(g_term(classify, generated, labels),
                               tf.nn.sparse_softmax_cross_entropy_with_logits(labels, fake_logits), rtol=1e-5)
    # Without the extra class, the D term ignores the generated clips.
    plain = AuxiliaryClassification(network="discriminator")
    np.testing.assert_allclose(plain(classify, clips, labels, generated=generated),
                               tf.nn.sparse_softmax_cross_entropy_with_logits(labels, real_logits), rtol=1e-5)


def test_classification_fake_class_builds_k_plus_one_heads_and_round_trips(tmp_path):
    config = TrainingConfig(dataset="moving_digits", num_videos=8, num_objects=1, batch_size=4, epochs=1,
                            steps_per_epoch=1, conditional=True, classification_weight=1.0,
                            classification_fake_class=True, model="dvd-gan", loss="hinge", **SHAPE, **TINY)
    config.validate()
    keras.utils.set_random_seed(0)
    gan = build_gan(config, num_classes=3)
    assert [d.get_layer("class_logits").output.shape[-1] for d in gan.discriminators] == [4, 4]
    assert all(term.fake_class for term in gan.loss_terms)
    gan.run_eagerly = True
    history = gan.fit(labelled_batches(), epochs=1, verbose=0).history
    assert np.isfinite(history["d_classification"][-1])
    gan.save(str(tmp_path / "model.keras"))
    loaded = load_video_gan(str(tmp_path / "model.keras"))
    assert [term.get_config() for term in loaded.loss_terms] == [term.get_config() for term in gan.loss_terms]


def test_class_heads_and_terms_that_disagree_on_the_extra_class_are_named():
    with pytest.raises(ValueError, match=r"class head has 3 outputs; expected 4 .*auxiliary_classifier='fake_class'"):
        gan_with(auxiliary_classifier=True, terms=classification_terms(1.0, fake_class=True))
    with pytest.raises(ValueError, match=r"class head has 4 outputs; expected 3 .*auxiliary_classifier=True"):
        gan_with(auxiliary_classifier="fake_class", terms=classification_terms(1.0))
    with pytest.raises(ValueError, match="auxiliary_classifier='extra' is not valid; expected one of"):
        build_video_discriminator(**SHAPE, base_filters=4, num_classes=3, auxiliary_classifier="extra")
    with pytest.raises(ValueError, match="fake_class=1 is not valid; expected True or False"):
        AuxiliaryClassification(fake_class=1)
    base = dict(dataset="moving_digits", num_objects=1, conditional=True, **SHAPE, **TINY)
    with pytest.raises(ValueError, match="classification_fake_class=True is not valid with classification_weight=0"):
        TrainingConfig(**base, classification_fake_class=True).validate()
