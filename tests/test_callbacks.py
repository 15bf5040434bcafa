import glob
import io
import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_vgan import video_io
from helpers import eager_gan, endless_clips
from keras_vgan.callbacks import SampleGrid, TensorBoardSamples


def tiny_gan():
    return eager_gan(seed=0)  # the same initial weights every run


def gif_frame_count(data):
    return Image.open(io.BytesIO(data)).n_frames


def test_sample_grid_writes_png_gif_and_mp4_on_schedule(tmp_path):
    gan = tiny_gan()
    callback = SampleGrid(tmp_path, num_videos=3, every_n_epochs=2, seed=5, formats=("png", "gif", "mp4"))
    gan.fit(endless_clips(), epochs=3, steps_per_epoch=1, callbacks=[callback], verbose=0)
    # Epoch 2 by the schedule, epoch 3 as the last one; not epoch 1.
    assert sorted(os.listdir(tmp_path)) == [f"epoch_000{e}.{f}" for e in (2, 3) for f in ("gif", "mp4", "png")]
    videos = gan.generate(3, seed=5)
    assert all((videos[:, 1:] != videos[:, :-1]).any(axis=(2, 3, 4)).ravel())  # frames differ: none merged
    assert gif_frame_count((tmp_path / "epoch_0003.gif").read_bytes()) == 4
    image = video_io.grid_image(videos)
    written = np.asarray(Image.open(tmp_path / "epoch_0003.png").convert("L"))
    np.testing.assert_array_equal(written, image[..., 0])  # the fixed noise: generate(3, seed=5) exactly


def test_sample_grid_skips_a_failed_write_with_a_warning(tmp_path, monkeypatch):
    def fail(path, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(video_io, "write_samples", fail)
    gan = tiny_gan()
    with pytest.warns(RuntimeWarning, match="No space left"):
        history = gan.fit(endless_clips(), epochs=1, steps_per_epoch=1, verbose=0,
                          callbacks=[SampleGrid(tmp_path, num_videos=2, formats="gif")])
    assert len(history.epoch) == 1


@pytest.mark.parametrize("options", [dict(formats=("png", "avi")), dict(num_videos=0), dict(columns=0),
                                     dict(fps=-1)])
def test_sample_grid_rejects_bad_options(tmp_path, options):
    with pytest.raises(ValueError):
        SampleGrid(tmp_path, **options)


def test_tensorboard_samples_log_scalars_and_an_animated_gif_in_one_event_file(tmp_path):
    gan = tiny_gan()
    callback = TensorBoardSamples(str(tmp_path), num_videos=3, columns=3, seed=2, scale=2,
                                  update_freq="epoch", write_graph=False, profile_batch=0)
    gan.fit(endless_clips(), epochs=2, steps_per_epoch=1, callbacks=[callback], verbose=0)
    event_files = glob.glob(str(tmp_path / "train" / "events.out.tfevents.*"))
    assert len(event_files) == 1  # one writer: TensorBoard keeps polling it
    scalars, images = {}, {}
    for event in tf.compat.v1.train.summary_iterator(event_files[0]):
        for value in event.summary.value:
            if value.HasField("image"):
                images[event.step] = value.image
            elif value.metadata.plugin_data.plugin_name == "scalars":
                scalars.setdefault(value.tag, []).append(event.step)
    for name in ("epoch_d_loss", "epoch_g_loss", "epoch_real_score", "epoch_fake_score"):
        assert scalars[name] == [0, 1]
    assert sorted(images) == [0, 1]
    image = images[1]
    assert image.encoded_image_string[:6] == b"GIF89a"
    gif = Image.open(io.BytesIO(image.encoded_image_string))
    assert gif.n_frames == 4 and gif.info["loop"] == 0
    assert (image.width, image.height) == gif.size == (2 * (3 * 17 - 1), 2 * 16)
    assert image.colorspace == 1
    # What was logged is the fixed-noise sample, tiled and enlarged.
    expected = video_io.upscale(video_io.tile_videos(gan.generate(3, seed=2), columns=3), 2)
    gif.seek(0)
    np.testing.assert_array_equal(np.asarray(gif.convert("L")), expected[0, ..., 0])


def scalar_steps(log_dir):
    """{tag: [steps]} of every scalar in the event files under `log_dir`."""
    steps = {}
    for event_file in sorted(glob.glob(os.path.join(log_dir, "**", "events.out.tfevents.*"), recursive=True)):
        for event in tf.compat.v1.train.summary_iterator(event_file):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == "scalars":
                    steps.setdefault(value.tag, []).append(event.step)
    return steps


def image_steps(log_dir):
    return sorted(event.step for event_file in glob.glob(os.path.join(log_dir, "train", "events.out.tfevents.*"))
                  for event in tf.compat.v1.train.summary_iterator(event_file)
                  for value in event.summary.value if value.HasField("image"))


def test_tensorboard_samples_log_every_n_steps_writes_per_step_curves_that_continue_after_a_resume(tmp_path):
    gan = tiny_gan()
    options = dict(num_videos=2, log_every_n_steps=2, write_graph=False, profile_batch=0)
    gan.fit(endless_clips(), epochs=2, steps_per_epoch=3, verbose=0, callbacks=[TensorBoardSamples(str(tmp_path), **options)])
    # A second fit, as a resumed run makes: its steps go on from 7, not from 1 again.
    gan.fit(endless_clips(), epochs=3, initial_epoch=2, steps_per_epoch=3, verbose=0,
            callbacks=[TensorBoardSamples(str(tmp_path), **options)])
    steps = scalar_steps(str(tmp_path))
    for name in ("d_loss", "g_loss", "real_score", "fake_score"):
        assert steps[f"batch_{name}"] == [2, 4, 6, 8], name
        # Every epoch, although epochs end on steps 3 and 9, which are not multiples of 2.
        assert steps[f"epoch_{name}"] == [0, 1, 2], name
    assert image_steps(str(tmp_path)) == [0, 1, 2]


def test_tensorboard_samples_log_only_per_epoch_by_default(tmp_path):
    gan = tiny_gan()
    gan.fit(endless_clips(), epochs=1, steps_per_epoch=2, verbose=0,
            callbacks=[TensorBoardSamples(str(tmp_path), num_videos=2, write_graph=False, profile_batch=0)])
    assert not any(tag.startswith("batch_") for tag in scalar_steps(str(tmp_path)))


def test_tensorboard_samples_rejects_bad_options(tmp_path):
    with pytest.raises(ValueError, match="fps"):
        TensorBoardSamples(str(tmp_path), fps=100)
    with pytest.raises(ValueError, match="num_videos"):
        TensorBoardSamples(str(tmp_path), num_videos=0)
    with pytest.raises(ValueError, match="log_every_n_steps=0"):
        TensorBoardSamples(str(tmp_path), log_every_n_steps=0)
    with pytest.raises(ValueError, match="update_freq='batch' is not valid with log_every_n_steps=5"):
        TensorBoardSamples(str(tmp_path), log_every_n_steps=5, update_freq="batch")
