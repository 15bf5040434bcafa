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


def add_class_argument(parser, many):
    """--class, shared with `keras-vgan interpolate` (which takes one)."""
    parser.add_argument("--class", dest="classes", action="append" if many else None, metavar="CLASS",
                        help="conditional models: a class name from the run's class_names.json, or a "
                             "label index" + (" (repeat it for several classes, one row each)" if many else ""))


def resolve_classes(values, gan, model_path):
    """The label indices of the --class `values` (names or indices) for `gan`; ValueError naming a bad one.

    Example:
    >>> class Gan: num_classes = 3
    >>> resolve_classes(["2", "0"], Gan(), "/no/such/run/model.keras")
    [2, 0]
    """
    from keras_vgan.saving import CLASS_NAMES_FILENAME, read_class_names

    num_classes = getattr(gan, "num_classes", None)
    if not num_classes:
        raise ValueError(f"--class {values[0]} is not valid: the model is not class-conditional; "
                         "expected no --class")
    class_names = read_class_names(model_path)
    labels = []
    for value in values:
        if class_names is not None and value in class_names:
            labels.append(class_names.index(value))  # A name first: a class may be named "3".
            continue
        try:
            label = int(value)
        except ValueError:
            known = (f"one of {class_names} or an index in [0, {num_classes})" if class_names is not None else
                     f"an index in [0, {num_classes}) (the model has no {CLASS_NAMES_FILENAME} beside it "
                     "to name classes by)")
            raise ValueError(f"--class {value!r} is not a class of this model; expected {known}") from None
        if not 0 <= label < num_classes:
            raise ValueError(f"--class {value} is outside the model's labels; expected an index in "
                             f"[0, {num_classes})" + (f" or one of {class_names}" if class_names else ""))
        labels.append(label)
    return labels


def class_name(label, model_path):
    """The name of `label` in the run's class_names.json, else the label as text (for messages)."""
    from keras_vgan.saving import read_class_names

    names = read_class_names(model_path)
    return names[label] if names is not None and label < len(names) else str(label)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "sample", help="write videos sampled from a trained model",
        description="Sample videos from a trained model. The same --seed gives the same videos, here, "
                    "in VideoGAN.generate and in the exported SavedModel's sample signature. A class-conditional "
                    "model gives one row per class, each row the videos of VideoGAN.generate(NUM, seed=SEED, "
                    "labels=CLASS): every --class in the order given, or without --class every class in "
                    "label order (a .png grid, a row per video, shows them as blocks of --num rows). The "
                    "classes share the noise, so a column is one latent point in each class.")
    parser.add_argument("model", metavar="MODEL", help="a .keras file or a run directory holding model.keras")
    parser.add_argument("--num", type=positive_int,
                        help="how many videos (default: 16); for a class-conditional model, how many of each "
                             "class (default: 4)")
    parser.add_argument("--seed", type=int, default=0, help="noise seed (default: 0)")
    parser.add_argument("--columns", type=positive_int,
                        help="videos per row of an animated grid (default: about square; a class-conditional "
                             "model's grid always has one row per class, --num wide)")
    parser.add_argument("--streams", action="store_true",
                        help="vgan models: each sample's video, foreground, mask and background side by side; "
                             "sprites models: each sample's video, then each sprite alone")
    add_class_argument(parser, many=True)
    add_output_arguments(parser)
    parser.set_defaults(run=run)


def run(args):
    import numpy as np

    from keras_vgan import video_io
    from keras_vgan.saving import load_video_gan

    chosen = check_output(args)
    gan = load_video_gan(args.model)
    num_classes = getattr(gan, "num_classes", None)
    if args.classes or num_classes:
        labels = resolve_classes(args.classes or [str(label) for label in range(num_classes)], gan, args.model)
        if args.streams:
            raise ValueError("--streams is not valid for a class-conditional model; expected no --streams")
        per_class = args.num or 4
        # One `generate` per class, so each row is exactly what `generate(per_class, seed, labels=k)` gives.
        videos = np.concatenate([gan.generate(per_class, seed=args.seed, use_ema=not args.no_ema, labels=label)
                                 for label in labels])
        video_io.write_samples(args.out, videos, fps=args.fps, columns=per_class, format=chosen, scale=args.scale)
        names = ", ".join(class_name(label, args.model) for label in labels)
        print(f"keras-vgan sample: wrote {args.out} ({per_class} videos of {'x'.join(map(str, videos.shape[1:]))} "
              f"for each of {len(labels)} {'class' if len(labels) == 1 else 'classes'} ({names}), one row per class, seed {args.seed}, {chosen})")
        return 0
    args.num = args.num or 16
    what = ""
    if args.streams:
        from keras_vgan.models.sprites import is_sprite_generator, sprite_samples
        from keras_vgan.models.vgan import is_vgan_generator, stream_samples

        if is_sprite_generator(gan.generator):
            videos = sprite_samples(gan, args.num, args.seed, use_ema=not args.no_ema)
            columns = len(videos) // args.num
            what = f" each followed by its {columns - 1} sprites alone"
        elif is_vgan_generator(gan.generator):
            videos = stream_samples(gan, args.num, args.seed, use_ema=not args.no_ema)
            columns = 4
            what = " with their foreground, mask and background"
        else:
            raise ValueError(f"--streams is not valid for {args.model}, whose generator {gan.generator.name!r} has "
                             "neither VGAN's streams nor sprites; expected a vgan or sprites model")
    else:
        videos = gan.generate(args.num, seed=args.seed, use_ema=not args.no_ema)
        columns = args.columns
    video_io.write_samples(args.out, videos, fps=args.fps, columns=columns, format=chosen, scale=args.scale)
    print(f"keras-vgan sample: wrote {args.out} ({args.num} videos of {'x'.join(map(str, videos.shape[1:]))}"
          f"{what}, seed {args.seed}, {chosen})")
    return 0
