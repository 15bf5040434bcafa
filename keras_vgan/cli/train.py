"""`keras-vgan train`: train a video GAN from a preset and/or flags.

The flags are `TrainingConfig`'s fields (see `keras_vgan.presets`): a field
with help text is a flag, so a new option needs no second list here.
"""

import argparse
import dataclasses
import json
import os
import re

from keras_vgan.cli import UsageError, non_negative_float, positive_int


def _pair(text):
    name, separator, value = text.partition("=")
    if not separator or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        parsed = json.loads(value)  # 0.2, 3, true, null, "text"
    except ValueError:
        parsed = value  # a bare word: resize, spectral, …
    return name, parsed


PREDICTION_PRESET = "predict-moving-digits"
ENHANCEMENT_PRESET = "enhance-denoise-moving-digits"
ANIMATION_PRESET = "animate-moving-digits"
PARSERS = {"count": positive_int, "integer": int, "number": non_negative_float, "text": str, "pairs": _pair}


def _training_fields():
    from keras_vgan.presets import TrainingConfig

    return [field for field in dataclasses.fields(TrainingConfig) if field.metadata.get("help")]


def _flag(field):
    return field.metadata.get("flag") or "--" + field.name.replace("_", "-")


def _architecture_list():
    from keras_vgan.models.zoo import ARCHITECTURES, CONDITIONAL_OPTION

    lines = ["architectures (--model) and their options (--model-option NAME=VALUE):"]
    for architecture in ARCHITECTURES.values():
        # num_classes is not an option to give: --conditional takes it from the data.
        options = ", ".join(f"{name}={default!r}" for name, default in architecture.options.items()
                            if name != CONDITIONAL_OPTION)
        conditional = " (class-conditional with --conditional)" if architecture.conditional else ""
        lines.append(f"  {architecture.name}: {architecture.summary}{conditional}\n      options: {options}")
    return "\n".join(lines)


def add_parser(subparsers):
    from keras_vgan.presets import PRESETS

    parser = subparsers.add_parser("train", help="train a video GAN", description="Train a video GAN.",
                                   epilog=_architecture_list(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset",
                        help=f"named configuration to start from: {', '.join(PRESETS)} (default: quickstart, or "
                             f"{PREDICTION_PRESET} with --task predict, {ENHANCEMENT_PRESET} with --task enhance, "
                             f"{ANIMATION_PRESET} with --task animate)")
    parser.add_argument("--size", type=positive_int, help="frame height and width in pixels")
    parser.add_argument("--output", default="runs", help="parent directory of run directories (default: runs)")
    parser.add_argument("--name", help="run directory name (default: the preset's name, or the --data folder's, "
                                       "with the --model when it differs from the preset's)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    for field in _training_fields():
        kind = field.metadata["kind"]
        if kind == "switch":
            # Unset (None) unless given, so that a preset's own value stands.
            parser.add_argument(_flag(field), dest=field.name, action="store_const", const=True,
                                help=field.metadata["help"])
            continue
        extra = {"action": "append"} if kind == "pairs" else {}
        parser.add_argument(_flag(field), dest=field.name, type=PARSERS[kind], help=field.metadata["help"], **extra)
    parser.set_defaults(run=run)


def preset_name(args):
    """The preset a run starts from: --preset, else the quickstart (or the task's own preset for another --task)."""
    if args.preset:
        return args.preset
    return {"predict": PREDICTION_PRESET, "enhance": ENHANCEMENT_PRESET,
            "animate": ANIMATION_PRESET}.get(args.task, "quickstart")


def config_from_args(args):
    from keras_vgan.presets import get_preset

    config = get_preset(preset_name(args))
    overrides = {field.name: getattr(args, field.name) for field in _training_fields()}
    for pairs in ("model_options", "degradation_options"):
        if overrides.get(pairs) is not None:
            # Options given on the command line add to (and override) the preset's.
            overrides[pairs] = {**getattr(config, pairs), **dict(overrides[pairs])}
    if args.size:
        overrides.update(height=args.size, width=args.size)
    if args.data:
        overrides["dataset"] = None
    config = config.replace(**overrides)
    if config.data is None and config.dataset is None:
        raise UsageError("--dataset or --data is required")
    return config


# Folder names that say which part of a dataset, not which dataset.
SUBSET_FOLDER_NAMES = ("train", "test", "val", "validation")


def default_run_name(args, config):
    """The preset's name, or the --data folder's; with the model appended when --model changed it, and
    "-conditional" when --conditional did.

    A run named after what it trains on keeps `train --data myvideos/` after the
    quickstart from colliding with the quickstart's checkpoints.
    """
    from keras_vgan.presets import get_preset

    if args.data:
        path = os.path.normpath(args.data.split(":", 1)[-1])
        base = os.path.basename(path) or "data"
        if base.lower() in SUBSET_FOLDER_NAMES and os.path.basename(os.path.dirname(path)):
            # `prepare --ucf101-split` writes OUT/train and OUT/test: "train" alone would name
            # every such run the same.
            base = f"{os.path.basename(os.path.dirname(path))}-{base}"
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", os.path.splitext(base)[0]).strip("-.") or "data"
    else:
        name = preset_name(args)
    preset = get_preset(preset_name(args))
    if config.model != preset.model:
        name = f"{name}-{config.model}"
    if config.conditional and not preset.conditional:
        # Its checkpoints and class names must not meet the unconditional run's.
        name = f"{name}-conditional"
    return name


def run(args):
    from keras_vgan.training import train

    config = config_from_args(args)
    # Validate everything cheap before TensorFlow builds anything.
    config.validate()
    run_dir = os.path.join(args.output, args.name or default_run_name(args, config))
    from keras_vgan.distribute import worker_role

    gan, _ = train(config, run_dir, verbose=0 if args.quiet else 1)
    role = worker_role(gan.distribute_strategy)
    if not role.is_chief:
        print(f"keras-vgan: done (worker {role.index} of {role.count}; the chief writes {run_dir})")
        return 0
    print(f"keras-vgan: done; samples in {os.path.join(run_dir, 'samples')}, model in {os.path.join(run_dir, 'model.keras')}")
    return 0
