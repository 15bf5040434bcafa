"""Writing videos and sample grids to disk.

Every writer takes uint8 videos, or float videos in [-1, 1], of shape
(T, H, W, C) for one video or (N, T, H, W, C) for many, with C = 1
(grayscale) or 3 (RGB), and writes atomically: the bytes go to a temporary
file beside the target, which is renamed over it only once complete, so a
crash or an encoder error never leaves a half-written file.

Formats, chosen by the file extension (or `format=`):
    .png   a still grid: a row per video, a column per time step (`write_grid`)
    .gif   looping animation, encoded with Pillow
    .mp4   H.264, yuv420p, `+faststart`: plays in every browser
    .webm  VP9, yuv420p
MP4 and WebM are encoded by the ffmpeg binary that the `imageio-ffmpeg` wheel
ships, so no system ffmpeg is needed.
"""

import io
import math
import os
import subprocess

import cv2
import numpy as np

# Re-exported: atomic writing lived here before it got its own module.
from keras_vgan.atomic import atomic_path, check_writable  # noqa: F401
from keras_vgan.pixels import as_uint8_array
from keras_vgan.validation import check_positive_int

ANIMATED_FORMATS = ("gif", "mp4", "webm")
IMAGE_FORMATS = ("png",)

# GIF stores frame delays in hundredths of a second and browsers replace delays
# under 20 ms by 100 ms, so faster GIFs would play slower, not faster.
MAX_GIF_FPS = 50


def output_format(path, format=None):
    """The format to write `path` in: `format` if given, else its extension (lower case, no dot).

    Raises ValueError for a format that is not one of png, gif, mp4, webm, or
    when `format` and the extension disagree.

    Example:
    >>> output_format("samples/epoch_0001.MP4")
    'mp4'
    """
    known = IMAGE_FORMATS + ANIMATED_FORMATS
    extension = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if format is None:
        if extension not in known:
            raise ValueError(f"cannot tell the format of {os.fspath(path)!r} from extension {extension!r}; "
                             f"expected one of {', '.join('.' + f for f in known)}")
        return extension
    chosen = str(format).lower().lstrip(".")
    if chosen not in known:
        raise ValueError(f"format {format!r} is not known; expected one of {', '.join(known)}")
    if extension and extension in known and extension != chosen:
        raise ValueError(f"format {chosen!r} does not match the extension of {os.fspath(path)!r}")
    return chosen


def _as_videos(videos):
    videos = as_uint8_array(videos)
    if videos.ndim == 4:
        videos = videos[None]
    if videos.ndim != 5 or videos.shape[-1] not in (1, 3) or 0 in videos.shape:
        raise ValueError(
            f"videos of shape {videos.shape} are not valid; expected (T, H, W, C) or (N, T, H, W, C) with C = 1 or 3"
        )
    return videos


def _as_video(video):
    video = as_uint8_array(video)
    if video.ndim != 4 or video.shape[-1] not in (1, 3) or 0 in video.shape:
        raise ValueError(f"video of shape {video.shape} is not valid; expected (T, H, W, C) with C = 1 or 3")
    return video


def check_fps(fps):
    """`fps` as a float; a ValueError naming it when it is not a positive finite number.

    Example:
    >>> check_fps(8)
    8.0
    """
    if isinstance(fps, bool) or not isinstance(fps, (int, float, np.integer, np.floating)) \
            or not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps={fps!r} is not valid; expected a positive number")
    return float(fps)


def _check_scale(scale):
    return check_positive_int("scale", scale)


def upscale(video, scale):
    """Frames (…, H, W, C) enlarged `scale` times by repeating pixels.

    Nearest neighbour keeps pixels crisp: samples are often 32×32 or smaller.

    Example:
    >>> upscale(np.zeros((2, 4, 4, 1)), 2).shape
    (2, 8, 8, 1)
    """
    if scale == 1:
        return video
    return np.repeat(np.repeat(video, scale, axis=-3), scale, axis=-2)


def grid_image(videos, padding=1):
    """One image with a row per video and a column per time step: uint8 (H', W', C)."""
    videos = _as_videos(videos)
    count, frames, height, width, channels = videos.shape
    image = np.zeros((count * (height + padding) - padding, frames * (width + padding) - padding, channels), np.uint8)
    for row in range(count):
        for column in range(frames):
            top, left = row * (height + padding), column * (width + padding)
            image[top:top + height, left:left + width] = videos[row, column]
    return image


def tile_videos(videos, columns=None, padding=1):
    """Many videos tiled into one video: uint8 (T, H', W', C), filled row by row.

    `columns` defaults to the smallest count that makes the tiling about
    square; unused cells and the `padding` between cells are black.

    Example:
    >>> tile_videos(np.zeros((6, 4, 8, 8, 1), np.uint8), columns=3).shape
    (4, 17, 26, 1)
    """
    videos = _as_videos(videos)
    count, frames, height, width, channels = videos.shape
    if columns is None:
        columns = math.ceil(math.sqrt(count))
    columns = min(check_positive_int("columns", columns), count)
    rows = math.ceil(count / columns)
    tiled = np.zeros((frames, rows * (height + padding) - padding, columns * (width + padding) - padding, channels),
                     np.uint8)
    for index in range(count):
        row, column = divmod(index, columns)
        top, left = row * (height + padding), column * (width + padding)
        tiled[:, top:top + height, left:left + width] = videos[index]
    return tiled


def encode_png(image):
    """PNG bytes of a uint8 image (H, W, C), C = 1 or 3 (RGB)."""
    image = np.asarray(image, np.uint8)
    if image.ndim == 3 and image.shape[-1] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise ValueError(f"could not encode a PNG of shape {image.shape}")
    return encoded.tobytes()


def encode_gif(video, fps=8):
    """Bytes of a looping animated GIF of one video (T, H, W, C).

    Grayscale stays grayscale; RGB frames each get an adaptive 256-colour
    palette. Frames identical to the previous one are merged by the encoder
    into one longer frame, so the playing time is always T / fps.

    Example:
    >>> data = encode_gif(np.zeros((4, 16, 16, 1), np.uint8), fps=8)
    >>> data[:6]
    b'GIF89a'
    """
    from PIL import Image  # Imported here: only GIFs need it.

    video = _as_video(video)
    fps = check_fps(fps)
    if fps > MAX_GIF_FPS:
        raise ValueError(f"fps={fps:g} is too high for a GIF; expected at most {MAX_GIF_FPS} "
                         "(browsers slow faster GIFs down)")
    mode = "L" if video.shape[-1] == 1 else "RGB"
    images = [Image.fromarray(frame[..., 0] if mode == "L" else frame, mode=mode) for frame in video]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:],
                   duration=round(1000.0 / fps), loop=0, disposal=1)
    return buffer.getvalue()


def ffmpeg_executable():
    """Path of the ffmpeg binary bundled with `imageio-ffmpeg` (or $IMAGEIO_FFMPEG_EXE)."""
    try:
        import imageio_ffmpeg
    except ImportError as error:
        raise ImportError("writing .mp4/.webm needs the imageio-ffmpeg package: pip install imageio-ffmpeg") from error
    return imageio_ffmpeg.get_ffmpeg_exe()


_CODEC_OPTIONS = {
    # H.264 in yuv420p is what every browser decodes; +faststart puts the index
    # first so playback starts before the file has finished downloading.
    "mp4": ["-c:v", "libx264", "-preset", "medium", "-crf", "18", "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", "-f", "mp4"],
    "webm": ["-c:v", "libvpx-vp9", "-crf", "30", "-b:v", "0", "-deadline", "good", "-cpu-used", "4",
             "-pix_fmt", "yuv420p", "-f", "webm"],
}


def _encode_with_ffmpeg(video, path, fps, format):
    frames, height, width, channels = video.shape
    command = [
        ffmpeg_executable(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "gray" if channels == 1 else "rgb24",
        "-s", f"{width}x{height}", "-framerate", f"{fps:g}", "-i", "pipe:0",
        # yuv420p stores colour at half resolution, so both sides must be even: pad with black.
        "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
        *_CODEC_OPTIONS[format], path,
    ]
    result = subprocess.run(command, input=np.ascontiguousarray(video).tobytes(), capture_output=True)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"ffmpeg could not encode {format} ({frames} frames of {width}x{height}): "
                           f"{message[-1] if message else 'exit status ' + str(result.returncode)}")


def write_video(path, video, fps=8, format=None, scale=1):
    """Write one video (T, H, W, C) as an animated .gif, .mp4 (H.264) or .webm (VP9).

    Args:
        path: output file; its extension picks the format unless `format` is given.
        video: uint8, or float in [-1, 1].
        fps: frames per second.
        format: "gif", "mp4" or "webm"; must agree with the extension if both are given.
        scale: integer nearest-neighbour upscaling, for tiny samples.

    Example:
    >>> video = np.zeros((4, 16, 16, 1), np.uint8)  # e.g. model.generate(1, seed=0)[0]
    >>> write_video("sample.mp4", video, fps=8)
    'sample.mp4'
    """
    chosen = output_format(path, format)
    if chosen not in ANIMATED_FORMATS:
        raise ValueError(f"format {chosen!r} of {os.fspath(path)!r} is not a video format; expected one of "
                         f"{', '.join(ANIMATED_FORMATS)} (write_grid writes .png)")
    video = upscale(_as_video(video), _check_scale(scale))
    fps = check_fps(fps)
    if chosen == "gif":
        data = encode_gif(video, fps)
        with atomic_path(path) as temporary:
            with open(temporary, "wb") as file:
                file.write(data)
    else:
        with atomic_path(path) as temporary:
            _encode_with_ffmpeg(video, temporary, fps, chosen)
    return os.fspath(path)


def write_grid(path, videos, padding=1, scale=1):
    """Write a PNG grid: rows = videos, columns = time steps.

    Example:
    >>> videos = np.zeros((8, 4, 16, 16, 1), np.uint8)  # e.g. model.generate(8, seed=0)
    >>> write_grid("samples.png", videos)
    'samples.png'
    """
    chosen = output_format(path)
    if chosen != "png":
        raise ValueError(f"write_grid writes .png, not {chosen!r} ({os.fspath(path)!r}); "
                         "use write_animated_grid for .gif/.mp4/.webm")
    data = encode_png(upscale(grid_image(videos, padding), _check_scale(scale)))
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as file:
            file.write(data)
    return os.fspath(path)


def write_animated_grid(path, videos, columns=None, fps=8, padding=1, format=None, scale=1):
    """Write many videos tiled side by side and playing together, as .gif, .mp4 or .webm.

    Example:
    >>> videos = np.zeros((16, 4, 16, 16, 1), np.uint8)  # e.g. model.generate(16, seed=0)
    >>> write_animated_grid("samples.mp4", videos, columns=4)
    'samples.mp4'
    """
    chosen = output_format(path, format)
    if chosen not in ANIMATED_FORMATS:
        raise ValueError(f"format {chosen!r} of {os.fspath(path)!r} is not animated; expected one of "
                         f"{', '.join(ANIMATED_FORMATS)} (write_grid writes .png)")
    return write_video(path, tile_videos(videos, columns, padding), fps=fps, format=chosen, scale=scale)


def write_samples(path, videos, fps=8, columns=None, format=None, scale=1):
    """Write `videos` in the format `path` names: .png grid, or animated .gif/.mp4/.webm grid."""
    chosen = output_format(path, format)
    if chosen == "png":
        return write_grid(path, videos, scale=scale)
    return write_animated_grid(path, videos, columns=columns, fps=fps, format=chosen, scale=scale)
