"""`keras-vgan predict`: real videos in, the input beside the prediction out; bad input is one line and no file."""

import os
import subprocess
import sys

import cv2
import keras
import numpy as np
import pytest

import video_factory
from helpers import tiny_gan
from keras_vgan.cli import main
from keras_vgan.datasets.first_frames import read_first_frames
from keras_vgan.models.predictors import build_convlstm_predictor
from keras_vgan.models.translation import TranslationGAN

CONTEXT, FUTURE, SIZE = 4, 3, 16
PANELS_WIDTH = 2 * SIZE + 2  # two panels and the separator


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    """(a stochastic tiny predictor whose frames span the pixel range, its run directory)."""
    keras.mixed_precision.set_global_policy("float32")
    keras.utils.set_random_seed(0)
    model = TranslationGAN(build_convlstm_predictor(CONTEXT, FUTURE, SIZE, SIZE, 1, filters=4, noise_dim=4),
                           ema_decay=0.9)
    rng = np.random.default_rng(0)
    model.ema_generator.set_weights([w + rng.normal(0, 0.5, w.shape).astype(w.dtype) if w.ndim > 1 else w
                                     for w in model.ema_generator.get_weights()])
    run = tmp_path_factory.mktemp("run")
    model.save(str(run / "model.keras"))
    return model, str(run)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    made = {
        "h264": video_factory.write_h264(folder / "walk.mp4", num_frames=12, width=48, height=32),
        "mpeg4": video_factory.write_video(folder / "walk_mpeg4.mp4", num_frames=13, width=48, height=32),
        "short": video_factory.write_h264(folder / "short.mp4", num_frames=3),
        "six": video_factory.write_h264(folder / "six.mp4", num_frames=6),
        "frames": video_factory.write_frame_folder(str(folder / "frames"), num_frames=CONTEXT + 1, width=SIZE,
                                                   height=SIZE),
        "vgan_run": str(folder / "vgan.keras"),
        "not_video": str(folder / "notes.mp4"),
    }
    tiny_gan(seed=0).save(made["vgan_run"])
    with open(made["not_video"], "w") as file:
        file.write("not a video\n")
    return {name: os.fspath(path) for name, path in made.items()}


def png_cells(path, frames):
    """The (frames, SIZE, PANELS_WIDTH) cells of a .png output's one row (1-pixel gaps between them)."""
    image = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    assert image.shape == (SIZE, frames * (PANELS_WIDTH + 1) - 1), image.shape
    return np.stack([image[:, t * (PANELS_WIDTH + 1):t * (PANELS_WIDTH + 1) + PANELS_WIDTH] for t in range(frames)])


def test_h264_input_gives_side_by_side_video(predictor, inputs, tmp_path):
    out = str(tmp_path / "predicted.mp4")
    # The command itself, in a fresh process: loading must register the predictors' layers on its own.
    result = subprocess.run([sys.executable, "-m", "keras_vgan.cli", "predict", predictor[1], inputs["h264"],
                             "--out", out, "--seed", "1"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines()[0] == ("keras-vgan predict: resized 48x32 RGB to 16x16 grayscale "
                                             "(aspect kept, centre crop, as in training)"), result.stdout
    assert f"wrote {out}" in result.stdout
    capture = cv2.VideoCapture(out)
    frames = 0
    while capture.grab():
        frames += 1
    assert frames == CONTEXT + FUTURE
    assert (capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (PANELS_WIDTH, SIZE)
    capture.release()
    assert os.listdir(tmp_path) == ["predicted.mp4"]


def test_png_shows_input_and_translate_output_with_frame_step(predictor, inputs, tmp_path):
    model, run = predictor
    out = str(tmp_path / "predicted.png")
    assert main(["predict", run, inputs["mpeg4"], "--out", out, "--seed", "5", "--frame-step", "2"]) == 0
    cells = png_cells(out, CONTEXT + FUTURE)
    left, separator, right = cells[..., :SIZE], cells[..., SIZE:SIZE + 2], cells[..., SIZE + 2:]
    first = read_first_frames(inputs["mpeg4"], CONTEXT + FUTURE, SIZE, SIZE, 1, frame_step=2)
    np.testing.assert_array_equal(left, first.clip[..., 0])
    assert video_factory.frame_indices_of(first.clip.astype(np.float32) / 127.5 - 1) == [0, 2, 4, 6, 8, 10, 12]
    assert (separator == 255).all()
    np.testing.assert_array_equal(right[:CONTEXT], first.clip[:CONTEXT, ..., 0])
    expected = model.translate(first.clip[None, :CONTEXT], seed=5)[0, ..., 0]
    np.testing.assert_array_equal(right[CONTEXT:], expected)
    assert not np.array_equal(expected, model.translate(first.clip[None, :CONTEXT], seed=6)[0, ..., 0])


def test_frame_folder_shorter_than_the_future_is_black_after_its_end(predictor, inputs, tmp_path, capsys):
    out = str(tmp_path / "predicted.png")
    assert main(["predict", predictor[1], inputs["frames"], "--out", out]) == 0
    printed = capsys.readouterr().out
    assert "converted 16x16 RGB to 16x16 grayscale" in printed and "the input ends after 1 of them" in printed
    left = png_cells(out, CONTEXT + FUTURE)[..., :SIZE]
    levels = [video_factory.level_to_index(level) for level in left[:CONTEXT + 1].mean(axis=(1, 2))]
    assert levels == [0, 1, 2, 3, 4]
    assert (left[CONTEXT + 1:] == 0).all()


def test_help_gives_the_usage(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["predict", "--help"])
    assert exit.value.code == 0
    usage = capsys.readouterr().out
    assert "RUN INPUT" in usage and "--frame-step" in usage and "--seed" in usage


BAD_INPUTS = [
    (["{run}", "{short}", "--out", "{tmp}/out.mp4"], "has 3 frames; the model needs 4 context frames"),
    (["{run}", "{six}", "--out", "{tmp}/out.mp4", "--frame-step", "2"],
     "has 6 frames; the model needs 4 context frames, which at --frame-step 2 span 7 input frames"),
    (["{run}", "{not_video}", "--out", "{tmp}/out.mp4"], "is not a readable video"),
    (["{run}", "{tmp}/missing.mp4", "--out", "{tmp}/out.mp4"], "does not exist"),
    (["{run}", "{h264}", "--out", "{tmp}/out.avi"], "cannot tell the format"),
    (["{run}", "{h264}", "--out", "{tmp}/no_such_dir/out.mp4"], "does not exist"),
    (["{vgan_run}", "{h264}", "--out", "{tmp}/out.mp4"], "is not a frame predictor"),
]


@pytest.mark.parametrize("arguments, message", BAD_INPUTS, ids=lambda value: value if isinstance(value, str) else None)
def test_bad_input_is_one_line_exit_2_and_no_file(predictor, inputs, tmp_path, capsys, arguments, message):
    arguments = [a.format(run=predictor[1], tmp=tmp_path, **inputs) for a in arguments]
    assert main(["predict", *arguments]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("keras-vgan predict: error: ") and message in error[0], error
    assert os.listdir(tmp_path) == []


def test_a_model_that_echoes_its_context_shows_the_future_once(inputs, tmp_path):
    keras.utils.set_random_seed(0)
    model = TranslationGAN(build_convlstm_predictor(CONTEXT, FUTURE, SIZE, SIZE, 1, filters=4, echo_context=True))
    model.save(str(tmp_path / "echo.keras"))
    out = str(tmp_path / "predicted.png")
    assert main(["predict", str(tmp_path / "echo.keras"), inputs["h264"], "--out", out]) == 0
    right = png_cells(out, CONTEXT + FUTURE)[..., SIZE + 2:]
    context = read_first_frames(inputs["h264"], CONTEXT, SIZE, SIZE, 1).clip
    np.testing.assert_array_equal(right, model.translate(context[None])[0, ..., 0])  # the echo is the context
