"""Class-conditional generation: does a conditional preset draw the class it is asked for?

Trains each preset through `keras_vgan.training.train` (what `keras-vgan train
--preset NAME` runs), then scores its run with `keras-vgan evaluate RUN
--per-class --num-videos N` (a subprocess, exactly as a user would): a small
video classifier trained on real labelled clips (its held-out accuracy), the
share of each class's generated clips it labels as that class (obedience;
chance is 1 / classes), per-class FVD, and the overall FVD beside the
real-vs-real floor at the same N.

    python benchmarks/conditional.py --out benchmarks/results/conditional.md

Writes the summary table and each run's per-class table (markdown) and,
next to `--out`, each run's last sample grid (one row per class).
"""

import argparse
import json
import os
import shutil

import common

DEFAULT_PRESETS = ("conditional-moving-digits", "conditional-bouncing-shapes")


def evaluate_run(run_dir, args):
    """`keras-vgan evaluate RUN --per-class`'s report lines (progress bars dropped) and the numbers in them."""
    arguments = ["evaluate", run_dir, "--per-class", "--num-videos", str(args.num_videos)]
    if args.classifier_steps:
        arguments += ["--classifier-steps", str(args.classifier_steps)]
    lines = common.keras_vgan_report(arguments)

    def number(pattern):
        return common.report_number(lines, pattern)

    return lines, {"classifier": number(r"held-out accuracy (?:on real clips, )?([0-9.]+)"),
                   "obedience": _mean_obedience(lines),
                   "fvd": number(r"FVD: ([0-9.]+)"), "floor": number(r"FVD noise floor: ([0-9.]+)")}


def _mean_obedience(lines):
    for line in lines:
        fields = line.split()
        if fields and fields[0] == "mean":
            return float(fields[1])
    return float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=list(DEFAULT_PRESETS))
    parser.add_argument("--steps", type=int, help="train this many steps instead of the presets' schedules")
    parser.add_argument("--filters", type=int, help="network widths instead of the presets' (smoke runs)")
    parser.add_argument("--num-videos", type=int, default=64, help="generated (and real) clips per class, and N "
                        "of the overall FVD")
    parser.add_argument("--classifier-steps", type=int, help="training steps of the classifier (default: "
                        "evaluate's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", default="runs/conditional", help="where the presets' run directories go")
    parser.add_argument("--out", help="write the markdown here too (and the sample grids beside it)")
    parser.add_argument("--evaluate-only", action="store_true",
                        help="score the presets' runs already in --runs instead of training them (no train wall)")
    args = parser.parse_args()

    start_load = common.load_average()
    rows, reports = [], []
    for name in args.presets:
        run_dir = os.path.join(args.runs, name)
        if args.evaluate_only:
            with open(os.path.join(run_dir, "config.json")) as file:
                config = json.load(file)
            row = {"preset": name, "model": config["model"], "dataset": config["dataset"],
                   "wall_s": float("nan"), "steps": float("nan"), "g_params": float("nan"), "d_params": float("nan")}
        else:
            row = common.train_preset(name, args.runs, args.seed, args.steps, args.filters)
        print(json.dumps(row), flush=True)
        lines, scores = evaluate_run(run_dir, args)
        row.update(scores)
        rows.append(row)
        reports.append((name, lines))

    table = common.markdown_table(
        ["preset", "model", "data", "G / D params", "steps", "train wall (min)", "classifier held-out accuracy",
         "obedience (mean over classes)", f"FVD (N={args.num_videos})", "floor", "FVD / floor"],
        [[r["preset"], r["model"], r["dataset"], f"{r['g_params'] / 1e6:.2f} M / {r['d_params'] / 1e6:.2f} M",
          r["steps"], f"{r['wall_s'] / 60:.1f}", f"{r['classifier']:.3f}", f"**{r['obedience']:.3f}**",
          f"{r['fvd']:.1f}", f"{r['floor']:.1f}", f"{r['fvd'] / r['floor']:.1f}×"] for r in rows])
    lines = ["## Class-conditional generation: obedience to the requested class", "",
             *common.machine_lines(start_load=start_load), "", table, ""]
    for name, report in reports:
        steps = f" --classifier-steps {args.classifier_steps}" if args.classifier_steps else ""
        lines += [f"`keras-vgan evaluate {os.path.join(args.runs, name)} --per-class --num-videos "
                  f"{args.num_videos}{steps}`, its report:", "", "```",
                  *report, "```", ""]
    if args.out:
        folder = os.path.join(os.path.dirname(os.path.abspath(args.out)), "conditional")
        os.makedirs(folder, exist_ok=True)
        for name in args.presets:
            samples = os.path.join(args.runs, name, "samples")
            grids = sorted(f for f in os.listdir(samples) if f.startswith("epoch_") and f.endswith(".png"))
            if grids:
                target = os.path.join(folder, f"{name}.png")
                shutil.copyfile(os.path.join(samples, grids[-1]), target)
                lines.append(f"- {name}: `{os.path.relpath(target, os.path.dirname(os.path.abspath(args.out)))}` "
                             f"({grids[-1]}: one row per class, in class order)")
        lines.append("")
    return common.publish("\n".join(lines), args.out)


if __name__ == "__main__":
    raise SystemExit(main())
