"""`keras-vgan prepare SOURCE OUT_DIR`: decode a data source once into TFRecord shards.

Training then reads uint8 clips at disk speed (`keras-vgan train --data
OUT_DIR`) instead of decoding video every epoch.
"""

from keras_vgan.cli import UsageError, positive_int


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "prepare", help="decode videos/frames/arrays into TFRecord shards of clips",
        description="Decode a data source (a folder of videos or frame folders, a glob, a .npy file, "
                    "tfds:NAME[:SPLIT] or a built-in name) once into sharded TFRecords of uint8 clips "
                    "plus manifest.json, for `keras-vgan train --data OUT_DIR`.")
    parser.add_argument("source", help="what to read (anything `train --data` accepts)")
    parser.add_argument("out_dir", help="directory for the shards and manifest.json (local or gs://)")
    parser.add_argument("--frames", type=positive_int, default=16, help="frames per clip (default: 16)")
    parser.add_argument("--size", type=positive_int, default=64,
                        help="frame height and width in pixels (default: 64)")
    parser.add_argument("--channels", type=positive_int, default=3, choices=(1, 3),
                        help="1 (grayscale) or 3 (RGB) (default: 3)")
    parser.add_argument("--clips-per-video", type=positive_int, default=1,
                        help="clips cut from each video, spread evenly over it (default: 1)")
    parser.add_argument("--frame-step", type=positive_int, default=1,
                        help="keep every k-th frame within a clip (default: 1)")
    parser.add_argument("--fps", type=float, help="resample videos to this frame rate first")
    parser.add_argument("--shard-size", type=positive_int, default=256,
                        help="clips per shard (default: 256; ~50 MB at 16x64x64x3)")
    parser.add_argument("--labels", action="store_true",
                        help="store each clip's class (its folder's name; see manifest.json's class_names)")
    parser.add_argument("--layout", metavar="ORDER",
                        help="axis order of a .npy array: NTHW (videos first) or TNHW (frames first, as Moving "
                             "MNIST's file); default: read from its shape, which warns or stops where it cannot tell")
    parser.add_argument("--num-videos", type=positive_int,
                        help="how many videos to render (built-in sources only)")
    parser.add_argument("--compression", choices=("none", "gzip"), default="none",
                        help="GZIP the shards: smaller, slower to read (default: none)")
    parser.add_argument("--overwrite", action="store_true", help="replace clips already in OUT_DIR")
    parser.add_argument("--seed", type=int, default=0, help="random seed (built-in sources)")
    parser.set_defaults(run=run)


def source_options(args):
    """The `load_source` options `prepare` uses: deterministic, evenly spread clips, centre crops."""
    from keras_vgan.datasets import BUILTIN_DATASETS

    if args.source in BUILTIN_DATASETS:
        if args.clips_per_video != 1 or args.frame_step != 1 or args.fps is not None:
            raise UsageError(f"--clips-per-video, --frame-step and --fps do not apply to the built-in "
                             f"source {args.source!r}")
        if args.layout is not None:
            raise UsageError(f"--layout applies to .npy arrays only, not to the built-in source {args.source!r}")
        options = {"seed": args.seed}
        if args.num_videos:
            options["num_videos"] = args.num_videos
        return options
    if args.num_videos:
        raise UsageError("--num-videos applies to built-in sources only")
    options = {"clips_per_video": args.clips_per_video, "frame_step": args.frame_step,
               "clip_sampling": "even", "crop": "center"}
    if args.layout is not None:
        options["layout"] = args.layout
    if args.fps is not None:
        if args.fps <= 0:
            raise UsageError(f"--fps must be positive, got {args.fps}")
        options["fps"] = args.fps
    return options


def run(args):
    from keras_vgan.datasets.sources import load_source
    from keras_vgan.datasets.summary import describe_source
    from keras_vgan.datasets.tfrecord import write_tfrecord_shards

    # A fixed visiting order, evenly spread clips and centre crops: the same
    # command writes the same shards; training shuffles them anyway.
    clips = load_source(args.source, frames=args.frames, height=args.size, width=args.size,
                        channels=args.channels, labels=args.labels, shuffle=False, **source_options(args))
    print(describe_source(clips, args.source), flush=True)

    def progress(count):
        print(f"keras-vgan prepare: {count} clips written", flush=True)

    manifest = write_tfrecord_shards(
        clips, args.out_dir, clips_per_shard=args.shard_size,
        class_names=getattr(clips, "class_names", None),
        compression=None if args.compression == "none" else "GZIP", overwrite=args.overwrite,
        progress=progress)
    print(f"keras-vgan prepare: {manifest['num_clips']} clips of shape {tuple(manifest['shape'])} in "
          f"{len(manifest['shards'])} shards written to {args.out_dir}; train with "
          f"`keras-vgan train --data {args.out_dir}`")
    return 0
