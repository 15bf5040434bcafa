import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import eager_gan as tiny_gan
from helpers import endless_clips as clips
from keras_vgan.callbacks import TrainingCheckpoint, TrainingProgress
from keras_vgan.presets import TrainingConfig
from keras_vgan.training import build_gan, check_resumable, train


def saved_step(path):
    return int(tf.train.load_variable(path, "step/.ATTRIBUTES/VARIABLE_VALUE"))


def state(gan):
    """Every variable a resumed run needs, by name."""
    values = {}
    for prefix, model in (("g", gan.generator), ("d", gan.discriminator), ("ema", gan.ema_generator)):
        values.update({f"{prefix}/{v.path}": v.numpy() for v in model.weights})
    for prefix, optimizer in (("g_opt", gan.g_optimizer), ("d_opt", gan.d_optimizer)):
        values.update({f"{prefix}/{i}": v.numpy() for i, v in enumerate(optimizer.variables)})
    return values


def test_checkpoints_every_n_steps_and_at_each_epoch_end(tmp_path):
    gan = tiny_gan()
    checkpoint = TrainingCheckpoint(str(tmp_path), every_n_steps=2, max_to_keep=100)
    assert checkpoint.restore(gan) == TrainingProgress(0, 0, 0)
    gan.fit(clips(), epochs=2, steps_per_epoch=5, callbacks=[checkpoint], verbose=0, shuffle=False)
    steps = [saved_step(p) for p in checkpoint.checkpoints()]
    assert steps == [2, 4, 5, 7, 9, 10]
    assert max(b - a for a, b in zip([0] + steps, steps)) <= 2  # never more than N steps unsaved
    assert checkpoint.progress == TrainingProgress(step=10, epoch=2, step_in_epoch=0)


def test_restore_brings_back_networks_ema_optimizers_and_counters(tmp_path):
    gan = tiny_gan()
    checkpoint = TrainingCheckpoint(str(tmp_path), every_n_steps=3)
    gan.fit(clips(), epochs=1, steps_per_epoch=4, callbacks=[checkpoint], verbose=0, shuffle=False)
    expected = state(gan)
    assert int(gan.g_optimizer.iterations) == 4

    fresh = tiny_gan()
    progress = TrainingCheckpoint(str(tmp_path)).restore(fresh)
    assert progress == TrainingProgress(step=4, epoch=1, step_in_epoch=0)
    restored = state(fresh)
    assert restored.keys() == expected.keys()
    for name, value in expected.items():
        np.testing.assert_array_equal(restored[name], value, err_msg=name)
    assert int(fresh.d_optimizer.iterations) == 4
    # The EMA copy is restored as its own weights, not as the raw ones.
    assert not np.array_equal(fresh.ema_generator.weights[0].numpy(), fresh.generator.weights[0].numpy())


def test_a_damaged_newest_checkpoint_falls_back_to_the_previous_one(tmp_path):
    gan = tiny_gan()
    checkpoint = TrainingCheckpoint(str(tmp_path), every_n_steps=2)
    gan.fit(clips(), epochs=1, steps_per_epoch=3, callbacks=[checkpoint], verbose=0, shuffle=False)
    older, newest = checkpoint.checkpoints()
    with open(newest + ".data-00000-of-00001", "r+b") as file:
        file.truncate(10)
    # What a save killed half-way leaves behind: a temporary folder, never listed as a checkpoint.
    os.makedirs(os.path.join(tmp_path, "ckpt-9_temp"))
    with pytest.warns(RuntimeWarning, match="trying an older one"):
        progress = TrainingCheckpoint(str(tmp_path)).restore(tiny_gan())
    assert progress.step == saved_step(older) == 2
    assert not os.path.exists(os.path.join(tmp_path, "ckpt-9_temp"))


def test_a_checkpoint_of_another_architecture_is_refused(tmp_path):
    gan = tiny_gan()
    checkpoint = TrainingCheckpoint(str(tmp_path), every_n_steps=1)
    gan.fit(clips(), epochs=1, steps_per_epoch=1, callbacks=[checkpoint], verbose=0, shuffle=False)
    with pytest.warns(RuntimeWarning), pytest.raises(ValueError, match="fits this model"):
        TrainingCheckpoint(str(tmp_path)).restore(tiny_gan(generator_filters=8))


def test_resuming_with_a_different_configuration_is_refused(tmp_path):
    config = TrainingConfig(batch_size=4)
    (tmp_path / "config.json").write_text(config.to_json())
    check_resumable(config.replace(epochs=99, sample_every=3), str(tmp_path))  # allowed to change
    with pytest.raises(ValueError, match="batch_size: 4 -> 8"):
        check_resumable(config.replace(batch_size=8), str(tmp_path))


def test_a_run_from_before_the_model_field_still_resumes(tmp_path):
    # config.json of version 0.1: no model/augment/r1_interval fields, the conv3d options written out.
    saved = json.loads(TrainingConfig(batch_size=4).to_json())
    for name in ("model", "model_options", "augment", "r1_interval", "log_every"):
        saved.pop(name)
    saved.update(latent_dim=128, generator_filters=64, discriminator_filters=64, discriminator_normalization="none")
    (tmp_path / "config.json").write_text(json.dumps(saved))
    check_resumable(TrainingConfig(batch_size=4), str(tmp_path))
    with pytest.raises(ValueError, match="latent_dim: 128 -> 64"):
        check_resumable(TrainingConfig(batch_size=4, latent_dim=64), str(tmp_path))


TINY = dict(dataset="moving_digits", frames=4, height=16, width=16, channels=1, latent_dim=8, generator_filters=4,
            discriminator_filters=4, batch_size=4, num_videos=32, epochs=3, steps_per_epoch=6,
            checkpoint_every=2, num_samples=2, precision="float32")


class StepCounter(keras.callbacks.Callback):
    """Counts the steps a process runs; with `crash_after`, dies (by an exception) after that many."""

    def __init__(self, crash_after=None):
        super().__init__()
        self.steps = 0
        self.crash_after = crash_after

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.steps == self.crash_after:
            raise RuntimeError("simulated crash")


def test_train_resumes_mid_epoch_repeating_at_most_one_interval(tmp_path):
    config = TrainingConfig(**TINY)
    run_dir = str(tmp_path / "run")
    first = StepCounter(crash_after=9)  # steps 7-9 are epoch 2; the last checkpoint is at step 8
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(config, run_dir, verbose=0, extra_callbacks=[first])
    assert not os.path.exists(os.path.join(run_dir, "model.keras"))
    second = StepCounter()
    gan, history = train(config, run_dir, verbose=0, extra_callbacks=[second])
    total = config.epochs * config.steps_per_epoch
    repeated = first.steps + second.steps - total
    assert 0 <= repeated <= config.checkpoint_every
    assert second.steps == total - 8
    assert history.epoch == [1, 2]  # the rest of epoch 2, then epoch 3
    assert int(gan.g_optimizer.iterations) == int(gan.d_optimizer.iterations) == total
    # png, gif, mp4 for each of 3 epochs, and the real clips' png and gif
    assert len(os.listdir(os.path.join(run_dir, "samples"))) == 9 + 2


def test_sigkill_at_any_moment_then_the_same_command_finishes_the_run(tmp_path):
    command = [sys.executable, "-m", "keras_vgan.cli", "train", "--frames", "4", "--size", "16",
               "--generator-filters", "4", "--discriminator-filters", "4", "--latent-dim", "8",
               "--batch-size", "4", "--num-videos", "32", "--epochs", "3", "--steps-per-epoch", "6",
               "--checkpoint-every", "2", "--precision", "float32",
               "--output", str(tmp_path), "--name", "run"]
    run_dir = tmp_path / "run"
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    try:
        while not (run_dir / "checkpoints" / "checkpoint").exists():
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "no checkpoint within 240 s"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()
    assert not (run_dir / "model.keras").exists(), "the run finished before it could be killed"
    checkpoint_state = tf.train.get_checkpoint_state(str(run_dir / "checkpoints"))
    step_at_kill = saved_step(str(run_dir / "checkpoints" / os.path.basename(checkpoint_state.model_checkpoint_path)))
    assert 0 < step_at_kill < 18

    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"resuming from step {step_at_kill} " in result.stdout
    assert (run_dir / "model.keras").exists()

    # The checkpoint is intact and at the end; model.keras holds the same weights.
    config = TrainingConfig.from_dict(json.loads((run_dir / "config.json").read_text()))
    keras.mixed_precision.set_global_policy("float32")
    gan = build_gan(config)
    assert TrainingCheckpoint(str(run_dir / "checkpoints")).restore(gan) == TrainingProgress(18, 3, 0)
    # Both optimizers count every step exactly once: the restored count plus the resumed run's steps.
    assert int(gan.g_optimizer.iterations) == int(gan.d_optimizer.iterations) == 18
    saved = keras.models.load_model(str(run_dir / "model.keras"))
    for a, b in zip(saved.ema_generator.weights, gan.ema_generator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
