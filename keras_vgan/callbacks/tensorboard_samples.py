"""TensorBoard logging with animated video samples beside the loss curves."""

import keras
import tensorflow as tf

from keras_vgan import video_io
from keras_vgan.callbacks.samples import generated_samples, sample_columns
from keras_vgan.callbacks.schedule import EpochSchedule
from keras_vgan.validation import check_positive_int, check_positive_ints


def animated_image_summary(tag, gif_bytes, height, width, channels):
    """A `tf.compat.v1.Summary` holding one image whose encoded bytes are an animated GIF.

    TensorBoard's Images tab hands the stored bytes to the browser as they
    are, and browsers play GIFs, so the sample moves. (`tf.summary.image`
    would PNG-encode a still image instead.)

    Example:
    >>> video = np.zeros((4, 16, 16, 1), np.uint8)         # (T, H, W, C)
    >>> gif = video_io.encode_gif(video)
    >>> summary = animated_image_summary("samples", gif, *video.shape[1:])
    >>> tf.summary.experimental.write_raw_pb(summary.SerializeToString(), step=0)  # doctest: +SKIP
    """
    image = tf.compat.v1.Summary.Image(height=int(height), width=int(width), colorspace=int(channels),
                                       encoded_image_string=bytes(gif_bytes))
    return tf.compat.v1.Summary(value=[tf.compat.v1.Summary.Value(tag=tag, image=image)])


class TensorBoardSamples(keras.callbacks.TensorBoard):
    """`keras.callbacks.TensorBoard` that also logs an animated GIF of samples from fixed noise.

    Use it instead of (not beside) `keras.callbacks.TensorBoard`: it writes the
    loss scalars exactly as that callback does, and the samples into the same
    event file under `log_dir/train`, at step = epoch (0-based, like the
    `epoch_*` scalars). One writer per run directory matters: TensorBoard only
    keeps polling the newest event file of a directory, so a second writer's
    file would stop updating in the browser.

    The samples (`num_videos` videos tiled `columns` wide) come from noise that
    is a pure function of `seed`, so each epoch shows the same latent points.

    With `log_every_n_steps=N` the training scalars are also written every N
    steps, as `batch_d_loss`, `batch_g_loss`, ... curves. That is Keras'
    `update_freq=N`, so each point is what the progress bar shows at that
    step: the mean over the epoch so far. Keras numbers the steps from 1 in
    every `fit` call; here they continue from the steps a `VideoGAN` has
    already taken (its generator optimizer's iteration count, which a restored
    checkpoint brings back), so a resumed run's curves carry on instead of
    starting over on top of the old ones. (Under float16, steps skipped for
    overflowing gradients are not counted.)

    Args:
        log_dir: the TensorBoard log directory (`tensorboard --logdir` its parent).
        num_videos, seed, use_ema: what to sample (see `VideoGAN.generate`).
        every_n_epochs: log samples after epochs N, 2N, ... (1-based) and after the last.
        log_every_n_steps: also write the training scalars every N steps (default: only per epoch).
        fps: playback speed of the GIF (at most 50).
        columns: videos per row (default: about square; one row per class for a
            class-conditional model and the default sampler, as in `SampleGrid`).
        scale: integer nearest-neighbour upscaling; small samples are easier to see larger.
        tag: the image's name in TensorBoard.
        sampler: what to show instead of `model.generate` (see `SampleGrid`).
        **tensorboard_options: passed to `keras.callbacks.TensorBoard`
            (`update_freq`, `write_graph`, `histogram_freq`, ...).

    Example:
    >>> callback = TensorBoardSamples("runs/demo/tensorboard", num_videos=8, scale=2, log_every_n_steps=10)
    >>> gan.fit(clips, epochs=10, callbacks=[callback])  # doctest: +SKIP
    """

    def __init__(self, log_dir="logs", num_videos=4, every_n_epochs=1, seed=1234, use_ema=True, fps=8,
                 columns=None, scale=1, tag="samples", log_every_n_steps=None, sampler=None, **tensorboard_options):
        check_positive_int("log_every_n_steps", log_every_n_steps, allow_none=True)
        if log_every_n_steps is not None:
            if tensorboard_options.get("update_freq", "epoch") != "epoch":
                raise ValueError(f"update_freq={tensorboard_options['update_freq']!r} is not valid with "
                                 f"log_every_n_steps={log_every_n_steps}; expected one of them")
            tensorboard_options["update_freq"] = log_every_n_steps
        super().__init__(log_dir=log_dir, **tensorboard_options)
        self.log_every_n_steps = log_every_n_steps
        check_positive_ints(num_videos=num_videos, every_n_epochs=every_n_epochs, scale=scale)
        check_positive_int("columns", columns, allow_none=True)
        fps = video_io.check_fps(fps)
        if fps > video_io.MAX_GIF_FPS:
            raise ValueError(f"fps={fps:g} is too high for a GIF; expected at most {video_io.MAX_GIF_FPS}")
        self.num_videos = num_videos
        self.schedule = EpochSchedule(every_n_epochs)
        self.every_n_epochs = self.schedule.every_n_epochs
        self.seed = seed
        self.use_ema = use_ema
        self.fps = fps
        self.columns = columns
        self.scale = scale
        self.tag = tag
        self.sampler = sampler or generated_samples

    def sample_gif(self):
        """The current samples as (GIF bytes, tiled video (T, H, W, C) uint8)."""
        videos = self.sampler(self.model, self.num_videos, seed=self.seed, use_ema=self.use_ema)
        tiled = video_io.upscale(video_io.tile_videos(
            videos, sample_columns(self.model, self.num_videos, self.columns, self.sampler)), self.scale)
        return video_io.encode_gif(tiled, self.fps), tiled

    def write_samples(self, step):
        """Log the current samples at `step`."""
        gif, tiled = self.sample_gif()
        _, height, width, channels = tiled.shape
        summary = animated_image_summary(self.tag, gif, height, width, channels)
        # The parent's train writer: the same event file as the epoch_* scalars.
        writer = self._train_writer
        with writer.as_default():
            tf.summary.experimental.write_raw_pb(summary.SerializeToString(), step=step)
        writer.flush()

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        optimizer = getattr(self.model, "g_optimizer", None)
        if optimizer is not None and optimizer.built:
            # Keras' own step counter, which it resets to 0 here and advances before each step.
            self._global_train_batch = int(optimizer.iterations.numpy())

    def on_epoch_end(self, epoch, logs=None):
        # With update_freq=N, Keras leaves its "record only every N steps" condition active
        # until the next step, so epoch-end summaries would be dropped whenever the epoch's
        # last step is not a multiple of N (tensorflow/tensorflow#49109).
        with tf.summary.record_if(True):
            super().on_epoch_end(epoch, logs)
            if self.schedule.due(epoch, (self.params or {}).get("epochs")):
                self.write_samples(epoch)
