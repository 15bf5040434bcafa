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


def _restorer_run(directory, write_config=False, **changes):
    """A run directory holding an untrained restorer: the identity (or bilinear upsampling, or for inpainting
    the masked frames), exactly; and its config.json where `write_config`."""
    config = get_preset("enhance-denoise-moving-digits").replace(**{**TINY, **changes})
    os.makedirs(directory, exist_ok=True)
    save_model(build_gan(config.validate()), os.path.join(directory, "model.keras"))
    if write_config:
        with open(os.path.join(directory, "config.json"), "w") as file:
            file.write(config.to_json())
    return str(directory)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return {"denoise": _restorer_run(root / "denoise"),
            "sr": _restorer_run(root / "sr", degradation="sr", scale=2),
            "inpaint": _restorer_run(root / "inpaint", degradation="inpaint")}


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
    assert main(["enhance", runs["sr"], video, "--out", out, "--compare", "--quiet", "--overlap", "1", "4", "4",
                 "--scale", "2"]) == 0
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
    err = _error(capsys, ["enhance", runs["denoise"], video, "--out", out, "--scale", "4"], out)
    assert "--scale 4 is not a scale this restorer was trained for" in err and "x1" in err


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
    err = _error(capsys, ["enhance", inpainter, video, "--out", out], out)
    assert "inpainting" in err and "--mask" in err


# --mask: the input is 10 frames of 32x48, frame i a flat grey of 20 + 6i (at most 74), so holes at the fill
# grey (128 for fill 0) stand out. Hole edges fall on H.264's 8x8 blocks, so they survive compression.
HOLE = (slice(8, 24), slice(16, 32))
FILL_GREY = 128  # fill 0.0, mid grey: round((0 + 1) * 127.5), halves to even


def _mask_image(path, height=32, width=48):
    mask = np.zeros((height, width), np.uint8)
    mask[HOLE] = 255
    cv2.imwrite(str(path), mask)
    return str(path), mask > 0


def _write_gray_h264(path, frames):
    """Grayscale frames to a lossless H.264 MP4 through the bundled ffmpeg."""
    import subprocess

    import imageio_ffmpeg

    height, width = frames[0].shape
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo",
                    "-pix_fmt", "gray", "-s", f"{width}x{height}", "-r", "12", "-i", "-", "-c:v", "libx264",
                    "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", str(path)],
                   input=b"".join(np.ascontiguousarray(frame).tobytes() for frame in frames), check=True)
    return str(path)


def _moving_holes(num_frames, height=32, width=48):
    """A mask per frame: an 8x16 hole stepping 8 pixels right every other frame."""
    masks = np.zeros((num_frames, height, width), np.uint8)
    for index in range(num_frames):
        left = 8 * (index // 2) % (width - 8)
        masks[index, 8:24, left:left + 8] = 255
    return masks


def test_the_packed_mask_becomes_the_condition_inpainting_trains_on():
    import tensorflow as tf

    from keras_vgan.cli.enhance import masked_model_fn
    from keras_vgan.datasets.degradations import Inpainting
    from keras_vgan.tiling import _to_model_range

    class Fixed(Inpainting):
        def mask(self, shape, seed):
            return tf.constant(missing, tf.float32)

    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (1, 2, 8, 8, 3), dtype=np.uint8)
    missing = (rng.random((2, 8, 8, 1)) < 0.3).astype(np.float32)
    packed = np.concatenate([frames, (missing * 255).astype(np.uint8)[None]], axis=-1)  # as enhance packs them
    seen = []
    model_fn = masked_model_fn(lambda condition, training: seen.append(condition) or condition[..., :3], 3, -0.5)
    model_fn(_to_model_range(packed))
    expected = Fixed(fill=-0.5).degrade(tf.constant(_to_model_range(frames[0])), seed=0).numpy()
    np.testing.assert_allclose(seen[0][0], expected, atol=1e-6)


def test_enhance_inpaints_the_holes_of_a_mask_image(runs, video, tmp_path, capsys):
    mask_path, missing = _mask_image(tmp_path / "mask.png")
    out = str(tmp_path / "filled.mp4")
    assert main(["enhance", runs["inpaint"], video, "--mask", mask_path, "--out", out, "--tile", "4", "16", "16",
                 "--quiet"]) == 0
    frames, fps = _decode(out)
    original, _ = _decode(video)
    assert frames.shape == (10, 32, 48) and fps == pytest.approx(12)
    # The untrained inpainter returns its condition's frames: the kept pixels, and the fill grey in the holes.
    kept = np.abs(frames.astype(int) - original)[:, ~missing]
    assert kept.mean() < 4
    assert np.abs(frames[:, missing].astype(int) - FILL_GREY).mean() < 4
    assert "mask.png" in capsys.readouterr().out


def test_enhance_takes_a_mask_video_and_compares_the_masked_input(runs, video, tmp_path):
    masks = _moving_holes(12)  # more mask frames than input frames: the extra ones are not used
    mask_path = _write_gray_h264(tmp_path / "masks.mp4", masks)
    out = str(tmp_path / "compare.mp4")
    assert main(["enhance", runs["inpaint"], video, "--mask", mask_path, "--out", out, "--compare", "--quiet",
                 "--tile", "4", "16", "16"]) == 0
    frames, _ = _decode(out)
    original, _ = _decode(video)
    assert frames.shape == (10, 32, 2 * 48 + 4)
    left, right = frames[..., :48].astype(int), frames[..., 52:].astype(int)
    for index in range(10):
        missing = masks[index] > 0
        for side in (left, right):  # the masked input, and the untrained model's output (the same)
            assert np.abs(side[index][missing] - FILL_GREY).mean() < 4, index
            assert np.abs(side[index][~missing] - original[index][~missing]).mean() < 4, index


def test_enhance_fills_holes_with_the_runs_fill(video, tmp_path):
    run = _restorer_run(tmp_path / "black", write_config=True, degradation="inpaint",
                        degradation_options={"fill": -1.0})
    mask_path, missing = _mask_image(tmp_path / "mask.png")
    out = str(tmp_path / "black.mp4")
    assert main(["enhance", run, video, "--mask", mask_path, "--out", out, "--quiet"]) == 0
    frames, _ = _decode(out)
    assert np.abs(frames[:, missing].astype(int)).mean() < 4  # fill -1: black


def test_bad_masks_are_one_line_exit_2_and_no_file(runs, video, tmp_path, capsys):
    out = str(tmp_path / "out.mp4")
    mask_path, _ = _mask_image(tmp_path / "mask.png")
    err = _error(capsys, ["enhance", runs["denoise"], video, "--mask", mask_path, "--out", out], out)
    assert "--mask is only for inpainting restorers" in err
    err = _error(capsys, ["enhance", runs["inpaint"], video, "--out", out], out)
    assert "expected --mask" in err
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"not an image")
    assert "cannot be read" in _error(capsys, ["enhance", runs["inpaint"], video, "--mask", str(garbage),
                                               "--out", out], out)
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    assert "cannot be read" in _error(capsys, ["enhance", runs["inpaint"], video, "--mask", str(text),
                                               "--out", out], out)
    missing = str(tmp_path / "no-such-mask.png")
    assert "does not exist" in _error(capsys, ["enhance", runs["inpaint"], video, "--mask", missing, "--out", out],
                                      out)
    small, _ = _mask_image(tmp_path / "small.png", height=16, width=48)
    err = _error(capsys, ["enhance", runs["inpaint"], video, "--mask", small, "--out", out], out)
    assert "48x16" in err and "48x32" in err
    short = _write_gray_h264(tmp_path / "short.mp4", _moving_holes(6))
    err = _error(capsys, ["enhance", runs["inpaint"], video, "--mask", short, "--out", out], out)
    assert "6 frames, fewer than the input's 10" in err


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
