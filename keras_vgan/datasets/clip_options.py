"""The options every clip source takes, checked once: geometry, frame step, crop, sampling.

Example:
>>> check_clip_options(16, 64, 64, 3, clip_sampling="even")
(16, 64, 64, 3, 1, 1, None)
"""

from keras_vgan.validation import check_choice, check_positive_int

CROP_MODES = ("center", "random")
CLIP_SAMPLINGS = ("random", "even")


def check_channels(channels, allow_none=False):
    """1 (grayscale) or 3 (RGB); anything else is a ValueError."""
    if channels is None and allow_none:
        return None
    if channels not in (1, 3) or isinstance(channels, bool):
        raise ValueError(f"channels={channels!r} is not valid; expected 1 (grayscale) or 3 (RGB)")
    return int(channels)


def check_clip_options(frames, height, width, channels, frame_step=1, clips_per_video=1,
                       crop="center", clip_sampling="random", fps=None, allow_none=False):
    """Validate the options every source takes; returns them normalised.

    With `allow_none`, `frames`/`height`/`width`/`channels` may be None, which
    means "keep what the source has" (arrays, TFRecords, TFDS).
    """
    frames = check_positive_int("frames", frames, allow_none)
    height = check_positive_int("height", height, allow_none)
    width = check_positive_int("width", width, allow_none)
    channels = check_channels(channels, allow_none)
    frame_step = check_positive_int("frame_step", frame_step)
    clips_per_video = check_positive_int("clips_per_video", clips_per_video)
    check_choice("crop", crop, CROP_MODES)
    check_choice("clip_sampling", clip_sampling, CLIP_SAMPLINGS)
    if fps is not None:
        if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not fps > 0:
            raise ValueError(f"fps must be a positive number or None, got {fps!r}")
        fps = float(fps)
    if (height is None) != (width is None):
        raise ValueError(f"give both height and width or neither, got height={height!r}, width={width!r}")
    return frames, height, width, channels, frame_step, clips_per_video, fps
