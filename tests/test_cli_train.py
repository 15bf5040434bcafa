import os
import re
import subprocess
import sys

import pytest

from keras_vgan.cli import main

TINY = ["--frames", "4", "--size", "16", "--generator-filters", "4", "--discriminator-filters", "4",
        "--latent-dim", "8", "--batch-size", "4", "--num-videos", "16", "--steps-per-epoch", "2", "--sample-every", "1"]


@pytest.mark.parametrize("argv, named", [
    (["train", "--epochs", "0"], "--epochs: expected a positive integer, got '0'"),
    (["train", "--epochs", "many"], "got 'many'"),
    (["train", "--size", "48"], "height=48"),
    (["train", "--frames", "1"], "frames=1"),
    (["train", "--loss", "softmax"], "loss='softmax'"),
    (["train", "--preset", "huge"], "preset='huge'"),
    (["train", "--precision", "int8"], "precision='int8'"),
    (["train", "--jit-compile", "sometimes"], "jit_compile='sometimes'"),
    (["train", "--channels", "2"], "channels=2"),
    (["train", "--model", "gan9000"], "model='gan9000'"),
    (["train", "--model-option", "mask_sparsity=0.2"], "mask_sparsity"),
    (["train", "--model-option", "nonsense"], "expected NAME=VALUE"),
    (["train", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    (["fly"], "invalid choice: 'fly'"),
    ([], "the following arguments are required: COMMAND"),
])
def test_bad_flags_print_one_line_and_exit_2(argv, named, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert named in lines[0]
    assert "Traceback" not in captured.err


def test_bad_flag_from_the_shell_has_no_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "keras_vgan.cli", "train", "--size", "30"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("keras-vgan train: error: height=30")


def test_train_writes_samples_tensorboard_and_model(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "keras_vgan.cli", "train", *TINY, "--epochs", "2", "--output", str(tmp_path),
         "--name", "tiny", "--quiet", "--log-every", "1"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # Only its own lines: none of TensorFlow's start-up records (oneDNN, CUDA, cuInit, absl).
    assert not re.search(r"^([IWEF]\d{4} \d\d:\d\d:\d\d|WARNING: All log messages before absl)", result.stderr,
                         re.MULTILINE), result.stderr[-3000:]
    run = tmp_path / "tiny"
    assert (run / "model.keras").is_file() and (run / "config.json").is_file()
    assert sorted(p.name for p in (run / "samples").glob("*.png")) == ["epoch_0001.png", "epoch_0002.png",
                                                                       "real.png"]
    assert any(name.startswith("events") for _, _, files in os.walk(run / "tensorboard") for name in files)
    assert not [p for p in run.rglob(".tmp-*")]
    # --log-every 1: a point per step (2 epochs x 2 steps) besides the per-epoch ones.
    import tensorflow as tf

    steps = {}
    for event_file in (run / "tensorboard" / "train").glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(event_file)):
            for value in event.summary.value:
                steps.setdefault(value.tag, []).append(event.step)
    assert sorted(steps["batch_d_loss"]) == [1, 2, 3, 4] and sorted(steps["epoch_d_loss"]) == [0, 1], steps


def test_train_from_a_folder_of_real_videos_skips_a_bad_file(tmp_path):
    from video_factory import write_h264, write_video

    videos = tmp_path / "videos"
    write_h264(videos / "walk" / "a.mp4", num_frames=12)
    write_video(videos / "walk" / "b.avi", num_frames=12)
    write_video(videos / "run" / "c.mp4", num_frames=12)
    (videos / "run" / "broken.mp4").write_bytes(b"")  # skipped with a warning, never fatal
    argv = ["train", "--data", str(videos), "--frames", "4", "--size", "16", "--channels", "3",
            "--generator-filters", "4", "--discriminator-filters", "4", "--latent-dim", "8", "--batch-size", "2",
            "--steps-per-epoch", "2", "--epochs", "1", "--clips-per-video", "2", "--output", str(tmp_path),
            "--name", "videos", "--quiet"]
    with pytest.warns(Warning, match="broken.mp4"):
        assert main(argv) == 0
    run = tmp_path / "videos"
    assert (run / "model.keras").is_file()
    assert (run / "samples" / "epoch_0001.png").is_file()


def test_default_run_name_follows_the_data_and_the_model():
    from keras_vgan.cli import build_parser
    from keras_vgan.cli.train import config_from_args, default_run_name

    def name(*argv):
        args = build_parser().parse_args(["train", *argv])
        return default_run_name(args, config_from_args(args))

    assert name() == "quickstart"
    assert name("--data", "/home/me/my videos/") == "my-videos"
    assert name("--data", "clips.npy") == "clips"
    assert name("--data", "data/ucf101_16x64/train") == "ucf101_16x64-train"
    assert name("--data", "train") == "train"
    assert name("--preset", "bouncing-shapes", "--model", "conv3d") == "bouncing-shapes"
    assert name("--conditional", "--num-objects", "1") == "quickstart-conditional"


def test_train_restores_the_global_dtype_policy(tmp_path):
    import keras

    from keras_vgan.presets import get_preset
    from keras_vgan.training import train

    config = get_preset("quickstart").replace(
        frames=4, height=16, width=16, latent_dim=8, generator_filters=4, discriminator_filters=4, batch_size=4,
        num_videos=8, epochs=1, steps_per_epoch=1, precision="mixed_bfloat16", num_samples=2)
    train(config, str(tmp_path / "run"), verbose=0)
    assert keras.config.dtype_policy().name == "float32"
