"""`keras-vgan sample`: videos from a trained model, as a PNG grid or an animated GIF/MP4/WebM grid."""

from keras_vgan.cli import UsageError, positive_int

FORMATS = ("png", "gif", "mp4", "webm")


def positive_float(text):
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def add_output_arguments(parser):
    """--out, --format, --fps, --scale and --no-ema, shared with `keras-vgan interpolate`."""
    parser.add_argument("--out", required=True, metavar="PATH",
                        help="output file; its extension (.png, .gif, .mp4, .webm) picks the format")
    parser.add_argument("--format", choices=FORMATS,
                        help="png: still grid (rows = videos, columns = time); gif/mp4/webm: the videos "
                             "tiled and playing together (default: from --out's extension)")
    parser.add_argument("--fps", type=positive_float, default=8.0, help="frames per second (default: 8)")
    parser.add_argument("--scale", type=positive_int, default=1,
                        help="enlarge every pixel to SCALE x SCALE pixels (default: 1)")
    parser.add_argument("--no-ema", action="store_true", help="sample from the raw generator, not its EMA copy")


def check_output(args):
    """The output format, after checking --out can be written: fail before loading anything."""
    from keras_vgan import video_io

    chosen = video_io.output_format(args.out, args.format)
    if chosen == "gif" and args.fps > video_io.MAX_GIF_FPS:
        raise UsageError(f"--fps {args.fps:g} is too high for a GIF; expected at most {video_io.MAX_GIF_FPS}")
    video_io.check_writable(args.out)
    return chosen


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "sample", help="write videos sampled from a trained model",
        description="Sample videos from a trained model. The same --seed gives the same videos, here, "
                    "in VideoGAN.generate and in the exported SavedModel's sample signature.")
    parser.add_argument("model", metavar="MODEL", help="a .keras file or a run directory holding model.keras")
    parser.add_argument("--num", type=positive_int, default=16, help="how many videos (default: 16)")
    parser.add_argument("--seed", type=int, default=0, help="noise seed (default: 0)")
    parser.add_argument("--columns", type=positive_int, help="videos per row of an animated grid (default: about square)")
    parser.add_argument("--streams", action="store_true",
                        help="vgan models: each sample's video, foreground, mask and background side by side")
    add_output_arguments(parser)
    parser.set_defaults(run=run)


def run(args):
    from keras_vgan import video_io
    from keras_vgan.saving import load_video_gan

    chosen = check_output(args)
    gan = load_video_gan(args.model)
    if args.streams:
        from keras_vgan.models.vgan import stream_samples

        videos = stream_samples(gan, args.num, args.seed, use_ema=not args.no_ema)
        columns = 4
    else:
        videos = gan.generate(args.num, seed=args.seed, use_ema=not args.no_ema)
        columns = args.columns
    video_io.write_samples(args.out, videos, fps=args.fps, columns=columns, format=chosen, scale=args.scale)
    what = " with their foreground, mask and background" if args.streams else ""
    print(f"keras-vgan sample: wrote {args.out} ({args.num} videos of {'x'.join(map(str, videos.shape[1:]))}"
          f"{what}, seed {args.seed}, {chosen})")
    return 0
