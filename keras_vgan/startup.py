"""Importing TensorFlow without its start-up messages, for the command line.

Every TensorFlow import prints about ten lines before a command's own first
line (absl's notice, oneDNN and CPU-instruction notices, cuInit failing on a
machine without a GPU). `keras-vgan` hides exactly those, and nothing else,
unless `--verbose` is given. Only the standard library is imported here:
this runs before TensorFlow is.
"""

import contextlib
import os
import re
import sys
import time


# What TensorFlow's native libraries print while they load and look for GPUs, whatever the
# command: INFO and WARNING records (the oneDNN notice, "Could not find cuda drivers", the CPU
# instruction notice), absl's notice that it logs to stderr before being set up, and two ERROR
# records that are not errors of the run: cuInit failing on a machine without a GPU, and the CUDA
# libraries' plugins being registered twice. TF_CPP_MIN_LOG_LEVEL cannot hide the records written
# before absl is set up, hence a filter on the file descriptor itself.
STARTUP_NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IW]\d{4} \d\d:\d\d:\d\d"
    r"|E\d{4} \d\d:\d\d:\d\d.*(failed call to cuInit|Unable to register cu\w+ factory)"
    r"|To enable the following instructions: .* rebuild TensorFlow"
)


def is_startup_noise(line):
    """Whether a line TensorFlow printed while starting up is one `--verbose` alone should show.

    Example:
    >>> is_startup_noise("I0000 00:00:1796177243.375267  3856 port.cc:153] oneDNN custom operations are on.")
    True
    >>> is_startup_noise("F0000 00:00:1796177243.375267  3856 cpu_feature_guard.cc:95] AVX not available")
    False
    """
    return STARTUP_NOISE.match(line) is not None


@contextlib.contextmanager
def filtered_stderr(is_noise=is_startup_noise):
    """Inside, what anything (C++ included) writes to file descriptor 2 passes a line filter.

    Lines for which `is_noise` is true are dropped, all others reach stderr.
    The filter runs in a forked process so that a line written just before a
    native crash (a fatal record, then abort) still gets through. Without
    `os.fork` (Windows) nothing is filtered.
    """
    if not hasattr(os, "fork"):
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        exit_status = 0
        try:
            os.close(write_end)
            with os.fdopen(read_end, "rb") as pipe:
                for line in pipe:
                    if not is_noise(line.decode(errors="replace").rstrip("\n")):
                        os.write(2, line)
        except BaseException:  # noqa: BLE001 - the parent must never run on in this copy
            exit_status = 1
        finally:
            os._exit(exit_status)
    os.close(read_end)
    saved = os.dup(2)
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        # The filter ends when the last writer closes the pipe; a process started inside and
        # still running would keep it open, so wait a little, never for ever.
        deadline = time.monotonic() + 5.0
        while os.waitpid(pid, os.WNOHANG) == (0, 0) and time.monotonic() < deadline:
            time.sleep(0.01)


def import_tensorflow_quietly():
    """Import TensorFlow and let it look for GPUs, showing only the lines that are not start-up noise.

    GPUs stay visible: only the messages go. If TensorFlow is already
    imported there is nothing left to hide.
    """
    if "tensorflow" in sys.modules:
        return
    # After start-up too, the native ERROR records of a healthy run are graph-optimizer notices
    # ("remapper failed: … fanout … exist for missing node", a fusion it skips); a real failure reaches
    # the command as a Python exception, which it prints. FATAL records still show.
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    with filtered_stderr():
        import tensorflow as tf

        # Looking for GPUs is where CUDA is initialized, and where cuInit complains without one.
        tf.config.list_physical_devices("GPU")


def started_as_command_line():
    """Whether this process is the `keras-vgan` command (not a notebook or a user's script) without --verbose.

    Example:
    >>> started_as_command_line()
    False
    """
    argv = list(getattr(sys, "orig_argv", sys.argv))
    script = os.path.basename(sys.argv[0]) if sys.argv else ""
    by_module = any(first == "-m" and second.startswith("keras_vgan.cli") for first, second in zip(argv, argv[1:]))
    return (script == "keras-vgan" or by_module) and "--verbose" not in argv
