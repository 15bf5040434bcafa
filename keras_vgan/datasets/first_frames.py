"""The first frames of one video file or frame folder, converted to a model's frames exactly as training does.

Training clips go through `opencv_clips.assemble_clips` (colour to RGB or
grayscale, a resize that keeps the aspect ratio until the frame covers H×W,
a centre crop); the context a trained model is given at use time must go
through the same, or it sees frames unlike any it learnt from. This module
reads frames 0, k, 2k, … of one input with the readers training uses
(`video_files.read_video_frames`, OpenCV's `imread` with the flag
`from_frame_folders` uses) and hands them to `assemble_clips`.
"""

import os
from typing import NamedTuple, Optional

import cv2
import numpy as np

from keras_vgan.datasets.files import IMAGE_EXTENSIONS
from keras_vgan.datasets.frames import find_frame_folders
from keras_vgan.datasets.opencv_clips import assemble_clips
from keras_vgan.datasets.skipping import SkipItem
from keras_vgan.datasets.video_files import probe_video_frame, read_video_frames
from keras_vgan.validation import check_int, check_positive_ints

CHANNEL_NAMES = {1: "grayscale", 2: "grayscale+alpha", 3: "RGB", 4: "RGBA"}


class FirstFrames(NamedTuple):
    """What `read_first_frames` read: the converted frames, and what the source was like before conversion."""

    clip: np.ndarray  # uint8 (t, height, width, channels), t <= the count asked for
    source_width: int
    source_height: int
    source_channels: int
    source_length: Optional[int]  # the source's frame count when it had fewer frames than asked for, else None

    def describe_source(self):
        """The source frames as text, e.g. "320x240 RGB"."""
        return f"{self.source_width}x{self.source_height} {channel_name(self.source_channels)}"


def channel_name(channels):
    """ "grayscale", "RGB", … for a channel count.

    Example:
    >>> channel_name(1), channel_name(3)
    ('grayscale', 'RGB')
    """
    return CHANNEL_NAMES.get(int(channels), f"{int(channels)}-channel")


def read_first_frames(path, count, height, width, channels, frame_step=1):
    """Frames 0, k, 2k, … (k = `frame_step`; `count` of them) of a video or frame folder, converted as in training.

    Args:
        path: a video file (any container and codec FFmpeg decodes), or a
            folder holding one video's frame images (naturally sorted), or
            holding exactly one such folder below it.
        count: how many frames to read; a shorter source gives fewer
            (`source_length` then says how many it has).
        height, width, channels: the frames to make (channels 1 or 3).
        frame_step: keep every k-th source frame.

    Raises FileNotFoundError for a missing path and ValueError for a file
    that does not decode as a video, or a folder without exactly one video's frames.

    Example:
    >>> first = read_first_frames("clip.mp4", 10, 64, 64, 1)  # doctest: +SKIP
    >>> first.clip.shape, first.describe_source()  # doctest: +SKIP
    ((10, 64, 64, 1), '320x240 RGB')
    """
    path = os.fspath(path)
    count = check_int("count", count, minimum=1)
    frame_step = check_int("frame_step", frame_step, minimum=1)
    check_positive_ints(height=height, width=width)
    if channels not in (1, 3):
        raise ValueError(f"channels={channels!r} is not valid; expected 1 (grayscale) or 3 (RGB)")
    indices = [i * frame_step for i in range(count)]
    if os.path.isdir(path):
        frames, source_length, shape = _read_frame_folder(path, indices, channels)
    elif os.path.exists(path):
        frames, source_length, shape = _read_video_file(path, indices)
    else:
        raise FileNotFoundError(f"input {path!r} does not exist; expected a video file or a folder of frame images")
    present = [i for i in indices if i in frames]
    if present:
        clip = assemble_clips(frames, [present], height, width, channels, crop="center")[0]
    else:
        clip = np.zeros((0, height, width, channels), np.uint8)
    source_channels = 1 if len(shape) == 2 else shape[2]
    return FirstFrames(clip, int(shape[1]), int(shape[0]), int(source_channels), source_length)


def read_picture(path, height, width, channels):
    """One image file as a model's frame, converted as training converts frames; and the source, described.

    Grayscale or RGB as `channels` asks (alpha dropped), resized with the
    aspect ratio kept until it covers `height`×`width`, then centre-cropped:
    what `from_frame_folders` does to every frame it trains on. Returns
    `(uint8 (height, width, channels), "640x480 RGB")`.

    Raises FileNotFoundError for a missing path and ValueError for a file
    that does not decode as an image.

    Example:
    >>> picture, source = read_picture("digit.png", 32, 32, 1)  # doctest: +SKIP
    >>> picture.shape, source  # doctest: +SKIP
    ((32, 32, 1), '28x28 grayscale')
    """
    path = os.fspath(path)
    check_positive_ints(height=height, width=width)
    if channels not in (1, 3):
        raise ValueError(f"channels={channels!r} is not valid; expected 1 (grayscale) or 3 (RGB)")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"picture {path!r} does not exist; expected an image file "
                                f"({', '.join(IMAGE_EXTENSIONS)})")
    source = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    image = None if source is None else cv2.imread(path, cv2.IMREAD_GRAYSCALE if channels == 1 else cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise ValueError(f"picture {path!r} cannot be read: it does not decode as an image; expected an image file "
                         f"({', '.join(IMAGE_EXTENSIONS)})")
    picture = assemble_clips({0: image}, [[0]], height, width, channels, crop="center")[0][0]
    source_channels = 1 if source.ndim == 2 else source.shape[2]
    return picture, f"{source.shape[1]}x{source.shape[0]} {channel_name(source_channels)}"


def _read_video_file(path, indices):
    try:
        _, _, shape = probe_video_frame(path)
        frames, stream_end = read_video_frames(path, indices)
    except SkipItem as reason:
        raise ValueError(f"input {path!r} is not a readable video: {reason}") from None
    return frames, stream_end, shape


def _read_frame_folder(path, indices, channels):
    folders, unreadable = find_frame_folders(path)
    if path in unreadable or (not folders and unreadable):
        raise ValueError(f"input folder {path!r} cannot be listed: {next(iter(unreadable.values()))}")
    if len(folders) != 1:
        found = f"{len(folders)} folders of frames" if folders else f"no frame images ({', '.join(IMAGE_EXTENSIONS)})"
        raise ValueError(f"input folder {path!r} holds {found}; expected the frames of one video")
    (paths,) = folders.values()
    first = cv2.imread(paths[0], cv2.IMREAD_UNCHANGED)  # Only to say what the source was.
    if first is None:
        raise ValueError(f"frame {paths[0]!r} does not decode as an image")
    # The flag `from_frame_folders` reads with, so the frames are those training saw.
    read_flag = cv2.IMREAD_GRAYSCALE if channels == 1 else cv2.IMREAD_COLOR
    frames = {}
    for index in indices:
        if index >= len(paths):
            return frames, len(paths), first.shape
        image = cv2.imread(paths[index], read_flag)
        if image is None:
            raise ValueError(f"frame {paths[index]!r} does not decode as an image")
        frames[index] = image
    return frames, None, first.shape
