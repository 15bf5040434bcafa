"""Image-to-video: does an animator start from the picture, and does its clip move as real clips move?

Trains the preset through `keras_vgan.training.train` (what `keras-vgan train
--preset animate-moving-digits` runs), then scores the run with `keras-vgan
evaluate RUN --data moving_digits --num-videos N` (a subprocess, as a user
would): frame 0's PSNR and SSIM against the picture it was given, the mean
absolute frame-to-frame change of the animations against that of the real
clips the pictures came from, and FVD against other real clips beside the
real-vs-real floor at the same N. Targets (issue 11): PSNR >= 25 dB, motion
within ±50 % of real.

    python benchmarks/animation.py --out benchmarks/results/animation.md

Writes the table and the evaluate report (markdown) and, beside `--out`, the
run's last sample grid and `keras-vgan animate` of one held-out picture.
"""

import argparse
import json
import os
import shutil

import common

DEFAULT_PRESET = "animate-moving-digits"


def scores(lines):
    def number(pattern):
        return common.report_number(lines, pattern)

    return {"psnr": number(r"first-frame PSNR: ([0-9.inf]+)"), "ssim": number(r"first-frame SSIM: ([0-9.]+)"),
            "motion": number(r"motion: ([0-9.]+) grey"), "real_motion": number(r"real clips: ([0-9.]+);"),
            "fvd": number(r"FVD: ([0-9.]+)"), "floor": number(r"FVD noise floor: ([0-9.]+)")}


def held_out_picture(path, config, seed):
    """Write frame 0 of a moving-digits clip the run never trained on (another seed) as a PNG; return the path."""
    import cv2

    from keras_vgan.datasets import load_source
    from keras_vgan.pixels import as_uint8_array

    clips = load_source(config["dataset"], frames=config["frames"], height=config["height"], width=config["width"],
                        channels=config["channels"], num_videos=1, seed=seed)
    clip = as_uint8_array(next(iter(clips.as_numpy_iterator())))
    cv2.imwrite(path, clip[0])
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default=DEFAULT_PRESET)
    parser.add_argument("--steps", type=int, help="train this many steps instead of the preset's schedule")
    parser.add_argument("--filters", type=int, help="network widths instead of the preset's (smoke runs)")
    parser.add_argument("--num-videos", type=int, default=256, help="N: animations, and real clips per side")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", default="runs/animation", help="where the preset's run directory goes")
    parser.add_argument("--out", help="write the markdown here too (and the grids beside it)")
    parser.add_argument("--evaluate-only", action="store_true",
                        help="score the preset's run already in --runs instead of training it (no train wall)")
    args = parser.parse_args()

    start_load = common.load_average()
    run_dir = os.path.join(args.runs, args.preset)
    if args.evaluate_only:
        row = {"preset": args.preset, "wall_s": float("nan"), "steps": float("nan"), "g_params": float("nan"),
               "d_params": float("nan")}
    else:
        row = common.train_preset(args.preset, args.runs, args.seed, args.steps, args.filters)
    with open(os.path.join(run_dir, "config.json")) as file:
        config = json.load(file)
    row["dataset"] = config["dataset"]
    print(json.dumps(row), flush=True)
    evaluate = ["evaluate", run_dir, "--data", config["dataset"], "--num-videos", str(args.num_videos)]
    report = common.keras_vgan_report(evaluate)
    row.update(scores(report))
    ratio = row["motion"] / row["real_motion"]
    met = row["psnr"] >= 25.0 and 0.5 <= ratio <= 1.5
    table = common.markdown_table(
        ["preset", "data", "G / D params", "steps", "train wall (min)", "frame 0 PSNR (dB)", "frame 0 SSIM",
         "motion (grey levels / frame)", "real motion", "motion / real", f"FVD (N={args.num_videos})", "floor",
         "FVD / floor", "targets met"],
        [[row["preset"], row["dataset"], f"{row['g_params'] / 1e6:.2f} M / {row['d_params'] / 1e6:.2f} M",
          row["steps"], f"{row['wall_s'] / 60:.1f}", f"**{row['psnr']:.2f}**", f"{row['ssim']:.3f}",
          f"{row['motion']:.2f}", f"{row['real_motion']:.2f}", f"**{ratio:.2f}**", f"{row['fvd']:.1f}",
          f"{row['floor']:.1f}", f"{row['fvd'] / row['floor']:.1f}×", "yes" if met else "no"]])
    lines = ["## Image-to-video: frame 0 and motion", "", *common.machine_lines(start_load=start_load), "", table, "",
             f"`keras-vgan {' '.join(evaluate)}`, its report:", "", "```", *report, "```", ""]
    if args.out:
        folder = os.path.join(os.path.dirname(os.path.abspath(args.out)), "animation")
        os.makedirs(folder, exist_ok=True)
        samples = os.path.join(run_dir, "samples")
        grids = sorted(f for f in os.listdir(samples) if f.startswith("epoch_") and f.endswith(".png"))
        relative = os.path.relpath(folder, os.path.dirname(os.path.abspath(args.out)))
        if grids:
            shutil.copyfile(os.path.join(samples, grids[-1]), os.path.join(folder, f"{args.preset}.png"))
            lines.append(f"- `{relative}/{args.preset}.png` ({grids[-1]}: each row, left the picture then the real "
                         "clip, right the picture then its animation)")
        picture = held_out_picture(os.path.join(folder, "picture.png"), config, seed=args.seed + 12345)
        animated = os.path.join(folder, "picture_animated.png")
        command = ["animate", run_dir, picture, "--out", animated, "--num-videos", "4", "--scale", "2"]
        common.keras_vgan_report(command)
        lines.append(f"- `{relative}/picture_animated.png`: `keras-vgan {' '.join(command)}` (a picture from "
                     "clips the run never saw; four seeds, one row each)")
        lines.append("")
    return common.publish("\n".join(lines), args.out)


if __name__ == "__main__":
    raise SystemExit(main())
