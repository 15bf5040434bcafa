"""Named, weighted terms of a GAN objective beyond the adversarial loss.

A `VideoGAN` objective is the adversarial loss plus a list of terms. Each term
has a name (its metric in the logs), a weight, an interval and the network
whose loss it joins. A term with `interval=k` is applied on every k-th step
only, with its weight multiplied by k. This is StyleGAN2's lazy
regularization: the penalty's expected contribution stays the same, and the
steps in between skip its double backward pass.

Every term returns a per-example value of shape (batch,), float32. The model
sums it per replica and divides by the global batch, as it does the
adversarial loss.

Example:
>>> term = R1Penalty(weight=10.0, interval=4)
>>> term.name, term.network, term.effective_weight
('r1_penalty', 'discriminator', 40.0)
"""

import keras

from keras_vgan import losses
from keras_vgan.validation import check_choice, check_positive_int

NETWORKS = ("discriminator", "generator")


class LossTerm:
    """Base class: subclasses set `name` and `network` and implement `__call__`.

    A discriminator term is called as `term(critic, real_videos, fake_videos)`
    where `critic` maps videos to logits; a generator term as
    `term(fake_videos, real_videos, condition)`.
    """

    name = None
    network = "discriminator"

    def __init__(self, weight=1.0, interval=1, name=None):
        if float(weight) < 0.0:
            raise ValueError(f"weight={weight!r} is not valid; expected a number >= 0")
        self.weight = float(weight)
        self.interval = check_positive_int("interval", interval)
        if name is not None:
            self.name = str(name)
        if not self.name:
            raise ValueError(f"{type(self).__name__} has no name; expected a name for its metric")
        check_choice("network", self.network, NETWORKS)

    @property
    def effective_weight(self):
        """The weight on the steps the term runs: `weight × interval` (lazy regularization)."""
        return self.weight * self.interval

    def __call__(self, *args):
        raise NotImplementedError

    def get_config(self):
        return {"weight": self.weight, "interval": self.interval, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(weight={self.weight}, interval={self.interval}, name={self.name!r})"


@keras.saving.register_keras_serializable(package="keras_vgan")
class GradientPenalty(LossTerm):
    """WGAN-GP: (‖∇D(x̂)‖₂ − 1)² at random points between real and fake clips (weight 10 is usual)."""

    name = "gradient_penalty"

    def __call__(self, critic, real_videos, fake_videos):
        return losses.gradient_penalty(critic, real_videos, fake_videos)


@keras.saving.register_keras_serializable(package="keras_vgan")
class R1Penalty(LossTerm):
    """R1: ½‖∇D(x)‖₂² on real clips (Mescheder et al. 2018); `interval=16` is StyleGAN2's lazy schedule."""

    name = "r1_penalty"

    def __call__(self, critic, real_videos, fake_videos):
        return losses.r1_penalty(critic, real_videos)


def penalty_terms(gradient_penalty_weight=0.0, r1_weight=0.0, r1_interval=1):
    """The terms the classic `compile` options ask for (weights of 0 ask for none).

    Example:
    >>> [term.name for term in penalty_terms(gradient_penalty_weight=10.0)]
    ['gradient_penalty']
    """
    terms = []
    if gradient_penalty_weight:
        terms.append(GradientPenalty(gradient_penalty_weight))
    if r1_weight:
        terms.append(R1Penalty(r1_weight, interval=r1_interval))
    return terms
