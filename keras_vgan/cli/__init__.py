"""`keras-vgan`: the command line.

Each subcommand lives in a module of its own that exposes
``add_parser(subparsers)`` and ``run(args) -> int``; this module only wires them
together, turns bad input into one line on stderr and exit status 2, and keeps
TensorFlow's start-up messages off the terminal unless ``--verbose`` is given.
"""

import argparse
import importlib
import os
import pkgutil
import sys
import warnings

from keras_vgan.startup import filtered_stderr, import_tensorflow_quietly, is_startup_noise  # noqa: F401

# The order `keras-vgan --help` lists them in; any other module of this package
# that has `add_parser` is listed after these.
PREFERRED_ORDER = ("train", "sample", "interpolate", "predict", "animate", "enhance", "export", "evaluate", "prepare")

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


def _one_line_warning(message, category, filename, lineno, line=None):
    # A warning on the command line is for the user, not the developer: no source line under it.
    return f"keras-vgan: {category.__name__}: {message}\n"


def main(argv=None):
    default_format, warnings.formatwarning = warnings.formatwarning, _one_line_warning
    try:
        return _main(argv)
    finally:
        warnings.formatwarning = default_format


def _main(argv):
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
