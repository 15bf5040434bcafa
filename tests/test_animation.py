"""Image-to-video: `AnimationGAN` trains on clips alone, round-trips, exports `animate`, and `keras-vgan animate`
sets a picture file in motion; the scores of frame 0 and motion; bad input is one line and no file."""

import json
import os
import subprocess
import sys
import textwrap

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import tiny_gan
from keras_vgan.cli import main
from keras_vgan.datasets.first_frames import read_picture
from keras_vgan.export import export_generator
from keras_vgan.loss_terms import FirstFrameL1
from keras_vgan.metrics.animation import animation_scores, mean_motion
from keras_vgan.models.animation import AnimationGAN, LayeredShifts, build_frame_animator
from keras_vgan.models.predictors import build_prediction_discriminator
from keras_vgan.presets import get_preset
from keras_vgan.saving import load_video_gan

FRAMES, SIZE = 4, 16


def tiny_animator(seed=0):
    """A tiny stochastic animator with a discriminator, whose EMA generator is perturbed to span the pixel range."""
    keras.mixed_precision.set_global_policy("float32")
    keras.utils.set_random_seed(seed)
    model = AnimationGAN(build_frame_animator(FRAMES, SIZE, SIZE, 1, filters=4, noise_dim=4),
                         build_prediction_discriminator(1, FRAMES, SIZE, SIZE, 1, base_filters=4), ema_decay=0.9)
    model.compile(loss="hinge", loss_terms=[FirstFrameL1(100.0)])
    rng = np.random.default_rng(seed)
    model.ema_generator.set_weights([w + rng.normal(0, 0.5, w.shape).astype(w.dtype) if w.ndim > 1 else w
                                     for w in model.ema_generator.get_weights()])
    return model


def pictures(count=3, seed=1):
    return np.random.default_rng(seed).integers(0, 256, (count, SIZE, SIZE, 1), dtype=np.uint8)


@pytest.fixture(scope="module")
def animator(tmp_path_factory):
    """(the model, its run directory, its SavedModel export)."""
    model = tiny_animator()
    run = tmp_path_factory.mktemp("animate_run")
    model.save(str(run / "model.keras"))
    return model, str(run), export_generator(model, str(run / "exported"))


def test_fits_on_clips_alone_and_logs_each_term():
    model = tiny_animator()
    clips = tf.random.uniform([4, FRAMES, SIZE, SIZE, 1], -1, 1, seed=0)
    # Clips alone, and (clip, label) pairs whose labels it ignores: no pairing step, any clip source.
    history = model.fit(tf.data.Dataset.from_tensors(clips).repeat(6), epochs=1, verbose=0)
    assert {"d_loss", "g_loss", "first_frame_l1", "real_score", "fake_score"} <= set(history.history)
    paired = model.fit(tf.data.Dataset.from_tensors((clips, tf.zeros([4], tf.int32))), epochs=1, verbose=0)
    assert all(np.isfinite(values[-1]) for values in paired.history.values())


def test_frame_zero_is_the_picture_when_untrained_and_noise_changes_the_motion():
    keras.utils.set_random_seed(0)
    model = AnimationGAN(build_frame_animator(FRAMES, SIZE, SIZE, 1, filters=4, noise_dim=4))
    picture = pictures(1)[0]
    clip = model.animate(picture, seed=0)
    assert clip.shape == (1, FRAMES, SIZE, SIZE, 1)
    # Frame 0 is the picture by construction (every shift is t · velocity), and the untrained copies barely move.
    np.testing.assert_array_equal(clip[0, 0], picture)
    assert mean_motion(clip) < 2.0
    flow = AnimationGAN(build_frame_animator(FRAMES, SIZE, SIZE, 1, filters=4, noise_dim=4, motion="flow"))
    # The flow animator's heads start at zero: it holds the picture still.
    assert mean_motion(flow.animate(picture, seed=0)) == 0.0
    trained = tiny_animator()
    assert not np.array_equal(trained.animate(picture, seed=0), trained.animate(picture, seed=1))
    np.testing.assert_array_equal(trained.animate(picture, seed=2), trained.animate(picture, seed=2))


def test_keras_round_trip_and_the_exported_signatures_give_animate_s_clips(animator, tmp_path):
    model, run, exported = animator
    loaded = load_video_gan(run)
    assert isinstance(loaded, AnimationGAN) and loaded.picture_shape == (SIZE, SIZE, 1)
    given = pictures()
    expected = model.animate(given, seed=3)
    np.testing.assert_array_equal(loaded.animate(given, seed=3), expected)
    with open(os.path.join(exported, "keras_vgan.json")) as file:
        metadata = json.load(file)
    assert metadata["task"] == "animate" and set(metadata["signatures"]) == {"animate", "animate_uint8"}
    # TensorFlow alone, as a serving machine without keras_vgan runs it.
    np.save(tmp_path / "pictures.npy", given)
    script = textwrap.dedent("""
        import sys
        import numpy as np
        import tensorflow as tf
        exported, pictures_path, out_path = sys.argv[1:4]
        pictures = np.load(pictures_path)
        served = tf.saved_model.load(exported).signatures
        floats = tf.constant(pictures.astype(np.float32) / 127.5 - 1.0)
        np.savez(out_path, float=served["animate"](frame=floats, seed=tf.constant(3))["videos"].numpy(),
                 uint8=served["animate_uint8"](frame=tf.constant(pictures), seed=tf.constant(3))["videos"].numpy())
        print("MODULES", sorted(m for m in sys.modules if m.split(".")[0] == "keras_vgan"))
    """)
    result = subprocess.run([sys.executable, "-c", script, exported, str(tmp_path / "pictures.npy"),
                             str(tmp_path / "served.npz")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "MODULES []" in result.stdout
    served = np.load(tmp_path / "served.npz")
    for name in ("float", "uint8"):
        # Graph and eager sum in other orders: at most one grey level apart, as the other exports.
        assert np.max(np.abs(served[name].astype(int) - expected.astype(int))) <= 1, name


def test_read_picture_converts_as_training_does(tmp_path):
    rgb = np.zeros((30, 60, 3), np.uint8)
    rgb[:, 15:45] = (0, 0, 255)  # a red square, centred (OpenCV writes BGR)
    path = str(tmp_path / "wide.png")
    cv2.imwrite(path, rgb)
    gray, source = read_picture(path, SIZE, SIZE, 1)
    assert gray.shape == (SIZE, SIZE, 1) and source == "60x30 RGB"
    # Aspect kept, centre crop: the square fills the 16x16 crop of the 32x16 cover.
    assert gray.min() > 0
    color, _ = read_picture(path, SIZE, SIZE, 3)
    assert color.shape == (SIZE, SIZE, 3) and color[..., 0].mean() > 200 and color[..., 2].max() == 0
    with open(tmp_path / "broken.png", "w") as file:
        file.write("not an image")
    with pytest.raises(ValueError, match="broken.png.*does not decode as an image"):
        read_picture(str(tmp_path / "broken.png"), SIZE, SIZE, 1)
    with pytest.raises(FileNotFoundError, match="missing.png"):
        read_picture(str(tmp_path / "missing.png"), SIZE, SIZE, 1)


def test_animate_cli_writes_the_clips_of_animate(animator, tmp_path, capsys):
    model, run, _ = animator
    picture = pictures(1)[0]
    path = str(tmp_path / "digit.png")
    cv2.imwrite(path, picture)
    out = str(tmp_path / "clip.png")
    assert main(["animate", run, path, "--out", out, "--seed", "5", "--num-videos", "2"]) == 0
    assert "keras-vgan animate: wrote" in capsys.readouterr().out
    grid = cv2.imread(out, cv2.IMREAD_GRAYSCALE)
    expected = np.concatenate([model.animate(picture, seed=5), model.animate(picture, seed=6)])
    # The PNG grid: one row per animation, one column per frame, 1-pixel gaps.
    for row in range(2):
        for frame in range(FRAMES):
            top, left = row * (SIZE + 1), frame * (SIZE + 1)
            np.testing.assert_array_equal(grid[top:top + SIZE, left:left + SIZE], expected[row, frame, ..., 0])
    # An RGB picture of another size is converted, and says so.
    cv2.imwrite(str(tmp_path / "big.jpg"), np.full((40, 50, 3), 128, np.uint8))
    assert main(["animate", run, str(tmp_path / "big.jpg"), "--out", str(tmp_path / "big.mp4")]) == 0
    assert "resized 50x40 RGB to 16x16 grayscale" in capsys.readouterr().out
    assert os.path.getsize(tmp_path / "big.mp4") > 0


def test_animate_cli_bad_input_is_one_line_and_no_file(animator, tmp_path, capsys):
    _, run, _ = animator
    with open(tmp_path / "broken.png", "w") as file:
        file.write("not an image")
    cv2.imwrite(str(tmp_path / "ok.png"), pictures(1)[0])
    vgan = str(tmp_path / "vgan.keras")
    tiny_gan(seed=0).save(vgan)
    cases = [
        ([run, str(tmp_path / "broken.png")], "does not decode as an image"),
        ([run, str(tmp_path / "missing.png")], "does not exist"),
        ([vgan, str(tmp_path / "ok.png")], "not an animator"),
    ]
    for arguments, message in cases:
        out = tmp_path / "out.mp4"
        assert main(["animate", *arguments, "--out", str(out)]) == 2
        error = capsys.readouterr().err.strip()
        assert message in error and "\n" not in error and "Traceback" not in error, error
        assert not out.exists() and not [name for name in os.listdir(tmp_path) if name.startswith(".out")]


def test_first_frame_l1_and_the_animation_scores_against_hand_computed_values():
    fake = np.zeros((1, 3, 4, 4, 1), np.float32)
    fake[:, 0] = 0.5  # frame 0 off by 0.5 everywhere; the rest differ too, which the term ignores
    fake[:, 1:] = 1.0
    value = FirstFrameL1()(tf.constant(fake), tf.zeros([1, 3, 4, 4, 1]), None)
    assert float(value[0]) == pytest.approx(0.5)
    clips = np.zeros((2, 3, 16, 16, 1), np.uint8)
    clips[:, 1] = 20
    clips[:, 2] = 50  # steps of 20 and 30 levels: motion 25
    assert mean_motion(clips) == pytest.approx(25.0)
    given = clips[:, 0].copy()
    given[0, :8] = 255  # half the pixels of clip 0's picture at 255: MSE 0.5, PSNR 10·log10(2)
    scores = animation_scores(clips, given, clips[:1] // 2)
    assert scores.first_frame_psnr == pytest.approx(10 * np.log10(2.0), abs=1e-4)  # clip 1's exact frame left out
    assert scores.motion == pytest.approx(25.0) and scores.real_motion == pytest.approx(12.5)
    assert scores.motion_ratio == pytest.approx(2.0)
    with pytest.raises(ValueError, match="one .H, W, C. picture per clip"):
        animation_scores(clips, given[:1], clips)
    with pytest.raises(ValueError, match="T >= 2"):
        mean_motion(clips[:, :1])


def test_the_animate_task_trains_from_a_preset_through_the_cli(tmp_path, capsys):
    arguments = ["train", "--task", "animate", "--frames", "4", "--size", "16", "--num-videos", "32",
                 "--batch-size", "4", "--epochs", "1", "--steps-per-epoch", "2", "--generator-filters", "4",
                 "--discriminator-filters", "4", "--latent-dim", "4", "--output", str(tmp_path), "--name", "anim",
                 "--quiet"]
    assert main(arguments) == 0
    loaded = load_video_gan(str(tmp_path / "anim"))
    assert isinstance(loaded, AnimationGAN) and loaded.video_shape == (4, 16, 16, 1)
    assert os.listdir(tmp_path / "anim" / "samples")
    preset = get_preset("animate-moving-digits")
    assert preset.task == "animate" and preset.model == "animator"
    for changes, message in (({"l1_weight": 0.0}, "l1_weight=0.0 is not valid for task='animate'"),
                             ({"adversarial_weight": 0.0}, "adversarial_weight=0 is not valid"),
                             ({"model": "conv3d"}, "not valid for task='animate'")):
        with pytest.raises(ValueError, match=message):
            preset.replace(**changes).validate()


def test_mode_seeking_pushes_two_noises_apart_and_needs_noise():
    from keras_vgan.loss_terms import ModeSeeking

    model = tiny_animator()
    model.compile(loss="hinge", loss_terms=[FirstFrameL1(100.0), ModeSeeking(1.0)])
    clips = tf.random.uniform([4, FRAMES, SIZE, SIZE, 1], -1, 1, seed=0)
    history = model.fit(tf.data.Dataset.from_tensors(clips).repeat(2), epochs=1, verbose=0).history
    assert "mode_seeking" in history and np.isfinite(history["mode_seeking"][-1])
    # Clips twice as far apart for the same noises: half the term.
    noise = {"noise": tf.zeros([2, 4])}, {"noise": tf.ones([2, 4])}
    near = ModeSeeking()(clips[:2], clips[:2] + 0.25, *noise)
    far = ModeSeeking()(clips[:2], clips[:2] + 0.5, *noise)
    np.testing.assert_allclose(far, near / 2, rtol=1e-3)
    deterministic = AnimationGAN(build_frame_animator(FRAMES, SIZE, SIZE, 1, filters=4, noise_dim=0))
    with pytest.raises(ValueError, match="mode_seeking.*has no noise input"):
        deterministic.compile(loss_terms=[FirstFrameL1(), ModeSeeking()])


def test_layered_shifts_move_each_copy_whole_where_its_mask_chooses_it():
    picture = np.zeros((1, 1, 8, 8, 1), np.float32)
    picture[0, 0, 2, 2] = picture[0, 0, 5, 5] = 1.0  # two dots
    velocities = np.zeros((1, 3, 4), np.float32)
    velocities[0, :, 1] = 1.0  # copy 0: one pixel a frame to the right; copy 1: one pixel a frame down
    velocities[0, :, 2] = 1.0
    masks = np.full((1, 3, 8, 8, 2), -50.0, np.float32)
    masks[:, :, :, :4, 0] = 50.0  # the left half shows copy 0, the right half copy 1
    masks[:, :, :, 4:, 1] = 50.0
    clip = LayeredShifts()([picture, velocities, masks]).numpy()[0, ..., 0]
    np.testing.assert_array_equal(clip[0], picture[0, 0, ..., 0])  # frame 0: no shift
    expected = np.zeros((8, 8), np.float32)
    expected[2, 2 + 2] = 0.0  # copy 0 moved the left dot to column 4, which the mask gives to copy 1
    expected[5 + 2, 5] = 1.0  # copy 1 moved the right dot down two rows, in its half
    np.testing.assert_allclose(clip[2], expected, atol=1e-6)
    assert clip[1, 2, 3] == pytest.approx(1.0)  # frame 1: the left dot, one pixel right, still in copy 0's half
    with pytest.raises(ValueError, match="motion='spin' is not valid"):
        build_frame_animator(FRAMES, SIZE, SIZE, 1, motion="spin")
