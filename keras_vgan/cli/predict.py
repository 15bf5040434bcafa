"""`keras-vgan predict`: a trained frame predictor continues a real video; real and predicted side by side.

Usage:
    keras-vgan predict RUN INPUT --out OUT.mp4 [--seed S] [--frame-step K] [--fps F] [--scale N]
                       [--format png|gif|mp4|webm] [--no-ema]

RUN is a run directory or .keras file of a `TranslationGAN` frame predictor.
INPUT is a video file (H.264, MPEG-4, VP9, … anything FFmpeg decodes) or a
folder of one video's frame images. The first context frames of INPUT (every
K-th with --frame-step K) are converted to the model's frames exactly as
training converts them: grayscale or RGB, resized with the aspect ratio kept
until they cover the model's size, then centre-cropped. When the input's size
or channels differ from the model's, one line says so ("resized 320x240 RGB
to 64x64 grayscale"). A stochastic model draws its noise from --seed (default
0), as `TranslationGAN.translate(context, seed=S)` and the exported
SavedModel's `predict` do.

Output layout: one video of context + future frames, two panels with a thin
white bar between them.
    left:  the input: its context frames, then its true next frames; where
           the input ends before the future does, black frames (not the last
           frame held, which would look like a real still scene)
    right: the same context frames, then the predicted frames
A .png output is a still grid of the same: one column per time step, each
cell holding both panels.

Example:
    keras-vgan predict runs/moving_mnist_convlstm walk.mp4 --out walk_predicted.mp4
"""

import os

import numpy as np

from keras_vgan.cli import positive_int
from keras_vgan.cli.sample import add_output_arguments, check_output

# The separator between the panels: white, so that it shows against the black of a frame.
SEPARATOR_WIDTH = 2
SEPARATOR_LEVEL = 255
# The layer `build_*_predictor(echo_context=True)` ends in: such a model outputs the context before the future.
ECHO_CONTEXT_LAYER = "context_and_future"


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "predict", help="continue a real video with a trained frame predictor; real and predicted side by side",
        description="Predict the frames that follow the first context frames of a video file or frame folder "
                    "and write the input (left: context, then its true next frames, black where the input "
                    "ends) beside the prediction (right: context, then the predicted frames). The input is "
                    "resized and converted to the model's frames as training does (aspect kept, centre crop).",
        epilog="example: keras-vgan predict runs/moving_mnist_convlstm walk.mp4 --out walk_predicted.mp4")
    parser.add_argument("model", metavar="RUN", help="a run directory holding model.keras, or a .keras file, "
                                                     "of a frame predictor (TranslationGAN)")
    parser.add_argument("input", metavar="INPUT", help="a video file, or a folder of one video's frame images")
    parser.add_argument("--seed", type=int, default=0,
                        help="noise seed of a stochastic predictor (default: 0; a deterministic one ignores it)")
    parser.add_argument("--frame-step", type=positive_int, default=1, metavar="K",
                        help="take every K-th input frame, as training's --frame-step did (default: 1)")
    add_output_arguments(parser)
    parser.set_defaults(run=run)


def echoes_context(gan):
    """Whether the generator outputs its context before the future (`echo_context=True` predictors)."""
    return any(layer.name == ECHO_CONTEXT_LAYER for layer in gan.generator.layers)


def future_frames(gan, outputs):
    """The predicted future of `translate`'s outputs: without the context a model that echoes it puts first."""
    return outputs[:, gan.condition_shape[0]:] if echoes_context(gan) else outputs


def side_by_side(context, true_future, prediction):
    """One video (T, H, 2W + separator, C): context + true future (black after its end) | context + prediction.

    Example:
    >>> context, prediction = np.zeros((4, 8, 8, 1), np.uint8), np.zeros((3, 8, 8, 1), np.uint8)
    >>> side_by_side(context, prediction[:1], prediction).shape
    (7, 8, 18, 1)
    """
    frames, height, width, channels = prediction.shape
    real = np.zeros((len(context) + frames, height, width, channels), np.uint8)
    real[:len(context) + len(true_future)] = np.concatenate([context, true_future[:frames]])
    separator = np.full((len(real), height, SEPARATOR_WIDTH, channels), SEPARATOR_LEVEL, np.uint8)
    return np.concatenate([real, separator, np.concatenate([context, prediction])], axis=2)


def run(args):
    from keras_vgan import video_io
    from keras_vgan.datasets.first_frames import channel_name, read_first_frames
    from keras_vgan.models.translation import TranslationGAN
    from keras_vgan.saving import load_video_gan, resolve_model_path

    # Everything that can fail fast fails before the slow model load.
    chosen = check_output(args)
    if not os.path.exists(args.input):
        raise FileNotFoundError(f"input {args.input!r} does not exist; expected a video file or a folder of "
                                "frame images")
    gan = load_video_gan(resolve_model_path(args.model))
    if not isinstance(gan, TranslationGAN):
        raise ValueError(f"{args.model} holds a {type(gan).__name__}, which is not a frame predictor; expected "
                         "a TranslationGAN (a run trained with a frame predictor)")
    if any(n is None for n in gan.condition_shape):
        raise ValueError(f"{args.model} holds a restorer (a degraded clip in, the clean clip out), not a frame "
                         "predictor; expected a run of --task predict (keras-vgan enhance runs restorers)")
    context_frames, height, width, channels = gan.condition_shape
    horizon = gan.video_shape[0] - (context_frames if echoes_context(gan) else 0)
    first = read_first_frames(args.input, context_frames + horizon, height, width, channels, args.frame_step)
    if len(first.clip) < context_frames:
        span = f", which at --frame-step {args.frame_step} span {(context_frames - 1) * args.frame_step + 1} " \
            "input frames" if args.frame_step > 1 else ""
        raise ValueError(f"{args.input} has {first.source_length} frames; the model needs {context_frames} "
                         f"context frames{span}")
    target = f"{width}x{height} {channel_name(channels)}"
    if first.describe_source() != target:
        verb = "resized" if (first.source_width, first.source_height) != (width, height) else "converted"
        print(f"keras-vgan predict: {verb} {first.describe_source()} to {target} (aspect kept, centre crop, "
              "as in training)")

    context, true_future = first.clip[:context_frames], first.clip[context_frames:]
    outputs = gan.translate(context[None], seed=args.seed, use_ema=not args.no_ema)
    prediction = future_frames(gan, outputs)[0]
    video = side_by_side(context, true_future, prediction)
    video_io.write_samples(args.out, video, fps=args.fps, format=chosen, scale=args.scale)
    ending = "" if len(true_future) == len(prediction) else \
        f" (then black: the input ends after {len(true_future)} of them)"
    seed = f", seed {args.seed}" if gan.noise_spec.names else ""
    print(f"keras-vgan predict: wrote {args.out} ({len(video)} frames; left: the input's {context_frames} "
          f"context frames and its next {len(prediction)}{ending}; right: the context and {len(prediction)} "
          f"predicted frames{seed}; {chosen})")
    return 0
