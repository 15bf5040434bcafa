"""`keras-vgan enhance`: a trained restorer over a whole real video, tile by tile, to an H.264 MP4.

Usage:
    keras-vgan enhance RUN INPUT --out OUT.mp4 [--compare] [--tile T H W] [--overlap T H W]
                       [--batch-size N] [--no-ema] [--quiet]

RUN is a run directory or .keras file of a restorer (`--task enhance`, model
"restorer": a fully convolutional `TranslationGAN`). INPUT is any video FFmpeg
decodes, at its own size and length: frames are converted to the model's
channels (grayscale or RGB) but not resized; super-resolution makes them
`scale` times larger. `keras_vgan.tiling.enhance_frames` streams the video
through the model in overlapping T × H × W tiles, blended without seams, and
the output is encoded as it comes (a long video is never held whole), at the
input's frame rate. The file appears only once complete: an error leaves no
partial output. `--compare` writes the input (bicubic-upscaled for SR) | the
output, side by side with a thin white bar.

Example:
    keras-vgan enhance runs/enhance-denoise-moving-digits noisy.mp4 --out clean.mp4 --compare
"""

import os
import subprocess
import sys

import numpy as np

from keras_vgan.cli import positive_int

DEFAULT_TILE = (8, 64, 64)
SEPARATOR_WIDTH = 4  # even, so an RGB/gray frame pair stays even-sized for yuv420p
SEPARATOR_LEVEL = 255
VIDEO_FORMATS = ("mp4", "webm")


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "enhance", help="restore a real video (denoise, deblock, super-resolve) with a trained restorer",
        description="Run a trained restorer over a whole video in overlapping tiles and write the result as "
                    "H.264 MP4 (or .webm) at the input's frame rate. Frames keep their size (times the model's "
                    "scale for super-resolution).",
        epilog="example: keras-vgan enhance runs/enhance-denoise-moving-digits noisy.mp4 --out clean.mp4")
    parser.add_argument("model", metavar="RUN", help="a run directory holding model.keras, or a .keras file, of a "
                                                     "restorer (keras-vgan train --task enhance)")
    parser.add_argument("input", metavar="INPUT", help="a video file (anything FFmpeg decodes)")
    parser.add_argument("--out", required=True, help="the output video, .mp4 (H.264) or .webm")
    parser.add_argument("--compare", action="store_true",
                        help="write the input (upscaled for super-resolution) | the output side by side")
    parser.add_argument("--tile", type=positive_int, nargs=3, metavar=("T", "H", "W"),
                        help=f"the clip the model sees: frames, height, width of the input (default: "
                             f"{' '.join(map(str, DEFAULT_TILE))}, or the video's size where it is smaller)")
    parser.add_argument("--overlap", type=int, nargs=3, metavar=("T", "H", "W"),
                        help="frames and pixels neighbouring tiles share (default: a quarter of the tile)")
    parser.add_argument("--batch-size", type=positive_int, default=4, help="tiles per model call (default: 4)")
    parser.add_argument("--no-ema", action="store_true", help="use the raw generator, not its weight average")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    parser.set_defaults(run=run)


def restorer_geometry(gan):
    """(scale, input channels, output channels) of a restorer; ValueError for any other model."""
    from keras_vgan.models.restorers import is_restorer, restoration_geometry

    if not is_restorer(gan):
        raise ValueError(f"the model is a {type(gan).__name__} of clips {_shape(gan)}, not a restorer; expected a "
                         "run of `keras-vgan train --task enhance` (a fully convolutional restorer)")
    return restoration_geometry(gan.generator)


def _shape(gan):
    shape = getattr(gan, "condition_shape", None) or getattr(gan, "video_shape", ())
    return "x".join("any" if d is None else str(d) for d in shape)


def open_input(path):
    """(frame count, fps, (H, W)) of a readable video; ValueError saying why one is not."""
    from keras_vgan.datasets.skipping import SkipItem
    from keras_vgan.datasets.video_files import probe_video_frame

    if os.path.isdir(path):
        raise ValueError(f"input {path!r} is a directory; expected a video file")
    if not os.path.exists(path):
        raise FileNotFoundError(f"input {path!r} does not exist; expected a video file")
    try:
        count, fps, shape = probe_video_frame(path)
    except SkipItem as reason:
        raise ValueError(f"input {path!r} is not a readable video: {reason}") from None
    return count, fps or 25.0, tuple(shape[:2])


def read_frames(path, channels):
    """The frames of a video, one at a time, as uint8 (H, W, channels) grayscale or RGB."""
    import cv2

    from keras_vgan.datasets.video_files import open_video

    capture = open_video(path, threads=0)
    try:
        while True:
            ok, frame = capture.read()
            if not ok or frame is None:
                return
            if frame.ndim == 2:
                frame = frame[..., None]
            if channels == 1:
                frame = frame if frame.shape[-1] == 1 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)[..., None]
            else:
                frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB) if frame.shape[-1] == 1 else \
                    cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            yield frame
    finally:
        capture.release()


def choose_tile(tile, video_size, given):
    """The tile (t, h, w): `--tile` as given (refused when the video is smaller), else the default fitted to it."""
    if not given:
        return tuple(min(side, size) for side, size in zip(DEFAULT_TILE, video_size))
    small = [f"{name} {size} < {side}" for name, size, side in zip(("frames", "height", "width"), video_size, tile)
             if size < side]
    if small:
        fitted = " ".join(str(min(side, size)) for side, size in zip(tile, video_size))
        raise ValueError(f"the video ({'x'.join(map(str, video_size))} frames x height x width) is smaller than "
                         f"one --tile {' '.join(map(str, tile))} ({', '.join(small)}); expected a smaller tile, "
                         f"e.g. --tile {fitted}")
    return tuple(tile)


class VideoWriter:
    """Frames piped to ffmpeg as they come (H.264 or VP9, the codec options of `video_io`), into `path`."""

    def __init__(self, path, width, height, channels, fps, format):
        from keras_vgan import video_io

        self.command = [
            video_io.ffmpeg_executable(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "gray" if channels == 1 else "rgb24", "-s", f"{width}x{height}",
            "-framerate", f"{fps:g}", "-i", "pipe:0", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
            *video_io._CODEC_OPTIONS[format], path]
        self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)

    def write(self, frame):
        try:
            self.process.stdin.write(np.ascontiguousarray(frame).tobytes())
        except BrokenPipeError:
            self.close()

    def close(self):
        _, errors = self.process.communicate()
        if self.process.returncode != 0:
            lines = errors.decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"ffmpeg could not encode the output: {lines[-1] if lines else self.process.returncode}")

    def abort(self):
        if self.process.returncode is None:
            self.process.kill()
            self.process.wait()


def side_by_side(before, after):
    """One frame: `before` resized to `after`'s size (bicubic) | white bar | `after`.

    Example:
    >>> side_by_side(np.zeros((4, 4, 1), np.uint8), np.zeros((8, 8, 1), np.uint8)).shape
    (8, 20, 1)
    """
    import cv2

    height, width = after.shape[:2]
    if before.shape[:2] != (height, width):
        before = cv2.resize(before, (width, height), interpolation=cv2.INTER_CUBIC).reshape(after.shape)
    bar = np.full((height, SEPARATOR_WIDTH, after.shape[2]), SEPARATOR_LEVEL, np.uint8)
    return np.concatenate([before, bar, after], axis=1)


class _Progress:
    def __init__(self, quiet):
        self.quiet, self.shown = quiet, False

    def __call__(self, done, total):
        if self.quiet:
            return
        of = f"/{total}" if total else ""
        percent = f" ({100 * done // total}%)" if total else ""
        print(f"\rkeras-vgan enhance: tile {done}{of}{percent}", end="", file=sys.stderr, flush=True)
        self.shown = True

    def end(self):
        if self.shown:
            print(file=sys.stderr, flush=True)


def run(args):
    from keras_vgan import video_io
    from keras_vgan.atomic import atomic_path, check_writable
    from keras_vgan.saving import load_video_gan, resolve_model_path
    from keras_vgan.tiling import enhance_frames

    # Everything that can fail fast fails before the slow model load and the long run.
    chosen = video_io.output_format(args.out)
    if chosen not in VIDEO_FORMATS:
        raise ValueError(f"--out {args.out!r} is a {chosen} file; expected a video, {' or '.join(VIDEO_FORMATS)}")
    check_writable(args.out)
    count, fps, (height, width) = open_input(args.input)
    tile = choose_tile(args.tile, (count, height, width), args.tile is not None)
    gan = load_video_gan(resolve_model_path(args.model))
    scale, condition_channels, channels = restorer_geometry(gan)
    if condition_channels != channels:
        raise ValueError("the model is an inpainting restorer, whose input carries a mask of the missing pixels; "
                         "expected a restorer of whole frames (sr, denoise, deblock): enhance takes no mask")
    generator = gan.generator_for_sampling(not args.no_ema)

    def model_fn(clips):
        return generator(clips, training=False)

    progress = _Progress(args.quiet)
    writer = None
    written = 0
    with atomic_path(args.out) as temporary:
        try:
            # A generator: the input is read only as fast as the model consumes it.
            inputs = read_frames(args.input, channels)
            shown = []  # the input frames not yet written beside their output (--compare)

            def remembered(frames):
                for frame in frames:
                    if args.compare:
                        shown.append(frame)
                    yield frame

            outputs = enhance_frames(model_fn, remembered(inputs), tile, overlap=args.overlap, scale=scale,
                                     batch_size=args.batch_size, progress=progress, num_frames=count)
            for frame in outputs:
                if args.compare:
                    frame = side_by_side(shown.pop(0), frame)
                if writer is None:
                    writer = VideoWriter(temporary, frame.shape[1], frame.shape[0], frame.shape[2], fps, chosen)
                writer.write(frame)
                written += 1
            if writer is None:
                raise ValueError(f"input {args.input!r} gave no frames to enhance")
            writer.close()
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        finally:
            progress.end()
    size = f"{width * scale}x{height * scale}"
    layout = f"; left: the input{' (bicubic-upscaled)' if scale > 1 else ''}, right: enhanced" if args.compare else ""
    print(f"keras-vgan enhance: wrote {args.out} ({written} frames of {size} at {fps:g} fps, {chosen}{layout})")
    return 0
