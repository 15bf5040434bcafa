"""`VideoGAN`: a generator and its discriminator(s) trained by `model.fit`."""

import numpy as np
import keras
import tensorflow as tf

from keras_vgan import losses as adversarial_losses
from keras_vgan.noise import latent_noise
from keras_vgan.pixels import to_uint8
from keras_vgan.validation import check_positive_int


def _as_discriminator_list(discriminator):
    if isinstance(discriminator, keras.Model):
        return [discriminator]
    discriminators = list(discriminator)
    if not discriminators or not all(isinstance(d, keras.Model) for d in discriminators):
        raise ValueError(
            f"discriminator={discriminator!r} is not valid; expected a keras.Model or a non-empty list of them"
        )
    return discriminators


@keras.saving.register_keras_serializable(package="keras_vgan")
class VideoGAN(keras.Model):
    """A video GAN whose `train_step` runs a discriminator step then a generator step.

    Args:
        generator: a `keras.Model` from noise (N, latent_dim) — or `[noise, condition]`
            for a conditional model — to videos (N, T, H, W, C) in [-1, 1].
        discriminator: a `keras.Model` from videos (or `[videos, condition]`) to
            logits, or a list of them. With several (e.g. image + video
            discriminators as in MoCoGAN, spatial + temporal as in DVD-GAN) their
            losses are summed and one optimizer updates them all.
        ema_decay: if set (e.g. 0.999), an exponential moving average of the
            generator's weights is kept in `ema_generator` and used for sampling
            and export, as StyleGAN-family training does.

    The data `fit` receives yields real `clips`, or `(clips, condition)` where
    `condition` (class labels, first frames, a degraded clip, …) is passed to
    the generator and discriminator(s) as their second input.

    Example:
    >>> gan = VideoGAN(build_video_generator(8, 32, 32, 1, latent_dim=16, base_filters=8),
    ...                build_video_discriminator(8, 32, 32, 1, base_filters=8))
    >>> gan.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    ...             d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), loss="hinge")
    >>> history = gan.fit(moving_digits(64, frames=8, height=32, width=32).batch(16), epochs=1, verbose=0)
    >>> gan.generate(4, seed=0).shape
    (4, 8, 32, 32, 1)
    """

    def __init__(self, generator, discriminator, ema_decay=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(generator, keras.Model):
            raise ValueError(f"generator={generator!r} is not valid; expected a keras.Model")
        if ema_decay is not None and not 0.0 <= float(ema_decay) < 1.0:
            raise ValueError(f"ema_decay={ema_decay!r} is not valid; expected a number in [0, 1) or None")
        self.generator = generator
        self.discriminators = _as_discriminator_list(discriminator)
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.ema_generator = None
        if self.ema_decay is not None:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())
        noise_shape = generator.inputs[0].shape
        self.latent_dim = int(noise_shape[-1])
        self.video_shape = tuple(int(d) for d in generator.outputs[0].shape[1:])
        self.is_conditional = len(generator.inputs) > 1
        self.built = True

    @property
    def discriminator(self):
        """The first (usually the only) discriminator."""
        return self.discriminators[0]

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
        **kwargs,
    ):
        """Set the two optimizers and the adversarial objective.

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
            r1_weight: γ of the R1 penalty on real data.
        """
        # No third optimizer: Keras would otherwise make an unused RMSprop, save it and log its rate.
        kwargs.setdefault("optimizer", None)
        super().compile(**kwargs)
        self.adversarial_loss = adversarial_losses.get_adversarial_loss(loss)
        if isinstance(discriminator_steps, bool) or not isinstance(discriminator_steps, int) or discriminator_steps < 1:
            raise ValueError(f"discriminator_steps={discriminator_steps!r} is not valid; expected an integer >= 1")
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ValueError(f"label_smoothing={label_smoothing!r} is not valid; expected a number in [0, 1)")
        for name, value in (("gradient_penalty_weight", gradient_penalty_weight), ("r1_weight", r1_weight)):
            if float(value) < 0.0:
                raise ValueError(f"{name}={value!r} is not valid; expected a number >= 0")
        if label_smoothing:
            # Fail at compile time, not inside the first traced step.
            self.adversarial_loss.discriminator(tf.zeros([1]), tf.zeros([1]), float(label_smoothing))
        self.g_optimizer = self._loss_scaled(g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5))
        self.d_optimizer = self._loss_scaled(d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5))
        # Built here, not lazily in the first step: under tf.distribute, slot variables created
        # inside the replica function break the step, and a loaded model needs them to restore state.
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build([v for d in self.discriminators for v in d.trainable_variables])
        self.discriminator_steps = discriminator_steps
        self.label_smoothing = float(label_smoothing)
        self.gradient_penalty_weight = float(gradient_penalty_weight)
        self.r1_weight = float(r1_weight)
        self._gan_compile_config = {
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "loss": self.adversarial_loss.name,
            "discriminator_steps": discriminator_steps,
            "label_smoothing": self.label_smoothing,
            "gradient_penalty_weight": self.gradient_penalty_weight,
            "r1_weight": self.r1_weight,
        }
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.real_score_tracker = keras.metrics.Mean(name="real_score")
        self.fake_score_tracker = keras.metrics.Mean(name="fake_score")
        self.penalty_trackers = {}
        if self.gradient_penalty_weight:
            self.penalty_trackers["gradient_penalty"] = keras.metrics.Mean(name="gradient_penalty")
        if self.r1_weight:
            self.penalty_trackers["r1_penalty"] = keras.metrics.Mean(name="r1_penalty")

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
        self.compile(**config)

    @property
    def metrics(self):
        trackers = [self.d_loss_tracker, self.g_loss_tracker, self.real_score_tracker, self.fake_score_tracker]
        return trackers + list(self.penalty_trackers.values()) if hasattr(self, "d_loss_tracker") else []

    # ---- one training step ------------------------------------------------------------------------
    def train_step(self, data):
        real_videos, condition = self._unpack(data)
        batch_size = tf.shape(real_videos)[0]
        # Per-replica sums divided by the global batch: the optimizers' cross-replica
        # sum of gradients then equals the gradient of the global mean.
        global_batch_size = tf.cast(batch_size * tf.distribute.get_strategy().num_replicas_in_sync, tf.float32)

        for _ in range(self.discriminator_steps):
            d_logs = self._discriminator_step(real_videos, condition, batch_size, global_batch_size)
        g_loss = self._generator_step(condition, batch_size, global_batch_size)
        if self.ema_generator is not None:
            self._update_ema()

        self.d_loss_tracker.update_state(d_logs["d_loss"])
        self.g_loss_tracker.update_state(g_loss)
        self.real_score_tracker.update_state(d_logs["real_score"])
        self.fake_score_tracker.update_state(d_logs["fake_score"])
        for name, tracker in self.penalty_trackers.items():
            tracker.update_state(d_logs[name])
        return {metric.name: metric.result() for metric in self.metrics}

    def _discriminator_step(self, real_videos, condition, batch_size, global_batch_size):
        fake_videos = self.generator(self._generator_inputs(batch_size, condition), training=True)
        fake_videos = tf.stop_gradient(fake_videos)
        variables = [v for d in self.discriminators for v in d.trainable_variables]
        with tf.GradientTape() as tape:
            per_example = tf.zeros([batch_size])
            penalties = {name: tf.zeros([batch_size]) for name in self.penalty_trackers}
            real_scores, fake_scores = [], []
            for discriminator in self.discriminators:
                critic = self._critic(discriminator, condition)
                real_logits = critic(real_videos, training=True)
                fake_logits = critic(fake_videos, training=True)
                per_example += self.adversarial_loss.discriminator(real_logits, fake_logits, self.label_smoothing)
                if self.gradient_penalty_weight:
                    penalty = adversarial_losses.gradient_penalty(critic, real_videos, fake_videos)
                    penalties["gradient_penalty"] += penalty
                    per_example += self.gradient_penalty_weight * penalty
                if self.r1_weight:
                    penalty = adversarial_losses.r1_penalty(critic, real_videos)
                    penalties["r1_penalty"] += penalty
                    per_example += self.r1_weight * penalty
                real_scores.append(tf.reduce_mean(tf.cast(real_logits, tf.float32)))
                fake_scores.append(tf.reduce_mean(tf.cast(fake_logits, tf.float32)))
            loss = tf.reduce_sum(per_example) / global_batch_size
            scaled_loss = self.d_optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled_loss, variables)
        self.d_optimizer.apply_gradients(zip(gradients, variables))
        logs = {name: tf.reduce_mean(value) for name, value in penalties.items()}
        logs["d_loss"] = tf.reduce_mean(per_example)
        logs["real_score"] = tf.add_n(real_scores) / len(real_scores)
        logs["fake_score"] = tf.add_n(fake_scores) / len(fake_scores)
        return logs

    def _generator_step(self, condition, batch_size, global_batch_size):
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake_videos = self.generator(self._generator_inputs(batch_size, condition), training=True)
            per_example = tf.zeros([batch_size])
            for discriminator in self.discriminators:
                fake_logits = self._critic(discriminator, condition)(fake_videos, training=True)
                per_example += self.adversarial_loss.generator(fake_logits)
            loss = tf.reduce_sum(per_example) / global_batch_size
            scaled_loss = self.g_optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled_loss, variables)
        self.g_optimizer.apply_gradients(zip(gradients, variables))
        return tf.reduce_mean(per_example)

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
            if len(data) == 2 and self.is_conditional:
                return data[0], data[1]
            if len(data) == 2:
                return data[0], None  # (clips, labels) fed to an unconditional model: labels unused
            raise ValueError(f"a batch of {len(data)} elements is not valid; expected clips or (clips, condition)")
        return data, None

    def _generator_inputs(self, batch_size, condition):
        noise = self.sample_noise(batch_size)
        return noise if condition is None else [noise, condition]

    def _critic(self, discriminator, condition):
        if condition is None or len(discriminator.inputs) == 1:
            return discriminator
        return lambda videos, training=False: discriminator([videos, condition], training=training)

    def sample_noise(self, num_videos, seed=None):
        """Noise for `num_videos` videos; override for structured noise (content + motion codes)."""
        if seed is None:
            return tf.random.normal([num_videos, self.latent_dim])
        return latent_noise(num_videos, self.latent_dim, seed)

    # ---- using the trained model --------------------------------------------------------------------
    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def generator_for_sampling(self, use_ema=True):
        """The generator to sample with: the EMA copy when there is one and `use_ema`."""
        return self.ema_generator if use_ema and self.ema_generator is not None else self.generator

    def generate(self, num_videos, seed=None, use_ema=True, condition=None, batch_size=32):
        """`num_videos` videos as a uint8 NumPy array (N, T, H, W, C); the same seed gives the same videos."""
        num_videos = check_positive_int("num_videos", num_videos)
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % 2**31)
        noise = latent_noise(num_videos, self.latent_dim, int(seed))
        return self.generate_from_noise(noise, use_ema=use_ema, condition=condition, batch_size=batch_size)

    def generate_from_noise(self, noise, use_ema=True, condition=None, batch_size=32):
        """Videos for the given noise (N, latent_dim), as uint8 NumPy (N, T, H, W, C)."""
        noise = tf.convert_to_tensor(noise, tf.float32)
        if noise.shape.rank != 2 or noise.shape[-1] != self.latent_dim:
            raise ValueError(f"noise of shape {tuple(noise.shape)} is not valid; expected (N, {self.latent_dim})")
        generator = self.generator_for_sampling(use_ema)
        if condition is not None:
            condition = tf.convert_to_tensor(condition)
        chunks = []
        for start in range(0, int(noise.shape[0]), batch_size):
            inputs = noise[start:start + batch_size]
            if condition is not None:
                inputs = [inputs, condition[start:start + batch_size]]
            chunks.append(to_uint8(generator(inputs, training=False)).numpy())
        return np.concatenate(chunks, axis=0)

    # ---- serialization -------------------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(
            generator=keras.saving.serialize_keras_object(self.generator),
            discriminator=[keras.saving.serialize_keras_object(d) for d in self.discriminators],
            ema_decay=self.ema_decay,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        config["discriminator"] = [keras.saving.deserialize_keras_object(d) for d in config["discriminator"]]
        return cls(**config)
