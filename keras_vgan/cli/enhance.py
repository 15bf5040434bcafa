"""`keras-vgan enhance`: a trained restorer over a whole real video, tile by tile, to an H.264 MP4.

Usage:
    keras-vgan enhance RUN INPUT --out OUT.mp4 [--mask MASK] [--compare] [--scale S] [--tile T H W]
                       [--overlap T H W] [--batch-size N] [--no-ema] [--quiet]

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

An inpainting restorer (`--degradation inpaint`, `inpaint_scribbles`,
`inpaint_dropped_frames`: its condition is the frames and a mask channel)
needs `--mask MASK`, the pixels to fill in: one image for every frame, or a
video of one mask frame per input frame (at least as many frames as the
input), of the input's frame size exactly. A pixel brighter than 127 in
grayscale is missing. As in training (`Inpainting.degrade`), the model sees
the frames with missing pixels set to the run's fill (`degradation_options`
fill in the run's config.json; default 0, mid grey) and the mask, 1 where a
pixel is missing; `--compare` then shows that masked input beside the output.

Examples:
    keras-vgan enhance runs/enhance-denoise-moving-digits noisy.mp4 --out clean.mp4 --compare
    keras-vgan enhance runs/inpaint damaged.mp4 --mask scratch.png --out repaired.mp4
"""

import json
import os
import subprocess
import sys

import numpy as np

from keras_vgan.cli import positive_int

DEFAULT_TILE = (8, 64, 64)
SEPARATOR_WIDTH = 4  # even, so an RGB/gray frame pair stays even-sized for yuv420p
SEPARATOR_LEVEL = 255
VIDEO_FORMATS = ("mp4", "webm")
MASK_THRESHOLD = 127  # a mask pixel brighter than this (in grayscale) is missing


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "enhance", help="restore a real video (denoise, deblock, super-resolve, inpaint) with a trained restorer",
        description="Run a trained restorer over a whole video in overlapping tiles and write the result as "
                    "H.264 MP4 (or .webm) at the input's frame rate. Frames keep their size (times the model's "
                    "scale for super-resolution). An inpainting restorer fills in the pixels --mask marks.",
        epilog="example: keras-vgan enhance runs/enhance-denoise-moving-digits noisy.mp4 --out clean.mp4; an "
               "inpainting restorer needs --mask: keras-vgan enhance runs/inpaint damaged.mp4 "
               "--mask scratch.png --out repaired.mp4")
    parser.add_argument("model", metavar="RUN", help="a run directory holding model.keras, or a .keras file, of a "
                                                     "restorer (keras-vgan train --task enhance)")
    parser.add_argument("input", metavar="INPUT", help="a video file (anything FFmpeg decodes)")
    parser.add_argument("--out", required=True, help="the output video, .mp4 (H.264) or .webm")
    parser.add_argument("--mask", metavar="MASK",
                        help="inpainting restorers (and only they): the pixels to fill in, white (> 127 in "
                             "grayscale) where missing; an image (the same mask for every frame) or a video (one "
                             "mask frame per input frame), of the input's frame size")
    parser.add_argument("--compare", action="store_true",
                        help="write the input (upscaled for super-resolution; with --mask, its holes at the fill "
                             "grey) | the output side by side")
    parser.add_argument("--tile", type=positive_int, nargs=3, metavar=("T", "H", "W"),
                        help=f"the clip the model sees: frames, height, width of the input (default: "
                             f"{' '.join(map(str, DEFAULT_TILE))}, or the video's size where it is smaller)")
    parser.add_argument("--overlap", type=int, nargs=3, metavar=("T", "H", "W"),
                        help="frames and pixels neighbouring tiles share (default: a quarter of the tile)")
    parser.add_argument("--scale", type=positive_int, default=None,
                        help="the upscaling you expect (1, 2, 4): checked against the restorer's own, so a x4 run "
                             "given for a x2 job is an error, not a surprise (default: the restorer's)")
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


def _mask_of(frame):
    """A grayscale uint8 (H, W) or (H, W, 1) mask frame as (H, W, 1) uint8: 255 where missing, 0 where kept."""
    frame = frame.reshape(frame.shape[:2] + (1,))
    return np.where(frame > MASK_THRESHOLD, np.uint8(255), np.uint8(0))


class Mask:
    """`--mask`: one image for every frame, or a video of one mask frame per frame; frames of 255 (missing) or 0.

    Opening checks everything that can be checked without decoding it all:
    that the file reads as an image or a video, its frame size against the
    input's, and a video's frame count against the input's. ValueError (or
    FileNotFoundError) saying which.
    """

    def __init__(self, path, input_size, input_frames):
        from keras_vgan.datasets.files import IMAGE_EXTENSIONS

        self.path = path
        if os.path.isdir(path):
            raise ValueError(f"--mask {path!r} is a directory; expected an image or a video file")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"--mask {path!r} does not exist; expected an image or a video file")
        self.image = None
        if path.lower().endswith(IMAGE_EXTENSIONS):
            import cv2

            image = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
            if image is None or image.size == 0:
                raise ValueError(f"--mask {path!r} cannot be read: it does not decode as an image; expected an "
                                 f"image ({', '.join(IMAGE_EXTENSIONS)}) or a video")
            self.image = _mask_of(image)
            size = self.image.shape[:2]
            self.kind = "image"
        else:
            from keras_vgan.datasets.skipping import SkipItem
            from keras_vgan.datasets.video_files import probe_video_frame

            try:
                self.count, _, shape = probe_video_frame(path)
            except SkipItem as reason:
                raise ValueError(f"--mask {path!r} cannot be read: it is not a readable image or video: "
                                 f"{reason}") from None
            size = tuple(shape[:2])
            self.kind = "video"
        if tuple(size) != tuple(input_size):
            raise ValueError(f"--mask {path!r} is {size[1]}x{size[0]} (width x height) but the input's frames are "
                             f"{input_size[1]}x{input_size[0]}; expected a mask of the input's frame size exactly")
        if self.image is None and self.count < input_frames:
            raise ValueError(f"--mask {path!r} has {self.count} frames, fewer than the input's {input_frames}; "
                             "expected a mask video with a frame for every input frame (or one image for all)")

    def frames(self):
        """The mask frame of each input frame, in order, (H, W, 1) uint8; endless for an image."""
        if self.image is not None:
            while True:
                yield self.image
        for frame in read_frames(self.path, 1):
            yield _mask_of(frame)
        raise ValueError(f"--mask {self.path!r} ended before the input did; expected a mask video with a frame "
                         "for every input frame")


def read_fill(model_path):
    """The fill of missing pixels, in [-1, 1], the restorer was trained with: its run's config.json, else 0.0.

    The run directory is the one holding `model_path` (model.keras or a
    .keras file saved in a run directory); `degradation_options` fill, where
    training set one, else the degradations' default, 0 (mid grey).
    """
    path = os.path.join(os.path.dirname(os.path.abspath(model_path)), "config.json")
    if not os.path.isfile(path):
        return 0.0
    try:
        with open(path) as file:
            config = json.load(file)
    except (OSError, ValueError) as error:
        raise ValueError(f"the run's config {path!r} cannot be read ({error}); expected the config.json "
                         "`keras-vgan train` wrote, which says the inpainting fill") from None
    options = config.get("degradation_options") if isinstance(config, dict) else None
    fill = (options or {}).get("fill", 0.0) if isinstance(options, dict) else 0.0
    if isinstance(fill, bool) or not isinstance(fill, (int, float)) or not -1.0 <= fill <= 1.0:
        raise ValueError(f"the run's config {path!r} has degradation_options fill={fill!r}; expected one number "
                         "in [-1, 1]")
    return float(fill)


def masked_model_fn(generator, channels, fill):
    """A `model_fn` for tiles packing frames and mask as C + 1 channels, the mask -1 (kept) or 1 (missing).

    `enhance_frames` converts every channel of the uint8 frames to [-1, 1],
    so a packed mask of 0/255 arrives as -1/1. This turns it into {0, 1}, sets
    the missing pixels to `fill` and calls the generator on the condition
    `Inpainting.degrade` builds: the masked frames, then the mask.
    """

    def model_fn(clips):
        frames, mask = clips[..., :channels], (clips[..., channels:] > 0.0).astype(np.float32)
        masked = frames * (1.0 - mask) + np.float32(fill) * mask
        return generator(np.concatenate([masked, mask], axis=-1), training=False)

    return model_fn


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
    mask = Mask(args.mask, (height, width), count) if args.mask is not None else None
    model_path = resolve_model_path(args.model)
    gan = load_video_gan(model_path)
    scale, condition_channels, channels = restorer_geometry(gan)
    if args.scale is not None and args.scale != scale:
        raise ValueError(f"--scale {args.scale} is not a scale this restorer was trained for: it "
                         f"{'upscales x' + str(scale) if scale > 1 else 'keeps the frame size (x1)'}; expected "
                         f"--scale {scale}, or a run of --degradation sr --scale {args.scale}")
    inpainting = condition_channels != channels
    if inpainting and mask is None:
        raise ValueError("the model is an inpainting restorer, whose input carries a mask of the missing pixels; "
                         "expected --mask PATH, an image or a video, white where pixels are missing")
    if mask is not None and not inpainting:
        raise ValueError("--mask is only for inpainting restorers, and this one restores whole frames (sr, denoise "
                         "or deblock) and takes no mask; expected no --mask, or a run of --degradation inpaint, "
                         "inpaint_scribbles or inpaint_dropped_frames")
    generator = gan.generator_for_sampling(not args.no_ema)
    if inpainting:
        fill = read_fill(model_path)
        fill_level = np.clip(np.round((fill + 1.0) * 127.5), 0, 255).astype(np.uint8)
        model_fn = masked_model_fn(generator, channels, fill)
    else:
        def model_fn(clips):
            return generator(clips, training=False)

    def packed(frames):
        """With --mask: (frame with its mask as one more channel, the masked frame); else (frame, frame)."""
        if mask is None:
            for frame in frames:
                yield frame, frame
            return
        for frame, missing in zip(frames, mask.frames()):
            yield np.concatenate([frame, missing], axis=-1), np.where(missing > 0, fill_level, frame)

    progress = _Progress(args.quiet)
    writer = None
    written = 0
    with atomic_path(args.out) as temporary:
        try:
            # A generator: the input is read only as fast as the model consumes it.
            inputs = read_frames(args.input, channels)
            shown = []  # the input frames not yet written beside their output (--compare)

            def remembered(frames):
                for frame, seen in packed(frames):
                    if args.compare:
                        shown.append(seen)
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
    shown_input = "the masked input" if mask is not None else "the input"
    layout = (f"; left: {shown_input}{' (bicubic-upscaled)' if scale > 1 else ''}, right: enhanced"
              if args.compare else "")
    filled = f"; the holes of the {mask.kind} {args.mask} filled in" if mask is not None else ""
    print(f"keras-vgan enhance: wrote {args.out} ({written} frames of {size} at {fps:g} fps, {chosen}{filled}"
          f"{layout})")
    return 0
