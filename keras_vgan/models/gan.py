"""`VideoGAN`: a generator and its discriminator(s) trained by `model.fit`."""

import reprlib

import numpy as np
import keras
import tensorflow as tf

from keras_vgan import loss_terms as named_terms
from keras_vgan import losses as adversarial_losses
from keras_vgan.distribute import is_multi_worker
from keras_vgan.models.conditioning import (FAKE_CLASS, check_labels, check_num_classes, class_count,
                                            class_head_size, has_class_head)
from keras_vgan.noise import CONDITION_INPUT, NoiseSpec
from keras_vgan.pixels import to_uint8
from keras_vgan.validation import check_int, check_positive_int


def _as_discriminator_list(discriminator, allow_none=False):
    if allow_none and (discriminator is None or (isinstance(discriminator, (list, tuple)) and not discriminator)):
        return []
    if isinstance(discriminator, keras.Model):
        return [discriminator]
    discriminators = list(discriminator)
    if not discriminators or not all(isinstance(d, keras.Model) for d in discriminators):
        raise ValueError(
            f"discriminator={discriminator!r} is not valid; expected a keras.Model or a non-empty list of them"
        )
    names = [d.name for d in discriminators]
    if len(set(names)) != len(names):
        raise ValueError(f"discriminators named {names} are not valid; expected distinct names (their losses "
                         "are logged by name)")
    return discriminators


def metric_prefix(discriminator):
    """The name a discriminator's metrics carry: "image" for `image_discriminator` (`image_d_loss`, …)."""
    name = discriminator.name
    for suffix in ("_discriminator", "_critic", "_d"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _input_names(model):
    return [tensor.name for tensor in model.inputs]


@keras.saving.register_keras_serializable(package="keras_vgan")
class VideoGAN(keras.Model):
    """A video GAN whose `train_step` runs a discriminator step then a generator step.

    Args:
        generator: a `keras.Model` from named inputs to videos (N, T, H, W, C)
            in [-1, 1]. The input named `condition_input` (if any) takes the
            condition; every other input takes noise of its declared shape
            (see `keras_vgan.noise.NoiseSpec`): one `noise` vector, or
            structured codes such as MoCoGAN's `content` and `motion`.
        discriminator: a `keras.Model` from videos (plus an input named
            `condition_input` for a conditional model) to logits, or a list of
            them with distinct names. With several (MoCoGAN's image + video
            discriminators, DVD-GAN's spatial + temporal) their losses are
            summed, each is logged under its name, one optimizer updates all.
        ema_decay: if set (e.g. 0.999), an exponential moving average of the
            generator's weights is kept in `ema_generator` and used for sampling
            and export, as StyleGAN-family training does.
        augment: a callable (e.g. `keras_vgan.diffaugment.DiffAugment`) applied
            to real and generated clips alike before every discriminator call,
            in both steps, so that the generator learns through it.
        noise_spec: the noise the generator takes; default: read from the
            generator's inputs.
        condition_input: the name of the generator's condition input.
        num_classes: for a class-conditional model (int32 labels (N,) in
            its condition input): the number of classes; default: read from
            the generator (the Embedding its condition input feeds, see
            `keras_vgan.models.conditioning`), None when it has none.

    The data `fit` receives yields real `clips`, or `(clips, condition)`: for a
    class-conditional model `(clips, labels)`, labels int (N,).

    Example:
    >>> gan = VideoGAN(build_video_generator(8, 32, 32, 1, latent_dim=16, base_filters=8),
    ...                build_video_discriminator(8, 32, 32, 1, base_filters=8))
    >>> gan.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    ...             d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), loss="hinge")
    >>> history = gan.fit(moving_digits(32, frames=8, height=32, width=32).batch(16), epochs=1, verbose=0)
    >>> gan.generate(4, seed=0).shape
    (4, 8, 32, 32, 1)

    Class-conditional: both networks take labels, the batches are `(clips, labels)`:
    >>> gan = VideoGAN(build_video_generator(8, 16, 16, 1, latent_dim=8, base_filters=4, num_classes=10),
    ...                build_video_discriminator(8, 16, 16, 1, base_filters=4, num_classes=10))
    >>> gan.compile(loss="hinge")
    >>> history = gan.fit(moving_digits(8, frames=8, height=16, width=16, labels=True).batch(4), epochs=1, verbose=0)
    >>> gan.num_classes, gan.generate(3, seed=0, labels=[7, 1, 0]).shape
    (10, (3, 8, 16, 16, 1))
    """

    # A translation model may train on reconstruction terms alone (TranslationGAN); a generative one cannot.
    requires_discriminator = True
    requires_noise = True

    def __init__(self, generator, discriminator, ema_decay=None, augment=None, noise_spec=None,
                 condition_input=CONDITION_INPUT, num_classes=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(generator, keras.Model):
            raise ValueError(f"generator={generator!r} is not valid; expected a keras.Model")
        if ema_decay is not None and not 0.0 <= float(ema_decay) < 1.0:
            raise ValueError(f"ema_decay={ema_decay!r} is not valid; expected a number in [0, 1) or None")
        if augment is not None and not callable(augment):
            raise ValueError(f"augment={augment!r} is not valid; expected a callable on videos, or None")
        self.generator = generator
        self.discriminators = _as_discriminator_list(discriminator, allow_none=not self.requires_discriminator)
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.augment = augment
        self.condition_input = str(condition_input)
        self.noise_spec = noise_spec if noise_spec is not None else NoiseSpec.from_generator(
            generator, self.condition_input, required=self.requires_noise)
        generator_inputs = _input_names(generator)
        unknown = [name for name in self.noise_spec.names if name not in generator_inputs]
        if unknown:
            raise ValueError(f"noise_spec inputs {unknown} are not inputs of generator {generator.name!r}; "
                             f"expected some of {generator_inputs}")
        self.is_conditional = self.condition_input in generator_inputs
        num_classes = check_num_classes(num_classes)
        if num_classes is not None and not self.is_conditional:
            raise ValueError(f"num_classes={num_classes!r} is not valid for generator {generator.name!r}, which has "
                             f"no {self.condition_input!r} input; expected None (an unconditional model)")
        # None unless the condition is a class label: a translation model's condition is a clip.
        self.num_classes = num_classes or (class_count(generator, self.condition_input) if self.is_conditional
                                           else None)
        self.ema_generator = None
        if self.ema_decay is not None:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())
        # None where the generator takes any size (a fully convolutional restorer).
        self.video_shape = tuple(None if d is None else int(d) for d in generator.outputs[0].shape[1:])
        self.built = True

    @property
    def latent_dim(self):
        """The size of the generator's one noise vector; None for structured noise."""
        return self.noise_spec.latent_dim

    @property
    def discriminator(self):
        """The first (usually the only) discriminator."""
        return self.discriminators[0]

    @property
    def discriminator_variables(self):
        """Every discriminator's trainable variables, in the order the D optimizer and checkpoints use."""
        return [v for d in self.discriminators for v in d.trainable_variables]

    # ---- compile --------------------------------------------------------------------------------
    def compile(
        self,
        g_optimizer=None,
        d_optimizer=None,
        loss="non_saturating",
        discriminator_steps=1,
        label_smoothing=0.0,
        gradient_penalty_weight=0.0,
        r1_weight=0.0,
        r1_interval=1,
        loss_terms=None,
        adversarial_weight=1.0,
        **kwargs,
    ):
        """Set the two optimizers and the objective.

        Args:
            g_optimizer, d_optimizer: Keras optimizers; separate learning rates
                give TTUR, and their `clipnorm`/`global_clipnorm` clip gradients.
                Default: Adam(2e-4, beta_1=0.5) each.
            loss: "minimax", "non_saturating", "hinge", "wasserstein" or
                "least_squares" (see `keras_vgan.losses`).
            discriminator_steps: discriminator updates per generator update;
                each draws fresh noise against the same real batch.
            label_smoothing: one-sided: real targets become 1 - label_smoothing.
            gradient_penalty_weight: λ of the WGAN-GP penalty (10 is usual).
            r1_weight, r1_interval: γ of the R1 penalty on real data, applied
                every `r1_interval` steps with γ × interval (lazy R1).
            loss_terms: further `keras_vgan.loss_terms.LossTerm`s (penalties,
                reconstruction terms); each is logged under its name. The networks' own losses (`model.losses`,
                e.g. VGAN's mask sparsity) are added too, logged under the name
                of the layer that adds them.
            adversarial_weight: the weight of the adversarial loss in the
                generator's objective (beside reconstruction terms that dominate).
        """
        # No third optimizer: Keras would otherwise make an unused RMSprop, save it and log its rate.
        kwargs.setdefault("optimizer", None)
        super().compile(**kwargs)
        self.adversarial_loss = adversarial_losses.get_adversarial_loss(loss)
        self.discriminator_steps = check_int("discriminator_steps", discriminator_steps, minimum=1)
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ValueError(f"label_smoothing={label_smoothing!r} is not valid; expected a number in [0, 1)")
        for name, value in (("gradient_penalty_weight", gradient_penalty_weight), ("r1_weight", r1_weight)):
            if float(value) < 0.0:
                raise ValueError(f"{name}={value!r} is not valid; expected a number >= 0")
        if label_smoothing:
            # Fail at compile time, not inside the first traced step.
            self.adversarial_loss.discriminator(tf.zeros([1]), tf.zeros([1]), float(label_smoothing))
        self.label_smoothing = float(label_smoothing)
        if float(adversarial_weight) < 0.0:
            raise ValueError(f"adversarial_weight={adversarial_weight!r} is not valid; expected a number >= 0")
        self.adversarial_weight = float(adversarial_weight)
        terms = named_terms.penalty_terms(gradient_penalty_weight, r1_weight, r1_interval) + list(loss_terms or ())
        for term in terms:
            if not isinstance(term, named_terms.LossTerm):
                raise ValueError(f"loss term {term!r} is not valid; expected a keras_vgan.loss_terms.LossTerm")
        names = [term.name for term in terms]
        if len(set(names)) != len(names):
            raise ValueError(f"loss terms named {names} are not valid; expected distinct names")
        resampling = [term.name for term in terms if term.resamples]
        if resampling and not self.noise_spec.names:
            raise ValueError(f"loss terms {resampling} are not valid for generator {self.generator.name!r}, which "
                             "has no noise input; expected a generator that takes noise (e.g. latent_dim > 0)")
        classifying = [term.name for term in terms if term.classifies]
        if classifying and not (self.num_classes and any(map(has_class_head, self.discriminators))):
            raise ValueError(f"loss terms {classifying} are not valid for this model: they need a class-conditional "
                             "model (num_classes) with a discriminator that has a class head (built with "
                             "auxiliary_classifier=True)")
        for term in terms:
            if term.classifies:
                self._check_class_heads(term)
        relabelling = [term.name for term in terms if term.relabels]
        if relabelling and not (self.num_classes and any(self._takes_condition(d) for d in self.discriminators)):
            raise ValueError(f"loss terms {relabelling} are not valid for this model: they score clips under other "
                             "labels, which needs a class-conditional model (num_classes) whose discriminator takes "
                             f"the {self.condition_input!r} input")
        if relabelling and self.adversarial_loss.discriminator_fake is None:
            absolute = [name for name, loss in adversarial_losses.ADVERSARIAL_LOSSES.items()
                        if loss.discriminator_fake]
            raise ValueError(f"loss terms {relabelling} are not valid with loss={self.adversarial_loss.name!r}, "
                             f"which scores fakes only relative to real clips; expected one of {absolute}")
        self.loss_terms = terms
        self.g_optimizer = self._loss_scaled(g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5))
        self.d_optimizer = self._loss_scaled(d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5))
        # Built here, not lazily in the first step: under tf.distribute, slot variables created
        # inside the replica function break the step, and a loaded model needs them to restore state.
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator_variables)
        self._gan_compile_config = {
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "loss": self.adversarial_loss.name,
            "discriminator_steps": self.discriminator_steps,
            "label_smoothing": self.label_smoothing,
            "loss_terms": [keras.saving.serialize_keras_object(term) for term in terms],
            "adversarial_weight": self.adversarial_weight,
        }
        self._own_loss_layers = {"generator": self._layers_with_losses(self.generator),
                                 "discriminator": [layer for d in self.discriminators
                                                   for layer in self._layers_with_losses(d)]}
        self._make_trackers()

    def _layers_with_losses(self, network):
        # Activity losses exist only after a call: probe one example to learn who adds them.
        # A size left open (a fully convolutional network) is probed at 8, which every such network takes.
        probe = {tensor.name: tf.zeros([1] + [8 if d is None else d for d in tensor.shape[1:]], tensor.dtype)
                 for tensor in network.inputs}
        network([probe[name] for name in _input_names(network)] if len(probe) > 1 else next(iter(probe.values())),
                training=False)
        return [layer for layer in network.layers if layer.losses]

    def _make_trackers(self):
        names = ["d_loss", "g_loss", "real_score", "fake_score"] if self.discriminators else ["g_loss"]
        if len(self.discriminators) > 1:
            for discriminator in self.discriminators:
                prefix = metric_prefix(discriminator)
                names += [f"{prefix}_d_loss", f"{prefix}_g_loss", f"{prefix}_real_score", f"{prefix}_fake_score"]
        names += [term.name for term in self.loss_terms]
        names += [layer.name for layers in self._own_loss_layers.values() for layer in layers]
        if len(set(names)) != len(names):
            raise ValueError(f"metric names {names} are not valid; expected distinct names (rename the "
                             "discriminator, loss term or layer that repeats one)")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}

    @staticmethod
    def _loss_scaled(optimizer):
        # float16 needs loss scaling to keep small gradients; bfloat16 and float32 do not.
        policy = keras.config.dtype_policy()
        if policy.compute_dtype == "float16" and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
            return keras.optimizers.LossScaleOptimizer(optimizer)
        return optimizer

    def get_compile_config(self):
        return getattr(self, "_gan_compile_config", None)

    def compile_from_config(self, config):
        config = dict(config)
        config["g_optimizer"] = keras.saving.deserialize_keras_object(config["g_optimizer"])
        config["d_optimizer"] = keras.saving.deserialize_keras_object(config["d_optimizer"])
        # Models saved before loss terms existed carry gradient_penalty_weight/r1_weight instead: compile takes both.
        config["loss_terms"] = [keras.saving.deserialize_keras_object(term) for term in config.get("loss_terms", [])]
        self.compile(**config)

    @property
    def metrics(self):
        return list(self.trackers.values()) if hasattr(self, "trackers") else []

    # ---- one training step ------------------------------------------------------------------------
    def train_step(self, data):
        real_videos, condition = self._unpack(data)
        batch_size, global_batch_size, replicas = _batch_sizes(real_videos)
        # The step this update belongs to, for terms applied every k steps (lazy regularization).
        step = tf.cast(self.g_optimizer.iterations, tf.int64)

        d_logs = {}
        for _ in range(self.discriminator_steps if self.discriminators else 0):
            d_logs = self._discriminator_step(real_videos, condition, batch_size, global_batch_size, replicas, step)
        g_logs = self._generator_step(real_videos, condition, batch_size, global_batch_size, replicas, step)
        if self.ema_generator is not None:
            self._update_ema()

        for name, (value, weight) in {**d_logs, **g_logs}.items():
            self.trackers[name].update_state(value, sample_weight=weight)
        return _reducible_across_workers({metric.name: metric.result() for metric in self.metrics})

    def warm_up_discriminators(self, data, steps):
        """Train the discriminators alone on `steps` batches of `data`, against the generator as it is.

        For adversarial fine-tuning of a pretrained generator (ESRGAN's recipe:
        a restorer trained on L1 alone, then the adversary): a fresh
        discriminator starts at chance, so the generator's first adversarial
        steps follow a critic that cannot yet tell its output from the truth,
        and by the time it can, the schedule is mostly spent. Warming the
        discriminators up on the frozen generator's output first is cheap (no
        generator gradients) and gives the generator a useful signal from its
        first step. `data` is what `fit` would read (a `tf.data.Dataset` or a
        distributed dataset of the same batches); the model's strategy is
        used. Only the discriminators and their optimizer change.

        Returns the d_loss of each step, as a NumPy array.

        Example:
        >>> d_losses = gan.warm_up_discriminators(pairs, steps=500)  # doctest: +SKIP
        """
        steps = check_int("steps", steps, minimum=0)
        if not self.discriminators:
            raise ValueError(f"steps={steps} of discriminator warm-up are not valid for a model without a "
                             "discriminator; expected 0")
        if steps == 0:
            return np.zeros([0], np.float32)
        strategy = self.distribute_strategy
        if isinstance(data, tf.data.Dataset):
            data = strategy.experimental_distribute_dataset(data)
        batches = iter(data)

        def replica_step(batch):
            real_videos, condition = self._unpack(batch)
            logs = self._discriminator_step(real_videos, condition, *_batch_sizes(real_videos),
                                            tf.cast(self.d_optimizer.iterations, tf.int64))
            return logs["d_loss"][0]

        @tf.function
        def step():
            return strategy.reduce("MEAN", strategy.run(replica_step, args=(next(batches),)), axis=None)

        return np.array([float(step()) for _ in range(steps)], np.float32)

    def _discriminator_step(self, real_videos, condition, batch_size, global_batch_size, replicas, step):
        fake_videos = tf.stop_gradient(self.generator(self._generator_inputs(batch_size, condition), training=True))
        terms = [term for term in self.loss_terms if term.network == "discriminator"]
        logs = {}
        with tf.GradientTape() as tape:
            per_example = tf.zeros([batch_size])
            real_scores, fake_scores = [], []
            for discriminator in self.discriminators:
                critic = self._critic(discriminator, condition)
                real, fake = self._augmented(real_videos), self._augmented(fake_videos)
                real_logits, fake_logits = critic(real, training=True), critic(fake, training=True)
                adversarial = self.adversarial_loss.discriminator(real_logits, fake_logits, self.label_smoothing)
                per_example += adversarial
                for term in terms:
                    if term.relabels:
                        if not self._takes_condition(discriminator):
                            continue

                        def compute(term=term, discriminator=discriminator, real=real):
                            return term(lambda labels: self._critic(discriminator, labels), real, condition,
                                        self.num_classes, self.adversarial_loss)
                    elif term.classifies:
                        if not has_class_head(discriminator):
                            continue

                        def compute(term=term, discriminator=discriminator, real=real, fake=fake):
                            return term(self._classifier(discriminator, condition), real, condition, generated=fake)
                    else:
                        def compute(term=term, critic=critic, real=real, fake=fake):
                            return term(critic, real, fake)
                    value, due = self._lazy(term, step, compute, batch_size)
                    per_example += term.effective_weight * value
                    logs[term.name] = _accumulate(logs.get(term.name), tf.reduce_mean(value), due)
                real_scores.append(tf.reduce_mean(tf.cast(real_logits, tf.float32)))
                fake_scores.append(tf.reduce_mean(tf.cast(fake_logits, tf.float32)))
                if len(self.discriminators) > 1:
                    prefix = metric_prefix(discriminator)
                    logs[f"{prefix}_d_loss"] = (tf.reduce_mean(adversarial), 1.0)
                    logs[f"{prefix}_real_score"] = (real_scores[-1], 1.0)
                    logs[f"{prefix}_fake_score"] = (fake_scores[-1], 1.0)
            loss = tf.reduce_sum(per_example) / global_batch_size
            loss += self._own_losses("discriminator", logs, replicas)
            scaled_loss = self.d_optimizer.scale_loss(loss)
        variables = self.discriminator_variables
        gradients = tape.gradient(scaled_loss, variables)
        self.d_optimizer.apply_gradients(zip(gradients, variables))
        logs["d_loss"] = (tf.reduce_mean(per_example), 1.0)
        logs["real_score"] = (tf.add_n(real_scores) / len(real_scores), 1.0)
        logs["fake_score"] = (tf.add_n(fake_scores) / len(fake_scores), 1.0)
        return logs

    def _generator_step(self, real_videos, condition, batch_size, global_batch_size, replicas, step):
        terms = [term for term in self.loss_terms if term.network == "generator"]
        logs = {}
        with tf.GradientTape() as tape:
            noise = self.sample_noise(batch_size)
            fake_videos = self.generator(self.generator_inputs(noise, condition), training=True)
            per_example = tf.zeros([batch_size])
            for discriminator in self.discriminators:
                critic = self._critic(discriminator, condition)
                fake_logits = critic(self._augmented(fake_videos), training=True)
                if self.adversarial_loss.reads_real:
                    real_logits = critic(self._augmented(real_videos), training=True)
                    adversarial = self.adversarial_loss.generator(fake_logits, real_logits)
                else:
                    adversarial = self.adversarial_loss.generator(fake_logits)
                per_example += self.adversarial_weight * adversarial
                if len(self.discriminators) > 1:
                    logs[f"{metric_prefix(discriminator)}_g_loss"] = (tf.reduce_mean(adversarial), 1.0)
            for term in terms:
                for compute in self._generator_term_calls(term, fake_videos, real_videos, noise, condition,
                                                          batch_size):
                    value, due = self._lazy(term, step, compute, batch_size)
                    per_example += term.effective_weight * value
                    logs[term.name] = _accumulate(logs.get(term.name), tf.reduce_mean(value), due)
            loss = tf.reduce_sum(per_example) / global_batch_size
            loss += self._own_losses("generator", logs, replicas)
            scaled_loss = self.g_optimizer.scale_loss(loss)
        variables = self.generator.trainable_variables
        gradients = tape.gradient(scaled_loss, variables)
        self.g_optimizer.apply_gradients(zip(gradients, variables))
        logs["g_loss"] = (tf.reduce_mean(per_example), 1.0)
        return logs

    def _generator_term_calls(self, term, fake_videos, real_videos, noise, condition, batch_size):
        """The calls that compute a generator term: one, or one per discriminator with a class head (AC-GAN)."""
        if term.classifies:
            return [lambda classify=self._classifier(discriminator, condition):
                    term(classify, self._augmented(fake_videos), condition)
                    for discriminator in filter(has_class_head, self.discriminators)]
        if term.resamples:
            def resampled():
                other_noise = self.sample_noise(batch_size)
                other = self.generator(self.generator_inputs(other_noise, condition), training=True)
                return term(fake_videos, other, noise, other_noise)

            return [resampled]
        return [lambda: term(fake_videos, real_videos, condition)]

    @staticmethod
    def _lazy(term, step, compute, batch_size):
        """(per-example value, 1.0 if it ran this step else 0.0) for a term applied every `interval` steps."""
        if term.interval == 1:
            return compute(), 1.0
        due = tf.equal(step % term.interval, 0)
        value = tf.cond(due, compute, lambda: tf.zeros([batch_size]))
        return value, tf.cast(due, tf.float32)

    def _own_losses(self, network, logs, replicas):
        """The networks' `model.losses` (activity and weight regularizers), logged under their layers' names."""
        total = tf.constant(0.0)
        for layer in self._own_loss_layers[network]:
            # Each is a per-replica mean already: dividing by the replicas makes the sum the global mean.
            value = tf.add_n([tf.cast(loss, tf.float32) for loss in layer.losses])
            logs[layer.name] = (value, 1.0)
            total += value / tf.cast(replicas, tf.float32)
        return total

    def _augmented(self, videos):
        return videos if self.augment is None else self.augment(videos, training=True)

    def _update_ema(self):
        decay = self.ema_decay
        for average, current in zip(self.ema_generator.trainable_variables, self.generator.trainable_variables):
            average.assign(decay * average + (1.0 - decay) * tf.cast(current, average.dtype))
        # Normalization statistics are copied, not averaged: they already are running means.
        for average, current in zip(self.ema_generator.non_trainable_variables, self.generator.non_trainable_variables):
            average.assign(current)

    def _unpack(self, data):
        if isinstance(data, (tuple, list)):
            if len(data) == 1:
                return data[0], None
            if len(data) == 2 and self.num_classes:
                # One int32 label per clip, whatever integer type or (N, 1) shape the data gives.
                return data[0], tf.reshape(tf.cast(data[1], tf.int32), [-1])
            if len(data) == 2 and self.is_conditional:
                return data[0], data[1]
            if len(data) == 2:
                return data[0], None  # (clips, labels) fed to an unconditional model: labels unused
            raise ValueError(f"a batch of {len(data)} elements is not valid; expected clips or (clips, condition)")
        if self.is_conditional:
            raise ValueError("a batch of clips alone is not valid for a conditional generator; expected "
                             "(clips, condition)")
        return data, None

    def generator_inputs(self, noise, condition=None, generator=None):
        """The generator's call arguments for a dict of noise (and a condition), in its input order."""
        generator = generator or self.generator
        values = dict(noise)
        if self.is_conditional:
            if condition is None:
                raise ValueError(f"condition=None is not valid for generator {generator.name!r}; expected a "
                                 f"value for its {self.condition_input!r} input")
            values[self.condition_input] = condition
        ordered = [values[name] for name in _input_names(generator)]
        return ordered[0] if len(ordered) == 1 else ordered

    def _generator_inputs(self, batch_size, condition):
        return self.generator_inputs(self.sample_noise(batch_size), condition)

    def _checked_condition(self, num_videos, condition, labels):
        """The condition for `num_videos` videos from `condition` or `labels`; ValueError naming a bad one."""
        if labels is not None and condition is not None:
            raise ValueError(f"labels={reprlib.repr(labels)} and a condition are both given; expected one "
                             "(labels are the condition of a class-conditional model)")
        if not self.num_classes:
            if labels is not None:
                kind = "takes a condition that is not a class label" if self.is_conditional else "is unconditional"
                raise ValueError(f"labels={reprlib.repr(labels)} is not valid: this model {kind} (no num_classes); "
                                 "expected labels=None")
            return condition
        labels = condition if labels is None else labels
        if labels is None:
            raise ValueError(f"labels=None is not valid for a class-conditional model of {self.num_classes} "
                             f"classes; expected an int or one int per video in [0, {self.num_classes})")
        return check_labels(labels, num_videos, self.num_classes)

    def _takes_condition(self, discriminator):
        return self.condition_input in _input_names(discriminator)

    def _critic(self, discriminator, condition, output=0):
        """`discriminator` as a function of the videos alone: the condition bound, its logit (`output` 0) picked."""
        several = len(discriminator.outputs) > 1
        conditioned = condition is not None and self._takes_condition(discriminator)
        if not (conditioned or several):
            return discriminator
        order = _input_names(discriminator)

        def critic(videos, training=False):
            if conditioned:
                values = {self.condition_input: condition}
                values.update({name: videos for name in order if name != self.condition_input})
                videos = [values[name] for name in order]
            outputs = discriminator(videos, training=training)
            return outputs[output] if several else outputs

        return critic

    def _check_class_heads(self, term):
        """One ValueError unless every class head has the outputs `term` expects: a class each, one more with
        `fake_class` (the class of generated clips)."""
        head = FAKE_CLASS if getattr(term, "fake_class", False) else True
        expected = class_head_size(self.num_classes, head)
        for discriminator in filter(has_class_head, self.discriminators):
            size = discriminator.outputs[1].shape[-1]
            if size != expected:
                raise ValueError(f"loss term {term.name!r} is not valid for discriminator {discriminator.name!r}, "
                                 f"whose class head has {size} outputs; expected {expected} (built with "
                                 f"auxiliary_classifier={head!r})")

    def _classifier(self, discriminator, condition):
        """The class logits of `discriminator`'s AC-GAN head as a function of the videos."""
        return self._critic(discriminator, condition, output=1)

    def sample_noise(self, num_videos, seed=None):
        """A dict of noise for `num_videos` videos, drawn by `noise_spec` (the one place noise comes from)."""
        return self.noise_spec.sample(num_videos, seed)

    # ---- using the trained model --------------------------------------------------------------------
    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def generator_for_sampling(self, use_ema=True):
        """The generator to sample with: the EMA copy when there is one and `use_ema`."""
        return self.ema_generator if use_ema and self.ema_generator is not None else self.generator

    def generate(self, num_videos, seed=None, use_ema=True, condition=None, batch_size=32, labels=None):
        """`num_videos` videos as a uint8 NumPy array (N, T, H, W, C); the same seed gives the same videos.

        A class-conditional model needs `labels`: one int for every video or
        one per video, each in [0, num_classes) (see `generate_from_noise`).

        Example:
        >>> gan.generate(4, seed=0, labels=[0, 1, 2, 3])  # doctest: +SKIP
        """
        num_videos = check_positive_int("num_videos", num_videos)
        self._checked_condition(num_videos, condition, labels)  # before the noise: a bad label fails at once
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % 2**31)
        noise = self.sample_noise(num_videos, int(seed))
        return self.generate_from_noise(noise, use_ema=use_ema, condition=condition, batch_size=batch_size,
                                        labels=labels)

    def generate_from_noise(self, noise, use_ema=True, condition=None, batch_size=32, labels=None):
        """Videos for the given noise, as uint8 NumPy (N, T, H, W, C).

        `noise` is an array (N, latent_dim) for a one-vector generator, or a
        dict with an entry per noise input (e.g. `sample_noise(n, seed)`).
        `condition` is the generator's condition input, for a conditional
        model; for a class-conditional one `labels` says the same more
        plainly: an int (every video) or one int per video, in
        [0, num_classes). Labels for an unconditional model, none for a
        class-conditional one, or a label out of range are a ValueError.
        """
        noise = self.noise_spec.standardize(noise)
        batch_size = check_positive_int("batch_size", batch_size)
        generator = self.generator_for_sampling(use_ema)
        count = int(next(iter(noise.values())).shape[0])
        condition = self._checked_condition(count, condition, labels)
        if condition is not None:
            condition = tf.convert_to_tensor(condition)
        chunks = []
        for start in range(0, count, batch_size):
            part = {name: value[start:start + batch_size] for name, value in noise.items()}
            part_condition = None if condition is None else condition[start:start + batch_size]
            inputs = self.generator_inputs(part, part_condition, generator)
            chunks.append(to_uint8(generator(inputs, training=False)).numpy())
        return np.concatenate(chunks, axis=0)

    # ---- serialization -------------------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(
            generator=keras.saving.serialize_keras_object(self.generator),
            discriminator=[keras.saving.serialize_keras_object(d) for d in self.discriminators],
            ema_decay=self.ema_decay,
            augment=None if self.augment is None else keras.saving.serialize_keras_object(self.augment),
            noise_spec=keras.saving.serialize_keras_object(self.noise_spec),
            condition_input=self.condition_input,
            num_classes=self.num_classes,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        config["discriminator"] = [keras.saving.deserialize_keras_object(d) for d in config["discriminator"]]
        for name in ("augment", "noise_spec"):
            if config.get(name) is not None:
                config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)


def _reducible_across_workers(logs):
    """The step's logs in a shape that Keras 3's `fit` can reduce under a multi-worker strategy.

    There `fit` averages each log with `strategy.reduce("MEAN", value, axis=0)`,
    which fails on a scalar ("Invalid reduction dimension 0 for input with 0
    dimensions"; keras-team/keras#20585). Each scalar gets that axis here, and the
    reduction turns it back into the scalar mean over the replicas, as `fit` gives
    under every other strategy.
    """
    if not is_multi_worker(tf.distribute.get_strategy()):
        return logs
    return {name: tf.reshape(value, [1]) for name, value in logs.items()}


def _batch_sizes(real_videos):
    """(per-replica batch size, global batch size as float32, replicas) of a replica's batch.

    Losses are per-replica sums divided by the global batch: the optimizers'
    cross-replica sum of gradients then equals the gradient of the global mean.
    """
    batch_size = tf.shape(real_videos)[0]
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return batch_size, tf.cast(batch_size * replicas, tf.float32), replicas


def _accumulate(previous, value, due):
    # A term applied to several discriminators logs the sum of its values over them.
    if previous is None:
        return value, due
    return previous[0] + value, due
