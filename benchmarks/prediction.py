"""Frame prediction on moving digits: the adversarial predictor, the same network trained L1-only, copy-last-frame.

Trains each preset through `keras_vgan.training.train` (what `keras-vgan train
--preset NAME` runs), then scores every model and the copy-last-frame
baseline on the same held-out clips (moving digits drawn from another seed):
MSE and MAE per frame (sums over the 64×64 frame in [0, 1], the Moving MNIST
literature's convention), PSNR and SSIM per future step and averaged, and FVD
of context + prediction against the real clips.

    python benchmarks/prediction.py --out benchmarks/results/prediction.md

Writes the tables (markdown) and, next to `--out`, a PNG per model of the same
held-out clips: each row is a clip, each cell a time step, the true
continuation on the left of it and the model's on the right.
"""

import argparse
import json
import os
import time

import common

import numpy as np  # after common, which quiets TensorFlow's start-up

DEFAULT_PRESETS = ("predict-moving-digits", "predict-moving-digits-l1")
LABELS = {"predict-moving-digits": "ConvLSTM, L1 + adversarial", "predict-moving-digits-l1": "ConvLSTM, L1 only"}


def held_out_pairs(config, num_clips, seed):
    """`num_clips` (context, future) batches of moving digits drawn from `seed`, which training never uses."""
    from keras_vgan.datasets import load_source
    from keras_vgan.datasets.pairs import context_future_pairs

    clips = load_source(config.dataset, frames=config.frames, height=config.height, width=config.width,
                        channels=config.channels, num_videos=num_clips, num_objects=config.num_objects, seed=seed)
    return context_future_pairs(clips.batch(16), config.context, config.future)


def train_preset(name, args):
    from keras_vgan.presets import get_preset
    from keras_vgan.training import train

    config = get_preset(name).replace(seed=args.seed)
    if args.steps:
        config = config.replace(epochs=1, steps_per_epoch=args.steps, checkpoint_every=args.steps)
    if args.size:
        config = config.replace(height=args.size, width=args.size)
    if args.filters:
        config = config.replace(generator_filters=args.filters, discriminator_filters=args.filters)
    config.validate()
    run_dir = os.path.join(args.runs, name)
    started = time.time()
    gan, history = train(config, run_dir, verbose=2)
    wall = time.time() - started
    steps = int(gan.g_optimizer.iterations.numpy())
    return config, gan, {"preset": name, "wall_s": wall, "steps": steps,
                         "g_params": gan.generator.count_params(),
                         "d_params": sum(d.count_params() for d in gan.discriminators)}


def load_trained_preset(name, args):
    """A preset's run trained earlier (its `model.keras`), for `--evaluate-only`: scores without retraining."""
    from keras_vgan.presets import get_preset
    from keras_vgan.saving import load_video_gan

    config = get_preset(name).replace(seed=args.seed)
    gan = load_video_gan(os.path.join(args.runs, name))
    return config, gan, {"preset": name, "wall_s": float("nan"), "steps": int(gan.g_optimizer.iterations.numpy()),
                         "g_params": gan.generator.count_params(),
                         "d_params": sum(d.count_params() for d in gan.discriminators)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=list(DEFAULT_PRESETS))
    parser.add_argument("--steps", type=int, help="train this many steps instead of the presets' schedules")
    parser.add_argument("--size", type=int, help="frame side instead of the presets' (smoke runs)")
    parser.add_argument("--filters", type=int, help="network widths instead of the presets' (smoke runs)")
    parser.add_argument("--eval-clips", type=int, default=256, help="held-out clips scored")
    parser.add_argument("--fvd-videos", type=int, default=256, help="N of FVD (0: no FVD)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", default="runs/prediction", help="where the presets' run directories go")
    parser.add_argument("--out", help="write the markdown here too (and the sample PNGs beside it)")
    parser.add_argument("--evaluate-only", action="store_true",
                        help="score the presets' runs already in --runs instead of training them (no train wall)")
    args = parser.parse_args()

    from keras_vgan import video_io
    from keras_vgan.metrics.prediction_report import evaluate_predictions, format_report

    start_load = common.load_average()
    trained, rows = {}, []
    for name in args.presets:
        config, gan, row = (load_trained_preset if args.evaluate_only else train_preset)(name, args)
        trained[LABELS.get(name, name)] = gan
        rows.append(row)
        print(json.dumps(row), flush=True)
    pairs = held_out_pairs(config, args.eval_clips, seed=args.seed + 100_003)
    predictors = {label: (lambda context, gan=gan: gan.translate(context, seed=0)) for label, gan in trained.items()}
    results = evaluate_predictions(predictors, pairs, num_clips=args.eval_clips,
                                   fvd_num_videos=args.fvd_videos or None)
    training_table = common.markdown_table(
        ["preset", "model", "G / D params", "steps", "train wall (min)", f"FVD (N={args.fvd_videos})"],
        [[r["preset"], LABELS.get(r["preset"], r["preset"]), f"{r['g_params'] / 1e6:.2f} M / {r['d_params'] / 1e6:.2f} M",
          r["steps"], f"{r['wall_s'] / 60:.1f}",
          f"{results[LABELS.get(r['preset'], r['preset'])].get('fvd', float('nan')):.1f}"] for r in rows])
    baseline_fvd = results["copy last frame"].get("fvd")
    lines = [f"## Frame prediction on moving digits ({config.context} → {config.future} frames, "
             f"{config.height}×{config.width})", "",
             *common.machine_lines(start_load=start_load), "",
             training_table, ""]
    if baseline_fvd is not None:
        lines += [f"Copy last frame: FVD {baseline_fvd:.1f} at the same N.", ""]
    lines += [format_report(results, published=True), ""]
    if args.out:
        folder = os.path.join(os.path.dirname(os.path.abspath(args.out)), "prediction")
        os.makedirs(folder, exist_ok=True)
        context, future = next(iter(pairs))
        for label, gan in trained.items():
            path = os.path.join(folder, label.lower().replace(",", "").replace(" + ", "_").replace(" ", "_") + ".png")
            video_io.write_samples(path, gan.showcase(context[:4], future[:4], seed=0))
            lines.append(f"- {label}: `{os.path.relpath(path, os.path.dirname(os.path.abspath(args.out)))}` "
                         "(rows: held-out clips; each cell: true | predicted)")
        lines.append("")
    return common.publish("\n".join(lines), args.out)


if __name__ == "__main__":
    raise SystemExit(main())
