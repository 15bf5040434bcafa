import keras
import numpy as np

from helpers import LATENT_DIM, endless_clips, tiny_gan
from keras_vgan.noise import latent_noise
from keras_vgan.pixels import to_uint8

DECAY = 0.9


def fast_moving_gan():
    # A large learning rate so that one step moves the weights far more than float rounding.
    # Eager steps: quicker than tracing for three steps, and the same train_step code.
    return tiny_gan(ema_decay=DECAY, compile_options=dict(
        g_optimizer=keras.optimizers.Adam(0.05), d_optimizer=keras.optimizers.Adam(0.05), run_eagerly=True))


class WeightLog(keras.callbacks.Callback):
    """Raw and EMA generator weights before training and after every step."""

    def __init__(self):
        super().__init__()
        self.raw, self.ema, self.raw_stats, self.ema_stats = [], [], [], []

    def _record(self):
        self.raw.append([v.numpy().copy() for v in self.model.generator.trainable_variables])
        self.ema.append([v.numpy().copy() for v in self.model.ema_generator.trainable_variables])
        self.raw_stats.append([v.numpy().copy() for v in self.model.generator.non_trainable_variables])
        self.ema_stats.append([v.numpy().copy() for v in self.model.ema_generator.non_trainable_variables])

    def on_train_begin(self, logs=None):
        self._record()

    def on_train_batch_end(self, batch, logs=None):
        self._record()


def test_ema_follows_the_decay_formula_step_by_step():
    gan = fast_moving_gan()
    log = WeightLog()
    gan.fit(endless_clips(), epochs=1, steps_per_epoch=3,
            callbacks=[log], verbose=0, shuffle=False)
    assert len(log.raw) == 4
    for before, after in zip(log.raw[0], log.ema[0]):
        np.testing.assert_array_equal(before, after)  # the average starts at the initial weights
    for step in range(1, 4):
        for previous_average, weight, average in zip(log.ema[step - 1], log.raw[step], log.ema[step]):
            np.testing.assert_allclose(average, DECAY * previous_average + (1 - DECAY) * weight,
                                       rtol=1e-5, atol=1e-7)
        # Batch-norm statistics are copied, not averaged.
        for statistic, copy in zip(log.raw_stats[step], log.ema_stats[step]):
            np.testing.assert_array_equal(statistic, copy)
    moved = [np.abs(a - w).max() for a, w in zip(log.ema[3], log.raw[3])]
    assert max(moved) > 1e-3  # the average lags the raw weights: they differ


def test_sampling_uses_the_ema_weights_and_they_survive_saving(tmp_path):
    gan = fast_moving_gan()
    gan.fit(endless_clips(), epochs=1, steps_per_epoch=2, verbose=0, shuffle=False)
    noise = latent_noise(3, LATENT_DIM, seed=4)
    ema_videos = gan.generate(3, seed=4)
    np.testing.assert_array_equal(ema_videos, to_uint8(gan.ema_generator(noise, training=False)).numpy())
    assert not np.array_equal(ema_videos, gan.generate(3, seed=4, use_ema=False))
    path = str(tmp_path / "model.keras")
    gan.save(path)
    loaded = keras.models.load_model(path)
    for saved, restored in zip(gan.ema_generator.weights, loaded.ema_generator.weights):
        np.testing.assert_array_equal(saved.numpy(), restored.numpy())
    np.testing.assert_array_equal(loaded.generate(3, seed=4), ema_videos)
