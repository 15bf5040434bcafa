"""`keras-vgan interpolate`: a walk through the latent space between two seeds.

The noise of seed A and of seed B (the very vectors `keras-vgan sample --seed`
would use for its first video) are joined by spherical interpolation, which
keeps every point at the norm typical of Gaussian noise, where a straight line
would pass through the atypically short vectors near the origin. Each point is
generated on its own, as `gan.generate(1, seed=...)` generates one video, so the
two ends are the seeds' own videos to the byte on every machine.

Output layout: the `--steps` videos are tiled in one row, A on the left and B
on the right, all playing at once, so the eye compares content and motion
side by side at the same time step. With a .png output the grid instead has a
row per latent point (top = A) and a column per time step.
"""

import numpy as np

from keras_vgan.cli import UsageError, positive_int
from keras_vgan.cli.sample import add_class_argument, add_output_arguments, check_output, class_name, resolve_classes
from keras_vgan.validation import check_int


def spherical_interpolation(start, end, steps):
    """`steps` points from `start` to `end` (both included) along the great circle between them.

    Falls back to a straight line when the two vectors are (anti)parallel.

    Example:
    >>> points = spherical_interpolation(np.array([1.0, 0.0]), np.array([0.0, 1.0]), 3)
    >>> np.round(points.astype(np.float64), 3).tolist()  # float32 points, rounded as Python floats
    [[1.0, 0.0], [0.707, 0.707], [0.0, 1.0]]
    """
    start = np.asarray(start, np.float64)
    end = np.asarray(end, np.float64)
    if start.shape != end.shape or start.ndim != 1:
        raise ValueError(f"start {start.shape} and end {end.shape} are not valid; expected two vectors of one shape")
    steps = check_int("steps", steps, minimum=2)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    norms = np.linalg.norm(start) * np.linalg.norm(end)
    cosine = np.clip(start @ end / norms, -1.0, 1.0) if norms > 0 else 1.0
    angle = np.arccos(cosine)
    if np.sin(angle) < 1e-6:
        return ((1.0 - t) * start + t * end).astype(np.float32)
    points = (np.sin((1.0 - t) * angle) * start + np.sin(t * angle) * end) / np.sin(angle)
    # The ends exactly, not within rounding: they must give the seeds' own videos.
    points[0], points[-1] = start, end
    return points.astype(np.float32)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "interpolate", help="write a walk through the latent space between two seeds",
        description="Spherically interpolate between the noise of two seeds and write the videos of the "
                    "points tiled in one row (A left, B right), playing together; a .png output gets a row "
                    "per point instead. A class-conditional model needs --class: the walk is through the "
                    "noise, every point of that one class.")
    parser.add_argument("model", metavar="MODEL", help="a .keras file or a run directory holding model.keras")
    parser.add_argument("--seeds", type=int, nargs=2, required=True, metavar=("A", "B"),
                        help="the seeds of the two end points")
    parser.add_argument("--steps", type=positive_int, default=8, help="latent points, ends included (default: 8)")
    add_class_argument(parser, many=False)
    add_output_arguments(parser)
    parser.set_defaults(run=run)


def run(args):
    from keras_vgan import video_io
    from keras_vgan.saving import load_video_gan

    if args.steps < 2:
        raise UsageError(f"--steps {args.steps} is too small; expected at least 2 (the two end points)")
    chosen = check_output(args)
    gan = load_video_gan(args.model)
    label = None
    if args.classes is not None or getattr(gan, "num_classes", None):
        if args.classes is None:
            raise ValueError(f"--class is required for a class-conditional model of {gan.num_classes} classes; "
                             "expected the class (a name or an index) to walk within")
        (label,) = resolve_classes([args.classes], gan, args.model)
    start, end = (gan.noise_spec.sample(1, seed=seed) for seed in args.seeds)
    # Structured noise (content + motion codes) is walked one input at a time, each as one flat vector.
    noise = {name: spherical_interpolation(start[name].numpy().reshape(-1), end[name].numpy().reshape(-1),
                                           args.steps).reshape((args.steps,) + tuple(start[name].shape[1:]))
             for name in start}
    # One point per call, as `gan.generate(1, seed=...)` computes a seed's own video: some CPU kernels
    # (TensorFlow's bf16 3D transposed convolutions without oneDNN) round a batch of one differently
    # from a larger batch, which after tanh moves pixels by up to ~15 levels, so a batched walk would
    # not end on the seeds' own videos.
    videos = gan.generate_from_noise(noise, use_ema=not args.no_ema, batch_size=1, labels=label)
    video_io.write_samples(args.out, videos, fps=args.fps, columns=args.steps, format=chosen, scale=args.scale)
    within = "" if label is None else f", class {class_name(label, args.model)}"
    print(f"keras-vgan interpolate: wrote {args.out} ({args.steps} points from seed {args.seeds[0]} "
          f"to seed {args.seeds[1]}{within}, {chosen})")
    return 0
