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
    # True for a discriminator term that scores clips under labels of its own choosing (a class-conditional
    # model only): it is called as `term(critic_for, real_videos, labels, num_classes, adversarial_loss)`,
    # where `critic_for(labels)` is the critic under those labels.
    relabels = False
    # True for a term on the discriminators' class heads (AC-GAN): it is called as
    # `term(classify, videos, labels)`, where `classify(videos)` gives a head's class logits; the model calls it
    # on the real clips for a discriminator term and on the generated clips for a generator term.
    classifies = False
    # True for a generator term that compares the clips of two noises for the same condition (mode seeking):
    # it is called as `term(fake_videos, other_fake_videos, noise, other_noise)`, noise as dicts by input name.
    resamples = False

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


@keras.saving.register_keras_serializable(package="keras_vgan")
class MismatchedLabels(LossTerm):
    """The matching-aware term of Reed et al. 2016 (GAN-CLS): a real clip under a wrong label is scored as fake.

    A projection discriminator can tell real from fake while learning
    little about which class a clip shows: fakes of every class are equally
    wrong to it. This term asks it to reject real clips whose label is
    wrong, which only the label's projection can do; the generator, scored
    through that projection, then learns to draw the class it is given.
    The wrong label is `(label + k) mod C` with k uniform in [1, C), so it
    is never the right one. Class-conditional models only.

    Example:
    >>> import tensorflow as tf
    >>> from keras_vgan.losses import get_adversarial_loss
    >>> critic_for = lambda labels: (lambda videos, training=False: tf.cast(labels[:, None], tf.float32) - 1.0)
    >>> term = MismatchedLabels(weight=1.0)
    >>> values = term(critic_for, tf.zeros([4, 2, 4, 4, 1]), tf.constant([1, 1, 1, 1]), 2, get_adversarial_loss("hinge"))
    >>> values.numpy().tolist()  # every wrong label is 0: logit -1, hinge loss max(0, 1 - 1)
    [0.0, 0.0, 0.0, 0.0]
    """

    name = "mismatched_labels"
    relabels = True

    def __call__(self, critic_for, real_videos, labels, num_classes, adversarial_loss):
        import tensorflow as tf

        if num_classes < 2:
            raise ValueError(f"num_classes={num_classes!r} is not valid for {self.name}; expected >= 2 (a wrong "
                             "label needs a second class)")
        shift = tf.random.uniform(tf.shape(labels), 1, num_classes, dtype=labels.dtype)
        wrong = (labels + shift) % num_classes
        return adversarial_loss.discriminator_fake(critic_for(wrong)(real_videos, training=True))


@keras.saving.register_keras_serializable(package="keras_vgan")
class AuxiliaryClassification(LossTerm):
    """AC-GAN's class term (Odena et al. 2017): cross-entropy of a discriminator's class head against the label.

    `network="discriminator"` trains the head on real clips; `"generator"`
    scores the generated clips with it, so the generator is pushed towards
    clips the head puts in the class they were drawn for. Needs a
    discriminator built with `auxiliary_classifier=True`.

    With `fake_class=True` (a head built with
    `auxiliary_classifier="fake_class"`: one class more, the last) the
    discriminator's term also teaches the head that generated clips are of
    that extra class, as Salimans et al. 2016's K+1-way discriminator. A
    head taught the real clips only rewards a generator for any clip it
    puts in the label's class, however unlike the class (the generator finds
    such clips before the head learns the classes); one that also learns
    what generated clips look like leaves the generator one way to satisfy
    it, a clip that looks like a real one of the class.

    A head that classifies each of k frames (logits (N, k, classes), as the
    image discriminators' do) is scored on every frame, the cross-entropies
    averaged.

    Example:
    >>> import tensorflow as tf
    >>> term = AuxiliaryClassification(network="generator")
    >>> term.name
    'g_classification'
    >>> classify = lambda videos, training=False: tf.constant([[0.0, 0.0], [0.0, 0.0]])
    >>> [round(v, 4) for v in term(classify, tf.zeros([2, 2, 4, 4, 1]), tf.constant([0, 1])).numpy().tolist()]
    [0.6931, 0.6931]
    """

    classifies = True

    def __init__(self, weight=1.0, interval=1, name=None, network="generator", fake_class=False):
        self.network = check_choice("network", network, NETWORKS)
        if not isinstance(fake_class, bool):
            raise ValueError(f"fake_class={fake_class!r} is not valid; expected True or False")
        self.fake_class = fake_class
        super().__init__(weight, interval, name or f"{network[0]}_classification")

    def __call__(self, classify, videos, labels, generated=None):
        """Per-example cross-entropy of `videos` against `labels`; on the discriminator's side of a K+1 head,
        plus that of the `generated` clips against the extra class."""
        import tensorflow as tf

        value = _class_cross_entropy(classify(videos, training=True), labels)
        if self.fake_class and self.network == "discriminator":
            if generated is None:
                raise ValueError("the discriminator's K+1 class term needs the generated clips; expected "
                                 "generated=...")
            logits = classify(generated, training=True)
            extra_class = tf.fill(tf.shape(labels), int(logits.shape[-1]) - 1)
            value += _class_cross_entropy(logits, extra_class)
        return value

    def get_config(self):
        return {**super().get_config(), "network": self.network, "fake_class": self.fake_class}


def _class_cross_entropy(logits, labels):
    """Per-example cross-entropy (N,) of class logits (N, classes), or (N, k, classes) averaged over the k."""
    import tensorflow as tf

    logits = tf.cast(logits, tf.float32)
    labels = tf.cast(labels, tf.int32)
    if logits.shape.rank == 3:  # one row of logits per frame: every frame is held to the clip's label
        labels = tf.broadcast_to(labels[:, None], tf.shape(logits)[:2])
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits), axis=1)
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)


def classification_terms(weight, fake_class=False):
    """The two AC-GAN terms of one `weight`: the class head learns real clips (and, with `fake_class`, the
    generated ones as a class of their own), the generator is scored by it.

    Example:
    >>> [term.name for term in classification_terms(1.0)]
    ['d_classification', 'g_classification']
    """
    return [AuxiliaryClassification(weight, network="discriminator", fake_class=fake_class),
            AuxiliaryClassification(weight, network="generator", fake_class=fake_class)]


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


# ---- reconstruction terms: the generator's output against the target (translation models) -----------
def _per_example_mean(values):
    import tensorflow as tf

    values = tf.cast(values, tf.float32)
    return tf.reduce_mean(tf.reshape(values, [tf.shape(values)[0], -1]), axis=1)


@keras.saving.register_keras_serializable(package="keras_vgan")
class L1Reconstruction(LossTerm):
    """Mean absolute error between the generated and the target clip (pix2pix's content loss; weight 100 there).

    Example:
    >>> import tensorflow as tf
    >>> float(L1Reconstruction()(tf.ones([1, 2, 4, 4, 1]), tf.zeros([1, 2, 4, 4, 1]), None)[0])
    1.0
    """

    name = "l1_reconstruction"
    network = "generator"

    def __call__(self, fake_videos, real_videos, condition):
        return _per_example_mean(abs(keras.ops.cast(fake_videos, "float32") - keras.ops.cast(real_videos, "float32")))


@keras.saving.register_keras_serializable(package="keras_vgan")
class FirstFrameL1(LossTerm):
    """Mean absolute error of frame 0 alone: an animator's output must start from the picture it was given.

    The frames after it are left to the adversary: an L1 on them would pull
    every motion towards the average of the possible ones, which for a
    picture of a digit that may move anywhere is no motion at all.

    Example:
    >>> import tensorflow as tf
    >>> clip = tf.concat([tf.ones([1, 1, 4, 4, 1]), tf.zeros([1, 3, 4, 4, 1])], axis=1)
    >>> float(FirstFrameL1()(clip, tf.zeros([1, 4, 4, 4, 1]), None)[0])
    1.0
    """

    name = "first_frame_l1"
    network = "generator"

    def __call__(self, fake_videos, real_videos, condition):
        first_fake = keras.ops.cast(fake_videos[:, 0], "float32")
        return _per_example_mean(abs(first_fake - keras.ops.cast(real_videos[:, 0], "float32")))


@keras.saving.register_keras_serializable(package="keras_vgan")
class ModeSeeking(LossTerm):
    """Mao et al. 2019's mode-seeking term (MSGAN): two noises for one condition should give two clips apart.

    A generator with a strong condition (a picture, a context) learns to
    ignore its noise: every draw then gives the same clip. This term is
    1 / (d(G(c, z₁), G(c, z₂)) / d(z₁, z₂) + ε), d the mean absolute
    difference, which falls as the clips move apart for noises apart. The
    model draws the second noise and generates the second clip in the same
    generator step.

    Example:
    >>> import tensorflow as tf
    >>> clips, noise = tf.zeros([1, 2, 4, 4, 1]), {"noise": tf.zeros([1, 4])}
    >>> value = ModeSeeking()(clips, clips + 0.5, noise, {"noise": tf.ones([1, 4])})
    >>> round(float(value[0]), 3)  # 1 / (0.5 / 1)
    2.0
    """

    name = "mode_seeking"
    network = "generator"
    resamples = True
    epsilon = 1e-5

    def __call__(self, fake_videos, other_fake_videos, noise, other_noise):
        import tensorflow as tf

        apart = _per_example_mean(abs(keras.ops.cast(fake_videos, "float32")
                                      - keras.ops.cast(other_fake_videos, "float32")))
        codes = [tf.reshape(tf.cast(noise[name], tf.float32) - tf.cast(other_noise[name], tf.float32),
                            [tf.shape(apart)[0], -1]) for name in sorted(noise)]
        codes_apart = tf.reduce_mean(tf.abs(tf.concat(codes, axis=1)), axis=1)
        return 1.0 / (apart / codes_apart + self.epsilon)


@keras.saving.register_keras_serializable(package="keras_vgan")
class L2Reconstruction(LossTerm):
    """Mean squared error between the generated and the target clip."""

    name = "l2_reconstruction"
    network = "generator"

    def __call__(self, fake_videos, real_videos, condition):
        difference = keras.ops.cast(fake_videos, "float32") - keras.ops.cast(real_videos, "float32")
        return _per_example_mean(difference * difference)


@keras.saving.register_keras_serializable(package="keras_vgan")
class GradientDifference(LossTerm):
    """Mathieu et al. 2016's gradient difference loss: the image gradients of output and target should agree.

    |(|∂x ŷ| − |∂x y|)| + |(|∂y ŷ| − |∂y y|)| per pixel (their α = 1), averaged;
    it sharpens edges that a pixel loss alone lets blur.

    Example:
    >>> import tensorflow as tf
    >>> target = tf.reshape(tf.range(16, dtype=tf.float32), [1, 1, 4, 4, 1])
    >>> float(GradientDifference()(target, target, None)[0])
    0.0
    """

    name = "gradient_difference"
    network = "generator"

    def __call__(self, fake_videos, real_videos, condition):
        fake = keras.ops.cast(fake_videos, "float32")
        real = keras.ops.cast(real_videos, "float32")

        def gradients(video):
            return abs(video[:, :, 1:, :, :] - video[:, :, :-1, :, :]), abs(video[:, :, :, 1:, :] - video[:, :, :, :-1, :])

        (fake_y, fake_x), (real_y, real_x) = gradients(fake), gradients(real)
        return _per_example_mean(abs(fake_y - real_y)) + _per_example_mean(abs(fake_x - real_x))


@keras.saving.register_keras_serializable(package="keras_vgan")
class TemporalConsistency(LossTerm):
    """L1 between the output's and the target's frame-to-frame changes: mean |(ŷ_t+1 − W ŷ_t) − (y_t+1 − W y_t)|.

    A restorer that treats every frame on its own flickers: its errors change
    from frame to frame even where the scene does not. This term asks the
    output to change over time as the target does. With `motion="none"` W is
    the identity: static regions stay static, but under a moving camera any
    detail the output adds must then stay put on the screen while the scene
    moves, so coherent texture is punished like flicker. With
    `motion="camera"` W undoes the target's camera motion between the two
    frames (an affine map per pair, `keras_vgan.motion`), and only changes
    the motion does not explain count. Clips of one frame give 0.

    Example:
    >>> import tensorflow as tf
    >>> still, flicker = tf.zeros([1, 3, 4, 4, 1]), tf.constant([0., 1., 0.])[None, :, None, None, None]
    >>> float(TemporalConsistency()(still + flicker, still, None)[0])
    1.0
    """

    name = "temporal_consistency"
    network = "generator"
    MOTIONS = ("none", "camera")

    def __init__(self, weight=1.0, interval=1, name=None, motion="none"):
        super().__init__(weight, interval, name)
        self.motion = check_choice("motion", motion, self.MOTIONS)

    def __call__(self, fake_videos, real_videos, condition):
        fake = keras.ops.cast(fake_videos, "float32")
        real = keras.ops.cast(real_videos, "float32")
        if fake.shape[1] is not None and fake.shape[1] < 2:
            return keras.ops.zeros_like(fake[:, 0, 0, 0, 0])
        if self.motion == "none":
            fake_change, real_change = fake[:, 1:] - fake[:, :-1], real[:, 1:] - real[:, :-1]
            return _per_example_mean(abs(fake_change - real_change))
        import tensorflow as tf

        from keras_vgan.motion import estimate_affine_motion, frame_pairs, warp_frames

        batch, frames = tf.shape(fake)[0], int(fake.shape[1])
        (fake_earlier, fake_later), (real_earlier, real_later) = frame_pairs(fake), frame_pairs(real)
        maps = estimate_affine_motion(real_earlier, real_later)
        difference = ((fake_later - warp_frames(fake_earlier, maps))
                      - (real_later - warp_frames(real_earlier, maps)))
        return _per_example_mean(tf.reshape(abs(difference), [batch, frames - 1, -1]))

    def get_config(self):
        return {**super().get_config(), "motion": self.motion}


@keras.saving.register_keras_serializable(package="keras_vgan")
class PerceptualLoss(LossTerm):
    """Mean absolute difference of output and target in the features of a trained network (a perceptual loss).

    A pixel loss is lowest at the average of the plausible outputs, which is
    blurred; compared in the features of a network trained on real footage,
    an output is also asked to have the target's edges and local texture
    (Johnson et al. 2016's feature reconstruction loss; SRGAN and ESRGAN pair
    it with an adversary). The network is the Kinetics-400 I3D's stem
    (`keras_vgan.metrics.i3d.load_i3d_stem`), whose weights ship offline with
    the package that FVD already needs; its features are read before the
    activation, as ESRGAN recommends for VGG. Grayscale clips are repeated to
    RGB; clips are expected in [-1, 1], as the network was trained.

    `layer`: `Conv3d_1a_7x7` (half resolution, 64 features: edges and
    gradients), `Conv3d_2b_1x1` or `Conv3d_2c_3x3` (a quarter, 64 and 192
    features: the default, local texture). The features are computed in the
    current Keras dtype policy (bfloat16 under mixed precision), the
    difference in float32.

    Example:
    >>> term = PerceptualLoss(weight=5.0)  # doctest: +SKIP
    >>> clip = tf.zeros([2, 8, 32, 32, 1])  # doctest: +SKIP
    >>> term(clip, clip, None).numpy().tolist()  # doctest: +SKIP
    [0.0, 0.0]
    """

    name = "perceptual"
    network = "generator"

    def __init__(self, weight=1.0, interval=1, name=None, layer="Conv3d_2c_3x3", weights=None):
        super().__init__(weight, interval, name)
        from keras_vgan.metrics.i3d import STEM_UNITS

        self.layer = check_choice("layer", layer, STEM_UNITS)
        self.weights = weights
        self._features = None

    @property
    def features(self):
        """The frozen I3D stem, loaded on first use: a model loaded for sampling or export never reads it."""
        if self._features is None:
            import tensorflow as tf

            from keras_vgan.metrics.i3d import load_i3d_stem

            # The first use is inside the traced training step; the network and its weights are made eagerly.
            with tf.init_scope():
                self._features = load_i3d_stem(self.layer, self.weights,
                                               dtype=keras.config.dtype_policy().name)
        return self._features

    def __call__(self, fake_videos, real_videos, condition):
        import tensorflow as tf

        fake, real = _as_rgb(fake_videos), _as_rgb(real_videos)
        features = self.features(tf.concat([fake, real], axis=0), training=False)
        fake_features, real_features = tf.split(features, 2, axis=0)
        difference = tf.cast(fake_features, tf.float32) - tf.stop_gradient(tf.cast(real_features, tf.float32))
        return _per_example_mean(abs(difference))

    def get_config(self):
        return {**super().get_config(), "layer": self.layer, "weights": self.weights}


def _as_rgb(videos):
    """float32 clips with 3 channels: grayscale repeated, RGB as it is; other channel counts are an error."""
    import tensorflow as tf

    channels = videos.shape[-1]
    if channels not in (1, 3):
        raise ValueError(f"clips with {channels} channels are not valid for the perceptual loss; expected 1 "
                         "(grayscale) or 3 (RGB), the input of the network it reads")
    videos = tf.cast(videos, tf.float32)
    return tf.repeat(videos, 3, axis=-1) if channels == 1 else videos


def reconstruction_terms(l1_weight=0.0, l2_weight=0.0, gradient_difference_weight=0.0, temporal_weight=0.0,
                         temporal_motion="none", perceptual_weight=0.0, perceptual_layer="Conv3d_2c_3x3"):
    """The reconstruction terms these weights ask for (0 asks for none); `temporal_motion` goes to the temporal
    term, `perceptual_layer` to the perceptual one.

    Example:
    >>> [term.name for term in reconstruction_terms(l1_weight=100.0, gradient_difference_weight=1.0)]
    ['l1_reconstruction', 'gradient_difference']
    >>> [term.name for term in reconstruction_terms(l1_weight=1.0, temporal_weight=1.0)]
    ['l1_reconstruction', 'temporal_consistency']
    """
    check_choice("temporal_motion", temporal_motion, TemporalConsistency.MOTIONS)
    weighted = ((L1Reconstruction, l1_weight), (L2Reconstruction, l2_weight),
                (GradientDifference, gradient_difference_weight))
    terms = [term(weight) for term, weight in weighted if weight]
    if temporal_weight:
        terms.append(TemporalConsistency(temporal_weight, motion=temporal_motion))
    if perceptual_weight:
        terms.append(PerceptualLoss(perceptual_weight, layer=perceptual_layer))
    return terms
