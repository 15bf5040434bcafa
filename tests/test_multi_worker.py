"""A real two-worker `MultiWorkerMirroredStrategy` job on localhost, through `keras_vgan.training.train`.

Two processes with their own `TF_CONFIG` train one tiny model: both must end
with the same weights, only the chief may leave files (in the run directory;
the other worker's checkpoint copies go to a temporary directory it removes),
each draws its own noise, and a second launch resumes from the checkpoint.
"""

import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from helpers import TWO_LOGICAL_CPUS, run_with_two_logical_cpus
from keras_vgan import distribute

HERE = os.path.dirname(os.path.abspath(__file__))
JOB = os.path.join(HERE, "multi_worker_job.py")
TIMEOUT = 300


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("localhost", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _launch(run_dir, out_dir, temp_dirs, epochs):
    ports = ",".join(str(port) for port in _free_ports(2))
    processes = []
    for index in range(2):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "",
               "TMPDIR": str(temp_dirs[index]), "PYTHONUNBUFFERED": "1"}
        env.pop("TF_CONFIG", None)
        processes.append(subprocess.Popen(
            [sys.executable, JOB, str(index), ports, str(run_dir), str(out_dir), str(epochs)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    logs = []
    try:
        for process in processes:
            logs.append(process.communicate(timeout=TIMEOUT)[0])
    finally:
        for process in processes:
            if process.poll() is None:  # One worker failing leaves the other waiting on a collective.
                process.kill()
                process.communicate()
    for index, process in enumerate(processes):
        assert process.returncode == 0, f"worker {index} exited {process.returncode}:\n{logs[index][-4000:]}"
    return logs


def _weights(out_dir, index):
    with np.load(os.path.join(out_dir, f"weights_{index}.npz")) as archive:
        return {name: archive[name] for name in archive.files}


def _assert_same_weights(out_dir):
    chief, other = _weights(out_dir, 0), _weights(out_dir, 1)
    assert chief.keys() == other.keys()
    for name in chief:
        np.testing.assert_array_equal(chief[name], other[name], err_msg=name)


def _files(directory):
    return sorted(os.path.relpath(os.path.join(folder, name), directory)
                  for folder, _, names in os.walk(directory) for name in names)


def test_two_workers_train_alike_write_from_the_chief_only_and_resume(tmp_path):
    run_dir, out_dir = tmp_path / "run", tmp_path / "out"
    temp_dirs = [tmp_path / "tmp0", tmp_path / "tmp1"]
    for directory in (out_dir, *temp_dirs):
        directory.mkdir()

    logs = _launch(run_dir, out_dir, temp_dirs, epochs=1)
    for index, log in enumerate(logs):
        assert f"MultiWorkerMirroredStrategy, 2 replicas, worker {index} of 2" in log, log[-3000:]
        assert "global batch 4, 2 per replica" in log, log[-3000:]
    _assert_same_weights(out_dir)
    first_weights = _weights(out_dir, 0)

    # Each worker drew its own noise.
    noise = [np.load(os.path.join(out_dir, f"noise_{index}.npy")) for index in range(2)]
    assert noise[0].shape == noise[1].shape == (1, 2, 8)
    assert not np.allclose(noise[0], noise[1])

    # Only the chief wrote the run directory, once; the other worker's checkpoint copies are gone.
    files = _files(run_dir)
    assert "config.json" in files and "model.keras" in files
    assert "samples/epoch_0001.png" in files and "samples/real.png" in files
    assert len([f for f in files if f.startswith("tensorboard/train/") and "tfevents" in f]) == 1
    assert not [f for f in files if "worker" in f or f.endswith("_temp")], files
    assert _files(temp_dirs[1]) == [] and os.listdir(temp_dirs[1]) == []
    checkpoints = tf.train.get_checkpoint_state(str(run_dir / "checkpoints"))
    assert checkpoints is not None and checkpoints.model_checkpoint_path.endswith("ckpt-2")

    # A second launch continues from the chief's checkpoint on both workers.
    logs = _launch(run_dir, out_dir, temp_dirs, epochs=2)
    for log in logs:
        assert "resuming from step 3 (epoch 2, step 0 of 3)" in log, log[-3000:]
    _assert_same_weights(out_dir)
    assert any(not np.array_equal(first_weights[name], value) for name, value in _weights(out_dir, 0).items())
    assert "samples/epoch_0002.png" in _files(run_dir)
    assert os.listdir(temp_dirs[1]) == []


REPLICA_NOISE = TWO_LOGICAL_CPUS + textwrap.dedent("""
    from helpers import tiny_gan
    from keras_vgan import distribute
    with strategy.scope():
        gan = tiny_gan(seed=0)

    @tf.function
    def draw():
        return strategy.run(lambda: gan.sample_noise(3)["noise"])

    first, second = (value.numpy() for value in strategy.experimental_local_results(draw()))
    assert first.shape == second.shape == (3, 8)
    assert not np.allclose(first, second)

    # DiffAugment's draws, made the same way, differ between the replicas too.
    from keras_vgan.diffaugment import DiffAugment
    augment = DiffAugment("translation,cutout")
    clip = tf.ones([2, 4, 16, 16, 1])

    @tf.function
    def augmented():
        return strategy.run(lambda: augment(clip, training=True))

    first, second = (value.numpy() for value in strategy.experimental_local_results(augmented()))
    assert not np.array_equal(first, second)
    assert distribute.per_replica_batch_size(8, strategy) == 4
    try:
        distribute.per_replica_batch_size(7, strategy)
    except ValueError as error:
        assert "batch_size=7 is not valid for 2 replicas; expected a multiple of 2" in str(error), error
    else:
        raise AssertionError("batch 7 over 2 replicas was accepted")
    print("REPLICAS_OK")
""")


def test_two_replicas_draw_different_noise_in_one_step_and_split_the_global_batch():
    result = run_with_two_logical_cpus(REPLICA_NOISE)
    assert "REPLICAS_OK" in result.stdout, result.stderr[-3000:]


def test_replica_noise_seed_keeps_a_single_worker_run_and_separates_workers():
    assert distribute.replica_noise_seed(7, 0) == 7
    seeds = {distribute.replica_noise_seed(7, worker, step) for worker in range(4) for step in (0, 100, 5000)}
    assert len(seeds) == 12


@pytest.mark.parametrize("text, expected", [
    ("{not json", "TF_CONFIG is not valid JSON"),
    ('{"task": {"type": "worker", "index": 0}}', 'expected an object with a "cluster" object'),
    ('{"cluster": {"worker": []}, "task": {"type": "worker", "index": 0}}', "cluster['worker']=[] is not valid"),
    ('{"cluster": {"worker": ["localhost"]}, "task": {"type": "worker", "index": 0}}', "host:port"),
    ('{"cluster": {"worker": ["a:1", "b:2"]}}', "TF_CONFIG task=None is not valid"),
    ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "chief", "index": 0}}', "task type 'chief' is not"),
    ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 2}}', "expected 0 to 1"),
])
def test_a_malformed_tf_config_is_one_clear_error(text, expected):
    with pytest.raises(ValueError, match=None) as error:
        distribute.resolve_strategy_name("multi-worker", environ={"TF_CONFIG": text})
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


def test_strategy_choices_and_what_they_need():
    assert distribute.resolve_strategy_name("auto", environ={}) == "default"
    cluster = '{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}'
    assert distribute.resolve_strategy_name("auto", environ={"TF_CONFIG": cluster}) == "multi-worker"
    assert distribute.resolve_strategy_name("auto", environ={"TPU_NAME": "my-tpu"}) == "tpu"
    with pytest.raises(ValueError, match="strategy='multi-worker' needs the TF_CONFIG"):
        distribute.resolve_strategy_name("multi-worker", environ={})
    if not distribute.tpu_configured():
        with pytest.raises(ValueError, match="strategy='tpu' found no TPU"):
            distribute.resolve_strategy_name("tpu", environ={})
    with pytest.raises(ValueError, match=r"strategy='gpus' is not valid; expected one of \['auto'"):
        distribute.resolve_strategy_name("gpus")


@pytest.mark.parametrize("argv, tf_config, expected", [
    (["--strategy", "multi-worker"], None, "strategy='multi-worker' needs the TF_CONFIG environment variable"),
    (["--strategy", "multi-worker"], "{oops", "TF_CONFIG is not valid JSON"),
    (["--strategy", "auto"], '{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}',
     "TF_CONFIG task index 3 is not valid"),
    (["--strategy", "tpu"], None, "strategy='tpu' found no TPU"),
    (["--strategy", "horovod"], None, "strategy='horovod' is not valid"),
])
def test_a_strategy_that_cannot_start_is_one_line_exit_2_and_no_run_directory(argv, tf_config, expected, tmp_path,
                                                                                 monkeypatch, capsys):
    from keras_vgan.cli import main

    if "tpu" in argv and distribute.tpu_configured():
        pytest.skip("this machine has a TPU")
    monkeypatch.delenv("TPU_NAME", raising=False)
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    assert main(["train", *argv, "--output", str(tmp_path / "runs")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], lines
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("name, side", [("ucf101-mocogan-64", 64), ("ucf101-dvd-gan-128", 128)])
def test_the_ucf101_cluster_presets_build_their_networks_and_name_prepares_train_shards(name, side):
    from keras_vgan.models import build_architecture
    from keras_vgan.presets import get_preset

    config = get_preset(name).validate()
    assert (config.frames, config.height, config.width, config.channels) == (16, side, side, 3)
    assert config.data == f"data/ucf101_16x{side}/train" and config.dataset is None
    # The preset's architecture and options at its size, with narrow layers to keep the test small.
    options = {**config.model_arguments(), "generator_filters": 4, "discriminator_filters": 4}
    generator, discriminators = build_architecture(config.model, 16, side, side, 3, **options)
    assert generator.output_shape == (None, 16, side, side, 3)
    assert len(discriminators) == 2


def test_a_cluster_preset_without_its_shards_is_one_line(tmp_path, monkeypatch, capsys):
    from keras_vgan.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert main(["train", "--preset", "ucf101-mocogan-64", "--strategy", "default"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "data/ucf101_16x64/train" in lines[0], lines
    assert not (tmp_path / "runs").exists()
