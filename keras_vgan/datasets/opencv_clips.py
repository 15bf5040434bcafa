"""Clips from frames decoded in Python with OpenCV (video files, frame folders).

Which source frames make up a clip (T frames, a frame step, an optional target
frame rate, several clips per video), then per frame: colour (RGB or
grayscale) and a resize that keeps the aspect ratio until the frame covers
H×W, then a centre or random crop, so nothing is ever stretched.
`tensor_clips` does the same with TensorFlow ops for tensor sources.
"""

import cv2
import numpy as np

def source_step(frame_step=1, fps=None, source_fps=None):
    """How many source frames one clip frame advances (may be fractional).

    `fps` resamples the source to that rate first (when the source rate is
    known), then `frame_step` keeps every k-th of the resampled frames.

    Example:
    >>> source_step(frame_step=2, fps=12.5, source_fps=25.0)
    4.0
    """
    step = float(frame_step)
    if fps is not None and source_fps and source_fps > 0:
        step *= float(source_fps) / float(fps)
    return step


def clip_span(frames, step):
    """Number of source frames a clip of `frames` frames covers at `step`.

    Example:
    >>> clip_span(16, 2)
    31
    """
    return int(round((frames - 1) * step)) + 1


def clip_frame_indices(num_frames, frames, step=1.0, clips=1, sampling="random", rng=None):
    """Source frame indices of `clips` clips, an int array of shape (clips, frames).

    `sampling="even"` spreads the clips evenly over the video (a single clip is
    centred); `"random"` draws each start uniformly. Returns None when the
    video is shorter than one clip.

    Example:
    >>> clip_frame_indices(10, 3, step=2, clips=1, sampling="even").tolist()
    [[2, 4, 6]]
    """
    span = clip_span(frames, step)
    last_start = num_frames - span
    if last_start < 0:
        return None
    if sampling == "even":
        if clips == 1:
            starts = np.array([last_start // 2])
        else:
            starts = np.round(np.linspace(0, last_start, clips)).astype(np.int64)
    else:
        rng = rng if rng is not None else np.random.default_rng()
        starts = rng.integers(0, last_start + 1, size=clips)
    offsets = np.round(np.arange(frames) * step).astype(np.int64)
    return starts[:, None] + offsets[None, :]


def cover_size(source_height, source_width, height, width):
    """(h, w) of the source resized, aspect kept, so that it just covers height×width.

    Example:
    >>> cover_size(360, 640, 64, 64)
    (64, 114)
    """
    scale = max(height / source_height, width / source_width)
    return (max(height, int(round(source_height * scale))),
            max(width, int(round(source_width * scale))))


def crop_offset(size, target, crop, rng=None):
    """Start of a `target`-long window in `size`: centred, or uniform when `crop="random"`."""
    extra = size - target
    if extra <= 0:
        return 0
    if crop == "random":
        rng = rng if rng is not None else np.random.default_rng()
        return int(rng.integers(0, extra + 1))
    return extra // 2


def resize_frame_to_cover(frame, height, width):
    """Resize one frame (H, W[, C]) with OpenCV, aspect kept, to just cover height×width.

    Shrinking uses area averaging (no aliasing). A large shrink goes in two
    steps: first by the largest whole factor that keeps the frame covering
    the target (OpenCV's fast path for whole factors), then the remainder;
    640×360 → 114×64 costs about half of one direct INTER_AREA resize, and
    differs from it by under 2 grey levels on average.
    """
    if frame.ndim == 3 and frame.shape[2] == 1:
        # OpenCV drops a single channel axis; resize the plane and put it back.
        return resize_frame_to_cover(frame[:, :, 0], height, width)[:, :, None]
    target_h, target_w = cover_size(frame.shape[0], frame.shape[1], height, width)
    source_h, source_w = frame.shape[:2]
    if (target_h, target_w) == (source_h, source_w):
        return frame
    if target_h > source_h or target_w > source_w:
        # INTER_AREA degrades to nearest neighbour when enlarging; bilinear is the better choice.
        return cv2.resize(frame, (target_w, target_h), interpolation=cv2.INTER_LINEAR)
    factor = min(source_h // target_h, source_w // target_w)
    if factor >= 2:
        # Trim the few rows/columns that do not divide, centred, so the fast path applies.
        top, left = (source_h % factor) // 2, (source_w % factor) // 2
        frame = frame[top:top + source_h - source_h % factor, left:left + source_w - source_w % factor]
        frame = cv2.resize(frame, (frame.shape[1] // factor, frame.shape[0] // factor),
                           interpolation=cv2.INTER_AREA)
        if frame.shape[:2] == (target_h, target_w):
            return frame
    return cv2.resize(frame, (target_w, target_h), interpolation=cv2.INTER_AREA)


def bgr_to_channels(frame, channels):
    """An OpenCV frame (BGR, BGRA or gray) → (H, W, channels) RGB or grayscale uint8."""
    if frame.ndim == 2:
        gray = frame
        return gray[:, :, None] if channels == 1 else cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)
    if frame.shape[2] == 4:
        code = cv2.COLOR_BGRA2GRAY if channels == 1 else cv2.COLOR_BGRA2RGB
    elif frame.shape[2] == 1:
        return bgr_to_channels(frame[:, :, 0], channels)
    else:
        code = cv2.COLOR_BGR2GRAY if channels == 1 else cv2.COLOR_BGR2RGB
    converted = cv2.cvtColor(frame, code)
    return converted[:, :, None] if channels == 1 else converted


def assemble_clips(frames_by_index, clip_indices, height, width, channels, crop, rng=None):
    """Decoded source frames → uint8 clips of shape (k, T, height, width, channels).

    `frames_by_index` maps source frame index → OpenCV frame (any size, BGR or
    gray); each frame is colour-converted and resized once even when several
    clips share it. Each clip gets one crop window for all of its frames.
    Clips with a missing frame are dropped.
    """
    prepared = {}
    for index, frame in frames_by_index.items():
        # Convert colour on whichever side of the resize has fewer pixels to
        # touch: to gray before (a third of the resize work), to RGB after.
        if channels == 1:
            prepared[index] = resize_frame_to_cover(bgr_to_channels(frame, 1), height, width)
        else:
            prepared[index] = bgr_to_channels(resize_frame_to_cover(frame, height, width), 3)
    clips = []
    for indices in clip_indices:
        if any(int(i) not in prepared for i in indices):
            continue
        first = prepared[int(indices[0])]
        if any(prepared[int(i)].shape != first.shape for i in indices):
            # Resolution changed mid-clip: bring every frame to the first one's size.
            for i in indices:
                if prepared[int(i)].shape != first.shape:
                    prepared[int(i)] = cv2.resize(prepared[int(i)], (first.shape[1], first.shape[0]),
                                                  interpolation=cv2.INTER_AREA).reshape(first.shape)
        top = crop_offset(first.shape[0], height, crop, rng)
        left = crop_offset(first.shape[1], width, crop, rng)
        clips.append(np.stack([prepared[int(i)][top:top + height, left:left + width] for i in indices]))
    if not clips:
        return np.zeros((0, len(clip_indices[0]) if len(clip_indices) else 0, height, width, channels),
                        np.uint8)
    return np.stack(clips)
