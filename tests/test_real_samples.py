"""Real clips as the model sees them, written before the first step: `samples/real.*` and TensorBoard."""

import io
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_vgan import video_io
from keras_vgan.callbacks import RealSamples
from keras_vgan.cli import main
from keras_vgan.models import VideoGAN, build_video_discriminator, build_video_generator
from video_factory import write_video

TINY = ["--frames", "4", "--size", "16", "--generator-filters", "4", "--discriminator-filters", "4",
        "--latent-dim", "8", "--batch-size", "4", "--steps-per-epoch", "1", "--epochs", "1"]


def _tensorboard_images(log_dir, tag="real_samples"):
    """The encoded images logged under `tag` in the event files of `log_dir`."""
    images = []
    for name in sorted(os.listdir(log_dir)):
        for event in tf.compat.v1.train.summary_iterator(os.path.join(log_dir, name)):
            images += [value.image.encoded_image_string for value in event.summary.value if value.tag == tag]
    return images


def _gif_frames(data):
    gif = Image.open(io.BytesIO(data))
    frames = []
    for index in range(gif.n_frames):
        gif.seek(index)
        frames.append(np.asarray(gif.convert("L")))
    return np.stack(frames)


def _indexed_videos(count=6, frames=8, size=16):
    """uint8 (count, frames, size, size): every frame a flat 40 * video + 4 * frame, so a clip names its source."""
    values = 40 * np.arange(count)[:, None] + 4 * np.arange(frames)[None, :]
    return np.ascontiguousarray(np.broadcast_to(values[:, :, None, None], (count, frames, size, size))
                                .astype(np.uint8))


def test_callback_writes_exactly_the_clips_it_is_given(tmp_path):
    clips = np.random.default_rng(0).uniform(-1, 1, (6, 4, 8, 8, 1)).astype(np.float32)
    batches = tf.data.Dataset.from_tensor_slices(clips).batch(4)
    callback = RealSamples(batches, tmp_path / "samples", tmp_path / "tb", num_videos=5)
    keras.utils.set_random_seed(0)
    gan = VideoGAN(build_video_generator(4, 8, 8, 1, latent_dim=4, base_filters=4),
                   build_video_discriminator(4, 8, 8, 1, base_filters=4))
    gan.compile(run_eagerly=True)
    gan.fit(batches.repeat(), epochs=1, steps_per_epoch=1, callbacks=[callback], verbose=0, shuffle=False)
    expected = np.asarray(callback.real_videos())
    np.testing.assert_array_equal(expected, np.round((clips[:5] + 1) * 127.5).astype(np.uint8))
    png = np.asarray(Image.open(tmp_path / "samples" / "real.png").convert("L"))
    np.testing.assert_array_equal(png, video_io.grid_image(expected)[..., 0])  # SampleGrid's layout
    tiled = video_io.tile_videos(expected)[..., 0]
    gif = _gif_frames((tmp_path / "samples" / "real.gif").read_bytes())
    assert gif.shape == tiled.shape
    logged = _tensorboard_images(tmp_path / "tb")
    assert len(logged) == 1
    np.testing.assert_array_equal(_gif_frames(logged[0]), gif)


def test_callback_arguments_are_checked():
    with pytest.raises(ValueError, match="num_videos=0"):
        RealSamples(np.zeros((2, 4, 8, 8, 1)), num_videos=0)
    with pytest.raises(ValueError, match="formats="):
        RealSamples(np.zeros((2, 4, 8, 8, 1)), formats=("bmp",))


def test_train_writes_the_pipelines_clips_before_the_first_step(tmp_path):
    from keras_vgan.presets import TrainingConfig
    from keras_vgan.training import train

    videos = _indexed_videos()
    np.save(tmp_path / "indexed.npy", videos)
    run_dir = tmp_path / "run"
    seen = {}

    class BeforeFirstStep(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if not seen:
                seen["files"] = sorted(os.listdir(run_dir / "samples"))
                seen["logged"] = len(_tensorboard_images(run_dir / "tensorboard" / "real"))

    config = TrainingConfig(data=str(tmp_path / "indexed.npy"), frames=4, height=16, width=16, channels=1,
                            latent_dim=8, generator_filters=4, discriminator_filters=4, batch_size=4,
                            epochs=1, steps_per_epoch=1, num_samples=4, precision="float32", jit_compile="off")
    train(config, str(run_dir), verbose=0, extra_callbacks=[BeforeFirstStep()])
    assert seen == {"files": ["real.gif", "real.png"], "logged": 1}

    # Each row of real.png is a clip the pipeline makes: 4 consecutive frames of one source video.
    png = np.asarray(Image.open(run_dir / "samples" / "real.png").convert("L"))
    rows = [png[r * 17:r * 17 + 16] for r in range(4)]
    for row in rows:
        cells = [row[:, c * 17:c * 17 + 16] for c in range(4)]
        levels = [int(cell[0, 0]) for cell in cells]
        assert all((cell == level).all() for cell, level in zip(cells, levels))  # flat frames, not resampled
        video, first = divmod(levels[0], 40)
        assert video < 6 and levels == [40 * video + first + 4 * k for k in range(4)], levels
        assert first % 4 == 0 and first // 4 + 3 < 8


@pytest.mark.parametrize("source", ["builtin", "videos", "npy"])
def test_keras_vgan_train_writes_real_samples_for_each_kind_of_source(tmp_path, capsys, source):
    if source == "builtin":
        data = ["--num-videos", "8"]
    elif source == "videos":
        for name in "abcd":
            write_video(tmp_path / "videos" / f"{name}.avi", num_frames=8)
        data = ["--data", str(tmp_path / "videos"), "--channels", "3"]
    else:
        np.save(tmp_path / "clips.npy", _indexed_videos())
        data = ["--data", str(tmp_path / "clips.npy"), "--channels", "1"]
    assert main(["train", *data, *TINY, "--output", str(tmp_path), "--name", "run"]) == 0
    run = tmp_path / "run"
    assert (run / "samples" / "real.png").is_file() and (run / "samples" / "real.gif").is_file()
    assert len(_tensorboard_images(run / "tensorboard" / "real")) == 1
    out = capsys.readouterr().out
    kind = {"builtin": "built-in, procedural", "videos": "video files", "npy": "array in a .npy file"}[source]
    assert f"({kind}" in out and "clips per pass:" in out
