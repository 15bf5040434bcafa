"""Degradations for video enhancement: clean clips → (degraded, clean) pairs for `TranslationGAN`.

Each degradation is a small class whose instance maps one clean clip
(T, H, W, C) float32 in [-1, 1] and a per-clip seed to the degraded clip,
the model's condition:

- `Downsample` ("sr"): optional Gaussian blur, then bicubic ×`scale`
  downsampling; the condition is (T, H/scale, W/scale, C).
- `GaussianNoise` ("denoise"): additive noise, sigma on the [0, 255] scale.
- `PoissonNoise` ("denoise_poisson"): shot noise at `peak` photons for white.
- `H264Compression` ("deblock"): a real libx264 round trip at a CRF.
- `BoxMask` ("inpaint"), `ScribbleMask` ("inpaint_scribbles") and
  `DroppedFrames` ("inpaint_dropped_frames"): holes set to `fill`; the
  condition has one more channel than the clip, 1 where pixels are missing.

`degraded_pairs(clips, degradation, seed)` applies one to an unbatched clip
dataset. Every random draw comes from the pair (seed, clip index) through
stateless random ops, so a clip's degradation does not depend on the order
clips are read in, on parallelism or on the run. Options that take a range,
`(low, high)`, draw their value uniformly once per clip: every frame of a clip
shares it, while per-pixel noise is drawn anew for each pixel of each frame.

Example:
>>> clips = tf.data.Dataset.from_tensor_slices(tf.zeros([2, 4, 16, 16, 1]))
>>> pairs = degraded_pairs(clips, make_degradation("denoise", sigma=(5, 50)), seed=1)
>>> [tuple(part.shape) for part in next(iter(pairs))]
[(4, 16, 16, 1), (4, 16, 16, 1)]
"""

import inspect
import math
import os
import subprocess
import tempfile

import numpy as np
import tensorflow as tf

from keras_vgan.pixels import to_uint8, to_unit_range
from keras_vgan.validation import check_choice, check_int

X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")


def _is_number(value):
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating)) \
        and math.isfinite(value)


def _is_integer(value):
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def _check_range(name, value, minimum, maximum=None, integer=False, above_minimum=False):
    """`value` (one number, or a (low, high) pair drawn from once per clip) as floats or ints, same form.

    A ValueError naming `name` when a number is of the wrong kind or outside
    [minimum, maximum] (or (minimum, maximum] when `above_minimum`), or low > high.
    """
    valid = _is_integer if integer else _is_number

    def in_bounds(number):
        return valid(number) and (number > minimum if above_minimum else number >= minimum) and (
            maximum is None or number <= maximum)

    pair = isinstance(value, (tuple, list)) and len(value) == 2
    numbers = tuple(value) if pair else (value,)
    if not all(in_bounds(number) for number in numbers) or (pair and numbers[0] > numbers[1]):
        low = f"({minimum}" if above_minimum else f"[{minimum}"
        bounds = f"{low}, {maximum}]" if maximum is not None else (f"> {minimum}" if above_minimum else f">= {minimum}")
        where = f"in {bounds}" if maximum is not None else bounds
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{name}={value!r} is not valid; expected {kind} {where}, "
                         f"or a (low, high) pair of them with low <= high drawn from once per clip")
    cast = int if integer else float
    numbers = tuple(cast(number) for number in numbers)
    return numbers if pair else numbers[0]


def _bounds(value):
    return tuple(value) if isinstance(value, tuple) else (value, value)


def _split(seed, count):
    """`count` independent stateless seeds from one, so each draw of a clip has its own stream."""
    return tf.unstack(tf.random.experimental.stateless_split(seed, num=count))


def _draw(value, seed, shape=()):
    """A float from `value` (a number or a (low, high) range), the same for the whole clip."""
    low, high = _bounds(value)
    if low == high:
        return tf.fill(shape, tf.constant(low, tf.float32))
    return tf.random.stateless_uniform(shape, seed, minval=low, maxval=high)


def _draw_int(value, seed, shape=()):
    low, high = _bounds(value)
    if low == high:
        return tf.fill(shape, tf.constant(low, tf.int64))
    return tf.random.stateless_uniform(shape, seed, minval=low, maxval=high + 1, dtype=tf.int64)


def clip_seed(seed, index):
    """The stateless seed (a [2] int64 tensor) of clip `index` under `seed`.

    Example:
    >>> clip_seed(0, 3).numpy().tolist()
    [0, 3]
    """
    return tf.stack([tf.cast(seed, tf.int64), tf.cast(index, tf.int64)])


class Degradation:
    """A clean clip (T, H, W, C) in [-1, 1] and its clip seed → the degraded clip.

    Subclasses implement `degrade(clip, seed)`; calling an instance checks the
    clip's shape first. `name` is the degradation's name in `DEGRADATIONS`, and
    `make_degradation(d.name, **d.get_config())` rebuilds an equal one.
    """

    name = None

    def __init__(self, **options):
        self._options = options

    def __call__(self, clip, seed=0, index=0):
        """The degraded clip of `clip`, as clip `index` under `seed` of `degraded_pairs` would have it."""
        clip = tf.convert_to_tensor(clip, tf.float32)
        self.check_clip_shape(clip.shape)
        return self.degrade(clip, clip_seed(seed, index))

    def degrade(self, clip, seed):
        raise NotImplementedError

    def check_clip_shape(self, shape):
        """A ValueError when clips of `shape` (dimensions may be None) cannot take this degradation."""
        shape = tf.TensorShape(shape)
        if shape.rank != 4:
            batched = " (a batched dataset? batch after degraded_pairs)" if shape.rank == 5 else ""
            raise ValueError(f"clips of shape {shape} are not valid{batched}; expected one clip "
                             f"(frames, height, width, channels)")

    def condition_shape(self, clip_shape):
        """The shape of the degraded clip of a clip of `clip_shape` (T, H, W, C).

        Example:
        >>> Downsample(scale=4).condition_shape((4, 16, 16, 1))
        (4, 4, 4, 1)
        """
        return tuple(clip_shape)

    def get_config(self):
        return dict(self._options)

    def __eq__(self, other):
        return type(self) is type(other) and self._options == other._options

    def __hash__(self):
        return hash((type(self), tuple(sorted(self._options.items()))))

    def __repr__(self):
        options = ", ".join(f"{key}={value!r}" for key, value in self._options.items())
        return f"{type(self).__name__}({options})"


class Downsample(Degradation):
    """Super-resolution input: each frame Gaussian-blurred (optional), then bicubic-downsampled by `scale`.

    Args:
        scale: integer factor >= 2 (2 and 4 are the usual ones); the clip's
            height and width must be multiples of it.
        blur_sigma: standard deviation, in pixels of the full-size frame, of
            the Gaussian blur applied first (0: none), or a (low, high) range
            drawn once per clip. The bicubic resize is antialiased anyway;
            the blur stands for a camera's point spread (the "blur-downsample"
            degradation of the super-resolution literature).

    Example:
    >>> Downsample(scale=2, blur_sigma=1.0)(tf.zeros([4, 16, 16, 3])).shape
    TensorShape([4, 8, 8, 3])
    """

    name = "sr"

    def __init__(self, scale=4, blur_sigma=0.0):
        scale = check_int("scale", scale, minimum=2)
        blur_sigma = _check_range("blur_sigma", blur_sigma, 0.0)
        super().__init__(scale=scale, blur_sigma=blur_sigma)
        self.scale = scale
        self.blur_sigma = blur_sigma

    def check_clip_shape(self, shape):
        super().check_clip_shape(shape)
        for axis, size in (("height", shape[1]), ("width", shape[2])):
            if size is not None and size % self.scale:
                raise ValueError(f"clip {axis}={size} is not divisible by scale={self.scale}; expected frames "
                                 f"whose height and width are multiples of {self.scale} (crop or resize the clips)")

    def condition_shape(self, clip_shape):
        frames, height, width, channels = clip_shape
        return frames, height // self.scale, width // self.scale, channels

    def degrade(self, clip, seed):
        shape = tf.shape(clip)
        height, width = shape[1], shape[2]
        tf.debugging.assert_equal(
            [height % self.scale, width % self.scale], 0,
            message=f"clip height and width must be multiples of scale={self.scale}")
        if _bounds(self.blur_sigma)[1] > 0:
            clip = gaussian_blur(clip, _draw(self.blur_sigma, seed), radius=math.ceil(3 * _bounds(self.blur_sigma)[1]))
        small = tf.image.resize(clip, [height // self.scale, width // self.scale], method="bicubic", antialias=True)
        # Bicubic overshoots at edges; the condition stays in the pixel range like every clip.
        return tf.clip_by_value(small, -1.0, 1.0)


def gaussian_blur(clip, sigma, radius):
    """Each frame of `clip` (T, H, W, C) blurred by a separable Gaussian of `sigma` pixels.

    `radius` (a Python int, e.g. ceil(3 sigma)) fixes the kernel's size, so
    `sigma` may be a tensor drawn per clip. The kernel is renormalised at the
    borders (the blur of a constant frame is that constant), with no dark rim
    from zero padding and no limit of the frame's size as reflection has.

    Example:
    >>> blurred = gaussian_blur(tf.ones([2, 8, 8, 1]), 1.5, radius=5)
    >>> bool(tf.reduce_all(tf.abs(blurred - 1.0) < 1e-5))
    True
    """
    sigma = tf.maximum(tf.cast(sigma, tf.float32), 1e-3)  # sigma 0 leaves a one-tap kernel, the frame itself
    offsets = tf.range(-radius, radius + 1, dtype=tf.float32)
    kernel = tf.exp(-0.5 * tf.square(offsets / sigma))
    kernel = kernel / tf.reduce_sum(kernel)
    shape = tf.shape(clip)
    frames, height, width, channels = shape[0], shape[1], shape[2], shape[3]
    # Channels become images of their own, so one 1-channel kernel serves any channel count.
    planes = tf.reshape(tf.transpose(clip, [0, 3, 1, 2]), [frames * channels, height, width, 1])

    def separable(images):
        images = tf.nn.conv2d(images, tf.reshape(kernel, [-1, 1, 1, 1]), strides=1, padding="SAME")
        return tf.nn.conv2d(images, tf.reshape(kernel, [1, -1, 1, 1]), strides=1, padding="SAME")

    blurred = separable(planes) / separable(tf.ones([1, height, width, 1]))
    return tf.transpose(tf.reshape(blurred, [frames, channels, height, width]), [0, 2, 3, 1])


class GaussianNoise(Degradation):
    """Denoising input: additive white Gaussian noise, clipped to [-1, 1].

    Args:
        sigma: the noise's standard deviation on the [0, 255] scale (25 is
            the usual benchmark level), or a (low, high) range drawn once per
            clip, the same for all its frames ("blind" denoising).

    Example:
    >>> noisy = GaussianNoise(sigma=25)(tf.zeros([4, 16, 16, 1]), seed=0)
    >>> 0.15 < float(tf.math.reduce_std(noisy)) < 0.25  # 25 / 127.5 in [-1, 1]
    True
    """

    name = "denoise"

    def __init__(self, sigma=25.0):
        sigma = _check_range("sigma", sigma, 0.0, 255.0)
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def degrade(self, clip, seed):
        level_seed, pixel_seed = _split(seed, 2)
        sigma = _draw(self.sigma, level_seed) / 127.5  # [0, 255] units → [-1, 1] units
        noise = tf.random.stateless_normal(tf.shape(clip), pixel_seed) * sigma
        return tf.clip_by_value(clip + noise, -1.0, 1.0)


class PoissonNoise(Degradation):
    """Denoising input: shot noise, as a sensor counting `peak` photons for white would see.

    Pixels become intensities in [0, 1]; each is replaced by a Poisson count
    of mean intensity × `peak`, divided by `peak`: the lower the peak, the
    noisier (the standard deviation of white is 1 / sqrt(peak) of full scale).

    Args:
        peak: photons at full white, > 0, or a (low, high) range drawn once
            per clip.

    Example:
    >>> PoissonNoise(peak=10)(tf.zeros([4, 16, 16, 1]), seed=0).shape
    TensorShape([4, 16, 16, 1])
    """

    name = "denoise_poisson"

    def __init__(self, peak=30.0):
        peak = _check_range("peak", peak, 0.0, above_minimum=True)
        super().__init__(peak=peak)
        self.peak = peak

    def degrade(self, clip, seed):
        level_seed, pixel_seed = _split(seed, 2)
        peak = _draw(self.peak, level_seed)
        intensity = (tf.clip_by_value(clip, -1.0, 1.0) + 1.0) / 2.0
        photons = tf.random.stateless_poisson(tf.shape(clip), pixel_seed, lam=intensity * peak, dtype=tf.float32)
        return tf.clip_by_value(photons / peak * 2.0 - 1.0, -1.0, 1.0)


class H264Compression(Degradation):
    """Deblocking input: the clip encoded by libx264 at a CRF and decoded back.

    The encoder is the ffmpeg that `imageio-ffmpeg` bundles; see
    `h264_round_trip`. It runs in a `tf.numpy_function`, so it works inside
    `tf.data` but is not differentiable. Clips must have 1 or 3 channels;
    odd sizes are padded for yuv420p and cropped back.

    Args:
        crf: libx264's constant rate factor, an integer in [0, 51] (0 is
            lossless in luma, 23 its default, 40 and up visibly blocky), or a
            (low, high) range drawn once per clip.
        preset: libx264's speed preset; slower ones compress better at a CRF.

    Example:
    >>> compressed = H264Compression(crf=40)(tf.zeros([4, 16, 16, 1]))
    >>> compressed.shape
    TensorShape([4, 16, 16, 1])
    """

    name = "deblock"

    def __init__(self, crf=35, preset="medium"):
        crf = _check_range("crf", crf, 0, 51, integer=True)
        preset = check_choice("preset", preset, X264_PRESETS)
        from keras_vgan.video_io import ffmpeg_executable
        ffmpeg_executable()  # no imageio-ffmpeg: say so now, not from inside a tf.data worker
        super().__init__(crf=crf, preset=preset)
        self.crf = crf
        self.preset = preset

    def check_clip_shape(self, shape):
        super().check_clip_shape(shape)
        if shape[3] is not None and shape[3] not in (1, 3):
            raise ValueError(f"clip channels={shape[3]} is not valid for H.264; expected 1 (grey) or 3 (RGB)")

    def degrade(self, clip, seed):
        # The CRF is drawn here, with the other stateless draws, so the encoder itself needs no seed.
        crf = _draw_int(self.crf, seed)
        preset = self.preset
        decoded = tf.numpy_function(lambda video, quality: h264_round_trip(video, int(quality), preset),
                                    [to_uint8(clip), crf], tf.uint8, stateful=False)
        decoded.set_shape(clip.shape)
        return to_unit_range(decoded)


def h264_round_trip(video, crf, preset="medium"):
    """A uint8 video (T, H, W, C), C 1 or 3, encoded by libx264 at `crf` (yuv420p, MP4) and decoded back.

    Grey video goes in as grey (neutral chroma) and comes back as the luma
    plane; colour goes through yuv420p's half-resolution chroma, so even CRF 0
    is lossless only for grey and smooth colour. Odd sizes are padded by
    repeating the last row or column, since yuv420p needs even ones, and
    cropped after decoding. The MP4 lives in a temporary directory that is
    removed afterwards.

    Example:
    >>> video = np.random.default_rng(0).integers(0, 256, (4, 16, 16, 1), dtype=np.uint8)
    >>> int(np.abs(h264_round_trip(video, crf=0).astype(int) - video).max()) <= 2
    True
    """
    from keras_vgan.video_io import ffmpeg_executable
    video = np.asarray(video)
    if video.dtype != np.uint8 or video.ndim != 4 or video.shape[-1] not in (1, 3):
        raise ValueError(f"video of {video.dtype} and shape {video.shape} is not valid; expected uint8 "
                         f"(frames, height, width, 1 or 3)")
    crf = _check_range("crf", crf, 0, 51, integer=True)
    check_choice("preset", preset, X264_PRESETS)
    frames, height, width, channels = video.shape
    padded = np.pad(video, ((0, 0), (0, height % 2), (0, width % 2), (0, 0)), mode="edge")
    pixel_format = "gray" if channels == 1 else "rgb24"
    ffmpeg = [ffmpeg_executable(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    with tempfile.TemporaryDirectory(prefix="keras_vgan_h264_") as directory:
        path = os.path.join(directory, "clip.mp4")
        encode = ffmpeg + [
            "-f", "rawvideo", "-pix_fmt", pixel_format, "-s", f"{padded.shape[2]}x{padded.shape[1]}",
            "-framerate", "25", "-i", "pipe:0",
            # One thread: tf.data already runs clips in parallel, and x264's output stays the same.
            "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p", "-threads", "1",
            "-f", "mp4", path,
        ]
        _run_ffmpeg(encode, np.ascontiguousarray(padded).tobytes(), "encode", video.shape, crf)
        # passthrough: one decoded frame per stored frame, never a duplicated or dropped one.
        decode = ffmpeg + ["-i", path, "-f", "rawvideo", "-pix_fmt", pixel_format, "-fps_mode", "passthrough",
                           "pipe:1"]
        raw = _run_ffmpeg(decode, None, "decode", video.shape, crf)
    decoded = np.frombuffer(raw, np.uint8)
    if decoded.size != padded.size:
        raise RuntimeError(f"ffmpeg decoded {decoded.size} bytes of an H.264 clip of shape {video.shape}; "
                           f"expected {padded.size}")
    return decoded.reshape(padded.shape)[:, :height, :width].copy()


def _run_ffmpeg(command, data, action, shape, crf):
    result = subprocess.run(command, input=data, capture_output=True)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"ffmpeg could not {action} H.264 at crf={crf} (clip of shape {shape}): "
                           f"{message[-1] if message else 'exit status ' + str(result.returncode)}")
    return result.stdout


class Inpainting(Degradation):
    """Base of the inpainting degradations: pixels of a mask set to `fill`, and the mask given as a channel.

    The condition is (T, H, W, C + 1): the clip with missing pixels set to
    `fill` (0, mid grey, by default), then one channel that is 1 where a pixel
    is missing and 0 where it is kept, so the model knows the holes from
    pixels that merely have the fill's value. Subclasses implement
    `mask(shape, seed)`, a float (T, H, W, 1) of 0 and 1.
    """

    def __init__(self, fill=0.0, **options):
        fill = _check_range("fill", fill, -1.0, 1.0)
        if isinstance(fill, tuple):
            raise ValueError(f"fill={fill!r} is not valid; expected one number in [-1.0, 1.0]")
        super().__init__(**options, fill=fill)
        self.fill = fill

    def condition_shape(self, clip_shape):
        frames, height, width, channels = clip_shape
        return frames, height, width, None if channels is None else channels + 1

    def mask(self, shape, seed):
        raise NotImplementedError

    def degrade(self, clip, seed):
        mask = self.mask(tf.shape(clip), seed)
        masked = clip * (1.0 - mask) + self.fill * mask
        return tf.concat([masked, mask], axis=-1)


def _pixel_centres(height, width):
    """Rows and columns of pixel centres, (H, 1) and (1, W), in pixels."""
    rows = tf.cast(tf.range(height), tf.float32)[:, None] + 0.5
    columns = tf.cast(tf.range(width), tf.float32)[None, :] + 0.5
    return rows, columns


class BoxMask(Inpainting):
    """Inpainting input: random rectangles missing, at the same place in every frame of a clip.

    A hole that stays put (a logo, a scratch on the lens, a damaged region)
    is the hard case: no other frame of the clip sees behind it.

    Args:
        boxes: how many rectangles, an integer >= 1 or a (low, high) range
            drawn once per clip.
        size: each side of a rectangle as a fraction of the frame's side, in
            (0, 1], or a (low, high) range drawn for each side of each box.
        fill: the value of missing pixels, in [-1, 1].

    Example:
    >>> condition = BoxMask(boxes=2)(tf.ones([4, 16, 16, 1]), seed=0)
    >>> condition.shape  # the masked clip, then the mask channel
    TensorShape([4, 16, 16, 2])
    """

    name = "inpaint"

    def __init__(self, boxes=(1, 3), size=(0.1, 0.5), fill=0.0):
        boxes = _check_range("boxes", boxes, 1, integer=True)
        size = _check_range("size", size, 0.0, 1.0, above_minimum=True)
        super().__init__(boxes=boxes, size=size, fill=fill)
        self.boxes = boxes
        self.size = size

    def mask(self, shape, seed):
        count_seed, size_seed, position_seed = _split(seed, 3)
        most = _bounds(self.boxes)[1]
        height, width = tf.cast(shape[1], tf.float32), tf.cast(shape[2], tf.float32)
        sides = _draw(self.size, size_seed, [most, 2]) * tf.stack([height, width])
        sides = tf.maximum(sides, 1.0)  # a box always covers at least a pixel
        corners = tf.random.stateless_uniform([most, 2], position_seed) * (tf.stack([height, width]) - sides)
        active = tf.range(most, dtype=tf.int64) < _draw_int(self.boxes, count_seed)
        rows, columns = _pixel_centres(shape[1], shape[2])
        top, left = corners[:, 0, None, None], corners[:, 1, None, None]
        inside = ((rows >= top) & (rows < top + sides[:, 0, None, None])
                  & (columns >= left) & (columns < left + sides[:, 1, None, None]))
        hole = tf.reduce_any(inside & active[:, None, None], axis=0)
        return tf.broadcast_to(tf.cast(hole, tf.float32)[None, :, :, None], [shape[0], shape[1], shape[2], 1])


class ScribbleMask(Inpainting):
    """Inpainting input: thick random polylines missing, at the same place in every frame of a clip.

    Each stroke joins `vertices` points drawn uniformly over the frame, with
    a thickness drawn once per stroke. The mask is every pixel centre within
    half a thickness of a segment, measured for all segments at once: memory
    of strokes × (vertices - 1) × H × W floats per clip.

    Args:
        strokes: how many polylines, an integer >= 1 or a (low, high) range
            drawn once per clip.
        vertices: points per polyline, an integer >= 2.
        thickness: a stroke's width as a fraction of the frame's shorter
            side, in (0, 1], or a (low, high) range drawn for each stroke.
        fill: the value of missing pixels, in [-1, 1].

    Example:
    >>> ScribbleMask(strokes=2)(tf.ones([4, 16, 16, 3]), seed=0).shape
    TensorShape([4, 16, 16, 4])
    """

    name = "inpaint_scribbles"

    def __init__(self, strokes=(1, 3), vertices=4, thickness=(0.05, 0.15), fill=0.0):
        strokes = _check_range("strokes", strokes, 1, integer=True)
        vertices = check_int("vertices", vertices, minimum=2)
        thickness = _check_range("thickness", thickness, 0.0, 1.0, above_minimum=True)
        super().__init__(strokes=strokes, vertices=vertices, thickness=thickness, fill=fill)
        self.strokes = strokes
        self.vertices = vertices
        self.thickness = thickness

    def mask(self, shape, seed):
        count_seed, point_seed, thickness_seed = _split(seed, 3)
        most = _bounds(self.strokes)[1]
        height, width = tf.cast(shape[1], tf.float32), tf.cast(shape[2], tf.float32)
        points = tf.random.stateless_uniform([most, self.vertices, 2], point_seed) * tf.stack([height, width])
        # A stroke's width is at least a pixel, or a thin one could fall between pixel centres and vanish.
        half_widths = tf.maximum(_draw(self.thickness, thickness_seed, [most]) * tf.minimum(height, width), 1.0) / 2
        starts, ends = points[:, :-1], points[:, 1:]  # (strokes, segments, 2)
        rows, columns = _pixel_centres(shape[1], shape[2])
        pixel_rows, pixel_columns = rows[None, None], columns[None, None]  # (1, 1, H, W)
        start_rows, start_columns = starts[..., 0, None, None], starts[..., 1, None, None]
        step_rows, step_columns = (ends - starts)[..., 0, None, None], (ends - starts)[..., 1, None, None]
        # The nearest point of each segment to each pixel centre, then that distance.
        along = ((pixel_rows - start_rows) * step_rows + (pixel_columns - start_columns) * step_columns) / \
            tf.maximum(step_rows ** 2 + step_columns ** 2, 1e-6)
        along = tf.clip_by_value(along, 0.0, 1.0)
        distances = tf.sqrt((pixel_rows - start_rows - along * step_rows) ** 2
                            + (pixel_columns - start_columns - along * step_columns) ** 2)
        on_stroke = tf.reduce_any(distances <= half_widths[:, None, None, None], axis=1)  # (strokes, H, W)
        active = tf.range(most, dtype=tf.int64) < _draw_int(self.strokes, count_seed)
        hole = tf.reduce_any(on_stroke & active[:, None, None], axis=0)
        return tf.broadcast_to(tf.cast(hole, tf.float32)[None, :, :, None], [shape[0], shape[1], shape[2], 1])


class DroppedFrames(Inpainting):
    """Inpainting input in time: whole frames missing (every pixel set to `fill`, the mask 1 on them).

    Args:
        count: how many frames of a clip are dropped, an integer >= 1 or a
            (low, high) range drawn once per clip; fewer than the clip's
            frames, so one frame at least is kept. Which frames is drawn per
            clip too.
        fill: the value of missing pixels, in [-1, 1].

    Example:
    >>> condition = DroppedFrames(count=2)(tf.ones([4, 8, 8, 1]), seed=0)
    >>> sorted(condition[..., -1].numpy().max(axis=(1, 2)).tolist())  # the mask, frame by frame
    [0.0, 0.0, 1.0, 1.0]
    """

    name = "inpaint_dropped_frames"

    def __init__(self, count=1, fill=0.0):
        count = _check_range("count", count, 1, integer=True)
        super().__init__(count=count, fill=fill)
        self.count = count

    def check_clip_shape(self, shape):
        super().check_clip_shape(shape)
        frames = shape[0]
        if frames is not None and _bounds(self.count)[1] >= frames:
            raise ValueError(f"count={self.count!r} is not valid for clips of {frames} frames; expected at most "
                             f"{frames - 1} dropped frames, so that one is kept")

    def mask(self, shape, seed):
        count_seed, order_seed = _split(seed, 2)
        frames = shape[0]
        count = tf.minimum(_draw_int(self.count, count_seed), tf.cast(frames, tf.int64) - 1)
        # A random permutation's first `count` frames are the dropped ones.
        ranks = tf.argsort(tf.argsort(tf.random.stateless_uniform([frames], order_seed)))
        dropped = tf.cast(tf.cast(ranks, tf.int64) < count, tf.float32)
        return tf.broadcast_to(dropped[:, None, None, None], [shape[0], shape[1], shape[2], 1])


DEGRADATIONS = {
    "sr": Downsample,
    "denoise": GaussianNoise,
    "denoise_poisson": PoissonNoise,
    "deblock": H264Compression,
    "inpaint": BoxMask,
    "inpaint_scribbles": ScribbleMask,
    "inpaint_dropped_frames": DroppedFrames,
}


def make_degradation(name, **options):
    """The degradation registered as `name` in `DEGRADATIONS`, with its options.

    A ValueError names an unknown degradation, an option it does not take, or
    an option's bad value, and says what was expected.

    Example:
    >>> make_degradation("sr", scale=2, blur_sigma=(0.5, 1.5))
    Downsample(scale=2, blur_sigma=(0.5, 1.5))
    >>> make_degradation("deblock", crf=60)
    Traceback (most recent call last):
    ...
    ValueError: crf=60 is not valid; expected an integer in [0, 51], or a (low, high) pair of them ...
    """
    check_choice("degradation", name, DEGRADATIONS)
    kind = DEGRADATIONS[name]
    accepted = list(inspect.signature(kind).parameters)
    unknown = [option for option in options if option not in accepted]
    if unknown:
        raise ValueError(f"{unknown[0]}={options[unknown[0]]!r} is not an option of degradation {name!r}; "
                         f"expected options among {accepted}")
    return kind(**options)


def as_degradation(degradation):
    """A `Degradation` as it is, or a name of `DEGRADATIONS` made with its default options."""
    if isinstance(degradation, Degradation):
        return degradation
    if isinstance(degradation, str):
        return make_degradation(degradation)
    raise ValueError(f"degradation={degradation!r} is not valid; expected a Degradation or one of "
                     f"{list(DEGRADATIONS)}")


def degraded_pairs(clips, degradation, seed=0):
    """An unbatched clip dataset → `(degraded, clean)` pairs, the `(condition, target)` of `TranslationGAN`.

    Args:
        clips: a `tf.data.Dataset` of float32 clips (T, H, W, C) in [-1, 1]
            (elements `(clip, label)` keep the clip only). Batch the pairs
            afterwards.
        degradation: a `Degradation`, or a name of `DEGRADATIONS` for its
            default options.
        seed: a non-negative integer. Clip i (its place in `clips`) is
            degraded from (seed, i) alone: the same on every run, whatever
            the order or parallelism of reading. Shuffle the pairs, not the
            clips before, or a clip's place, and so its degradation, changes
            with the shuffle. Degrading before `.repeat()` gives every epoch
            the same pairs; degrading after it gives each epoch new draws
            (the indices keep counting).

    Example:
    >>> clips = tf.data.Dataset.from_tensor_slices(tf.zeros([3, 4, 16, 16, 1]))
    >>> pairs = degraded_pairs(clips, Downsample(scale=4), seed=0)
    >>> [tuple(part.shape) for part in next(iter(pairs))]
    [(4, 4, 4, 1), (4, 16, 16, 1)]
    >>> batches = pairs.batch(2)  # for TranslationGAN.fit
    """
    degradation = as_degradation(degradation)
    seed = check_int("seed", seed, minimum=0)
    spec = clips.element_spec
    labelled = isinstance(spec, tuple)
    spec = spec[0] if labelled else spec
    if not isinstance(spec, tf.TensorSpec):
        raise ValueError(f"clips of {spec} are not valid; expected a dataset of clips (T, H, W, C) "
                         f"or (clip, label) pairs")
    degradation.check_clip_shape(spec.shape)

    def pair(index, element):
        clip = tf.cast(element[0] if labelled else element, tf.float32)
        return degradation.degrade(clip, clip_seed(seed, index)), clip

    return clips.enumerate().map(pair, num_parallel_calls=tf.data.AUTOTUNE)
