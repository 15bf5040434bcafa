"""The real clips, as the model sees them, written before the first step: what the samples should become."""

import os
import warnings

import keras
import numpy as np
import tensorflow as tf

from keras_vgan import video_io
from keras_vgan.callbacks.tensorboard_samples import animated_image_summary
from keras_vgan.datasets.checks import take_clips
from keras_vgan.pixels import as_uint8_array
from keras_vgan.validation import check_positive_int


class RealSamples(keras.callbacks.Callback):
    """Before training, write real clips from the training pipeline beside where the samples go.

    Writes `real.png` (a row per video, a column per time step) and
    `real.gif` (the videos tiled, playing) into `directory`, laid out as
    `SampleGrid` lays out the generated samples, and logs the GIF to
    TensorBoard as `tag` (`real_samples`) in `log_dir`, so real and generated
    clips can be compared side by side. The clips are the training data
    after the whole pipeline (decoding, resizing, augmentation), so a
    misread source shows here before any step is spent on it.

    Args:
        clips: the training dataset (batches, or `(batch, labels)` pairs,
            or single clips), or an array of clips (N, T, H, W, C) in [-1, 1]
            already taken from it. A dataset is read once, at `on_train_begin`.
        directory: where `real.png` / `real.gif` go (None: no files).
        log_dir: a TensorBoard log directory of its own (None: no logging);
            the training writer's directory would make TensorBoard stop
            following one of the two event files.
        num_videos: how many clips to show.
        formats: any of "png", "gif", "mp4", "webm".
        fps, columns: as `SampleGrid`'s.
        tag: the image's name in TensorBoard.

    Example:
    >>> batches = moving_digits(8, frames=8, height=32, width=32).batch(4)
    >>> callback = RealSamples(batches, "runs/demo/samples", "runs/demo/tensorboard/real", num_videos=4)
    >>> gan.fit(batches, epochs=10, callbacks=[callback])  # doctest: +SKIP
    """

    def __init__(self, clips, directory=None, log_dir=None, num_videos=8, formats=("png", "gif"), fps=8,
                 columns=None, tag="real_samples"):
        super().__init__()
        check_positive_int("num_videos", num_videos)
        check_positive_int("columns", columns, allow_none=True)
        if isinstance(formats, str):
            formats = (formats,)
        formats = tuple(str(f).lower().lstrip(".") for f in formats)
        known = video_io.IMAGE_FORMATS + video_io.ANIMATED_FORMATS
        if not formats or any(f not in known for f in formats):
            raise ValueError(f"formats={formats!r} is not valid; expected some of {list(known)}")
        if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps <= video_io.MAX_GIF_FPS:
            raise ValueError(f"fps={fps!r} is not valid; expected a number in (0, {video_io.MAX_GIF_FPS}]")
        self.clips = clips
        self.directory = None if directory is None else os.fspath(directory)
        self.log_dir = None if log_dir is None else os.fspath(log_dir)
        self.num_videos = num_videos
        self.formats = formats
        self.fps = float(fps)
        self.columns = columns
        self.tag = tag
        self.videos = None  # the uint8 clips shown, once taken
        self.written = False

    def real_videos(self):
        """The clips shown: uint8 (num_videos, T, H, W, C), taken from `clips` on the first call."""
        if self.videos is None:
            clips = self.clips
            if isinstance(clips, tf.data.Dataset):
                clips = take_clips(clips, self.num_videos)
            clips = np.asarray(clips)
            if clips.ndim == 4:
                clips = clips[None]
            self.videos = as_uint8_array(clips[:self.num_videos])
        return self.videos

    def sample_path(self, format="png"):
        """The file the real clips go to in `format`."""
        return os.path.join(self.directory, f"real.{format}")

    def write(self):
        """Write the files and the TensorBoard image; returns the paths written."""
        videos = self.real_videos()
        written = []
        if self.directory is not None:
            os.makedirs(self.directory, exist_ok=True)
            for format in self.formats:
                path = self.sample_path(format)
                try:
                    video_io.write_samples(path, videos, fps=self.fps, columns=self.columns)
                except (OSError, RuntimeError) as error:
                    # A preview that cannot be written must not stop training.
                    warnings.warn(f"RealSamples: could not write {path}: {error}", RuntimeWarning, stacklevel=2)
                    continue
                written.append(path)
        if self.log_dir is not None:
            tiled = video_io.tile_videos(videos, self.columns)
            _, height, width, channels = tiled.shape
            summary = animated_image_summary(self.tag, video_io.encode_gif(tiled, self.fps), height, width,
                                             channels)
            writer = tf.summary.create_file_writer(self.log_dir)
            try:
                with writer.as_default():
                    tf.summary.experimental.write_raw_pb(summary.SerializeToString(), step=0)
                writer.flush()
            finally:
                writer.close()
        return written

    def on_train_begin(self, logs=None):
        # Once per callback: a resumed run calls `fit` twice with the same callbacks.
        if not self.written:
            self.write()
            self.written = True
