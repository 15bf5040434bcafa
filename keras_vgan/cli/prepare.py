"""`keras-vgan prepare SOURCE OUT_DIR`: decode a data source once into TFRecord shards.

Training then reads uint8 clips at disk speed (`keras-vgan train --data
OUT_DIR`) instead of decoding video every epoch. With `--ucf101-split N`,
SOURCE is the extracted `UCF-101/` folder and the official split N is
written as two shard directories, `OUT_DIR/train` and `OUT_DIR/test`.
"""

import os
import posixpath

from keras_vgan.cli import UsageError, positive_int
from keras_vgan.datasets.ucf101 import OFFICIAL_SPLITS, SUBSETS


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
    parser.add_argument("--ucf101-split", type=int, choices=OFFICIAL_SPLITS, metavar="N",
                        help="SOURCE is the extracted UCF-101/ folder: write official split N (1, 2 or 3) "
                             "to OUT_DIR/train and OUT_DIR/test, labelled by classInd.txt")
    parser.add_argument("--split-dir", metavar="PATH",
                        help="with --ucf101-split: the folder of classInd.txt, trainlist0N.txt and "
                             "testlist0N.txt (default: ucfTrainTestlist/ in or beside SOURCE)")
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


def write_shards(clips, out_dir, args, name=""):
    """Write one dataset of clips to `out_dir` as `args` say, printing progress; returns the manifest."""
    from keras_vgan.datasets.tfrecord import write_tfrecord_shards

    def progress(count):
        print(f"keras-vgan prepare: {name}{count} clips written", flush=True)

    return write_tfrecord_shards(
        clips, out_dir, clips_per_shard=args.shard_size, class_names=getattr(clips, "class_names", None),
        compression=None if args.compression == "none" else "GZIP", overwrite=args.overwrite,
        progress=progress)


def run(args):
    if args.ucf101_split is not None:
        return run_ucf101(args)
    if args.split_dir is not None:
        raise UsageError("--split-dir applies only with --ucf101-split")

    from keras_vgan.datasets.sources import load_source
    from keras_vgan.datasets.summary import describe_source

    # A fixed visiting order, evenly spread clips and centre crops: the same
    # command writes the same shards; training shuffles them anyway.
    clips = load_source(args.source, frames=args.frames, height=args.size, width=args.size,
                        channels=args.channels, labels=args.labels, shuffle=False, **source_options(args))
    print(describe_source(clips, args.source), flush=True)
    manifest = write_shards(clips, args.out_dir, args)
    print(f"keras-vgan prepare: {manifest['num_clips']} clips of shape {tuple(manifest['shape'])} in "
          f"{len(manifest['shards'])} shards written to {args.out_dir}; train with "
          f"`keras-vgan train --data {args.out_dir}`")
    return 0


def subset_dir(out_dir, subset):
    # gs:// paths take "/" whatever the local system's separator is.
    return posixpath.join(out_dir, subset) if "://" in out_dir else os.path.join(out_dir, subset)


def run_ucf101(args):
    """Both subsets of one official UCF-101 split, each to a shard directory of its own."""
    import tensorflow as tf

    from keras_vgan.datasets import BUILTIN_DATASETS
    from keras_vgan.datasets.summary import describe_source
    from keras_vgan.datasets.tfrecord import MANIFEST_NAME
    from keras_vgan.datasets.ucf101 import from_ucf101

    if args.source in BUILTIN_DATASETS:
        raise UsageError(f"--ucf101-split reads the extracted UCF-101/ folder, not the built-in source "
                         f"{args.source!r}")
    if args.layout is not None:
        raise UsageError("--layout applies to .npy arrays only, not to UCF-101's videos")
    out_dirs = {subset: subset_dir(args.out_dir, subset) for subset in SUBSETS}
    for out_dir in out_dirs.values():
        # Checked for both before anything is decoded, so that a refusal leaves neither half-done.
        if not args.overwrite and tf.io.gfile.exists(subset_dir(out_dir, MANIFEST_NAME)):
            raise UsageError(f"{out_dir!r} already holds clips ({MANIFEST_NAME}); choose another "
                             f"directory or pass --overwrite")
    options = source_options(args)
    # Both subsets are read (split files parsed, videos probed) before either is written:
    # bad input stops the command with nothing on disk.
    subsets = {subset: from_ucf101(args.source, split_dir=args.split_dir, split=args.ucf101_split,
                                   subset=subset, frames=args.frames, height=args.size, width=args.size,
                                   channels=args.channels, shuffle=False, **options)
               for subset in SUBSETS}
    shared = sorted(set(subsets["train"].files) & set(subsets["test"].files))
    if shared:
        raise ValueError(f"{len(shared)} videos are in both the train and the test list of split "
                         f"{args.ucf101_split} (first: {shared[0]}); the split files are not UCF-101's")
    written = {}
    for subset, clips in subsets.items():
        print(describe_source(clips), flush=True)
        written[subset] = write_shards(clips, out_dirs[subset], args, name=f"{subset}: ")
    for subset, clips in subsets.items():
        manifest, listed = written[subset], len(clips.files) + len(clips.missing_videos)
        unreadable = len(clips.skip_tracker.bad_items)
        print(f"keras-vgan prepare: UCF-101 split {args.ucf101_split} {subset}: {listed} videos listed, "
              f"{len(clips.missing_videos)} missing, {unreadable} unreadable; {manifest['num_clips']} clips "
              f"of shape {tuple(manifest['shape'])} in {len(manifest['shards'])} shards written to "
              f"{out_dirs[subset]}")
    print(f"keras-vgan prepare: train with `keras-vgan train --data {out_dirs['train']}`, score with "
          f"`keras-vgan evaluate RUN_DIR --data {out_dirs['test']} --num-videos N`")
    return 0
