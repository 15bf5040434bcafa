"""Sample videos from fixed noise while training."""

import os
import warnings

import keras
import numpy as np
import tensorflow as tf

from keras_vgan import video_io
from keras_vgan.callbacks.schedule import EpochSchedule
from keras_vgan.validation import check_positive_int, check_positive_ints


def videos_per_class(model, num_videos):
    """How many videos of each class the default sampler shows: None for an unconditional model.

    At least `num_videos` videos in all, the same count for every class, so
    each class fills one row of the grid.

    Example:
    >>> class Model: num_classes = 3
    >>> videos_per_class(Model(), 8), videos_per_class(Model(), 2)
    (3, 1)
    """
    num_classes = getattr(model, "num_classes", None)
    return -(-num_videos // num_classes) if num_classes else None


def generated_samples(model, num_videos, seed, use_ema):
    """The default sampler of `SampleGrid` and `TensorBoardSamples`: `model.generate` from fixed noise.

    For a class-conditional model (`num_classes` K) the videos are ordered
    class-major, `videos_per_class(model, num_videos)` of class 0, then of
    class 1, ...: with that many columns (`sample_columns`) every row of the
    grid is one class. Every class gets the same noise (the seed's first
    videos), so a column shows one latent point rendered as each class.
    """
    per_class = videos_per_class(model, num_videos)
    if per_class:
        noise = model.sample_noise(per_class, seed)
        # Tiled class-major: video k * per_class + j is class k with the noise of video j.
        tiled = {name: tf.tile(value, [model.num_classes] + [1] * (len(value.shape) - 1))
                 for name, value in noise.items()}
        labels = np.repeat(np.arange(model.num_classes, dtype=np.int32), per_class)
        return model.generate_from_noise(tiled, use_ema=use_ema, labels=labels)
    return model.generate(num_videos, seed=seed, use_ema=use_ema)


def sample_columns(model, num_videos, columns, sampler):
    """The grid's videos per row: `columns` if given, else one row per class for the default sampler
    on a class-conditional model, else None (about square)."""
    if columns is None and sampler is generated_samples:
        return videos_per_class(model, num_videos)
    return columns


class SampleGrid(keras.callbacks.Callback):
    """Every `every_n_epochs` epochs (and after the last), write samples from fixed noise.

    For each format in `formats` it writes `epoch_NNNN.<format>` into
    `directory`:
        png   a still grid, a row per video and a column per time step, so
              motion reads left to right;
        gif, mp4, webm   the videos tiled `columns` wide, playing together.

    The noise is a pure function of `seed` (`keras_vgan.noise.latent_noise`),
    so the same cells show the same latent points across epochs, and across
    an interrupted and resumed run: nothing about it needs checkpointing.

    A sample that cannot be encoded or written (full disk, an ffmpeg
    failure) is reported with a warning and skipped: it never stops training.

    Args:
        directory: where the files go (created if missing).
        num_videos: videos per sample.
        every_n_epochs: write after epochs N, 2N, ... (1-based) and after the last epoch.
        seed: seed of the fixed noise.
        use_ema: sample from the EMA generator when the model has one.
        formats: any of "png", "gif", "mp4", "webm".
        fps: frames per second of the animated formats.
        columns: videos per row of the animated grids (default: about square;
            for a class-conditional model and the default sampler, one row
            per class: see `generated_samples`).
        scale: integer nearest-neighbour upscaling of every file.
        sampler: what to show instead of `model.generate(num_videos, seed=seed,
            use_ema=use_ema)`: a callable with those arguments (model first)
            returning uint8 videos, e.g. `keras_vgan.models.translation.showcase_sampler`
            for a translation model's condition | output | target.

    Example:
    >>> gan.fit(clips, epochs=10, callbacks=[SampleGrid("runs/demo/samples", num_videos=8)])  # doctest: +SKIP
    """

    def __init__(self, directory, num_videos=8, every_n_epochs=1, seed=1234, use_ema=True,
                 formats=("png", "gif", "mp4"), fps=8, columns=None, scale=1, sampler=None):
        super().__init__()
        check_positive_ints(num_videos=num_videos, every_n_epochs=every_n_epochs, scale=scale)
        check_positive_int("columns", columns, allow_none=True)
        if isinstance(formats, str):
            formats = (formats,)
        formats = tuple(str(f).lower().lstrip(".") for f in formats)
        known = video_io.IMAGE_FORMATS + video_io.ANIMATED_FORMATS
        unknown = [f for f in formats if f not in known]
        if unknown or not formats:
            raise ValueError(f"formats={formats!r} is not valid; expected some of {list(known)}")
        self.directory = os.fspath(directory)
        self.num_videos = num_videos
        self.schedule = EpochSchedule(every_n_epochs)
        self.every_n_epochs = self.schedule.every_n_epochs
        self.seed = seed
        self.use_ema = use_ema
        self.formats = formats
        self.fps = video_io.check_fps(fps)
        self.columns = columns
        self.scale = scale
        self.sampler = sampler or generated_samples

    def sample_path(self, epoch, format="png"):
        """The file written after (1-based) epoch `epoch` in `format`."""
        return os.path.join(self.directory, f"epoch_{epoch:04d}.{format}")

    def write_samples(self, epoch):
        """Generate from the fixed noise and write every format; returns the paths written."""
        os.makedirs(self.directory, exist_ok=True)
        videos = self.sampler(self.model, self.num_videos, seed=self.seed, use_ema=self.use_ema)
        written = []
        for format in self.formats:
            path = self.sample_path(epoch, format)
            try:
                video_io.write_samples(path, videos, fps=self.fps, scale=self.scale,
                                       columns=sample_columns(self.model, self.num_videos, self.columns, self.sampler))
            except (OSError, RuntimeError) as error:
                warnings.warn(f"SampleGrid: could not write {path}: {error}", RuntimeWarning, stacklevel=2)
                continue
            written.append(path)
        return written

    def on_epoch_end(self, epoch, logs=None):
        if self.schedule.due(epoch, (self.params or {}).get("epochs")):
            self.write_samples(epoch + 1)
