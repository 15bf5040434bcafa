"""How fast `from_video_files` makes 16×64×64 clips from H.264 video, against two yardsticks.

In one run, on the same files:

1. a plain serial loop: `cv2.VideoCapture(path).read()` frame after frame,
   resize and crop the frames a clip needs (what one writes without tf.data);
2. the same decode code the pipeline uses (`read_video_frames` +
   `assemble_clips`) called serially, one file after another;
3. `from_video_files` (tf.data, parallel map over files), with 1 and with
   OpenCV's automatic number of FFmpeg threads per file, and an
   interleave-of-`from_generator` variant of the same decoding;
4. how many clips per second training consumes: `VideoGAN.fit` steps of the
   "quickstart-conv3d" preset, and of the same preset at the pipeline's clip size
   (16×64×64×3).

The videos (default 12 × 10 s, 640×360, 25 fps, H.264 ~0.5 Mbit/s) are made
in a temporary directory with the ffmpeg binary of `imageio-ffmpeg`.

    python benchmarks/data_pipeline.py --out benchmarks/results/data_pipeline.md
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_vgan.datasets import from_video_files  # noqa: E402
from keras_vgan.datasets import video_files  # noqa: E402
from keras_vgan.datasets.opencv_clips import assemble_clips, clip_frame_indices, crop_offset  # noqa: E402
from keras_vgan.datasets.tfrecord import from_tfrecord, write_tfrecord_shards  # noqa: E402

FRAMES, SIZE, CHANNELS = 16, 64, 3


def make_videos(directory, count, seconds, width=640, height=360, fps=25):
    """`count` H.264 MP4s: a moving test pattern plus light temporal noise (a realistic bitrate)."""
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    paths = []
    for index in range(count):
        path = os.path.join(directory, f"video_{index:02d}.mp4")
        source = f"testsrc2=size={width}x{height}:rate={fps},hue=h={index * 30},noise=alls=4:allf=t"
        subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source,
                        "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-crf", "26",
                        "-pix_fmt", "yuv420p", path], check=True)
        paths.append(path)
    return paths


def even_indices(path, clips_per_video):
    capture = cv2.VideoCapture(path)
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.release()
    return clip_frame_indices(count, FRAMES, 1, clips_per_video, "even")


def plain_serial_loop(paths, clips_per_video, threads=None):
    """What one writes without tf.data: read() every frame up to the last one needed.

    `threads=None` leaves OpenCV's default (FFmpeg picks a thread count from
    the cores), so this loop already decodes on both cores.
    """
    clips = []
    for path in paths:
        indices = even_indices(path, clips_per_video)
        wanted = set(indices.ravel().tolist())
        capture = cv2.VideoCapture(path) if threads is None else video_files.open_video(path, threads)
        frames = {}
        for position in range(int(indices.max()) + 1):
            ok, frame = capture.read()
            if not ok:
                break
            if position in wanted:
                target = (int(round(frame.shape[1] * SIZE / min(frame.shape[:2]))), SIZE)
                frames[position] = cv2.cvtColor(cv2.resize(frame, target, interpolation=cv2.INTER_AREA),
                                                cv2.COLOR_BGR2RGB)
        capture.release()
        for clip_indices in indices:
            first = frames[int(clip_indices[0])]
            top, left = crop_offset(first.shape[0], SIZE, "center"), crop_offset(first.shape[1], SIZE, "center")
            clips.append(np.stack([frames[int(i)][top:top + SIZE, left:left + SIZE] for i in clip_indices]))
    return clips


def same_code_serial(paths, clips_per_video):
    """The pipeline's own decode functions, one file after another, no tf.data."""
    clips = []
    for path in paths:
        indices = even_indices(path, clips_per_video)
        frames, _ = video_files.read_video_frames(path, sorted(set(indices.ravel().tolist())))
        clips.extend(assemble_clips(frames, indices, SIZE, SIZE, CHANNELS, "center"))
    return clips


class InFlight:
    """Wraps `read_video_frames` to count how many files the pipeline decodes at once."""

    def __init__(self):
        self.lock, self.now, self.most = threading.Lock(), 0, 0
        self.original = video_files.read_video_frames

    def __call__(self, path, indices):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            return self.original(path, indices)
        finally:
            with self.lock:
                self.now -= 1


def pipeline_clips(paths, clips_per_video, passes, decoder_threads):
    """Clips, wall s, CPU s, set-up s and the most files decoded at once by `from_video_files`."""
    default_threads, video_files.DECODER_THREADS = video_files.DECODER_THREADS, decoder_threads
    in_flight = video_files.read_video_frames = InFlight()
    try:
        started = time.perf_counter()
        dataset = from_video_files(paths, FRAMES, SIZE, SIZE, CHANNELS, clips_per_video=clips_per_video,
                                   clip_sampling="even", seed=0)
        setup = time.perf_counter() - started
        count, wall, cpu = measure(lambda: sum(1 for _pass in range(passes) for _clip in dataset))
    finally:
        video_files.DECODER_THREADS = default_threads
        video_files.read_video_frames = in_flight.original
    return count, wall, cpu, setup, in_flight.most


def measure(function):
    """(result, wall seconds, CPU seconds of all this process's threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def interleave_variant(paths, clips_per_video, passes):
    """Same decoding, but one `from_generator` per file under `interleave` instead of a parallel map."""
    signature = tf.TensorSpec((FRAMES, SIZE, SIZE, CHANNELS), tf.uint8)

    def clips_of(path):
        path = path.decode()
        indices = even_indices(path, clips_per_video)
        frames, _ = video_files.read_video_frames(path, sorted(set(indices.ravel().tolist())))
        yield from assemble_clips(frames, indices, SIZE, SIZE, CHANNELS, "center")

    dataset = tf.data.Dataset.from_tensor_slices(paths).interleave(
        lambda p: tf.data.Dataset.from_generator(clips_of, args=(p,), output_signature=signature),
        cycle_length=2, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False,
    ).map(lambda c: tf.cast(c, tf.float32) / 127.5 - 1.0)
    return measure(lambda: sum(1 for _pass in range(passes) for _clip in dataset))


def tfrecord_clips(paths, clips_per_video, passes, directory):
    """Decode once into shards (`keras-vgan prepare`), then time reading them back."""
    clips = from_video_files(paths, FRAMES, SIZE, SIZE, CHANNELS, clips_per_video=clips_per_video,
                             clip_sampling="even", seed=0)
    out_dir = os.path.join(directory, f"shards_{clips_per_video}")
    write_tfrecord_shards(clips, out_dir, clips_per_shard=32)
    dataset = from_tfrecord(out_dir, seed=0)
    return measure(lambda: sum(1 for _pass in range(passes) for _clip in dataset))


def training_clips_per_second(steps, **geometry):
    """Clips/s `VideoGAN.fit` consumes for the quickstart-conv3d preset, optionally at another clip size."""
    from keras_vgan import precision
    from keras_vgan.presets import get_preset
    from keras_vgan.training import build_gan

    config = get_preset("quickstart-conv3d").replace(**geometry)
    policy = precision.set_precision(config.precision)
    gan = build_gan(config)
    shape = (config.batch_size, config.frames, config.height, config.width, config.channels)
    batch = tf.random.uniform(shape, -1.0, 1.0)
    data = tf.data.Dataset.from_tensors(batch).repeat()
    gan.fit(data, epochs=1, steps_per_epoch=2, verbose=0)  # trace and compile outside the timing
    _, wall, cpu = measure(lambda: gan.fit(data, epochs=1, steps_per_epoch=steps, verbose=0))
    clips = steps * config.batch_size
    label = (f"quickstart-conv3d preset, {config.frames}×{config.height}×{config.width}×{config.channels}, "
             f"batch {config.batch_size}, {policy}")
    return clips, wall, cpu, label


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            model = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} (TF {tf.__version__}, OpenCV {cv2.__version__})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--videos", type=int, default=12)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--train-steps", type=int, default=10)
    parser.add_argument("--clips-per-video", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--out", help="write the results table (Markdown) here")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()
    rows, decoded_per_clip = [], {}
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        paths = make_videos(directory, args.videos, args.seconds)
        print(f"made {len(paths)} videos in {time.perf_counter() - started:.1f} s", flush=True)
        for per_video in args.clips_per_video:
            expected = len(paths) * per_video * args.passes
            decoded_per_clip[per_video] = (even_indices(paths[0], per_video).max() + 1) / per_video

            def serial(function, **options):
                return measure(lambda: [c for _ in range(args.passes) for c in function(paths, per_video, **options)])

            plain, wall, cpu = serial(plain_serial_loop)
            rows.append((per_video, "plain serial loop: cv2 read(), OpenCV's default FFmpeg threads",
                         len(plain), wall, cpu, None))
            plain_one, wall, cpu = serial(plain_serial_loop, threads=1)
            rows.append((per_video, "plain serial loop: cv2 read(), 1 FFmpeg thread", len(plain_one), wall, cpu,
                         None))
            same, wall, cpu = serial(same_code_serial)
            rows.append((per_video, "the pipeline's decode functions, serial", len(same), wall, cpu, None))
            mean_difference = np.mean([np.abs(a.astype(int) - b).mean() for a, b in zip(plain, same)])
            print(f"plain loop vs pipeline code: mean |difference| {mean_difference:.2f} grey levels", flush=True)
            for threads, name in ((1, "from_video_files: tf.data map, 1 FFmpeg thread/file (default)"),
                                  (0, "from_video_files: tf.data map, OpenCV's default FFmpeg threads/file")):
                count, wall, cpu, setup, most = pipeline_clips(paths, per_video, args.passes, threads)
                assert count == expected, (count, expected)
                rows.append((per_video, f"{name}; up to {most} files decoding at once", count, wall, cpu, setup))
            count, wall, cpu = interleave_variant(paths, per_video, args.passes)
            rows.append((per_video, "tf.data interleave(from_generator) variant", count, wall, cpu, None))
            count, wall, cpu = tfrecord_clips(paths, per_video, args.passes, directory)
            rows.append((per_video, "from_tfrecord after `prepare` (uint8 shards)", count, wall, cpu, None))
            for row in rows[-7:]:
                print(f"clips/video {row[0]}: {row[1]}: {row[2] / row[3]:.1f} clips/s, "
                      f"{row[4] / row[2] * 1000:.1f} CPU-ms/clip", flush=True)

    training = [training_clips_per_second(args.train_steps),
                training_clips_per_second(args.train_steps, height=SIZE, width=SIZE, channels=CHANNELS)]
    for clips, wall, cpu, label in training:
        print(f"training consumes {clips / wall:.1f} clips/s, {cpu / clips * 1000:.1f} CPU-ms/clip ({label})",
              flush=True)
    load_after = os.getloadavg()

    lines = [
        "# Data pipeline throughput: H.264 video → 16×64×64×3 clips",
        "",
        f"Machine: {machine()}.",
        f"Load average before/after the run: {load_before[0]:.2f} / {load_after[0]:.2f} "
        f"(other agents were sharing the 2 cores when it was above ~0.5).",
        "",
        f"Command: `python benchmarks/data_pipeline.py {' '.join(sys.argv[1:] if argv is None else argv)}`",
        "",
        f"Input: {args.videos} videos × {args.seconds} s, 640×360, 25 fps, H.264 (libx264 crf 26, ~0.5 Mbit/s); "
        f"clips of {FRAMES} consecutive frames spread evenly over each video, resized to cover 64×64 and "
        f"centre-cropped; {args.passes} passes. Pipeline times exclude the one-off set-up (probe of every file, "
        f"graph tracing: the setup column). CPU-ms/clip counts every thread of the process; the 2-core bound "
        f"(2 CPU-s per wall second / CPU-s per clip) is the rate the method would reach with both cores to itself.",
        "",
        "| clips/video | method | clips | wall s | clips/s | vs plain serial (default threads) "
        "| CPU-ms/clip | CPU use | 2-core bound clips/s | setup s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    base = {}
    for per_video, name, count, wall, cpu, setup in rows:
        rate = count / wall
        base.setdefault(per_video, rate)
        lines.append(f"| {per_video} | {name} | {count} | {wall:.2f} | {rate:.1f} | {rate / base[per_video]:.2f}× | "
                     f"{cpu / count * 1000:.1f} | {cpu / wall * 100:.0f}% | {2 * count / cpu:.0f} | "
                     f"{'' if setup is None else f'{setup:.2f}'} |")
    lines += ["", "| training consumption (VideoGAN.fit, the policy `precision=auto` picks) | clips | wall s "
              "| clips/s | CPU-ms/clip | CPU use | 2-core bound clips/s |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {label} | {clips} | {wall:.2f} | {clips / wall:.1f} | {cpu / clips * 1000:.1f} | "
              f"{cpu / wall * 100:.0f}% | {2 * clips / cpu:.1f} |" for clips, wall, cpu, label in training]
    lines += ["", "## Verdict", ""]
    train_clips, train_wall, train_cpu, _ = training[-1]
    for per_video in args.clips_per_video:
        mine = {name: (count, wall, cpu) for v, name, count, wall, cpu, _ in rows if v == per_video}
        count, wall, cpu = next(value for name, value in mine.items() if "(default)" in name)
        plain_count, plain_wall, plain_cpu = next(iter(mine.values()))
        lines.append(
            f"- {per_video} clip(s)/video: `from_video_files` gives {count / wall:.1f} clips/s = "
            f"{(count / wall) / (train_clips / train_wall):.2f}× what 16×64×64×3 training consumes "
            f"({train_clips / train_wall:.1f} clips/s) and {(count / wall) / (plain_count / plain_wall):.2f}× the plain "
            f"serial loop, wall clock; on CPU cost (2-core bounds) {train_cpu / train_clips / (cpu / count):.2f}× "
            f"training and {plain_cpu / plain_count / (cpu / count):.2f}× the plain loop. It decodes "
            f"{decoded_per_clip[per_video]:.0f} frames per clip at {cpu / count / decoded_per_clip[per_video] * 1000:.2f} "
            f"CPU-ms per decoded frame (decode, resize and crop included).")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        temporary = args.out + ".tmp"
        with open(temporary, "w") as handle:
            handle.write(text)
        os.replace(temporary, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
