"""Training restorers: the temporal consistency term, TrainingConfig(task="enhance"), the data path, the CLI."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.loss_terms import TemporalConsistency, reconstruction_terms
from keras_vgan.presets import PRESETS, TrainingConfig, get_preset
from keras_vgan.training import build_gan, degraded_examples, model_batches

TINY = dict(frames=4, height=16, width=16, generator_filters=4, discriminator_filters=4,
            model_options={"residual_blocks": 1}, batch_size=2, num_samples=2)


def test_temporal_consistency_is_zero_for_the_target_and_sees_flicker_only():
    target = tf.random.stateless_uniform([2, 4, 8, 8, 1], [0, 0], -1, 1)
    term = TemporalConsistency()
    np.testing.assert_allclose(term(target, target, None).numpy(), 0.0)
    # A constant offset is wrong in every frame but does not flicker: no temporal error.
    np.testing.assert_allclose(term(target + 0.3, target, None).numpy(), 0.0, atol=1e-6)
    flicker = target + tf.constant([0.0, 0.2, 0.0, 0.2])[None, :, None, None, None]
    np.testing.assert_allclose(term(flicker, target, None).numpy(), [0.2, 0.2], atol=1e-6)
    assert term(target[:, :1], target[:, :1], None).shape == (2,)
    assert [t.name for t in reconstruction_terms(temporal_weight=2.0)] == ["temporal_consistency"]


def test_camera_compensated_temporal_term_lets_detail_move_with_the_scene_but_sees_flicker():
    from keras_vgan.motion import warp_frames

    scene = tf.random.stateless_uniform([1, 1, 40, 40, 1], [0, 2], -1, 1)
    scene = tf.nn.avg_pool2d(scene[:, 0], 3, 1, "SAME")[:, None]
    pan = tf.constant([[1.0, 0.0, 1.0, 0.0, 1.0, 0.5, 0.0, 0.0]])

    def panned(first):  # four frames, each the one before it moved by the pan
        frames = [first[:, 0]]
        for _ in range(3):
            frames.append(warp_frames(frames[-1], pan))
        return tf.stack(frames, axis=1)

    target = panned(scene)
    detail = tf.random.stateless_uniform([1, 1, 40, 40, 1], [1, 2], -0.2, 0.2)
    moving_detail = panned(scene + detail)  # added texture that moves with the scene
    compensated, plain = TemporalConsistency(motion="camera"), TemporalConsistency()
    assert float(compensated(moving_detail, target, None)[0]) < 0.3 * float(plain(moving_detail, target, None)[0])
    flicker = target + tf.constant([0.0, 0.2, 0.0, 0.2])[None, :, None, None, None]
    np.testing.assert_allclose(compensated(flicker, target, None).numpy(), [0.2], atol=0.02)
    assert TemporalConsistency.from_config(compensated.get_config()).motion == "camera"
    assert reconstruction_terms(temporal_weight=1.0, temporal_motion="camera")[0].motion == "camera"
    with pytest.raises(ValueError, match="temporal_motion='optical'"):
        get_preset("enhance-sr-photos").replace(temporal_motion="optical").validate()


def test_enhance_config_makes_its_degradation_and_checks_it():
    config = get_preset("enhance-sr-moving-digits").replace(scale=2, degradation_options={"blur_sigma": [0.5, 1]})
    assert config.validate().make_degradation().get_config() == {"scale": 2, "blur_sigma": (0.5, 1)}
    # Through config.json, a range stays a range.
    again = TrainingConfig.from_dict(json.loads(config.to_json()))
    assert again.make_degradation() == config.make_degradation()
    with pytest.raises(ValueError, match="degradation=None"):
        TrainingConfig(task="enhance", model="restorer").validate()
    with pytest.raises(ValueError, match="height=32 is not divisible by scale=3"):
        get_preset("enhance-sr-moving-digits").replace(scale=3).validate()
    with pytest.raises(ValueError, match="scale=8 is not valid for the restorers; expected one of \\[1, 2, 4\\]"):
        get_preset("enhance-sr-moving-digits").replace(scale=8).validate()
    with pytest.raises(ValueError, match="crf=60"):
        get_preset("enhance-denoise-moving-digits").replace(degradation="deblock", crf=60).validate()
    with pytest.raises(ValueError, match="degradation='denoise' is not valid for task='generate'"):
        get_preset("quickstart").replace(degradation="denoise").validate()
    with pytest.raises(ValueError, match="is a 'enhance' architecture"):
        get_preset("conv3d").replace(model="restorer").validate()
    assert PRESETS["enhance-denoise-moving-digits"].validate().task == "enhance"


@pytest.mark.parametrize("degradation, condition", [("sr", (2, 4, 4, 4, 1)), ("inpaint", (2, 4, 16, 16, 2))])
def test_enhance_batches_are_degraded_pairs_and_the_gan_trains_on_them(degradation, condition):
    config = get_preset("enhance-denoise-moving-digits").replace(degradation=degradation, **TINY)
    clips = tf.data.Dataset.from_tensor_slices(tf.random.stateless_uniform([6, 4, 16, 16, 1], [0, 1], -1, 1))
    batches = model_batches(config, clips.repeat().batch(2, drop_remainder=True))
    degraded, clean = next(iter(batches))
    assert degraded.shape == condition and clean.shape == (2, 4, 16, 16, 1)
    gan = build_gan(config)
    history = gan.fit(batches, epochs=1, steps_per_epoch=1, verbose=0)
    assert {"l1_reconstruction", "temporal_consistency", "d_loss"} <= set(history.history)
    shown = degraded_examples(config, clean.numpy())
    np.testing.assert_array_equal(shown, degraded.numpy())  # the same draw as the training stream's first clips
    assert gan.showcase(shown, clean.numpy(), layout="panels").shape == (2, 4, 16, 3 * 16 + 4, 1)


def test_train_task_enhance_end_to_end(tmp_path):
    run = tmp_path / "runs" / "tiny-denoise"
    result = subprocess.run(
        [sys.executable, "-m", "keras_vgan.cli", "train", "--task", "enhance", "--degradation", "denoise",
         "--noise-sigma", "30", "--frames", "4", "--size", "16", "--generator-filters", "4",
         "--discriminator-filters", "4", "--model-option", "residual_blocks=1", "--temporal-weight", "1",
         "--num-videos", "8", "--batch-size", "2", "--epochs", "1", "--steps-per-epoch", "2", "--num-samples", "2",
         "--sample-every", "1", "--output", str(tmp_path / "runs"), "--name", "tiny-denoise", "--quiet"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("model.keras", "config.json", "samples/epoch_0001.png", "samples/real.png"):
        assert (run / name).is_file(), name
    saved = json.loads((run / "config.json").read_text())
    assert (saved["task"], saved["degradation"], saved["noise_sigma"]) == ("enhance", "denoise", 30.0)
    from PIL import Image

    grid = Image.open(run / "samples" / "epoch_0001.png")  # degraded | restored | truth, a frame per column
    assert grid.size[0] >= 4 * (3 * 16 + 4)
    from keras_vgan.saving import load_video_gan

    model = load_video_gan(str(run))
    assert model.translate(np.zeros((1, 3, 20, 24, 1), np.float32)).shape == (1, 3, 20, 24, 1)
    # The trained run restores a real video, as a user would run it next.
    import video_factory

    video = video_factory.write_h264(str(tmp_path / "noisy.mp4"), num_frames=6, width=24, height=16)
    out = tmp_path / "clean.mp4"
    enhanced = subprocess.run([sys.executable, "-m", "keras_vgan.cli", "enhance", str(run), video, "--out", str(out),
                               "--tile", "4", "16", "16", "--compare"], capture_output=True, text=True, timeout=300)
    assert enhanced.returncode == 0, enhanced.stderr[-3000:]
    assert out.is_file() and "wrote" in enhanced.stdout


def test_init_generator_starts_from_another_runs_weight_average_and_refuses_another_architecture(tmp_path):
    from keras_vgan.saving import save_model
    from keras_vgan.training import initialize_generator

    config = get_preset("enhance-sr-photos-l1").replace(scale=2, **TINY)
    donor = build_gan(config)
    donor.ema_generator.set_weights([w + 0.5 for w in donor.generator.get_weights()])
    (tmp_path / "donor").mkdir()
    save_model(donor, str(tmp_path / "donor" / "model.keras"))
    gan = build_gan(config.replace(adversarial_weight=1.0, temporal_weight=1.0))
    initialize_generator(gan, str(tmp_path / "donor"))
    for generator in (gan.generator, gan.ema_generator):
        for got, expected in zip(generator.get_weights(), donor.ema_generator.get_weights()):
            np.testing.assert_array_equal(got, expected)
    wider = build_gan(config.replace(generator_filters=8))
    with pytest.raises(ValueError, match="another architecture"):
        initialize_generator(wider, str(tmp_path / "donor"))


def test_train_with_a_missing_init_generator_is_one_line_and_no_run(tmp_path):
    result = subprocess.run([sys.executable, "-m", "keras_vgan.cli", "train", "--preset", "enhance-sr-photos",
                             "--init-generator", str(tmp_path / "nothing"), "--out", str(tmp_path / "runs")],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "does not exist" in result.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("name", sorted(name for name, preset in PRESETS.items() if preset.init_generator))
def test_a_fine_tuning_preset_starts_from_a_preset_whose_generator_it_can_take(name):
    # `--preset X` with init_generator runs/Y only works when Y is a preset trained first whose restorer has the
    # same layers: a drifted filter count or degradation would fail an hour into a benchmark, not here.
    preset = PRESETS[name]
    parent, start = os.path.split(preset.init_generator)
    assert parent == "runs" and start in PRESETS, preset.init_generator
    before = PRESETS[start]
    assert not before.init_generator and before.adversarial_weight == 0.0
    for field in ("task", "model", "model_options", "generator_filters", "channels", "degradation", "scale", "crf",
                  "noise_sigma", "dataset"):
        assert getattr(preset, field) == getattr(before, field), field
    tiny = dict(TINY, scale=2) if preset.degradation == "sr" else TINY
    assert [w.shape for w in build_gan(preset.replace(**tiny)).generator.weights] == \
        [w.shape for w in build_gan(before.replace(**tiny)).generator.weights]
