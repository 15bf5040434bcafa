"""Writing videos and sample grids to disk.

Every writer takes uint8 videos, or float videos in [-1, 1], of shape
(T, H, W, C) for one video or (N, T, H, W, C) for many, and writes atomically:
the bytes go to a temporary file beside the target, which is renamed over it
only once complete, so a crash never leaves a half-written file.
"""

import contextlib
import os
import tempfile

import cv2
import numpy as np

from keras_vgan.pixels import as_uint8_array


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`; renames it to `path` if the block succeeds.

    Example:
    >>> with atomic_path("out.bin") as tmp:
    ...     open(tmp, "wb").write(b"data")
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path!r}: directory {directory!r} does not exist")
    suffix = os.path.splitext(path)[1]
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=directory)
    os.close(handle)
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


def _as_videos(videos):
    videos = as_uint8_array(videos)
    if videos.ndim == 4:
        videos = videos[None]
    if videos.ndim != 5 or videos.shape[-1] not in (1, 3):
        raise ValueError(
            f"videos of shape {videos.shape} are not valid; expected (T, H, W, C) or (N, T, H, W, C) with C = 1 or 3"
        )
    return videos


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


def write_grid(path, videos, padding=1):
    """Write a PNG grid: rows = videos, columns = time steps.

    Example:
    >>> write_grid("samples.png", model.generate(8, seed=0))
    """
    image = grid_image(videos, padding)
    if image.shape[-1] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise ValueError(f"could not encode a PNG of shape {image.shape}")
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as file:
            file.write(encoded.tobytes())
    return os.fspath(path)
