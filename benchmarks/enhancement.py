"""Enhancement of real footage: the photo presets against classical baselines, on photographs training never saw.

The held-out footage is `photo_clips(split="test")`: Chelsea the cat and the
coffee cup, real photographs filmed by a simulated moving camera (pan, zoom,
small rotation), which the presets' training clips never show. Each task
degrades the same clips once, as training does (`degraded_pairs`, one seed),
and rounds the degraded frames to uint8 levels, as a real video file holds
them; then every method restores the same inputs:

* super-resolution x4: bicubic and Lanczos (OpenCV) beside the L1-only and
  the adversarial restorer;
* denoising (Gaussian, sigma 25 of 255): OpenCV's non-local means for video
  (`fastNlMeansDenoisingMulti`, 5-frame window), its strength h chosen as the
  best of a grid on training photographs, beside the restorer;
* deblocking (H.264 at CRF 40, libx264's own artifacts): the compressed input;
* inpainting (boxes): the masked input and OpenCV's `inpaint` (Telea) per frame.

Scores: PSNR and SSIM per frame (averaged over frames and clips), the
temporal consistency (Farneback warping error between consecutive frames,
`keras_vgan.metrics.temporal_consistency`) with its ratio to the truth's own,
and detail: the mean absolute difference of neighbouring pixels against the
truth's (below 1: smoother than the truth, as blur is; above: more texture or
noise than it has).
A PNG per task next to `--out` shows the same crop of one frame for each
method. `--time-enhance RUN` also times `keras-vgan enhance RUN` on a 10 s
1280x720 30 fps video (a held-out photograph filmed at 720p, noised with
sigma 25), as a user would run it.

    python benchmarks/enhancement.py --train --runs runs/enhancement --out benchmarks/results/enhancement.md
    python benchmarks/enhancement.py --runs runs/enhancement --time-enhance runs/enhancement/enhance-denoise-photos
"""

import argparse
import os
import subprocess
import sys
import time

import common

import numpy as np  # after common, which quiets TensorFlow's start-up

TASKS = {
    "sr": ("enhance-sr-photos-l1", "enhance-sr-photos"),
    "denoise": ("enhance-denoise-photos",),
    "deblock": ("enhance-deblock-photos-l1", "enhance-deblock-photos"),
    "inpaint": ("enhance-inpaint-photos",),
}
TASK_TITLES = {"sr": "Super-resolution x4", "denoise": "Denoising, Gaussian sigma = 25",
               "deblock": "Deblocking, H.264 at CRF 40", "inpaint": "Inpainting, boxes"}
GAN_LABEL = "restorer, GAN (L1+adv.+temporal)"
LABELS = {"enhance-sr-photos-l1": "restorer, L1 only", "enhance-sr-photos": GAN_LABEL,
          "enhance-deblock-photos-l1": "restorer, L1 only",
          "enhance-denoise-photos": GAN_LABEL, "enhance-deblock-photos": GAN_LABEL, "enhance-inpaint-photos": GAN_LABEL}
NL_MEANS_STRENGTHS = (14, 16, 18, 20, 22, 24, 27, 30)
NL_MEANS_WINDOW = 5  # frames; OpenCV's documented example value
TIMING_SECONDS, TIMING_FPS, TIMING_SIZE = 10, 30, (720, 1280)
# Large tiles with thin overlaps: the default (8x64x64, a quarter overlapping) computes each pixel 2.4 times.
TIMING_TILING = ("--tile", "16", "180", "320", "--overlap", "2", "16", "16", "--batch-size", "2")


def to_uint8(values):
    from keras_vgan.pixels import to_uint8 as convert

    return np.asarray(convert(values))


def held_out_clips(num_clips, frames, size, seed, split="test"):
    from keras_vgan.datasets.photographs import render_photo_clips

    return render_photo_clips(num_clips, frames, size, size, 1, seed=seed, split=split)


def degrade(config, clips, seed):
    """(conditions as the model takes them, uint8 frames of the degraded clips, mask or None) for `config`."""
    import tensorflow as tf

    from keras_vgan.datasets.degradations import degraded_pairs

    dataset = tf.data.Dataset.from_tensor_slices(clips.astype(np.float32) / 127.5 - 1.0)
    conditions = np.stack([c.numpy() for c, _ in degraded_pairs(dataset, config.make_degradation(), seed=seed)])
    channels = clips.shape[-1]
    frames = to_uint8(conditions[..., :channels])  # what a video file of the degraded clip holds
    mask = conditions[..., channels:] if conditions.shape[-1] > channels else None
    model_input = frames.astype(np.float32) / 127.5 - 1.0
    if mask is not None:
        model_input = np.concatenate([model_input, mask], axis=-1)
    return model_input, frames, mask


def restore(run, conditions, batch_size=2):
    from keras_vgan.saving import load_video_gan, resolve_model_path

    gan = load_video_gan(resolve_model_path(run))
    generator = gan.generator_for_sampling(True)
    outputs = [np.asarray(generator(conditions[start:start + batch_size], training=False))
               for start in range(0, len(conditions), batch_size)]
    return to_uint8(np.clip(np.concatenate(outputs), -1.0, 1.0))


def resized(frames, scale, interpolation):
    import cv2

    n, t, h, w, c = frames.shape
    out = np.empty((n, t, h * scale, w * scale, c), np.uint8)
    for i in range(n):
        for j in range(t):
            out[i, j] = cv2.resize(frames[i, j], (w * scale, h * scale), interpolation=interpolation).reshape(
                h * scale, w * scale, c)
    return out


def nl_means(frames, strength):
    """OpenCV's video non-local means on each gray frame: a window of 5 frames centred on it (fewer at the ends)."""
    import cv2

    out = np.empty_like(frames)
    for i, clip in enumerate(frames):
        length = len(clip)
        for t in range(length):
            # OpenCV wants the frame at the centre of an odd window that lies inside the clip.
            half = min(NL_MEANS_WINDOW // 2, t, length - 1 - t)
            window = [frame[..., 0] for frame in clip[t - half:t + half + 1]]
            out[i, t, ..., 0] = cv2.fastNlMeansDenoisingMulti(window, half, 2 * half + 1, None, float(strength), 7, 21)
    return out


def opencv_inpaint(frames, mask):
    import cv2

    out = np.empty_like(frames)
    for i in range(len(frames)):
        for t in range(frames.shape[1]):
            holes = (mask[i, t, ..., 0] > 0.5).astype(np.uint8)
            out[i, t, ..., 0] = cv2.inpaint(frames[i, t, ..., 0], holes, 3, cv2.INPAINT_TELEA)
    return out


def detail(videos):
    """Mean absolute difference between neighbouring pixels (grey levels): blur lowers it, texture raises it."""
    values = videos.astype(np.float64)
    return float(np.mean(np.abs(np.diff(values, axis=2))) + np.mean(np.abs(np.diff(values, axis=3)))) / 2.0


def scores(output, truth):
    from keras_vgan.metrics.frame_quality import frame_scores
    from keras_vgan.metrics.temporal_consistency import temporal_consistency

    frame = frame_scores(output, truth, ("psnr", "ssim"))
    psnr = frame["psnr"]
    finite = np.isfinite(psnr)
    consistency = temporal_consistency(output).mean
    return {"psnr": float(np.mean(psnr[finite])) if finite.any() else float("inf"),
            "ssim": float(np.mean(frame["ssim"])), "warping": consistency,
            "ratio": consistency / temporal_consistency(truth).mean, "detail": detail(output) / detail(truth)}


def best_nl_means_strength(config, args):
    """The h of `NL_MEANS_STRENGTHS` with the best PSNR on training photographs (another seed), and each h's PSNR."""
    clips = held_out_clips(args.tuning_clips, args.frames, args.size, args.seed + 1, split="train")
    _, noisy, _ = degrade(config, clips, args.seed + 1)
    psnrs = {h: scores(nl_means(noisy, h), clips)["psnr"] for h in NL_MEANS_STRENGTHS}
    return max(psnrs, key=psnrs.get), psnrs


def busiest_crops(truth, crop, count=3, stride=16):
    """(clip, top, left) of the `count` crops of middle frames with the most fine detail (`detail`: neighbouring
    pixels' differences, the table's measure), each from another clip, so the grid shows more than one kind of
    content."""
    # Fine detail rather than the pixels' spread: the spread picks the strongest edge (a bright rim on a dark
    # cup), which every method restores alike; texture such as fur is where restorers differ, and where the
    # table's detail column is measured.
    frame = truth.shape[1] // 2
    height, width = truth.shape[2:4]
    best = {}
    for clip in range(len(truth)):
        for top in range(0, height - crop + 1, stride):
            for left in range(0, width - crop + 1, stride):
                value = detail(truth[clip, frame, top:top + crop, left:left + crop][None, None])
                best[clip] = max(best.get(clip, (-1.0, clip, 0, 0)), (value, clip, top, left))
    return [place[1:] for place in sorted(best.values(), reverse=True)[:count]]


def crop_grid(named_outputs, truth, path, crop=48, zoom=4):
    """The same crops of a middle frame for each method, side by side at `zoom`x (nearest), each with its label.

    One row per crop (`busiest_crops`): detailed regions are where restorers differ most from each other.
    """
    import cv2

    frame = truth.shape[1] // 2
    height = truth.shape[2]
    rows = []
    for clip, top, left in busiest_crops(truth, crop):
        cells = []
        for label, video in named_outputs + [("truth", truth)]:
            scale = height // video.shape[2]
            image = video[clip, frame, top // scale:(top + crop) // scale, left // scale:(left + crop) // scale, 0]
            image = cv2.resize(image, (crop * zoom, crop * zoom), interpolation=cv2.INTER_NEAREST)
            if not rows:
                label_bar = np.full((18, crop * zoom), 255, np.uint8)
                cv2.putText(label_bar, label[:32], (2, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, 0, 1, cv2.LINE_AA)
                image = np.concatenate([label_bar, image], axis=0)
            cells += [image, np.full((image.shape[0], 4), 255, np.uint8)]
        rows += [np.concatenate(cells[:-1], axis=1)]
        rows += [np.full((4, rows[-1].shape[1]), 255, np.uint8)]
    cv2.imwrite(path, np.concatenate(rows[:-1], axis=0))


def evaluate_task(task, args, table, images):
    from keras_vgan.presets import get_preset

    presets = [name for name in TASKS[task] if os.path.exists(os.path.join(args.runs, name, "model.keras"))]
    if not presets:
        print(f"{task}: no trained run under {args.runs}; skipped", flush=True)
        return
    config = get_preset(presets[0])
    truth = held_out_clips(args.num_clips, args.frames, args.size, args.seed)
    conditions, frames, mask = degrade(config, truth, args.seed)
    outputs = []
    if task == "sr":
        import cv2

        outputs.append(("the input (nearest)", resized(frames, config.scale, cv2.INTER_NEAREST)))
        outputs.append(("bicubic", resized(frames, config.scale, cv2.INTER_CUBIC)))
        outputs.append(("Lanczos", resized(frames, config.scale, cv2.INTER_LANCZOS4)))
    elif task == "denoise":
        strength, tuned = best_nl_means_strength(config, args)
        print("NL-means h -> PSNR on training photographs: "
              + ", ".join(f"{h}: {p:.2f}" for h, p in tuned.items()), flush=True)
        outputs.append(("noisy input", frames))
        outputs.append((f"NL-means (h = {strength})", nl_means(frames, strength)))
    elif task == "deblock":
        outputs.append(("compressed input", frames))
    else:
        outputs.append(("masked input", frames))
        outputs.append(("OpenCV inpaint (Telea)", opencv_inpaint(frames, mask)))
    for name in presets:
        outputs.append((LABELS[name], restore(os.path.join(args.runs, name), conditions)))
    for label, output in outputs:
        row = scores(output, truth)
        table.append((TASK_TITLES[task], label, row))
        print(f"{task:8s} {label:40s} PSNR {row['psnr']:.2f}  SSIM {row['ssim']:.4f}  warping "
              f"{row['warping']:.2f} ({row['ratio']:.2f}x truth)  detail {row['detail']:.2f}x truth", flush=True)
    if args.out:
        folder = os.path.join(os.path.dirname(args.out) or ".", "enhancement")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{task}_crops.png")
        crop_grid(outputs, truth, path)
        images.append(path)


def noisy_720p_video(path, seed=0):
    """A 10 s 1280x720 30 fps H.264 video: the held-out coffee photograph filmed at 720p, Gaussian noise sigma 25."""
    import cv2
    import imageio_ffmpeg

    from keras_vgan.datasets.photographs import film_photograph, read_photograph

    height, width = TIMING_SIZE
    photo = read_photograph("coffee", 1)
    # 4x (2400x1600), so a 1280x720 frame turned a little fits inside along a slow 10 s pan.
    photo = cv2.resize(photo, (photo.shape[1] * 4, photo.shape[0] * 4), interpolation=cv2.INTER_CUBIC)[..., None]
    frames = film_photograph(photo, TIMING_SECONDS * TIMING_FPS, height, width, seed=seed, max_speed=0.3,
                             max_zoom=0.0, max_rotation=0.0)
    rng = np.random.default_rng(seed)
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "gray",
               "-s", f"{width}x{height}", "-r", str(TIMING_FPS), "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-crf", "10",
               "-pix_fmt", "yuv420p", path]
    with subprocess.Popen(command, stdin=subprocess.PIPE) as encoder:
        for frame in frames:
            noisy = np.clip(frame.astype(np.float32) + rng.normal(0.0, 25.0, frame.shape), 0, 255).astype(np.uint8)
            encoder.stdin.write(noisy.tobytes())
        encoder.stdin.close()
        if encoder.wait() != 0:
            raise SystemExit("ffmpeg could not encode the timing video")


def time_enhance(run, folder):
    source = os.path.join(folder, "noisy_720p.mp4")
    if not os.path.exists(source):  # deterministic, and minutes to make: made once per folder
        noisy_720p_video(source)
    started = time.time()
    lines = common.keras_vgan_report(["enhance", run, source, "--out", os.path.join(folder, "clean_720p.mp4"),
                                      *TIMING_TILING, "--quiet"])
    return time.time() - started, lines


def markdown(args, table, images, timing, start_load, nl_means_note):
    lines = ["# Enhancement of real footage (held-out photographs under a simulated moving camera)", ""]
    lines += common.machine_lines(start_load=start_load)
    lines += [f"- Held-out clips: {args.num_clips} clips of {args.frames} frames of {args.size}x{args.size} gray, "
              f"`photo_clips(split=\"test\")` (Chelsea, coffee), seed {args.seed}; degraded inputs rounded to uint8",
              ""]
    current = None
    for task, label, row in table:
        if task != current:
            lines += ["", f"## {task}", "", "| method | PSNR (dB) | SSIM | warping error | vs truth's | detail vs truth's |",
                      "|---|---:|---:|---:|---:|---:|"]
            current = task
        lines.append(f"| {label} | {row['psnr']:.2f} | {row['ssim']:.4f} | {row['warping']:.2f} | "
                     f"{row['ratio']:.2f}x | {row['detail']:.2f}x |")
    if nl_means_note:
        lines += ["", nl_means_note]
    if images:
        lines += ["", "Crops (the 48x48 of a middle frame with the most fine detail, in the three clips with the most, 4x nearest): " + ", ".join(
            f"`{os.path.relpath(path, os.path.dirname(args.out) or '.')}`" for path in images)]
    if timing:
        seconds, report = timing
        lines += ["", f"`keras-vgan enhance` on a 10 s 1280x720 30 fps video ({TIMING_SECONDS * TIMING_FPS} frames): "
                      f"**{seconds:.0f} s** wall ({seconds / (TIMING_SECONDS * TIMING_FPS):.2f} s a frame), "
                      f"`{' '.join(TIMING_TILING)}`; "
                      f"{report[-1] if report else ''}"]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", default="runs/enhancement", help="folder of trained runs, one per preset")
    parser.add_argument("--train", action="store_true", help="train the presets that have no run yet")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--num-clips", type=int, default=16)
    parser.add_argument("--tuning-clips", type=int, default=4, help="training-photograph clips that choose NL-means' h")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--steps", type=int, default=None, help="smoke runs: train each preset this many steps")
    parser.add_argument("--time-enhance", metavar="RUN", default=None,
                        help="also time keras-vgan enhance RUN on a 10 s 720p video")
    parser.add_argument("--out", default=None, help="markdown file for the table")
    args = parser.parse_args()
    start_load = common.load_average()
    from keras_vgan.presets import get_preset

    trained = []
    if args.train:
        for task in args.tasks:
            for name in TASKS[task]:
                if not os.path.exists(os.path.join(args.runs, name, "model.keras")):
                    overrides = {}
                    initial = get_preset(name).init_generator
                    if initial:  # the run it starts from, trained just before it under --runs
                        overrides["init_generator"] = os.path.join(args.runs, os.path.basename(initial))
                    row = common.train_preset(name, args.runs, steps=args.steps, **overrides)
                    trained.append(row)
                    print(f"trained {name}: {row['wall_s'] / 60:.1f} min, {row['steps']} steps", flush=True)
    table, images = [], []
    for task in args.tasks:
        evaluate_task(task, args, table, images)
    timing = None
    if args.time_enhance:
        folder = os.path.join(args.runs, "timing")
        os.makedirs(folder, exist_ok=True)
        timing = time_enhance(args.time_enhance, folder)
        print(f"keras-vgan enhance on 10 s of 720p: {timing[0]:.0f} s", flush=True)
    note = ""
    if "denoise" in args.tasks:
        note = (f"NL-means' h was chosen among {list(NL_MEANS_STRENGTHS)} by PSNR on {args.tuning_clips} clips of "
                "the training photographs (seed + 1).")
    if trained:
        note += "\n\nTrained here: " + "; ".join(f"{row['preset']} {row['wall_s'] / 60:.1f} min, {row['steps']} steps"
                                                  for row in trained)
    return common.publish(markdown(args, table, images, timing, start_load, note), args.out)


if __name__ == "__main__":
    sys.exit(main())
