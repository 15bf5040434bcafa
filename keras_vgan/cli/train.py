"""`keras-vgan train`: train a video GAN from a preset and/or flags."""

import os

from keras_vgan.cli import UsageError, non_negative_float, positive_int

ARGUMENTS = (
    # flag, config field, type, help
    ("--dataset", "dataset", str, "built-in dataset: moving_digits or bouncing_shapes"),
    ("--data", "data", str, "a folder of videos or frame folders, a glob, .npy, TFRecord shards or tfds:NAME"),
    ("--clips-per-video", "clips_per_video", positive_int, "clips sampled from each video file of --data"),
    ("--layout", "layout", str, "axis order of a --data .npy array: NTHW or TNHW (frames first); default: its shape's"),
    ("--num-videos", "num_videos", positive_int, "how many built-in videos to render"),
    ("--num-objects", "num_objects", positive_int, "digits or shapes per built-in clip"),
    ("--frames", "frames", positive_int, "frames per clip"),
    ("--channels", "channels", positive_int, "1 (grayscale) or 3 (RGB)"),
    ("--latent-dim", "latent_dim", positive_int, "noise size"),
    ("--generator-filters", "generator_filters", positive_int, "width of the generator's last hidden layer"),
    ("--discriminator-filters", "discriminator_filters", positive_int, "width of the discriminator's first layer"),
    ("--discriminator-normalization", "discriminator_normalization", str, "none, layer, batch or spectral"),
    ("--loss", "loss", str, "minimax, non_saturating, hinge, wasserstein or least_squares"),
    ("--gradient-penalty", "gradient_penalty_weight", non_negative_float, "WGAN-GP weight (10 is usual)"),
    ("--r1", "r1_weight", non_negative_float, "R1 penalty weight"),
    ("--label-smoothing", "label_smoothing", non_negative_float, "one-sided label smoothing"),
    ("--discriminator-steps", "discriminator_steps", positive_int, "D updates per G update"),
    ("--g-lr", "g_learning_rate", non_negative_float, "generator learning rate"),
    ("--d-lr", "d_learning_rate", non_negative_float, "discriminator learning rate"),
    ("--clipnorm", "clipnorm", non_negative_float, "clip each gradient to this norm"),
    ("--ema-decay", "ema_decay", non_negative_float, "decay of the generator's weight average"),
    ("--batch-size", "batch_size", positive_int, "clips per step"),
    ("--epochs", "epochs", positive_int, "epochs to train"),
    ("--steps-per-epoch", "steps_per_epoch", positive_int, "steps per epoch"),
    ("--sample-every", "sample_every", positive_int, "write samples every N epochs"),
    ("--checkpoint-every", "checkpoint_every", positive_int, "steps between resumable checkpoints"),
    ("--precision", "precision", str, "auto, float32, mixed_bfloat16 or mixed_float16"),
    ("--jit-compile", "jit_compile", str, "auto, on or off: XLA-compile the training step (auto: GPU/TPU only)"),
    ("--seed", "seed", int, "random seed"),
)


def add_parser(subparsers):
    parser = subparsers.add_parser("train", help="train a video GAN", description="Train a video GAN.")
    parser.add_argument("--preset", default="quickstart", help="named configuration to start from (default: quickstart)")
    parser.add_argument("--size", type=positive_int, help="frame height and width in pixels")
    parser.add_argument("--output", default="runs", help="parent directory of run directories (default: runs)")
    parser.add_argument("--name", help="run directory name (default: the preset's name)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    for flag, field, kind, text in ARGUMENTS:
        parser.add_argument(flag, dest=field, type=kind, help=text)
    parser.set_defaults(run=run)


def config_from_args(args):
    from keras_vgan.presets import get_preset

    config = get_preset(args.preset)
    overrides = {field: getattr(args, field) for _, field, _, _ in ARGUMENTS}
    if args.size:
        overrides.update(height=args.size, width=args.size)
    if args.data:
        overrides["dataset"] = None
    config = config.replace(**overrides)
    if args.data is None and config.dataset is None:
        raise UsageError("--dataset or --data is required")
    return config


def run(args):
    from keras_vgan.models.layout import video_layout
    from keras_vgan.losses import get_adversarial_loss
    from keras_vgan.precision import resolve_jit_compile, resolve_precision
    from keras_vgan.training import train

    config = config_from_args(args)
    # Validate everything cheap before TensorFlow builds anything.
    video_layout(config.frames, config.height, config.width)
    get_adversarial_loss(config.loss)
    resolve_precision(config.precision)
    resolve_jit_compile(config.jit_compile)
    if config.channels not in (1, 3):
        raise UsageError(f"--channels {config.channels} is not valid; expected 1 or 3")
    run_dir = os.path.join(args.output, args.name or args.preset)
    train(config, run_dir, verbose=0 if args.quiet else 1)
    print(f"keras-vgan: done; samples in {os.path.join(run_dir, 'samples')}, model in {os.path.join(run_dir, 'model.keras')}")
    return 0
