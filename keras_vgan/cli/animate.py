"""`keras-vgan animate`: a trained animator sets a picture in motion (image-to-video).

Usage:
    keras-vgan animate RUN PICTURE --out OUT.mp4 [--seed S] [--num-videos N] [--fps F] [--scale K]
                       [--format png|gif|mp4|webm] [--no-ema]

RUN is a run directory or .keras file of an `AnimationGAN` (`keras-vgan
train --task animate`). PICTURE is an image file (PNG, JPEG, BMP, …); it is
converted to the model's frames as training converts them: grayscale or RGB,
resized with the aspect ratio kept until it covers the model's size, then
centre-cropped. When its size or channels differ from the model's, one line
says so. --num-videos N writes N animations of the same picture, side by
side, with seeds S, S+1, …, each the clip of `AnimationGAN.animate(picture,
seed=…)` and of the exported SavedModel's `animate`. Nothing is written when
the picture cannot be read.

Example:
    keras-vgan animate runs/animate-moving-digits digit.png --out digit.mp4
"""

import os

import numpy as np

from keras_vgan.cli import positive_int
from keras_vgan.cli.sample import add_output_arguments, check_output


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "animate", help="set a picture in motion with a trained animator (image-to-video)",
        description="Generate clips that start from a picture and move as the training clips do. The picture "
                    "is resized and converted to the model's frames as training does (aspect kept, centre crop).",
        epilog="example: keras-vgan animate runs/animate-moving-digits digit.png --out digit.mp4")
    parser.add_argument("model", metavar="RUN", help="a run directory holding model.keras, or a .keras file, "
                                                     "of an animator (keras-vgan train --task animate)")
    parser.add_argument("picture", metavar="PICTURE", help="an image file (PNG, JPEG, BMP, ...)")
    parser.add_argument("--seed", type=int, default=0, help="noise seed of the first animation (default: 0)")
    parser.add_argument("--num-videos", type=positive_int, default=1, metavar="N",
                        help="animations of the picture, seeds SEED, SEED+1, ... (default: 1)")
    add_output_arguments(parser)
    parser.set_defaults(run=run)


def run(args):
    from keras_vgan import video_io
    from keras_vgan.datasets.first_frames import channel_name, read_picture
    from keras_vgan.models.animation import is_animator
    from keras_vgan.saving import load_video_gan, resolve_model_path

    # Everything that can fail fast fails before the slow model load: the output, then the picture.
    chosen = check_output(args)
    if not os.path.isfile(args.picture):
        raise FileNotFoundError(f"picture {args.picture!r} does not exist; expected an image file")
    model_path = resolve_model_path(args.model)
    gan = load_video_gan(model_path)
    if not is_animator(gan):
        raise ValueError(f"{args.model} holds a {type(gan).__name__}, which is not an animator; expected an "
                         "AnimationGAN (a run of keras-vgan train --task animate)")
    height, width, channels = gan.picture_shape
    picture, source = read_picture(args.picture, height, width, channels)
    target = f"{width}x{height} {channel_name(channels)}"
    if source != target:
        verb = "resized" if not source.startswith(f"{width}x{height} ") else "converted"
        print(f"keras-vgan animate: {verb} {source} to {target} (aspect kept, centre crop, as in training)")
    use_ema = not args.no_ema
    videos = np.concatenate([gan.animate(picture, seed=args.seed + index, use_ema=use_ema)
                             for index in range(args.num_videos)])
    video_io.write_samples(args.out, videos, fps=args.fps, format=chosen, scale=args.scale)
    seeds = f"seed {args.seed}" if args.num_videos == 1 else f"seeds {args.seed}-{args.seed + args.num_videos - 1}"
    print(f"keras-vgan animate: wrote {args.out} ({args.num_videos} animation(s) of {args.picture}, "
          f"{videos.shape[1]} frames each, {seeds}; {chosen})")
    return 0
