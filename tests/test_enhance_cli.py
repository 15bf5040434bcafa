"""`keras-vgan enhance`: a restorer over a real H.264 video, tile by tile; bad input is one line and exit 2."""

import os

import cv2
import numpy as np
import pytest

import video_factory
from keras_vgan.cli import main
from keras_vgan.presets import get_preset
from keras_vgan.saving import save_model
from keras_vgan.training import build_gan

TINY = dict(frames=4, height=16, width=16, generator_filters=4, discriminator_filters=4,
            model_options={"residual_blocks": 1})


def _restorer_run(directory, **changes):
    """A run directory holding an untrained restorer: the identity (or bilinear upsampling), exactly."""
    config = get_preset("enhance-denoise-moving-digits").replace(**{**TINY, **changes})
    os.makedirs(directory, exist_ok=True)
    save_model(build_gan(config.validate()), os.path.join(directory, "model.keras"))
    return str(directory)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return {"denoise": _restorer_run(root / "denoise"),
            "sr": _restorer_run(root / "sr", degradation="sr", scale=2)}


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return video_factory.write_h264(str(tmp_path_factory.mktemp("videos") / "input.mp4"), num_frames=10,
                                    width=48, height=32, fps=12)


def _decode(path):
    capture = cv2.VideoCapture(path)
    fps, frames = capture.get(cv2.CAP_PROP_FPS), []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    capture.release()
    return np.stack(frames), fps


def test_enhance_writes_the_whole_video_at_its_fps(runs, video, tmp_path, capsys):
    out = str(tmp_path / "clean.mp4")
    assert main(["enhance", runs["denoise"], video, "--out", out, "--tile", "4", "16", "16"]) == 0
    frames, fps = _decode(out)
    original, _ = _decode(video)
    assert frames.shape == (10, 32, 48) and fps == pytest.approx(12)
    # The untrained restorer is the identity: only H.264 (twice) separates output and input.
    assert np.abs(frames.astype(int) - original).mean() < 4
    captured = capsys.readouterr()
    assert "wrote" in captured.out and "tile" in captured.err and "\r" in captured.err


def test_enhance_super_resolves_and_compares(runs, video, tmp_path):
    out = str(tmp_path / "sr.mp4")
    assert main(["enhance", runs["sr"], video, "--out", out, "--compare", "--quiet", "--overlap", "1", "4", "4"]) == 0
    frames, _ = _decode(out)
    assert frames.shape == (10, 64, 2 * 96 + 4)
    left, right = frames[..., :96].astype(int), frames[..., 100:].astype(int)
    assert np.abs(left - right).mean() < 8  # bicubic | bilinear upsampling of the same frames


def _error(capsys, argv, out):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"keras-vgan {argv[0]}: error: ") and "\n" not in err, err
    assert not os.path.exists(out)
    directory = os.path.dirname(out)
    if os.path.isdir(directory):
        assert not [name for name in os.listdir(directory) if name.startswith(".tmp-")]
    return err


def test_bad_input_is_one_line_exit_2_and_no_file(runs, video, tmp_path, capsys):
    out = str(tmp_path / "out.mp4")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    assert "empty" in _error(capsys, ["enhance", runs["denoise"], str(empty), "--out", out], out)
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    assert "not a readable video" in _error(capsys, ["enhance", runs["denoise"], str(text), "--out", out], out)
    missing = str(tmp_path / "no" / "such" / "out.mp4")
    assert "does not exist" in _error(capsys, ["enhance", runs["denoise"], video, "--out", missing], missing)
    assert "expected a video" in _error(capsys, ["enhance", runs["denoise"], video, "--out",
                                                 str(tmp_path / "out.png")], str(tmp_path / "out.png"))
    err = _error(capsys, ["enhance", runs["denoise"], video, "--out", out, "--tile", "4", "64", "64"], out)
    assert "smaller tile, e.g. --tile 4 32 48" in err
    err = _error(capsys, ["enhance", runs["denoise"], video, "--out", out, "--tile", "4", "16", "16",
                          "--overlap", "4", "4", "4"], out)
    assert "overlap" in err


def test_a_model_that_is_not_a_restorer_is_refused(tmp_path, video, capsys):
    from keras_vgan.models.predictors import build_convlstm_predictor
    from keras_vgan.models.translation import TranslationGAN

    predictor = TranslationGAN(build_convlstm_predictor(4, 2, 16, 16, 1, filters=4))
    predictor.compile()
    path = str(tmp_path / "predictor.keras")
    save_model(predictor, path)
    out = str(tmp_path / "out.mp4")
    assert "not a restorer" in _error(capsys, ["enhance", path, video, "--out", out], out)
    inpainter = _restorer_run(tmp_path / "inpaint", degradation="inpaint")
    assert "inpainting" in _error(capsys, ["enhance", inpainter, video, "--out", out], out)


def test_a_failure_midway_leaves_no_partial_file(runs, video, tmp_path, capsys, monkeypatch):
    import keras_vgan.tiling

    def failing(model_fn, frames, *args, **kwargs):
        for index, frame in enumerate(frames):
            if index == 3:
                raise RuntimeError("the model failed on frame 3")
            yield frame

    monkeypatch.setattr(keras_vgan.tiling, "enhance_frames", failing)
    out = str(tmp_path / "partial.mp4")
    assert "frame 3" in _error(capsys, ["enhance", runs["denoise"], video, "--out", out, "--quiet"], out)


def test_predict_refuses_a_restorer_and_points_to_enhance(runs, video, tmp_path, capsys):
    out = str(tmp_path / "future.mp4")
    assert "keras-vgan enhance runs restorers" in _error(capsys, ["predict", runs["denoise"], video, "--out", out],
                                                         out)
