"""Sample quality per recipe: train for the same budget, then FVD against the real-vs-real floor.

Each recipe is a preset with optional overrides, written
`PRESET[+FIELD=VALUE...]` (a model option as `+option.NAME=VALUE`), e.g.
`quickstart`, `mocogan`, `quickstart+loss=hinge+augment=translation`.
Every recipe trains on the built-in data its preset names, for `--minutes`
of wall time (or exactly `--steps` steps), then `N` EMA samples are scored
with FVD against N real clips, next to the floor: FVD between two disjoint
sets of N real clips. FVD/floor is the headline ratio (1 is as good as it
gets at this N). The real features are computed once per dataset and size
and cached under `--cache` (they do not depend on the recipe).

    python benchmarks/quality.py --recipes quickstart conv3d vgan tgan mocogan dvd-gan --minutes 7 \
        --out benchmarks/results/quality.md

Writes the table (markdown), a GIF of each recipe's samples and a plot of the
loss curves next to `--out`.
"""

import argparse
import json
import os
import time

import common

import keras  # after common, which quiets TensorFlow's start-up
import numpy as np


def parse_recipe(text):
    """`(preset, {field: value}, {option: value})` from `PRESET+field=value+option.name=value`."""
    preset, *changes = text.split("+")
    fields, options = {}, {}
    for change in changes:
        name, separator, value = change.partition("=")
        if not separator:
            raise SystemExit(f"recipe {text!r}: {change!r} is not FIELD=VALUE")
        try:
            value = json.loads(value)
        except ValueError:
            pass
        if name.startswith("option."):
            options[name[len("option."):]] = value
        else:
            fields[name] = value
    return preset, fields, options


def recipe_config(text, seed):
    from keras_vgan.presets import get_preset

    preset, fields, options = parse_recipe(text)
    config = get_preset(preset)
    config = config.replace(**fields, seed=seed)
    if options:
        config = config.replace(model_options={**config.model_options, **options})
    return config.validate()


class WallClockBudget(keras.callbacks.Callback):
    """Stops `fit` once `seconds` of training have passed, or after `steps` steps; times each step."""

    def __init__(self, seconds=None, steps=None):
        super().__init__()
        self.seconds, self.max_steps = seconds, steps
        self.steps = 0
        self.step_seconds = []

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_begin(self, batch, logs=None):
        self.batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        self.step_seconds.append(time.perf_counter() - self.batch_start)
        out_of_steps = self.max_steps is not None and self.steps >= self.max_steps
        out_of_time = self.seconds is not None and time.perf_counter() - self.start >= self.seconds
        if out_of_steps or out_of_time:
            self.model.stop_training = True


def real_features(config, count, cache_dir):
    """I3D features of `count` real clips of the config's built-in dataset (cached as .npy)."""
    from keras_vgan.metrics.features import video_features
    from keras_vgan.training import source_clips

    key = (f"{config.dataset}_{config.frames}x{config.height}x{config.width}x{config.channels}"
           f"_n{count}_objects{'-'.join(map(str, np.atleast_1d(config.num_objects)))}")
    path = os.path.join(cache_dir, f"real_features_{key}.npy")
    if os.path.isfile(path):
        return np.load(path)  # our own float array: no pickle involved
    # Seed 12345: real clips the training run (seed 0) never rendered.
    clips = source_clips(config.replace(num_videos=count, seed=12345)).take(count)
    features = video_features(clips, verbose=0)
    os.makedirs(cache_dir, exist_ok=True)
    temporary = path + f".{os.getpid()}.tmp.npy"
    np.save(temporary, features)
    os.replace(temporary, path)
    return features


def parameter_count(models):
    return sum(int(np.sum([np.prod(v.shape) for v in model.trainable_variables])) for model in models)


def evaluate_recipe(text, args):
    from keras_vgan import video_io
    from keras_vgan.metrics.distances import frechet_distance
    from keras_vgan.metrics.features import video_features
    from keras_vgan.training import train

    config = recipe_config(text, args.seed)
    run_dir = os.path.join(args.runs, text.replace("+", "_").replace("=", "-").replace("/", "-"))
    budget = WallClockBudget(seconds=None if args.steps else args.minutes * 60, steps=args.steps)
    # Enough epochs that only the budget ends training; one epoch's steps as the preset has them.
    config = config.replace(epochs=10_000, sample_every=10_000, checkpoint_every=10**9)
    start = time.perf_counter()
    gan, history = train(config, run_dir, verbose=0, extra_callbacks=[budget])
    wall = time.perf_counter() - start
    videos = gan.generate(args.num_videos, seed=args.seed + 1)
    fake = video_features(videos, verbose=0)
    real = real_features(config, 2 * args.num_videos, args.cache)
    n = args.num_videos
    fvd = frechet_distance(real[:n], fake)
    floor = frechet_distance(real[:n], real[n:2 * n])
    out_dir = os.path.join(os.path.dirname(os.path.abspath(args.out or "quality.md")), "quality")
    os.makedirs(out_dir, exist_ok=True)
    gif = os.path.join(out_dir, f"{os.path.basename(run_dir)}.gif")
    video_io.write_samples(gif, videos[:16], fps=8, columns=4, scale=2)
    row = {
        "recipe": text, "model": config.model, "steps": budget.steps, "wall_s": wall,
        "step_ms": 1000 * float(np.median(budget.step_seconds[1:] or budget.step_seconds)),
        "g_params": parameter_count([gan.generator]), "d_params": parameter_count(gan.discriminators),
        "fvd": float(fvd), "floor": float(floor), "ratio": float(fvd / floor), "gif": os.path.basename(gif),
        "d_loss": history.history.get("d_loss", []), "g_loss": history.history.get("g_loss", []),
    }
    keras.backend.clear_session()
    return row


def plot_losses(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for row in rows:
        for axis, key in zip(axes, ("d_loss", "g_loss")):
            axis.plot(range(1, len(row[key]) + 1), row[key], label=row["recipe"])
    for axis, key in zip(axes, ("d_loss", "g_loss")):
        axis.set_title(key)
        axis.set_xlabel("epoch")
    axes[1].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=["quickstart"], help="PRESET[+FIELD=VALUE...] each")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, default=7.0, help="wall-clock training budget per recipe")
    budget.add_argument("--steps", type=int, help="a fixed number of steps per recipe instead")
    parser.add_argument("--num-videos", type=int, default=256, help="N of FVD (and of its floor)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", default="runs/quality", help="where the recipes' run directories go")
    parser.add_argument("--cache", default="runs/quality-cache", help="where real-clip features are cached")
    common.add_output_and_worker_arguments(parser)
    args = parser.parse_args()

    start_load = common.load_average()
    rows = []
    for recipe in args.recipes:
        row = evaluate_recipe(recipe, args)
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if k not in ("d_loss", "g_loss")}), flush=True)
    table = common.markdown_table(
        ["recipe", "model", "G / D params", "steps", "step (ms)", "train wall (s)", f"FVD (N={args.num_videos})",
         "floor", "FVD / floor", "samples"],
        [[r["recipe"], r["model"], f"{r['g_params'] / 1e6:.2f} M / {r['d_params'] / 1e6:.2f} M", r["steps"],
          f"{r['step_ms']:.0f}", f"{r['wall_s']:.0f}", f"{r['fvd']:.1f}", f"{r['floor']:.1f}",
          f"**{r['ratio']:.1f}×**", f"quality/{r['gif']}"] for r in rows])
    budget_text = f"{args.steps} steps" if args.steps else f"{args.minutes:g} minutes of training"
    text = "\n".join([f"## Sample quality: FVD per recipe ({budget_text} each)", "",
                      *common.machine_lines(start_load=start_load), "", table, ""])
    if args.out:
        plot_losses(rows, os.path.join(os.path.dirname(os.path.abspath(args.out)), "quality", "losses.png"))
    return common.publish(text, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
