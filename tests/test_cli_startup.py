"""`keras-vgan` prints only its own lines unless --verbose: TensorFlow's start-up messages are filtered."""

import os
import re
import signal
import subprocess
import sys
import textwrap

import pytest

from keras_vgan.cli import is_startup_noise
from keras_vgan.precision import onednn_enabled

# What a TensorFlow native log record, or absl's notice before it, looks like.
NATIVE_RECORD = re.compile(r"^([IWEF]\d{4} \d\d:\d\d:\d\d|WARNING: All log messages before absl)", re.MULTILINE)


def keras_vgan(*argv, env=None):
    environment = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-m", "keras_vgan.cli", *argv], capture_output=True, text=True,
                          timeout=300, env={**environment, **(env or {})})


def test_a_command_that_loads_tensorflow_prints_only_its_own_line(tmp_path):
    result = keras_vgan("export", str(tmp_path / "missing"), str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"keras-vgan export: error: model '{tmp_path / 'missing'}' does not exist; "
        "expected a .keras file or a run directory"]


def test_verbose_shows_tensorflow_start_up_messages(tmp_path):
    result = keras_vgan("--verbose", "export", str(tmp_path / "missing"), str(tmp_path / "out"))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    # What the filter would drop is shown, and it is all that --verbose adds to the command's own line.
    assert any(is_startup_noise(line) for line in lines), result.stderr
    assert [line for line in lines if not is_startup_noise(line)] == [
        f"keras-vgan export: error: model '{tmp_path / 'missing'}' does not exist; "
        "expected a .keras file or a run directory"], result.stderr
    if onednn_enabled():
        # TensorFlow announces oneDNN only where it turns it on: by default just on x86 CPUs with
        # AVX512-VNNI/BF16, AVX-VNNI or AMX (not, e.g., an AVX2-only AMD EPYC).
        assert any("oneDNN custom operations are on" in line for line in lines), result.stderr


def test_a_plain_import_registers_the_models_for_load_model(tmp_path):
    # Why the package imports its models (and TensorFlow) eagerly: Keras finds a saved VideoGAN's
    # class only if keras_vgan registered it, and users load models right after `import keras_vgan`.
    from helpers import tiny_gan

    path = tmp_path / "tiny.keras"
    tiny_gan().save(path)
    code = f"import keras, keras_vgan; print(type(keras.models.load_model({str(path)!r})).__name__)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "VideoGAN", result.stderr[-2000:]


@pytest.mark.parametrize("line, noise", [
    ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR", True),
    ("I0000 00:00:1796177243.375267    3856 port.cc:153] oneDNN custom operations are on.", True),
    ("I0000 00:00:1796177243.375697    3856 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU "
     "will not be used.", True),
    ("W0000 00:00:1796177243.445489    3856 cpu_feature_guard.cc:227] This TensorFlow binary is optimized", True),
    ("To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the "
     "appropriate compiler flags.", True),
    ("E0000 00:00:1796177358.128837    5929 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: "
     "Failed call to cuInit: UNKNOWN ERROR (303)", True),
    ("E0000 00:00:1721 1 cuda_dnn.cc:8310] Unable to register cuDNN factory: Attempting to register factory for "
     "plugin cuDNN when one has already been registered", True),
    # Real trouble stays visible.
    ("E0000 00:00:1796177358.128837    5929 gpu_device.cc:2020] Out of memory while allocating", False),
    ("F0000 00:00:1796177243.375267    3856 cpu_feature_guard.cc:95] The TensorFlow library was compiled to use "
     "AVX instructions, but these aren't available on your machine.", False),
    ("Traceback (most recent call last):", False),
    ("ImportError: libcudart.so.12: cannot open shared object file", False),
    ("/usr/lib/python3/site-packages/numpy/__init__.py:1: UserWarning: something", False),
])
def test_what_counts_as_start_up_noise(line, noise):
    assert is_startup_noise(line) is noise


FILTERED = textwrap.dedent("""
    import os, sys
    from keras_vgan.cli import filtered_stderr
    print("before", file=sys.stderr, flush=True)
    with filtered_stderr():
        os.write(2, b"I0000 00:00:1796177243.375267    3856 port.cc:153] oneDNN custom operations are on.\\n")
        os.write(2, b"E0000 00:00:1796177243.4    3856 some_op.cc:1] something real broke\\n")
        print("a Python warning", file=sys.stderr)
        if sys.argv[1] == "abort":
            sys.stderr.flush()
            os.abort()  # as a fatal native record does, right after writing itself
    print("after", file=sys.stderr)
""")


@pytest.mark.parametrize("ending", ["normal", "abort"])
def test_the_filter_drops_noise_and_keeps_everything_else_even_through_a_crash(ending):
    result = subprocess.run([sys.executable, "-c", FILTERED, ending], capture_output=True, text=True, timeout=60)
    expected = ["before", "E0000 00:00:1796177243.4    3856 some_op.cc:1] something real broke", "a Python warning"]
    if ending == "abort":
        assert result.returncode == -signal.SIGABRT
    else:
        assert result.returncode == 0, result.stderr
        expected.append("after")
    lines = result.stderr.splitlines()
    # Importing keras_vgan in a plain script imports TensorFlow unfiltered: judge only what follows.
    assert lines[lines.index("before"):] == expected, result.stderr


