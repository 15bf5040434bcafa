"""Built-in procedural datasets: nothing to download, the same clips for the same seed.

`moving_digits` is in the manner of Moving MNIST: digits drawn with OpenCV's
Hershey fonts (random font, scale, stroke thickness and slant) bouncing off
the frame's edges. `bouncing_shapes` is its colour sibling: circles, squares
and triangles of random colours. Each comes in two forms: `render_*` returns a
uint8 NumPy array (N, T, H, W, C), and the plain name returns a
`tf.data.Dataset` of float32 clips in [-1, 1].
"""

import cv2
import numpy as np
import tensorflow as tf

from keras_vgan.datasets.clip_options import check_channels
from keras_vgan.datasets.sharding import check_shard, procedural_part
from keras_vgan.datasets.summary import DataSummary, attach_summary
from keras_vgan.pixels import to_unit_range
from keras_vgan.validation import check_int

_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_PLAIN,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
)


def _check_sizes(num_videos, frames, height, width, channels):
    for name, value, minimum in (("num_videos", num_videos, 1), ("frames", frames, 1), ("height", height, 8),
                                 ("width", width, 8)):
        check_int(name, value, minimum=minimum)
    check_channels(channels)


def _object_counts(num_objects, num_videos, rng, name):
    low, high = (num_objects, num_objects) if np.isscalar(num_objects) else tuple(num_objects)
    if not (isinstance(low, (int, np.integer)) and isinstance(high, (int, np.integer)) and 1 <= low <= high):
        raise ValueError(f"{name}={num_objects!r} is not valid; expected a positive integer or a (min, max) pair")
    return rng.integers(low, high + 1, size=num_videos)


def _bouncing_path(rng, frames, room_height, room_width, speed):
    """Top-left corners of a sprite moving at constant speed, reflected at the walls."""
    position = rng.uniform([0, 0], [max(room_height, 1e-6), max(room_width, 1e-6)])
    angle = rng.uniform(0, 2 * np.pi)
    velocity = speed * np.array([np.sin(angle), np.cos(angle)])
    path = np.empty((frames, 2))
    for t in range(frames):
        path[t] = position
        position = position + velocity
        for axis, limit in ((0, room_height), (1, room_width)):
            if position[axis] < 0 or position[axis] > limit:
                velocity[axis] = -velocity[axis]
                position[axis] = np.clip(2 * (limit if position[axis] > limit else 0) - position[axis], 0, limit)
    return np.round(path).astype(int)


def _digit_sprite(rng, target_height):
    """One anti-aliased digit, white on black, about `target_height` pixels tall."""
    font = _FONTS[rng.integers(len(_FONTS))]
    text = str(rng.integers(10))
    thickness = int(rng.integers(2, 5))
    (text_width, text_height), baseline = cv2.getTextSize(text, font, 2.0, thickness)
    pad = 12
    canvas = np.zeros((text_height + baseline + 2 * pad, text_width + 3 * pad), np.uint8)
    cv2.putText(canvas, text, (pad + pad // 2, pad + text_height), font, 2.0, 255, thickness, cv2.LINE_AA)
    slant = rng.uniform(-0.35, 0.35)
    shear = np.float32([[1, slant, -slant * canvas.shape[0] / 2], [0, 1, 0]])
    canvas = cv2.warpAffine(canvas, shear, (canvas.shape[1], canvas.shape[0]), flags=cv2.INTER_LINEAR)
    rows, cols = np.nonzero(canvas > 8)
    canvas = canvas[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = target_height * rng.uniform(0.8, 1.15) / canvas.shape[0]
    size = (max(2, round(canvas.shape[1] * scale)), max(2, round(canvas.shape[0] * scale)))
    return cv2.resize(canvas, size, interpolation=cv2.INTER_AREA)


def render_moving_digits(num_videos=2048, frames=16, height=64, width=64, channels=1, num_digits=(1, 2), seed=0):
    """Moving digits as uint8 (num_videos, frames, height, width, channels).

    Example:
    >>> render_moving_digits(2, frames=4, height=32, width=32).shape
    (2, 4, 32, 32, 1)
    """
    _check_sizes(num_videos, frames, height, width, channels)
    rng = np.random.default_rng(seed)
    counts = _object_counts(num_digits, num_videos, rng, "num_digits")
    videos = np.zeros((num_videos, frames, height, width), np.uint8)
    digit_height = max(5, round(0.45 * min(height, width)))
    for index in range(num_videos):
        for _ in range(counts[index]):
            sprite = _digit_sprite(rng, digit_height)
            sprite = sprite[:height, :width]
            sprite_height, sprite_width = sprite.shape
            speed = rng.uniform(0.03, 0.07) * min(height, width)
            path = _bouncing_path(rng, frames, height - sprite_height, width - sprite_width, speed)
            for t, (top, left) in enumerate(path):
                region = videos[index, t, top:top + sprite_height, left:left + sprite_width]
                np.maximum(region, sprite, out=region)
    videos = videos[..., None]
    return np.repeat(videos, 3, axis=-1) if channels == 3 else videos


def _draw_shape(frame, kind, center, radius, color):
    x, y = int(center[1]), int(center[0])
    if kind == 0:
        cv2.circle(frame, (x, y), radius, color, -1, cv2.LINE_AA)
    elif kind == 1:
        cv2.rectangle(frame, (x - radius, y - radius), (x + radius, y + radius), color, -1, cv2.LINE_AA)
    else:
        points = np.array([[x, y - radius], [x - radius, y + radius], [x + radius, y + radius]], np.int32)
        cv2.fillConvexPoly(frame, points, color, cv2.LINE_AA)


def render_bouncing_shapes(num_videos=2048, frames=16, height=64, width=64, channels=3, num_shapes=(1, 3), seed=0):
    """Bouncing coloured circles, squares and triangles as uint8 (num_videos, frames, height, width, channels).

    Example:
    >>> render_bouncing_shapes(2, frames=4, height=32, width=32).shape
    (2, 4, 32, 32, 3)
    """
    _check_sizes(num_videos, frames, height, width, channels)
    rng = np.random.default_rng(seed)
    counts = _object_counts(num_shapes, num_videos, rng, "num_shapes")
    videos = np.zeros((num_videos, frames, height, width, 3), np.uint8)
    side = min(height, width)
    for index in range(num_videos):
        for _ in range(counts[index]):
            kind = int(rng.integers(3))
            radius = int(max(2, round(side * rng.uniform(0.08, 0.16))))
            color = tuple(int(c) for c in rng.integers(64, 256, size=3))
            speed = rng.uniform(0.03, 0.07) * side
            path = _bouncing_path(rng, frames, height - 2 * radius, width - 2 * radius, speed) + radius
            for t in range(frames):
                _draw_shape(videos[index, t], kind, path[t], radius, color)
    if channels == 1:
        return np.round(videos.mean(axis=-1, keepdims=True)).astype(np.uint8)
    return videos


def _as_dataset(videos):
    dataset = tf.data.Dataset.from_tensor_slices(videos).map(to_unit_range, num_parallel_calls=tf.data.AUTOTUNE)
    count, frames, height, width, channels = videos.shape
    return attach_summary(dataset, DataSummary(
        kind="built-in, procedural", num_items=count, frame_counts=(frames,), frame_sizes=((height, width),),
        channels=channels, dtype=str(videos.dtype), value_range=(0, 255)))


def _sharded(render, num_videos, seed, shard, *arguments):
    """`render(num_videos, *arguments, seed)` as a dataset; with a shard, this worker's share (`procedural_part`)."""
    num_videos, seed, part = procedural_part(num_videos, seed, check_shard(shard))
    dataset = _as_dataset(render(num_videos, *arguments, seed))
    dataset.data_summary.part = part
    return dataset


def moving_digits(num_videos=2048, frames=16, height=64, width=64, channels=1, num_digits=(1, 2), seed=0,
                  shard=None):
    """A `tf.data.Dataset` of moving-digit clips, float32 (frames, height, width, channels) in [-1, 1].

    `shard=(index, count)` (or a `tf.distribute.InputContext`) renders worker
    `index`'s share of `num_videos` from a seed derived from `seed` and
    `index` (`sharding.procedural_part`): the same seed gives every worker
    different videos, and the shares add up to `num_videos`.

    Example:
    >>> clips = moving_digits(8, frames=8, height=32, width=32)
    >>> clips.element_spec.shape
    TensorShape([8, 32, 32, 1])
    """
    return _sharded(render_moving_digits, num_videos, seed, shard, frames, height, width, channels, num_digits)


def bouncing_shapes(num_videos=2048, frames=16, height=64, width=64, channels=3, num_shapes=(1, 3), seed=0,
                    shard=None):
    """A `tf.data.Dataset` of bouncing-shape clips, float32 (frames, height, width, channels) in [-1, 1].

    `shard` as for `moving_digits`.
    """
    return _sharded(render_bouncing_shapes, num_videos, seed, shard, frames, height, width, channels, num_shapes)
