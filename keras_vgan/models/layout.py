"""How a video size becomes a stack of stride-2 layers.

Generator and discriminator share one rule so that they mirror each other:
space is halved (or doubled) by every layer down to a 4-pixel side, and time
by as many of those layers as the frame count allows; the rest keep time.
"""

import dataclasses
import math

from keras_vgan.validation import check_int

SMALLEST_SIDE = 4


@dataclasses.dataclass(frozen=True)
class VideoLayout:
    """The stride-2 layer stack for one video size.

    Attributes:
        depth: number of stride-2 layers.
        start_shape: (frames, height, width) at the coarse end of the stack.
        time_strides: the temporal stride (1 or 2) of each layer, coarse to fine.
    """

    depth: int
    start_shape: tuple
    time_strides: tuple


def video_layout(frames, height, width):
    """The layout for (frames, height, width); ValueError naming the value that cannot work.

    Example:
    >>> video_layout(16, 64, 64)
    VideoLayout(depth=4, start_shape=(1, 4, 4), time_strides=(2, 2, 2, 2))
    """
    frames = check_int("frames", frames, minimum=2)
    height = check_int("height", height, minimum=SMALLEST_SIDE * 2)
    width = check_int("width", width, minimum=SMALLEST_SIDE * 2)
    shortest = min(height, width)
    depth = round(math.log2(shortest / SMALLEST_SIDE))
    if SMALLEST_SIDE * 2**depth != shortest:
        name = "height" if height <= width else "width"
        raise ValueError(
            f"{name}={shortest} cannot be reached by doubling from {SMALLEST_SIDE}; "
            f"expected one of 8, 16, 32, 64, 128, 256"
        )
    for name, side in (("height", height), ("width", width)):
        if side % 2**depth:
            raise ValueError(
                f"{name}={side} is not a multiple of {2**depth} (the shorter side needs {depth} "
                f"doublings from {SMALLEST_SIDE}); expected a multiple of {2**depth}"
            )
    time_doublings = 0
    while time_doublings < depth and frames % 2 ** (time_doublings + 1) == 0:
        time_doublings += 1
    start_frames = frames // 2**time_doublings
    time_strides = (2,) * time_doublings + (1,) * (depth - time_doublings)
    return VideoLayout(depth, (start_frames, height // 2**depth, width // 2**depth), time_strides)


# ---- Still images (per-frame generators and discriminators) ------------------------------------


@dataclasses.dataclass(frozen=True)
class ImageLayout:
    """The stride-2 layer stack for one frame size.

    Attributes:
        depth: number of stride-2 layers.
        start_shape: (height, width) at the coarse end of the stack.
    """

    depth: int
    start_shape: tuple


def image_layout(height, width):
    """The 2D layout for (height, width): the spatial part of `video_layout`, same rule and errors.

    Example:
    >>> image_layout(32, 48)
    ImageLayout(depth=3, start_shape=(4, 6))
    """
    # Time plays no part in the spatial rule; 2 is the smallest frame count video_layout takes.
    layout = video_layout(2, height, width)
    return ImageLayout(layout.depth, layout.start_shape[1:])
