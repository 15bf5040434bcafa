"""A ruler for FVD/floor on moving digits: real clips, damaged in known ways, scored as a generator's would be.

`keras-vgan evaluate` prints FVD against the real-vs-real floor; what a
ratio means is easier to judge beside real clips whose one flaw is known.
The script reads 2N real clips of the built-in moving digits (as evaluate
does), keeps the first N as the reference, and scores the other N after each
damage: played backwards, at half speed, with frames shuffled in time, with
the first frame held still (perfect digits, no motion), blurred, with grey
noise. With `--runs`, each run's generated clips (seed 0, EMA generator, as
evaluate samples them) join the table, and so do the same clips with every
pixel below `--black-below` set to 0 (the background made as clean as the
real clips'), which tells how much of their score is background speckle.

    python benchmarks/fvd_ruler.py --runs runs/quickstart --out benchmarks/results/fvd_ruler.md
"""

import argparse

import common
import numpy as np


def damaged_real_clips(clips, seed=0):
    """(name, clips) for each damage of real uint8 clips (N, T, H, W, C)."""
    import cv2

    rng = np.random.default_rng(seed)
    frames = clips.shape[1]
    blurred = np.stack([[cv2.GaussianBlur(frame, (0, 0), 1.0).reshape(frame.shape) for frame in clip]
                        for clip in clips])
    noisy = np.clip(clips + rng.normal(0.0, 8.0, clips.shape), 0, 255).astype(np.uint8)
    return [
        ("real (the floor)", clips),
        ("played backwards", clips[:, ::-1]),
        ("half speed (each frame twice, first half of the clip)", np.repeat(clips[:, : (frames + 1) // 2], 2, axis=1)[:, :frames]),
        ("frames shuffled in time (one order for all clips)", clips[:, rng.permutation(frames)]),
        ("first frame held still (no motion)", np.repeat(clips[:, :1], frames, axis=1)),
        ("blurred (Gaussian, sigma 1 px)", blurred),
        ("grey noise (sigma 8 levels)", noisy),
    ]


def generated_clips(run, num_videos, black_below):
    """(name, clips) for a run's samples, and for the same with dark pixels set to black."""
    from keras_vgan.pixels import as_uint8_array
    from keras_vgan.saving import load_video_gan, resolve_model_path

    model = load_video_gan(resolve_model_path(run))
    clips = as_uint8_array(model.generate(num_videos, seed=0))
    cleaned = np.where(clips < black_below, 0, clips).astype(np.uint8)
    return [(f"{run}: generated", clips), (f"{run}: generated, pixels below {black_below} set to 0", cleaned)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-videos", type=int, default=256, help="N: reference and scored clips each")
    parser.add_argument("--runs", nargs="*", default=[], help="run directories of moving-digits models to score")
    parser.add_argument("--black-below", type=int, default=48)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    start_load = common.load_average()

    from keras_vgan.cli.evaluate import load_real_clips
    from keras_vgan.metrics.distances import frechet_distance
    from keras_vgan.metrics.features import video_features
    from keras_vgan.pixels import as_uint8_array

    n = args.num_videos
    real = np.stack(list(load_real_clips("moving_digits", 16, 32, 32, 1, 2 * n).as_numpy_iterator()))
    real = as_uint8_array(real)
    options = dict(batch_size=16, model=None, weights=None, verbose=0)
    reference = video_features(real[:n], **options)
    scored = damaged_real_clips(real[n:2 * n])
    for run in args.runs:
        scored += generated_clips(run, n, args.black_below)
    rows, floor = [], None
    for name, clips in scored:
        distance = frechet_distance(reference, video_features(clips, **options))
        floor = distance if floor is None else floor
        rows.append([name, f"{distance:.1f}", f"{distance / floor:.1f}x"])
        print(f"{name}: FVD {distance:.1f}", flush=True)
    lines = ["# FVD/floor on moving digits (16x32x32, N = %d a side): real clips with known flaws" % n, ""]
    lines += common.machine_lines(start_load=start_load)
    lines += ["", common.markdown_table(["clips scored against the first N real clips", "FVD", "FVD / floor"], rows),
              ""]
    return common.publish("\n".join(lines), args.out)


if __name__ == "__main__":
    raise SystemExit(main())
