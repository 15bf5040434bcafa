"""Sample videos from fixed noise while training."""

import os

import keras

from keras_vgan import video_io


class SampleGrid(keras.callbacks.Callback):
    """Every `every_n_epochs` epochs, write a PNG grid of videos from fixed noise.

    Rows are samples and columns time steps, so motion reads left to right.
    The noise comes from `seed`, so the same rows show the same latent points
    across epochs, and across an interrupted and resumed run.

    Example:
    >>> gan.fit(clips, epochs=10, callbacks=[SampleGrid("runs/demo/samples", num_videos=8)])
    """

    def __init__(self, directory, num_videos=8, every_n_epochs=1, seed=1234, use_ema=True):
        super().__init__()
        if num_videos < 1 or every_n_epochs < 1:
            raise ValueError(
                f"num_videos={num_videos!r}, every_n_epochs={every_n_epochs!r} are not valid; expected positive integers"
            )
        self.directory = os.fspath(directory)
        self.num_videos = num_videos
        self.every_n_epochs = every_n_epochs
        self.seed = seed
        self.use_ema = use_ema

    def sample_path(self, epoch):
        return os.path.join(self.directory, f"epoch_{epoch:04d}.png")

    def on_epoch_end(self, epoch, logs=None):
        epoch_number = epoch + 1
        if epoch_number % self.every_n_epochs and epoch_number != self.params.get("epochs"):
            return
        os.makedirs(self.directory, exist_ok=True)
        videos = self.model.generate(self.num_videos, seed=self.seed, use_ema=self.use_ema)
        video_io.write_grid(self.sample_path(epoch_number), videos)
