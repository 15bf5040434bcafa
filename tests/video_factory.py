"""Tiny test videos made on the spot (no downloads): OpenCV writers and the bundled ffmpeg.

Frame i of an "index" video is a flat grey of level `index_level(i)`, so the
frames a clip holds can be read back from their brightness, even after lossy
compression. A "gradient" video has the same horizontal ramp in every frame,
so a clip whose frames were cropped differently would show it.
"""

import os
import subprocess

import cv2
import numpy as np

FOURCC_BY_EXTENSION = {".mp4": "mp4v", ".avi": "MJPG", ".webm": "VP80", ".mkv": "VP90"}


def index_level(index):
    return 20 + 6 * index  # up to 39 frames fit in uint8


def level_to_index(level):
    return int(round((level - 20) / 6))


def make_frames(num_frames=20, width=48, height=32, pattern="index"):
    frames = []
    for i in range(num_frames):
        if pattern == "index":
            frame = np.full((height, width, 3), index_level(i), np.uint8)
        elif pattern == "gradient":
            ramp = np.linspace(0, 255, width).astype(np.uint8)
            frame = np.repeat(np.repeat(ramp[None, :, None], height, 0), 3, 2)
        elif pattern == "color":
            frame = np.zeros((height, width, 3), np.uint8)
            frame[..., 2] = 200  # red in OpenCV's BGR order
            frame[..., 0] = index_level(i)  # blue carries the index
        else:
            raise ValueError(pattern)
        frames.append(frame)
    return frames


def write_video(path, num_frames=20, width=48, height=32, fps=25, pattern="index", fourcc=None):
    """Write BGR frames with OpenCV; the codec follows the extension (mp4v, MJPG, VP8, VP9)."""
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fourcc = fourcc or FOURCC_BY_EXTENSION[os.path.splitext(path)[1].lower()]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), fps, (width, height))
    assert writer.isOpened(), f"OpenCV cannot write {fourcc} to {path}"
    for frame in make_frames(num_frames, width, height, pattern):
        writer.write(frame)
    writer.release()
    return path


def write_h264(path, num_frames=20, width=48, height=32, fps=25, pattern="index"):
    """Write an H.264 MP4 through imageio-ffmpeg's bundled ffmpeg binary (frames piped as raw BGR)."""
    import imageio_ffmpeg

    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
               "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "-",
               "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p", path]
    data = b"".join(frame.tobytes() for frame in make_frames(num_frames, width, height, pattern))
    subprocess.run(command, input=data, check=True)
    return path


def frame_indices_of(clip):
    """The source frame index of each frame of an "index" clip (float in [-1, 1], (T, H, W, C))."""
    clip = np.asarray(clip)
    levels = (clip.reshape(clip.shape[0], -1).mean(axis=1) + 1.0) * 127.5
    return [level_to_index(level) for level in levels]


def write_frame_folder(folder, num_frames=20, width=48, height=32, extension=".png", pattern="index"):
    os.makedirs(folder, exist_ok=True)
    for i, frame in enumerate(make_frames(num_frames, width, height, pattern)):
        cv2.imwrite(os.path.join(folder, f"frame_{i + 1}{extension}"), frame)
    return folder
