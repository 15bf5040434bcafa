"""Real photographs set in motion by a simulated camera: footage for enhancement with nothing to download.

There is no real video on a machine without internet, but real photographs
ship inside a registry package: scikit-image's wheel holds a few, each free of
copyright (public domain or CC0; `PHOTOGRAPHS` credits them, data/README.md
lists them). `photo_clips` films them with a virtual camera that pans, zooms
and turns a little over each clip, so the frames are real image content
(texture, edges, grain) moving as footage moves, the ground truth a restorer
learns and is scored against.

Each clip draws, from its seed: one photograph (chance in proportion to its
area), a scale of 1 to `max_scale` photograph pixels per output pixel (never
below 1, so the truth is never an upsampled, softened photograph), a start
point, a pan velocity of up to `max_speed` output pixels a frame, a zoom rate
and a rotation rate. The photograph is resized once with area averaging, then
each frame is one bicubic `cv2.warpAffine`, and the whole path stays inside
the picture (no border is ever filled in).

The photographs are split by picture: `split="train"` films seven,
`split="test"` the two held out (Chelsea the cat, the coffee cup), so a
benchmark scores a restorer on pictures it never saw.
"""

import importlib.util
import math
import os
from typing import NamedTuple

import cv2
import numpy as np
import tensorflow as tf

from keras_vgan.datasets.sharding import check_shard, procedural_part
from keras_vgan.datasets.summary import DataSummary, attach_summary
from keras_vgan.pixels import to_unit_range
from keras_vgan.validation import check_int, check_positive_ints


class Photograph(NamedTuple):
    file: str  # in scikit-image's skimage/data/
    split: str  # "train" or "test"
    credit: str
    licence: str


# Natural photographs in scikit-image's wheel whose licence is stated as free (skimage.data's docstrings).
PHOTOGRAPHS = {
    "astronaut": Photograph("astronaut.png", "train", "NASA (Eileen Collins)", "public domain"),
    "camera": Photograph("camera.png", "train", "Lav Varshney", "CC0"),
    "coins": Photograph("coins.png", "train", "Brooklyn Museum", "no known copyright restrictions"),
    "rocket": Photograph("rocket.jpg", "train", "SpaceX (DSCOVR launch)", "public domain"),
    "brick": Photograph("brick.png", "train", "CC0Textures (Bricks25)", "CC0"),
    "grass": Photograph("grass.png", "train", "linolafett on DeviantArt", "CC0"),
    "gravel": Photograph("gravel.png", "train", "CC0Textures (Gravel04)", "CC0"),
    "chelsea": Photograph("chelsea.png", "test", "Stefan van der Walt", "CC0"),
    "coffee": Photograph("coffee.png", "test", "Rachel Michetti (Pikolo Espresso Bar)", "CC0"),
}
SPLITS = ("train", "test", "all")


def photograph_directory():
    """scikit-image's data folder, where the photographs are; a clear error when scikit-image is not installed."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("photo_clips needs the photographs inside scikit-image's wheel; expected it "
                                  "installed (pip install scikit-image)")
    return os.path.join(list(spec.submodule_search_locations)[0], "data")


def photograph_names(split="train"):
    """The photographs of `split` ("train", "test" or "all"), in `PHOTOGRAPHS`' order.

    Example:
    >>> photograph_names("test")
    ['chelsea', 'coffee']
    """
    if split not in SPLITS:
        raise ValueError(f"split={split!r} is not valid; expected one of {list(SPLITS)}")
    return [name for name, photo in PHOTOGRAPHS.items() if split == "all" or photo.split == split]


def read_photograph(name, channels=1):
    """Photograph `name` as uint8 (H, W, channels): RGB photographs averaged to gray, gray ones repeated to RGB."""
    if name not in PHOTOGRAPHS:
        raise ValueError(f"photograph {name!r} is not known; expected one of {sorted(PHOTOGRAPHS)}")
    check_int("channels", channels, minimum=1)
    if channels not in (1, 3):
        raise ValueError(f"channels={channels!r} is not valid; expected 1 or 3")
    path = os.path.join(photograph_directory(), PHOTOGRAPHS[name].file)
    image = cv2.imread(path, cv2.IMREAD_COLOR if channels == 3 else cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise OSError(f"could not read photograph {path!r}; expected scikit-image's bundled {PHOTOGRAPHS[name].file}")
    if channels == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image[..., None]


def _path_fits(size, half_extent, start, velocity, frames):
    end = start + velocity * (frames - 1)
    return min(start, end) - half_extent >= 0 and max(start, end) + half_extent <= size - 1


def _camera_path(rng, photo_shape, frames, height, width, max_scale, max_speed, max_zoom, max_rotation):
    """(scale, start centre, velocity, zoom per frame, rotation per frame) whose every frame lies inside the photo."""
    photo_height, photo_width = photo_shape
    for _ in range(100):
        scale = float(np.exp(rng.uniform(0.0, math.log(max_scale))))
        small = (photo_height / scale, photo_width / scale)
        zoom = rng.uniform(-max_zoom, max_zoom)
        rotation = math.radians(rng.uniform(-max_rotation, max_rotation))
        largest = max(1.0, (1.0 + zoom) ** (frames - 1), (1.0 + zoom) ** 0)
        # The rotated, zoomed frame fits in a circle of this radius around its centre.
        half_extent = 0.5 * math.hypot(height, width) * largest + 2.0
        angle = rng.uniform(0.0, 2.0 * math.pi)
        speed = rng.uniform(0.0, max_speed)
        velocity = (speed * math.sin(angle), speed * math.cos(angle))
        free = [size - 1 - 2 * half_extent - abs(v) * (frames - 1) for size, v in zip(small, velocity)]
        if min(free) <= 0:
            continue
        start = [half_extent + max(0.0, -v * (frames - 1)) + rng.uniform(0.0, room)
                 for v, room in zip(velocity, free)]
        if all(_path_fits(size, half_extent, s, v, frames) for size, s, v in zip(small, start, velocity)):
            return scale, start, velocity, zoom, rotation
    raise ValueError(f"a {height}x{width} clip of {frames} frames does not fit in a {photo_height}x{photo_width} "
                     "photograph at any drawn scale; expected smaller frames or fewer of them")


def _film(photo, frames, height, width, path):
    scale, start, velocity, zoom, rotation = path
    small = photo
    if scale > 1.0:
        size = (max(1, round(photo.shape[1] / scale)), max(1, round(photo.shape[0] / scale)))
        small = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
        if small.ndim == 2:
            small = small[..., None]
    clip = np.empty((frames, height, width, photo.shape[-1]), np.uint8)
    for t in range(frames):
        magnification = (1.0 + zoom) ** t
        angle = rotation * t
        cosine, sine = math.cos(angle) * magnification, math.sin(angle) * magnification
        centre_y, centre_x = start[0] + velocity[0] * t, start[1] + velocity[1] * t
        # Output pixel (x, y) samples the photo at centre + R·m·((x, y) − frame centre): a map from output to source.
        offset_x, offset_y = (width - 1) / 2.0, (height - 1) / 2.0
        matrix = np.array([[cosine, -sine, centre_x - cosine * offset_x + sine * offset_y],
                           [sine, cosine, centre_y - sine * offset_x - cosine * offset_y]], np.float64)
        frame = cv2.warpAffine(small, matrix, (width, height), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REFLECT_101)
        clip[t] = frame.reshape(height, width, -1)
    return clip


def film_photograph(photo, frames, height, width, seed=0, max_scale=1.0, max_speed=1.5, max_zoom=0.01,
                    max_rotation=0.5):
    """One clip (frames, height, width, C) uint8 of any picture `photo` (H, W, C) uint8, filmed as `photo_clips` does.

    The camera path is drawn from `seed`, with the options of
    `render_photo_clips`; a 1280x720 video needs a picture larger than that
    at `max_scale` (1 by default: the picture's own pixels).

    Example:
    >>> film_photograph(np.zeros((80, 90, 1), np.uint8), 3, 32, 48).shape
    (3, 32, 48, 1)
    """
    photo = np.asarray(photo)
    if photo.dtype != np.uint8 or photo.ndim != 3:
        raise ValueError(f"photo of {photo.dtype} {photo.shape} is not valid; expected uint8 (height, width, channels)")
    check_positive_ints(frames=frames, height=height, width=width)
    rng = np.random.default_rng(seed)
    path = _camera_path(rng, photo.shape[:2], frames, height, width, max_scale, max_speed, max_zoom, max_rotation)
    return _film(photo, frames, height, width, path)


def render_photo_clips(num_videos=2048, frames=16, height=64, width=64, channels=1, seed=0, split="train",
                       max_scale=2.5, max_speed=1.5, max_zoom=0.01, max_rotation=0.5):
    """uint8 clips (num_videos, frames, height, width, channels) of photographs under a simulated moving camera.

    Args:
        split: "train" (seven photographs), "test" (the two held out) or "all".
        max_scale: the largest photograph-to-output scale drawn (log-uniform
            from 1): larger shows more of the picture, smaller more detail.
        max_speed: the fastest pan, in output pixels a frame.
        max_zoom: the fastest zoom, as a fraction of the size a frame (either way).
        max_rotation: the fastest turn, in degrees a frame (either way).

    Example:
    >>> clips = render_photo_clips(2, frames=4, height=32, width=32)
    >>> clips.shape, clips.dtype
    ((2, 4, 32, 32, 1), dtype('uint8'))
    """
    num_videos = check_int("num_videos", num_videos, minimum=1)
    check_positive_ints(frames=frames, height=height, width=width)
    for name, value in (("max_scale", max_scale), ("max_speed", max_speed), ("max_zoom", max_zoom),
                        ("max_rotation", max_rotation)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{name}={value!r} is not valid; expected a finite number >= 0")
    if max_scale < 1:
        raise ValueError(f"max_scale={max_scale!r} is not valid; expected >= 1 (photograph pixels per output pixel)")
    if max_zoom >= 0.5:
        raise ValueError(f"max_zoom={max_zoom!r} is not valid; expected a fraction a frame below 0.5")
    names = photograph_names(split)
    photos = [read_photograph(name, channels) for name in names]
    areas = np.array([photo.shape[0] * photo.shape[1] for photo in photos], np.float64)
    rng = np.random.default_rng(seed)
    clips = np.empty((num_videos, frames, height, width, channels), np.uint8)
    for index in range(num_videos):
        photo = photos[rng.choice(len(photos), p=areas / areas.sum())]
        path = _camera_path(rng, photo.shape[:2], frames, height, width, max_scale, max_speed, max_zoom,
                            max_rotation)
        clips[index] = _film(photo, frames, height, width, path)
    return clips


def photo_clips(num_videos=2048, frames=16, height=64, width=64, channels=1, seed=0, shard=None, split="train",
                max_scale=2.5, max_speed=1.5, max_zoom=0.01, max_rotation=0.5):
    """A `tf.data.Dataset` of `render_photo_clips` clips, float32 (frames, height, width, channels) in [-1, 1].

    `shard` as for `moving_digits`: each worker films its share from a seed of its own.

    Example:
    >>> clips = photo_clips(4, frames=8, height=32, width=32, split="test")
    >>> clips.element_spec.shape
    TensorShape([8, 32, 32, 1])
    """
    num_videos, seed, part = procedural_part(num_videos, seed, check_shard(shard))
    clips = render_photo_clips(num_videos, frames, height, width, channels, seed, split, max_scale, max_speed,
                               max_zoom, max_rotation)
    summary = DataSummary(kind=f"built-in, real photographs ({split}) under a simulated moving camera",
                          num_items=num_videos, frame_counts=(frames,), frame_sizes=((height, width),),
                          channels=channels, dtype="uint8", value_range=(0, 255))
    summary.part = part
    dataset = tf.data.Dataset.from_tensor_slices(clips).map(to_unit_range, num_parallel_calls=tf.data.AUTOTUNE)
    return attach_summary(dataset, summary)


__all__ = ["PHOTOGRAPHS", "film_photograph", "photo_clips", "photograph_names", "read_photograph", "render_photo_clips"]
