"""Score a `VideoGAN` with FVD and KVD while it trains."""

import logging

import keras
import tensorflow as tf

from keras_vgan.callbacks.samples import generated_samples
from keras_vgan.callbacks.schedule import EpochSchedule
from keras_vgan.metrics.distances import frechet_distance, kernel_distance
from keras_vgan.metrics.features import VideoSet, extract_features
from keras_vgan.validation import check_int

logger = logging.getLogger(__name__)


class FVDCallback(keras.callbacks.Callback):
    """Every `every_n_epochs` epochs and after the last, FVD and KVD of `num_videos` generated vs real clips.

    The values go into the epoch's `logs` as `fvd` and `kvd`, so they appear in
    the `History` (only for the epochs where they were computed, like Keras'
    `validation_freq`) and in later callbacks such as `CSVLogger`; with
    `log_dir` they are also written as TensorBoard scalars (step = epoch).

    The real clips' I3D features are computed once, at the first evaluation.
    The generated videos always come from the same `seed`, so changes between
    evaluations reflect the model, not the noise draw. The model must provide
    `generate(num_videos, seed=...)` (as `VideoGAN` does).

    Args:
        real_clips: array (N, T, H, W, C), uint8 or float in [-1, 1], or a
            `tf.data.Dataset` of clips / `(clip, label)` pairs, batched or not.
        num_videos: videos per side; the first `num_videos` real clips are used.
            FVD depends on N: compare only runs with the same value.
        every_n_epochs: evaluate after epochs N, 2N, ... (1-based) and after the last
            epoch, so that a run always ends with the scores of its final model.
        seed: seed of the generated videos.
        log_dir: optional TensorBoard log directory.
        batch_size: I3D batch size.
        use_ema: sample from the EMA generator when the model has one.
        weights: I3D weights (see `keras_vgan.metrics.load_i3d`).
        verbose: 1 prints the scores after each evaluation.

    Example:
    >>> callback = FVDCallback(real_clips, num_videos=256, every_n_epochs=5, log_dir="runs/tb")  # doctest: +SKIP
    >>> gan.fit(dataset, epochs=50, callbacks=[callback])  # doctest: +SKIP
    """

    def __init__(self, real_clips, num_videos=256, every_n_epochs=1, seed=0, log_dir=None,
                 batch_size=8, use_ema=True, weights=None, verbose=0):
        super().__init__()
        num_videos = check_int("num_videos", num_videos, minimum=2)
        every_n_epochs = check_int("every_n_epochs", every_n_epochs, minimum=1)
        batch_size = check_int("batch_size", batch_size, minimum=1)
        # Validate shapes and counts now, so a bad argument fails before training starts.
        self._real = VideoSet("real_clips", real_clips, num_videos)
        if self._real.count is not None and self._real.count < num_videos:
            raise ValueError(f"real_clips holds {self._real.count} clips but num_videos={num_videos}")
        self.num_videos = num_videos
        self.schedule = EpochSchedule(every_n_epochs)
        self.every_n_epochs = self.schedule.every_n_epochs
        self.seed = int(seed)
        self.log_dir = log_dir
        self.batch_size = batch_size
        self.use_ema = use_ema
        self.weights = weights
        self.verbose = verbose
        self.history = []  # (epoch, fvd, kvd) for every evaluation, epochs 0-based as in `logs`.
        self._real_features = None
        self._writer = None

    def _i3d_options(self):
        return dict(batch_size=self.batch_size, model=None, weights=self.weights, verbose=0)

    def real_features(self):
        """I3D features of the real clips, computed on first use and then reused."""
        if self._real_features is None:
            features, shape = extract_features(self._real, **self._i3d_options())
            if features.shape[0] < self.num_videos:
                raise ValueError(f"real_clips gave {features.shape[0]} clips but num_videos={self.num_videos}")
            self._real_features, self._real_shape = features, shape
        return self._real_features

    def evaluate(self):
        """FVD and KVD of the current model now: `{"fvd": float, "kvd": float}`."""
        real = self.real_features()
        # A class-conditional model's videos cycle through its classes, as in the sample grids.
        generated = generated_samples(self.model, self.num_videos, self.seed, self.use_ema)
        if tuple(generated.shape[1:]) != tuple(self._real_shape):
            raise ValueError(f"generated clips have shape {tuple(generated.shape[1:])} but real clips "
                             f"{tuple(self._real_shape)}; FVD needs the same (T, H, W, C)")
        fake = extract_features(VideoSet("generated", generated), **self._i3d_options())[0]
        return {"fvd": frechet_distance(real, fake), "kvd": kernel_distance(real, fake)}

    def on_train_begin(self, logs=None):
        if not callable(getattr(self.model, "generate", None)):
            raise ValueError("FVDCallback needs a model with generate(num_videos, seed=...), such as "
                             f"keras_vgan.VideoGAN; got {type(self.model).__name__}")

    def on_epoch_end(self, epoch, logs=None):
        if not self.schedule.due(epoch, (self.params or {}).get("epochs")):
            return
        scores = self.evaluate()
        if logs is not None:
            logs.update(scores)
        self.history.append((epoch, scores["fvd"], scores["kvd"]))
        if self.verbose:
            print(f"epoch {epoch + 1}: FVD {scores['fvd']:.2f}, KVD {scores['kvd']:.4f} "
                  f"({self.num_videos} videos)")
        if self.log_dir is not None:
            if self._writer is None:
                self._writer = tf.summary.create_file_writer(self.log_dir)
            with self._writer.as_default():
                for name, value in scores.items():
                    tf.summary.scalar(name, value, step=epoch)
            self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
