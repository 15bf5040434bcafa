"""`keras-vgan`: the command line.

Each subcommand lives in a module of its own that exposes
``add_parser(subparsers)`` and ``run(args) -> int``; this module only wires them
together, turns bad input into one line on stderr and exit status 2, and keeps
TensorFlow's start-up messages off the terminal unless ``--verbose`` is given.
"""

import argparse
import contextlib
import importlib
import os
import pkgutil
import re
import sys
import time

# The order `keras-vgan --help` lists them in; any other module of this package
# that has `add_parser` is listed after these.
PREFERRED_ORDER = ("train", "sample", "interpolate", "export", "evaluate", "prepare")

EXIT_USAGE = 2


class UsageError(Exception):
    """Raised by subcommands for bad input the user can fix."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _non_negative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative number, got {text!r}")
    return value


positive_int = _positive_int
non_negative_float = _non_negative_float

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
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # INFO and WARNING records after start-up
    with filtered_stderr():
        import tensorflow as tf

        # Looking for GPUs is where CUDA is initialized, and where cuInit complains without one.
        tf.config.list_physical_devices("GPU")


def _subcommand_names():
    found = {info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")}
    found.discard("common")
    return [n for n in PREFERRED_ORDER if n in found] + sorted(found - set(PREFERRED_ORDER))


def build_parser():
    parser = _Parser(prog="keras-vgan", description="Train, sample, score and export video GANs.")
    parser.add_argument("--verbose", action="store_true",
                        help="also show TensorFlow's start-up messages (oneDNN, CUDA and CPU notices)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in _subcommand_names():
        module = importlib.import_module(f"keras_vgan.cli.{name}")
        module.add_parser(subparsers)
    return parser


def main(argv=None):
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not args.verbose:
            import_tensorflow_quietly()
        return args.run(args) or 0
    except UsageError as error:
        print(f"keras-vgan: error: {error}".replace("keras-vgan: error: keras-vgan", "keras-vgan"),
              file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, OSError, ImportError, RuntimeError) as error:
        if os.environ.get("KERAS_VGAN_DEBUG"):
            raise
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"keras-vgan {args.command if 'args' in locals() else ''}: error: {message}".replace("  ", " "),
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("keras-vgan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
