"""Each loss and penalty against values worked out by hand from its formula."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_vgan import losses

REAL = [2.0, 0.0, -1.0]
FAKE = [-1.0, 0.0, 3.0]


def softplus(x):
    return math.log1p(math.exp(x))


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def column(values):
    return tf.constant(values, shape=(len(values), 1))


def check(actual, expected):
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert actual.shape == (len(expected),)


def test_minimax_discriminator_is_binary_cross_entropy():
    expected = [-math.log(sigmoid(r)) - math.log(1 - sigmoid(f)) for r, f in zip(REAL, FAKE)]
    check(losses.minimax_discriminator_loss(column(REAL), column(FAKE)), expected)
    # D(x) = D(G(z)) = 1/2: the game's value, 2 log 2.
    check(losses.minimax_discriminator_loss(column([0.0]), column([0.0])), [2 * math.log(2)])


def test_label_smoothing_is_one_sided():
    s = 0.1
    expected = [-(1 - s) * math.log(sigmoid(r)) - s * math.log(1 - sigmoid(r)) - math.log(1 - sigmoid(f))
                for r, f in zip(REAL, FAKE)]
    check(losses.minimax_discriminator_loss(column(REAL), column(FAKE), label_smoothing=s), expected)


def test_generator_losses():
    check(losses.minimax_generator_loss(column(FAKE)), [math.log(1 - sigmoid(f)) for f in FAKE])
    check(losses.non_saturating_generator_loss(column(FAKE)), [-math.log(sigmoid(f)) for f in FAKE])
    check(losses.hinge_generator_loss(column(FAKE)), [-f for f in FAKE])
    check(losses.wasserstein_generator_loss(column(FAKE)), [-f for f in FAKE])
    check(losses.least_squares_generator_loss(column(FAKE)), [0.5 * (f - 1) ** 2 for f in FAKE])


def test_hinge_discriminator():
    check(losses.hinge_discriminator_loss(column(REAL), column(FAKE)),
          [max(0, 1 - r) + max(0, 1 + f) for r, f in zip(REAL, FAKE)])


def test_patch_logits_keep_a_margin_each():
    # Two patches of one clip at 3 and -1: each patch's hinge, averaged, is (0 + 2) / 2; the hinge of their
    # average (1) would be 0 and stop training the patch the discriminator gets wrong.
    patches = tf.constant([[[3.0], [-1.0]]])
    check(losses.hinge_discriminator_loss(patches, -patches), [2.0])
    check(losses.hinge_fake_loss(-patches), [1.0])
    check(losses.minimax_discriminator_loss(patches, -patches),
          [-math.log(sigmoid(3.0)) - math.log(sigmoid(-1.0))])
    check(losses.least_squares_generator_loss(patches), [(0.5 * 4 + 0.5 * 4) / 2])
    check(losses.hinge_generator_loss(patches), [-1.0])


def test_relativistic_average_scores_each_clip_against_the_other_kinds_mean():
    mean_real, mean_fake = sum(REAL) / 3, sum(FAKE) / 3
    check(losses.relativistic_discriminator_loss(column(REAL), column(FAKE)),
          [softplus(-(r - mean_fake)) + softplus(f - mean_real) for r, f in zip(REAL, FAKE)])
    # The generator's side swaps the targets, and it reads the real logits: moving them moves its loss.
    check(losses.relativistic_generator_loss(column(FAKE), column(REAL)),
          [softplus(-(f - mean_real)) + softplus(r - mean_fake) for r, f in zip(REAL, FAKE)])
    shifted = losses.relativistic_generator_loss(column(FAKE), column([r + 1.0 for r in REAL]))
    assert float(tf.reduce_sum(shifted)) > float(tf.reduce_sum(losses.relativistic_generator_loss(column(FAKE),
                                                                                                   column(REAL))))
    # Patch logits: each patch against the mean of every patch of the other kind (real 3, -1 against the fakes'
    # mean -1: 4 and 0; fake -3, 1 against the reals' mean 1: -4 and 0), averaged per clip.
    patches = tf.constant([[[3.0], [-1.0]]])
    check(losses.relativistic_discriminator_loss(patches, -patches),
          [(softplus(-4.0) + softplus(0.0)) / 2 + (softplus(-4.0) + softplus(0.0)) / 2])
    relativistic = losses.get_adversarial_loss("relativistic")
    assert relativistic.reads_real and not losses.get_adversarial_loss("hinge").reads_real
    with pytest.raises(ValueError, match="label_smoothing=0.1"):
        relativistic.discriminator(column(REAL), column(FAKE), 0.1)


def test_wasserstein_discriminator():
    check(losses.wasserstein_discriminator_loss(column(REAL), column(FAKE)), [f - r for r, f in zip(REAL, FAKE)])


def test_least_squares_discriminator():
    check(losses.least_squares_discriminator_loss(column(REAL), column(FAKE)),
          [0.5 * (r - 1) ** 2 + 0.5 * f**2 for r, f in zip(REAL, FAKE)])
    check(losses.least_squares_discriminator_loss(column(REAL), column(FAKE), label_smoothing=0.2),
          [0.5 * (r - 0.8) ** 2 + 0.5 * f**2 for r, f in zip(REAL, FAKE)])


def test_non_saturating_has_gradient_where_minimax_saturates():
    fake = tf.Variable([[-8.0]])
    with tf.GradientTape(persistent=True) as tape:
        saturating = tf.reduce_sum(losses.minimax_generator_loss(fake))
        non_saturating = tf.reduce_sum(losses.non_saturating_generator_loss(fake))
    assert abs(float(tape.gradient(saturating, fake)[0, 0])) < 1e-3
    assert abs(float(tape.gradient(non_saturating, fake)[0, 0])) > 0.99


def test_label_smoothing_is_refused_where_undefined():
    for name in ("hinge", "wasserstein"):
        with pytest.raises(ValueError, match="label_smoothing=0.1"):
            losses.get_adversarial_loss(name).discriminator(column(REAL), column(FAKE), 0.1)


def test_unknown_loss_is_named():
    with pytest.raises(ValueError, match="'softmax'"):
        losses.get_adversarial_loss("softmax")


def linear_critic(weights):
    """D(x) = Σ w·x: its input gradient is w everywhere, so penalties have closed forms."""
    video = keras.Input((2, 2, 2, 1))
    flat = keras.layers.Flatten()(video)
    dense = keras.layers.Dense(1, use_bias=False)
    model = keras.Model(video, dense(flat))
    dense.set_weights([np.asarray(weights, "float32").reshape(8, 1)])
    return model


def test_gradient_penalty_closed_form():
    weights = np.arange(8, dtype="float32") / 10.0
    critic = linear_critic(weights)
    real = tf.random.normal((3, 2, 2, 2, 1))
    fake = tf.random.normal((3, 2, 2, 2, 1))
    expected = (np.linalg.norm(weights) - 1.0) ** 2
    check(losses.gradient_penalty(critic, real, fake, seed=[1, 2]), [expected] * 3)


def test_r1_penalty_closed_form():
    weights = np.linspace(-1, 1, 8).astype("float32")
    critic = linear_critic(weights)
    real = tf.random.normal((2, 2, 2, 2, 1))
    check(losses.r1_penalty(critic, real), [0.5 * float(np.sum(weights**2))] * 2)


def test_gradient_penalty_on_a_quadratic_critic():
    # D(x) = Σ x²  →  ∇D = 2x, and with real == fake the interpolate is x itself.
    critic = lambda videos, training=False: tf.reduce_sum(tf.square(videos), axis=[1, 2, 3, 4])  # noqa: E731
    real = tf.constant(np.full((1, 1, 1, 2, 1), 0.25, "float32"))
    expected = (np.linalg.norm([0.5, 0.5]) - 1.0) ** 2
    check(losses.gradient_penalty(critic, real, real), [expected])
