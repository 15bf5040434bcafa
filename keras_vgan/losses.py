"""Adversarial losses and gradient penalties as plain functions.

Every function returns a *per-example* loss of shape (batch,), float32, and
leaves the reduction to the caller: `VideoGAN.train_step` sums it and divides
by the global batch size, which is what makes the same step correct on one
device and under `tf.distribute` strategies.

Logits are the discriminator's raw outputs (no sigmoid). The losses are
registered by name in `ADVERSARIAL_LOSSES`; `get_adversarial_loss(name)`
fetches one.

Example:
>>> loss = get_adversarial_loss("hinge")
>>> real, fake = tf.constant([[2.0]]), tf.constant([[-0.5]])
>>> loss.discriminator(real, fake).numpy().tolist()
[0.5]
"""

import dataclasses
from typing import Callable

import tensorflow as tf


def _per_example(function, logits):
    """`function` of each logit, averaged over everything but the batch axis: one loss per example.

    A discriminator returns (N, 1), (N,) or patch logits (N, ...); a patch
    discriminator's loss is its patches' losses averaged (pix2pix), not the
    loss of their average, so every patch keeps its own margin.
    """
    values = function(tf.cast(logits, tf.float32))
    if values.shape.rank == 1:
        return values
    return tf.reduce_mean(tf.reshape(values, [tf.shape(values)[0], -1]), axis=1)


def _mean_logit(logits):
    return _per_example(tf.identity, logits)


def _binary_cross_entropy(target, logits):
    # -[y log σ(l) + (1 - y) log(1 - σ(l))], written with softplus for stability.
    return target * tf.nn.softplus(-logits) + (1.0 - target) * tf.nn.softplus(logits)


# Minimax, as in Goodfellow et al. (2014): min_G max_D E[log D(x)] + E[log(1 - D(G(z)))].
def minimax_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """-log D(x) - log(1 - D(G(z))); real targets are 1 - label_smoothing."""
    return (_per_example(lambda real: _binary_cross_entropy(1.0 - label_smoothing, real), real_logits)
            + minimax_fake_loss(fake_logits))


def minimax_generator_loss(fake_logits):
    """log(1 - D(G(z))): the saturating generator objective of the minimax game."""
    return -_per_example(tf.nn.softplus, fake_logits)


def non_saturating_generator_loss(fake_logits):
    """-log D(G(z)): the same fixed point as minimax, with useful gradients early on."""
    return _per_example(lambda fake: tf.nn.softplus(-fake), fake_logits)


def hinge_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """max(0, 1 - D(x)) + max(0, 1 + D(G(z)))."""
    _no_smoothing("hinge", label_smoothing)
    return _per_example(lambda real: tf.nn.relu(1.0 - real), real_logits) + hinge_fake_loss(fake_logits)


def hinge_generator_loss(fake_logits):
    """-D(G(z))."""
    return -_mean_logit(fake_logits)


def wasserstein_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """D(G(z)) - D(x): the critic's side of the Wasserstein estimate (pair with a gradient penalty)."""
    _no_smoothing("wasserstein", label_smoothing)
    return wasserstein_fake_loss(fake_logits) - _mean_logit(real_logits)


def wasserstein_generator_loss(fake_logits):
    """-D(G(z))."""
    return -_mean_logit(fake_logits)


def least_squares_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """½(D(x) - (1 - s))² + ½ D(G(z))², as in LSGAN with targets a=0, b=1."""
    return (_per_example(lambda real: 0.5 * tf.square(real - (1.0 - label_smoothing)), real_logits)
            + least_squares_fake_loss(fake_logits))


def least_squares_generator_loss(fake_logits):
    """½(D(G(z)) - 1)²."""
    return _per_example(lambda fake: 0.5 * tf.square(fake - 1.0), fake_logits)


# Relativistic average (Jolicoeur-Martineau 2018; ESRGAN's adversary): D scores how much more real a clip is than
# the average clip of the other kind, so the generator's loss reads the real clips' logits too.
def _relative(logits, others):
    """Each logit minus the mean of `others` (over the batch and any patches): the relativistic average."""
    return tf.cast(logits, tf.float32) - tf.reduce_mean(tf.cast(others, tf.float32))


def _above_the_other_kind(higher_logits, lower_logits):
    """-log σ(H - E L) - log(1 - σ(L - E H)): clips `higher` scored above the other kind's average, `lower` below."""
    return (_per_example(lambda high: _binary_cross_entropy(1.0, high), _relative(higher_logits, lower_logits))
            + _per_example(lambda low: _binary_cross_entropy(0.0, low), _relative(lower_logits, higher_logits)))


def relativistic_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """-log σ(D(x) - E D(G(z))) - log(1 - σ(D(G(z)) - E D(x))): real above the average fake and fake below the
    average real, the means over the batch (a replica's part of it under tf.distribute)."""
    _no_smoothing("relativistic", label_smoothing)
    return _above_the_other_kind(real_logits, fake_logits)


def relativistic_generator_loss(fake_logits, real_logits):
    """The discriminator's loss with the roles swapped: fake above the average real and real below the average fake.

    Unlike the other generator losses it takes the real clips' logits, so
    the generator also learns from how the truth scores (`AdversarialLoss.reads_real`).
    """
    return _above_the_other_kind(fake_logits, real_logits)


# ---- the discriminator's loss on fakes alone: the second half of each loss above --------------------------
def minimax_fake_loss(fake_logits):
    """-log(1 - sigmoid(D(x))): the minimax discriminator loss of clips that should score as fake."""
    return _per_example(lambda fake: _binary_cross_entropy(0.0, fake), fake_logits)


def hinge_fake_loss(fake_logits):
    """max(0, 1 + D(x)): the hinge discriminator loss of clips that should score as fake."""
    return _per_example(lambda fake: tf.nn.relu(1.0 + fake), fake_logits)


def wasserstein_fake_loss(fake_logits):
    """D(x): the critic's loss of clips that should score as fake."""
    return _mean_logit(fake_logits)


def least_squares_fake_loss(fake_logits):
    """½D(x)²: the least-squares discriminator loss of clips that should score as fake."""
    return _per_example(lambda fake: 0.5 * tf.square(fake), fake_logits)


def _no_smoothing(name, label_smoothing):
    if label_smoothing:
        raise ValueError(
            f"label_smoothing={label_smoothing} is not defined for the {name} loss; "
            "expected 0 (label smoothing applies to minimax, non_saturating and least_squares)"
        )


def _gradients_wrt_input(discriminator, videos, training=True):
    with tf.GradientTape() as tape:
        tape.watch(videos)
        total_score = tf.reduce_sum(_mean_logit(discriminator(videos, training=training)))
    gradients = tape.gradient(total_score, videos)
    return tf.reshape(tf.cast(gradients, tf.float32), [tf.shape(videos)[0], -1])


def gradient_penalty(discriminator, real_videos, fake_videos, seed=None):
    """(‖∇D(x̂)‖₂ - 1)² at random points x̂ between real and fake (WGAN-GP).

    `seed` is a stateless seed (shape (2,)) for the interpolation weights; None draws them statefully.
    """
    real_videos = tf.cast(real_videos, tf.float32)
    fake_videos = tf.cast(fake_videos, tf.float32)
    shape = [tf.shape(real_videos)[0]] + [1] * (real_videos.shape.rank - 1)
    if seed is None:
        alpha = tf.random.uniform(shape)
    else:
        alpha = tf.random.stateless_uniform(shape, seed=seed)
    mixed = real_videos + alpha * (fake_videos - real_videos)
    gradients = _gradients_wrt_input(discriminator, mixed)
    return tf.square(tf.norm(gradients, axis=1) - 1.0)


def r1_penalty(discriminator, real_videos):
    """½‖∇D(x)‖₂² on real data (Mescheder et al., 2018); multiply by γ."""
    gradients = _gradients_wrt_input(discriminator, tf.cast(real_videos, tf.float32))
    return 0.5 * tf.reduce_sum(tf.square(gradients), axis=1)


@dataclasses.dataclass(frozen=True)
class AdversarialLoss:
    """A named pair: the discriminator's loss and the generator's loss."""

    name: str
    discriminator: Callable
    generator: Callable
    # The discriminator's loss on fakes alone, for clips scored as fake that no generator made
    # (a real clip with a wrong label: `loss_terms.MismatchedLabels`).
    discriminator_fake: Callable = None
    # Whether `generator` is `generator(fake_logits, real_logits)`: the training step then scores the real
    # clips in the generator's step too.
    reads_real: bool = False


ADVERSARIAL_LOSSES = {
    loss.name: loss
    for loss in (
        AdversarialLoss("minimax", minimax_discriminator_loss, minimax_generator_loss, minimax_fake_loss),
        AdversarialLoss("non_saturating", minimax_discriminator_loss, non_saturating_generator_loss,
                        minimax_fake_loss),
        AdversarialLoss("hinge", hinge_discriminator_loss, hinge_generator_loss, hinge_fake_loss),
        AdversarialLoss("wasserstein", wasserstein_discriminator_loss, wasserstein_generator_loss,
                        wasserstein_fake_loss),
        AdversarialLoss("least_squares", least_squares_discriminator_loss, least_squares_generator_loss,
                        least_squares_fake_loss),
        AdversarialLoss("relativistic", relativistic_discriminator_loss, relativistic_generator_loss,
                        reads_real=True),
    )
}


def get_adversarial_loss(name):
    """The `AdversarialLoss` registered under `name` (an `AdversarialLoss` passes through)."""
    if isinstance(name, AdversarialLoss):
        return name
    if name not in ADVERSARIAL_LOSSES:
        raise ValueError(f"loss={name!r} is not a known adversarial loss; expected one of {sorted(ADVERSARIAL_LOSSES)}")
    return ADVERSARIAL_LOSSES[name]
