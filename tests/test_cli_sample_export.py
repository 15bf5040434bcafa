import os
import re
import subprocess

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_vgan import video_io
from keras_vgan.cli import main
from helpers import tiny_gan
from keras_vgan.cli.interpolate import spherical_interpolation
from keras_vgan.noise import latent_noise


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run directory with a model.keras, built under mixed_bfloat16 as `auto` picks on bf16 CPUs."""
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        gan = tiny_gan(ema_decay=0.9, seed=0)
        rng = np.random.default_rng(1)
        gan.ema_generator.set_weights([w + rng.normal(0, 0.5, w.shape).astype(w.dtype) if w.ndim > 1 else w
                                       for w in gan.ema_generator.get_weights()])
        gan.compile()
        directory = tmp_path_factory.mktemp("run")
        gan.save(str(directory / "model.keras"))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return directory


@pytest.fixture(scope="module")
def gan(run_dir):
    return keras.models.load_model(str(run_dir / "model.keras"))


def frame_count(path):
    result = subprocess.run([video_io.ffmpeg_executable(), "-hide_banner", "-nostdin", "-i", path, "-map", "0:v:0",
                             "-f", "null", "-"], capture_output=True, text=True)
    return int(re.findall(r"frame=\s*(\d+)", result.stderr)[-1]), result.stderr


def test_sample_png_is_the_grid_of_generate(run_dir, gan, tmp_path, capsys):
    out = str(tmp_path / "grid.png")
    assert main(["sample", str(run_dir), "--num", "3", "--seed", "5", "--out", out]) == 0
    image = cv2.imread(out, cv2.IMREAD_GRAYSCALE)
    np.testing.assert_array_equal(image, video_io.grid_image(gan.generate(3, seed=5))[..., 0])
    assert "wrote" in capsys.readouterr().out


def test_sample_gif_and_mp4_are_animated_grids(run_dir, tmp_path):
    gif = str(tmp_path / "samples.gif")
    assert main(["sample", str(run_dir / "model.keras"), "--num", "4", "--columns", "2", "--out", gif,
                 "--fps", "5"]) == 0
    image = Image.open(gif)
    assert image.n_frames == 4 and image.size == (33, 33) and image.info["duration"] == 200
    mp4 = str(tmp_path / "samples.bin")
    assert main(["sample", str(run_dir), "--num", "4", "--format", "mp4", "--out", mp4, "--scale", "2"]) == 0
    frames, report = frame_count(mp4)
    assert frames == 4 and "h264" in report and "yuv420p" in report and "66x66" in report


def test_interpolate_walks_from_seed_a_to_seed_b(run_dir, gan, tmp_path):
    out = str(tmp_path / "walk.gif")
    assert main(["interpolate", str(run_dir), "--seeds", "3", "9", "--steps", "5", "--out", out]) == 0
    image = Image.open(out)
    assert image.n_frames == 4 and image.size == (5 * 17 - 1, 16)
    first = np.asarray(image.convert("L"))
    np.testing.assert_array_equal(first[:, :16], gan.generate(1, seed=3)[0, 0, ..., 0])
    np.testing.assert_array_equal(first[:, -16:], gan.generate(1, seed=9)[0, 0, ..., 0])
    # A point inside the walk: the video of its spherically interpolated noise, generated on its own.
    a, b = (gan.sample_noise(1, seed)["noise"].numpy()[0] for seed in (3, 9))
    middle = gan.generate_from_noise(spherical_interpolation(a, b, 5)[2:3])
    np.testing.assert_array_equal(first[:, 2 * 17:2 * 17 + 16], middle[0, 0, ..., 0])
    assert not np.array_equal(middle, gan.generate(1, seed=3))


def test_spherical_interpolation_keeps_the_norm():
    a, b = latent_noise(1, 64, seed=0).numpy()[0], latent_noise(1, 64, seed=1).numpy()[0]
    points = spherical_interpolation(a, b, 7)
    np.testing.assert_array_equal(points[0], a)
    np.testing.assert_array_equal(points[-1], b)
    norms = np.linalg.norm(points, axis=1)
    low, high = sorted([np.linalg.norm(a), np.linalg.norm(b)])
    assert np.all(norms >= low - 1e-3) and np.all(norms <= high + 1e-3)  # a straight line would dip
    assert np.linalg.norm((a + b) / 2) < low - 1


def test_export_cli_serves_what_sample_writes(run_dir, gan, tmp_path, capsys):
    out = str(tmp_path / "exported")
    assert main(["export", str(run_dir), out]) == 0
    assert "sample(num_videos int32, seed int32)" in capsys.readouterr().out
    served = tf.saved_model.load(out).signatures["sample"](num_videos=tf.constant(3), seed=tf.constant(11))
    np.testing.assert_array_equal(served["videos"].numpy(), gan.generate(3, seed=11))


def one_error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize("arguments, message", [
    (["sample", "{empty}", "--out", "{tmp}/out.gif"], "holds no model.keras"),
    (["sample", "{tmp}/missing.keras", "--out", "{tmp}/out.gif"], "does not exist"),
    (["sample", "{run}", "--out", "{tmp}/no_dir/out.gif"], "does not exist"),
    (["sample", "{run}", "--out", "{tmp}/out.avi"], "'avi'"),
    (["sample", "{run}", "--out", "{tmp}/out.gif", "--format", "mp4"], "does not match"),
    (["sample", "{run}", "--out", "{tmp}/out.gif", "--fps", "60"], "too high for a GIF"),
    (["sample", "{run}", "--out", "{tmp}/out.gif", "--format", "avi"], "invalid choice"),
    (["interpolate", "{run}", "--seeds", "1", "2", "--steps", "1", "--out", "{tmp}/out.gif"], "at least 2"),
    (["export", "{tmp}/no_such_run", "{tmp}/exported"], "does not exist"),
    (["export", "{run}", "{tmp}/no_dir/exported"], "does not exist"),
])
def test_bad_input_is_one_line_exit_2_and_leaves_no_output(run_dir, tmp_path, capsys, arguments, message):
    (tmp_path / "empty").mkdir()
    arguments = [a.format(tmp=tmp_path, run=run_dir, empty=tmp_path / "empty") for a in arguments]
    assert main(arguments) == 2
    line = one_error_line(capsys)
    assert message in line and "keras-vgan" in line
    assert os.listdir(tmp_path) == ["empty"] and os.listdir(tmp_path / "empty") == []
