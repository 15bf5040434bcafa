"""Built-in procedural datasets: nothing to download, the same clips for the same seed.

`moving_digits` is in the manner of Moving MNIST: digits drawn with OpenCV's
Hershey fonts (random font, scale, stroke thickness and slant) bouncing off
the frame's edges. `bouncing_shapes` is its colour sibling: circles, squares
and triangles of random colours. Each comes in two forms: `render_*` returns a
uint8 NumPy array (N, T, H, W, C), and the plain name returns a
`tf.data.Dataset` of float32 clips in [-1, 1].

With `labels=True` each clip also has a class: the digit drawn
(`DIGIT_CLASS_NAMES`) or the kind of shape (`SHAPE_CLASS_NAMES`), which needs
one object per clip. The labels are read off the same random draws, so a
labelled clip is exactly the unlabelled clip of the same seed.
"""

import cv2
import numpy as np
import tensorflow as tf

from keras_vgan.datasets.clip_options import check_channels
from keras_vgan.datasets.sharding import check_shard, procedural_part
from keras_vgan.datasets.summary import DataSummary, attach_summary
from keras_vgan.pixels import to_unit_range
from keras_vgan.validation import check_int

# Class names, indexed by label: label 3 is the digit "3", label 2 a triangle.
DIGIT_CLASS_NAMES = tuple(str(digit) for digit in range(10))
SHAPE_CLASS_NAMES = ("circle", "square", "triangle")
BUILTIN_CLASS_NAMES = {"moving_digits": DIGIT_CLASS_NAMES, "bouncing_shapes": SHAPE_CLASS_NAMES}

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


def _objects_per_clip(num_objects, default, labels, name):
    """`num_objects`, or the default (one object when labelled); a labelled clip needs exactly one."""
    if num_objects is None:
        return 1 if labels else default
    if labels and not (num_objects == 1 or (not np.isscalar(num_objects) and tuple(num_objects) == (1, 1))):
        raise ValueError(f"{name}={num_objects!r} is not valid with labels=True; expected {name}=1 (a clip's "
                         "label is its one object's class)")
    return num_objects


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
    """One anti-aliased digit, white on black, about `target_height` pixels tall, and the digit: (sprite, int)."""
    font = _FONTS[rng.integers(len(_FONTS))]
    digit = int(rng.integers(10))
    text = str(digit)
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
    return cv2.resize(canvas, size, interpolation=cv2.INTER_AREA), digit


def render_moving_digits(num_videos=2048, frames=16, height=64, width=64, channels=1, num_digits=None, seed=0,
                         labels=False):
    """Moving digits as uint8 (num_videos, frames, height, width, channels).

    `num_digits`: digits per clip, a count or a (min, max) range; default
    (1, 2), or 1 with `labels=True`, which also returns each clip's digit:
    `(videos, labels)`, labels int32 (num_videos,) indexing `DIGIT_CLASS_NAMES`.
    Labelled clips need one digit each (another `num_digits` is a ValueError).

    Example:
    >>> render_moving_digits(2, frames=4, height=32, width=32).shape
    (2, 4, 32, 32, 1)
    >>> videos, labels = render_moving_digits(3, frames=4, height=32, width=32, labels=True)
    >>> labels.shape, labels.dtype
    ((3,), dtype('int32'))
    """
    _check_sizes(num_videos, frames, height, width, channels)
    num_digits = _objects_per_clip(num_digits, (1, 2), labels, "num_digits")
    rng = np.random.default_rng(seed)
    counts = _object_counts(num_digits, num_videos, rng, "num_digits")
    videos = np.zeros((num_videos, frames, height, width), np.uint8)
    digits = np.zeros(num_videos, np.int32)
    digit_height = max(5, round(0.45 * min(height, width)))
    for index in range(num_videos):
        for _ in range(counts[index]):
            sprite, digits[index] = _digit_sprite(rng, digit_height)
            sprite = sprite[:height, :width]
            sprite_height, sprite_width = sprite.shape
            speed = rng.uniform(0.03, 0.07) * min(height, width)
            path = _bouncing_path(rng, frames, height - sprite_height, width - sprite_width, speed)
            for t, (top, left) in enumerate(path):
                region = videos[index, t, top:top + sprite_height, left:left + sprite_width]
                np.maximum(region, sprite, out=region)
    videos = videos[..., None]
    videos = np.repeat(videos, 3, axis=-1) if channels == 3 else videos
    return (videos, digits) if labels else videos


def _draw_shape(frame, kind, center, radius, color):
    x, y = int(center[1]), int(center[0])
    if kind == 0:
        cv2.circle(frame, (x, y), radius, color, -1, cv2.LINE_AA)
    elif kind == 1:
        cv2.rectangle(frame, (x - radius, y - radius), (x + radius, y + radius), color, -1, cv2.LINE_AA)
    else:
        points = np.array([[x, y - radius], [x - radius, y + radius], [x + radius, y + radius]], np.int32)
        cv2.fillConvexPoly(frame, points, color, cv2.LINE_AA)


def render_bouncing_shapes(num_videos=2048, frames=16, height=64, width=64, channels=3, num_shapes=None, seed=0,
                           labels=False):
    """Bouncing coloured circles, squares and triangles as uint8 (num_videos, frames, height, width, channels).

    `num_shapes`: shapes per clip, a count or a (min, max) range; default
    (1, 3), or 1 with `labels=True`, which also returns each clip's kind of
    shape: `(videos, labels)`, labels int32 (num_videos,) indexing
    `SHAPE_CLASS_NAMES`. Labelled clips need one shape each.

    Example:
    >>> render_bouncing_shapes(2, frames=4, height=32, width=32).shape
    (2, 4, 32, 32, 3)
    >>> videos, labels = render_bouncing_shapes(2, frames=4, height=32, width=32, labels=True)
    >>> [SHAPE_CLASS_NAMES[label] in SHAPE_CLASS_NAMES for label in labels]
    [True, True]
    """
    _check_sizes(num_videos, frames, height, width, channels)
    num_shapes = _objects_per_clip(num_shapes, (1, 3), labels, "num_shapes")
    rng = np.random.default_rng(seed)
    counts = _object_counts(num_shapes, num_videos, rng, "num_shapes")
    videos = np.zeros((num_videos, frames, height, width, 3), np.uint8)
    kinds = np.zeros(num_videos, np.int32)
    side = min(height, width)
    for index in range(num_videos):
        for _ in range(counts[index]):
            kind = kinds[index] = int(rng.integers(len(SHAPE_CLASS_NAMES)))
            radius = int(max(2, round(side * rng.uniform(0.08, 0.16))))
            color = tuple(int(c) for c in rng.integers(64, 256, size=3))
            speed = rng.uniform(0.03, 0.07) * side
            path = _bouncing_path(rng, frames, height - 2 * radius, width - 2 * radius, speed) + radius
            for t in range(frames):
                _draw_shape(videos[index, t], kind, path[t], radius, color)
    if channels == 1:
        videos = np.round(videos.mean(axis=-1, keepdims=True)).astype(np.uint8)
    return (videos, kinds) if labels else videos


def _as_dataset(videos, labels=None, class_names=None):
    count, frames, height, width, channels = videos.shape
    summary = DataSummary(kind="built-in, procedural", num_items=count, frame_counts=(frames,),
                          frame_sizes=((height, width),), channels=channels, dtype=str(videos.dtype),
                          value_range=(0, 255))
    if labels is None:
        dataset = tf.data.Dataset.from_tensor_slices(videos).map(to_unit_range, num_parallel_calls=tf.data.AUTOTUNE)
        return attach_summary(dataset, summary)
    dataset = tf.data.Dataset.from_tensor_slices((videos, labels)).map(
        lambda clip, label: (to_unit_range(clip), label), num_parallel_calls=tf.data.AUTOTUNE)
    dataset = attach_summary(dataset, summary)
    summary.num_classes = len(class_names)
    dataset.class_names = list(class_names)
    return dataset


def _sharded(render, num_videos, seed, shard, labels, class_names, *arguments):
    """`render(num_videos, *arguments, seed)` as a dataset; with a shard, this worker's share (`procedural_part`)."""
    num_videos, seed, part = procedural_part(num_videos, seed, check_shard(shard))
    if labels:
        dataset = _as_dataset(*render(num_videos, *arguments, seed, labels=True), class_names=class_names)
    else:
        dataset = _as_dataset(render(num_videos, *arguments, seed))
    dataset.data_summary.part = part
    return dataset


def moving_digits(num_videos=2048, frames=16, height=64, width=64, channels=1, num_digits=None, seed=0,
                  shard=None, labels=False):
    """A `tf.data.Dataset` of moving-digit clips, float32 (frames, height, width, channels) in [-1, 1].

    `shard=(index, count)` (or a `tf.distribute.InputContext`) renders worker
    `index`'s share of `num_videos` from a seed derived from `seed` and
    `index` (`sharding.procedural_part`): the same seed gives every worker
    different videos, and the shares add up to `num_videos`.

    `labels=True` yields `(clip, label)`: the int32 digit drawn, and the
    dataset has `class_names` (`DIGIT_CLASS_NAMES`). `num_digits` as for
    `render_moving_digits` (default (1, 2), or 1 with labels).

    Example:
    >>> clips = moving_digits(8, frames=8, height=32, width=32)
    >>> clips.element_spec.shape
    TensorShape([8, 32, 32, 1])
    >>> pairs = moving_digits(8, frames=8, height=32, width=32, labels=True)
    >>> pairs.element_spec[1].dtype, len(pairs.class_names)
    (tf.int32, 10)
    """
    return _sharded(render_moving_digits, num_videos, seed, shard, labels, DIGIT_CLASS_NAMES, frames, height,
                    width, channels, num_digits)


def bouncing_shapes(num_videos=2048, frames=16, height=64, width=64, channels=3, num_shapes=None, seed=0,
                    shard=None, labels=False):
    """A `tf.data.Dataset` of bouncing-shape clips, float32 (frames, height, width, channels) in [-1, 1].

    `shard` as for `moving_digits`. `labels=True` yields `(clip, label)`:
    the int32 kind of shape, with `class_names` (`SHAPE_CLASS_NAMES`);
    `num_shapes` as for `render_bouncing_shapes` (default (1, 3), or 1 with labels).
    """
    return _sharded(render_bouncing_shapes, num_videos, seed, shard, labels, SHAPE_CLASS_NAMES, frames, height,
                    width, channels, num_shapes)
