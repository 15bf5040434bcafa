"""Pieces the training benchmarks share: the machine, timing, models, tables.

The scripts in this folder import it as `common` (Python puts the script's own
folder first on `sys.path`), so run them as `python benchmarks/NAME.py`.
"""

import os

# Quiet TensorFlow's start-up banner; must happen before the first TF import.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

DEFAULT_MODELS = ("quickstart-conv3d", "vgan-64")


# ---- the machine --------------------------------------------------------------------------------
def cpu_model_name():
    """The CPU's marketing name from /proc/cpuinfo (or `platform.processor()` elsewhere)."""
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def total_memory_gib():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return float("nan")


def load_average():
    """The 1-minute load average: the timings are only comparable when it is low (< ~1.2 here)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def machine_lines(extra_versions=(), start_load=None):
    """Markdown bullet lines naming the machine and software, for the top of every result."""
    import keras
    import tensorflow as tf

    from keras_vgan.precision import accelerator, cpu_has_native_bfloat16

    versions = [f"Python {platform.python_version()}", f"TensorFlow {tf.__version__}", f"Keras {keras.__version__}"]
    versions += list(extra_versions)
    return [
        f"- CPU: {cpu_model_name()}, {os.cpu_count()} cores, native bf16 (AVX512-BF16/AMX): "
        f"{'yes' if cpu_has_native_bfloat16() else 'no'}; memory {total_memory_gib():.0f} GiB; "
        f"accelerator: {accelerator()}",
        f"- Software: {', '.join(versions)}; TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'default (on)')}",
        f"- Load average (1 min) at start: {load_average() if start_load is None else start_load:.2f}, "
        f"at the end: {load_average():.2f}",
        f"- Command: `python {' '.join(sys.argv)}`",
    ]


def busy_cpu_seconds():
    """CPU seconds all processes on the machine have used since boot (Linux /proc/stat; None elsewhere)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


# ---- timing -------------------------------------------------------------------------------------
def process_cpu_seconds():
    """User + system CPU time of this process, all threads."""
    times = os.times()
    return times.user + times.system


def time_calls(function, warmup, repeats, cpu_times=None):
    """Seconds taken by each of `repeats` calls of `function()` after `warmup` untimed calls.

    `function` must block until its work is done (e.g. end with `.numpy()`).
    If `cpu_times` is a list, the process CPU seconds of each call are appended
    to it: on a shared machine they are inflated far less than wall time, so
    they compare variants of one framework better (spinning threads count too).

    Example:
    >>> times = time_calls(lambda: sum(range(1000)), warmup=1, repeats=5)
    >>> len(times)
    5
    """
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), process_cpu_seconds()
        function()
        times.append(time.perf_counter() - start)
        if cpu_times is not None:
            cpu_times.append(process_cpu_seconds() - cpu_start)
    return times


def median(values):
    return statistics.median(values)


def spread(values):
    """(max - min) / median, as a percentage: how noisy the timed calls were."""
    middle = statistics.median(values)
    return 100.0 * (max(values) - min(values)) / middle if middle else float("nan")


# ---- models -------------------------------------------------------------------------------------
def model_config(name, batch_size=None, frames=None, size=None, filters=None):
    """The preset `name` with optional overrides (used to shrink a smoke run)."""
    from keras_vgan.presets import get_preset

    config = get_preset(name)
    changes = {"batch_size": batch_size, "frames": frames, "height": size, "width": size,
               "generator_filters": filters, "discriminator_filters": filters}
    return config.replace(**changes)


def random_clips(config, seed=0):
    """A batch of clips in [-1, 1] for `config`: the benchmarks time the model, not the data."""
    rng = np.random.default_rng(seed)
    shape = (config.batch_size, config.frames, config.height, config.width, config.channels)
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def keras_training_step(config, precision):
    """(step, gan): `step()` runs one `VideoGAN` training step exactly as `fit` does, and blocks.

    The global dtype policy is set to `precision` for the build (callers reset it).
    """
    import tensorflow as tf

    from keras_vgan import precision as precision_policy
    from keras_vgan.training import build_gan

    precision_policy.set_precision(precision)
    config = config.replace(precision=precision)
    gan = build_gan(config)
    clips = tf.data.Dataset.from_tensors(random_clips(config)).repeat()
    iterator = iter(clips)
    gan.make_train_function()

    def step():
        logs = gan.train_function(iterator)
        return float(logs["d_loss"])  # `float` waits for the step to finish

    return step, gan


def release_keras_models():
    import gc

    import keras

    keras.backend.clear_session()
    keras.mixed_precision.set_global_policy("float32")
    gc.collect()


# ---- one setting per process ---------------------------------------------------------------------
def run_worker(script, worker_args):
    """Runs `python script *worker_args` in a fresh process; returns its last stdout line as JSON.

    Each setting gets its own process so that no thread pool, allocator cache
    or compiled graph of one setting is there when the next one is timed.
    The result gains "load": the higher 1-minute load average of its start and
    end (which counts the worker's own threads), and "other_cores": how many
    cores' worth of CPU other processes used meanwhile (machine-wide busy time
    minus the worker's own CPU time, per second of wall time): 0 on a quiet machine.
    """
    import json
    import resource
    import subprocess

    load = load_average()
    busy_start = busy_cpu_seconds()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall_start = time.perf_counter()
    finished = subprocess.run([sys.executable, script, *worker_args], capture_output=True, text=True)
    wall = time.perf_counter() - wall_start
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_end = busy_cpu_seconds()
    if finished.returncode != 0:
        raise RuntimeError(f"{os.path.basename(script)} {' '.join(worker_args[:6])} failed "
                           f"(exit {finished.returncode}):\n{finished.stderr[-3000:]}")
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    result["load"] = max(load, load_average())
    own = (children_after.ru_utime + children_after.ru_stime) - (children.ru_utime + children.ru_stime)
    if busy_start is not None and busy_end is not None and wall > 0:
        result["other_cores"] = max(0.0, (busy_end - busy_start - own) / wall)
    else:
        result["other_cores"] = float("nan")
    return result


# ---- command line and output ---------------------------------------------------------------------
def add_output_and_worker_arguments(parser, *hidden, worker_choices=None):
    """`--out`, and the hidden `--worker` and `--NAME` options a script passes to its own worker processes."""
    import argparse

    parser.add_argument("--out", help="also write the markdown here (atomically)")
    if worker_choices:
        parser.add_argument("--worker", choices=worker_choices, help=argparse.SUPPRESS)
    else:
        parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    for name in hidden:
        parser.add_argument(f"--{name}", help=argparse.SUPPRESS)


def add_model_override_arguments(parser):
    """`--batch-size`, `--frames`, `--size`, `--filters`: shrink a preset (see `model_config`) for a smoke run."""
    parser.add_argument("--batch-size", type=int, help="override the preset's batch size")
    parser.add_argument("--frames", type=int, help="override the preset's frames per clip")
    parser.add_argument("--size", type=int, help="override the preset's frame height and width")
    parser.add_argument("--filters", type=int, help="override the preset's base filters (G and D)")


def train_preset(name, runs, seed=0, steps=None, filters=None, **overrides):
    """Train preset `name` into `runs/name` as `keras-vgan train --preset name` would; its summary row.

    `steps` replaces the schedule with one epoch of that many steps and
    `filters` both networks' widths (smoke runs); `overrides` replace other
    fields of the preset. The row has the preset,
    model, dataset, wall seconds, steps and parameter counts.
    """
    from keras_vgan.presets import get_preset
    from keras_vgan.training import train

    config = get_preset(name).replace(seed=seed, **overrides)
    if steps:
        config = config.replace(epochs=1, steps_per_epoch=steps, checkpoint_every=steps, sample_every=1)
    if filters:
        config = config.replace(generator_filters=filters, discriminator_filters=filters)
    config.validate()
    started = time.time()
    gan, _ = train(config, os.path.join(runs, name), verbose=2)
    return {"preset": name, "model": config.model, "dataset": config.dataset, "wall_s": time.time() - started,
            "steps": int(gan.g_optimizer.iterations.numpy()), "g_params": gan.generator.count_params(),
            "d_params": sum(d.count_params() for d in gan.discriminators)}


def keras_vgan_report(arguments):
    """Run `keras-vgan ARGUMENTS` in a subprocess, as a user would; its report lines (progress bars dropped).

    A failed command ends the benchmark with its exit status and the end of its stderr.
    """
    import subprocess

    command = [sys.executable, "-m", "keras_vgan.cli", *arguments]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return [line for line in result.stdout.replace("\r", "\n").splitlines()
            if line.strip() and "━" not in line and "/batch" not in line and "/step" not in line]


def report_number(lines, pattern):
    """The float the first group of regex `pattern` matches in report `lines`; NaN where it does not match."""
    import re

    match = re.search(pattern, "\n".join(lines))
    return float(match.group(1)) if match else float("nan")


def publish(text, out=None):
    """Print the markdown `text` and, with `out`, also write it there atomically. Returns 0, main's exit code."""
    print(text)
    if out:
        write_atomically(out, text)
    return 0


def markdown_table(headers, rows):
    """A GitHub-flavoured markdown table.

    Example:
    >>> print(markdown_table(["a", "b"], [[1, 2]]))
    | a | b |
    |---|---|
    | 1 | 2 |
    """
    lines = ["| " + " | ".join(str(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_atomically(path, text):
    """Write `text` to `path` through a temporary file in the same folder, then rename."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w") as file:
            file.write(text)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
