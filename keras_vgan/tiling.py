"""Run a fully convolutional clip model over a whole video, of any length and frame size, tile by tile.

A restoration model (denoising, deblocking, super-resolution) maps clips
(N, t, h, w, C) float32 in [-1, 1] to (N, t, h·s, w·s, C_out), s its integer
`scale`. A real video is far too big for one call, so `enhance_frames` cuts it
into overlapping temporal windows of `t` frames and, within each window,
overlapping spatial tiles of h × w; runs the model on batches of tiles; and
blends the outputs back into whole frames, yielded in order as uint8.

The grid. Along each axis tiles start every `tile - overlap` samples, and the
last one is moved back to end exactly at the video's end, so every tile is
full size (the model sees one input shape) and the last overlap may be larger
than asked. A video smaller than one tile along an axis is refused with a
ValueError rather than shrinking the tile: a model built for, or only valid
at, its tile size (a U-Net needs sizes divisible by its downsampling) would
otherwise fail or degrade silently. `tile_starts` and `tile_counts` give the
grid.

The blend. Every output sample is the weighted mean of the tiles covering it.
A tile's weight is separable, the product of one ramp per axis
(`blend_weights`): linear over the first and last `overlap` samples (times
`scale` in H and W), 1 between, and positive everywhere, so the video's own
borders, which one tile alone covers, keep their values. Two neighbours' ramps
over a regular overlap sum to exactly 1; dividing by the summed weights makes
the blend a partition of unity everywhere else too (the end-aligned tile, the
video's borders), so a model that is the same on every tile gives the same
output as one call on the whole video would: no seams.

Memory, for frames H × W × C in and H·s × W·s × C_out out, window length t and
temporal stride t - overlap_t (input frames may be an iterator, so the video
itself is never held whole):
- input: at most t + stride frames of the input's dtype, plus the current
  window as float32 (t · H · W · C · 4 bytes);
- output: the frames still being blended, at most t + stride frames of
  float32 (H·s · W·s · C_out · 4 bytes each), plus one batch of model output.
For a 720p RGB video, t = 8, stride 6, s = 1 that is about 40 MB of input and
160 MB of output accumulators; at s = 4 the output side is 16 times that
(2.5 GB): use a shorter window or fewer overlapping frames. `enhance_video`
also keeps every output frame (T · H·s · W·s · C_out bytes as uint8), for
callers that want one array; stream long videos with `enhance_frames`.

Example:
>>> video = np.random.default_rng(0).integers(0, 256, (7, 20, 30, 3), dtype=np.uint8)
>>> restored = enhance_video(lambda clips: clips, video, tile_size=(4, 16, 16), overlap=(1, 4, 4))
>>> restored.shape, bool(np.array_equal(restored, video))
((7, 20, 30, 3), True)
"""

import collections

import numpy as np

from keras_vgan.pixels import RANGE_TOLERANCE, check_pixel_values  # noqa: F401 (RANGE_TOLERANCE: was here)
from keras_vgan.validation import check_int, check_positive_int

AXIS_NAMES = ("frames", "height", "width")


# --------------------------------------------------------------------------- #
# The grid and the blend weights
# --------------------------------------------------------------------------- #

def tile_starts(length, tile, overlap):
    """Where tiles of `tile` samples start along an axis of `length`: every `tile - overlap`, the last end-aligned.

    The count is `1 + ceil((length - tile) / (tile - overlap))`.

    Example:
    >>> tile_starts(10, 4, 1)  # stride 3; the last tile is moved back to end at 10
    [0, 3, 6]
    >>> tile_starts(11, 4, 1)
    [0, 3, 6, 7]
    """
    length, tile = check_positive_int("length", length), check_positive_int("tile", tile)
    overlap = check_int("overlap", overlap, minimum=0)
    if overlap >= tile:
        raise ValueError(f"overlap={overlap} is not valid for tile={tile}; expected an overlap smaller than the tile")
    if tile > length:
        raise ValueError(f"tile={tile} is larger than the axis length={length}")
    stride = tile - overlap
    starts = list(range(0, length - tile + 1, stride))
    if starts[-1] != length - tile:
        starts.append(length - tile)
    return starts


def blend_weights(length, overlap):
    """A tile's blend weight along one axis: (length,) float64, ramping linearly over `overlap` samples at each end.

    The k-th sample from either end weighs (k + 1) / (overlap + 1), samples
    further in weigh 1; so a tile's falling ramp and its neighbour's rising
    ramp, `overlap` samples apart, sum to exactly 1, and no weight is 0.

    Example:
    >>> blend_weights(6, 2).tolist()
    [0.3333333333333333, 0.6666666666666666, 1.0, 1.0, 0.6666666666666666, 0.3333333333333333]
    >>> blend_weights(3, 0).tolist()
    [1.0, 1.0, 1.0]
    """
    length = check_positive_int("length", length)
    overlap = check_int("overlap", overlap, minimum=0)
    positions = np.arange(length, dtype=np.float64)
    rising = (positions + 1.0) / (overlap + 1.0)
    falling = (length - positions) / (overlap + 1.0)
    return np.minimum(1.0, np.minimum(rising, falling))


def tile_counts(video_shape, tile_size, overlap):
    """(temporal windows, tile rows, tile columns) for a video of shape (T, H, W, ...): the model sees their product.

    Example:
    >>> tile_counts((300, 720, 1280, 3), tile_size=(8, 128, 128), overlap=(2, 16, 16))
    (50, 7, 12)
    """
    if len(video_shape) < 3:
        raise ValueError(f"video_shape={tuple(video_shape)} is not valid; expected (T, H, W, ...)")
    tile_size, overlap = _check_tiling(tile_size, overlap)
    _check_fits(tuple(video_shape[:3]), tile_size)
    return tuple(len(tile_starts(length, tile, step_overlap))
                 for length, tile, step_overlap in zip(video_shape[:3], tile_size, overlap))


def _check_tiling(tile_size, overlap):
    """(tile_size, overlap) as tuples of 3 ints, or a ValueError naming the values."""
    try:
        tile_size = tuple(tile_size)
    except TypeError:
        tile_size = (tile_size,)
    if len(tile_size) != 3:
        raise ValueError(f"tile_size={tile_size!r} is not valid; expected 3 positive integers (frames, height, width)")
    tile_size = tuple(check_positive_int(f"tile_size {axis}", size) for axis, size in zip(AXIS_NAMES, tile_size))
    if overlap is None:
        # A quarter of the tile: enough ramp to hide seams, while three quarters of each tile is new output.
        overlap = tuple(size // 4 for size in tile_size)
    try:
        overlap = tuple(overlap)
    except TypeError:
        overlap = (overlap,)
    if len(overlap) != 3:
        raise ValueError(f"overlap={overlap!r} is not valid; expected 3 non-negative integers (frames, height, width)")
    overlap = tuple(check_int(f"overlap {axis}", value, minimum=0) for axis, value in zip(AXIS_NAMES, overlap))
    for axis, size, value in zip(AXIS_NAMES, tile_size, overlap):
        if value >= size:
            raise ValueError(f"overlap {axis}={value} is not valid for tile_size {axis}={size}; "
                             "expected an overlap smaller than the tile")
    return tile_size, overlap


def _check_fits(video_size, tile_size):
    for axis, length, tile in zip(AXIS_NAMES, video_size, tile_size):
        if tile > length:
            raise ValueError(f"tile_size {axis}={tile} is larger than the video's {axis}={length} "
                             f"(video {video_size[0]}×{video_size[1]}×{video_size[2]}, "
                             f"tile {tile_size[0]}×{tile_size[1]}×{tile_size[2]}); "
                             "use a tile no larger than the video")


def _normalized_spatial_weights(length, tile, overlap, scale):
    """Per tile along one spatial axis, its output-space ramp divided by the summed ramps of all tiles: float32."""
    starts = tile_starts(length, tile, overlap)
    ramp = blend_weights(tile * scale, overlap * scale)
    summed = np.zeros(length * scale)
    for start in starts:
        summed[start * scale:(start + tile) * scale] += ramp
    return starts, [(ramp / summed[start * scale:(start + tile) * scale]).astype(np.float32) for start in starts]


# --------------------------------------------------------------------------- #
# Reading frames, window by window
# --------------------------------------------------------------------------- #

def _check_frame(index, frame, first_shape):
    frame = np.asarray(frame)
    if frame.ndim != 3:
        raise ValueError(f"frame {index}: expected a frame of shape (H, W, C), got shape {frame.shape}")
    if first_shape is not None and frame.shape != first_shape:
        raise ValueError(f"frame {index} has shape {frame.shape}, frame 0 has {first_shape}; "
                         "every frame must have the same shape")
    if frame.dtype != np.uint8 and not np.issubdtype(frame.dtype, np.floating):
        raise ValueError(f"frame {index}: frames must be uint8 in [0, 255] or float in [-1, 1], "
                         f"got dtype {frame.dtype}")
    return frame


def _to_model_range(frames):
    """Frames (uint8 [0, 255] or float [-1, 1]) → float32 in [-1, 1], as `keras_vgan.pixels.to_unit_range`."""
    if frames.dtype == np.uint8:
        return frames.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
    frames = frames.astype(np.float32)
    check_pixel_values("frames", frames)
    return frames


def _to_uint8(frame):
    # NumPy's round, like tf.round, rounds halves to even: the same bytes as `keras_vgan.pixels.to_uint8`.
    return np.clip(np.round((frame + 1.0) * 127.5), 0.0, 255.0).astype(np.uint8)


def _temporal_windows(frames, window, stride, on_first_frame):
    """Yields (start, float32 frames of the window) for every window in order, reading `frames` lazily.

    Keeps only the frames a later window may still need: every later window,
    the end-aligned last one included, starts after the latest start, so the
    frames up to it can go.
    """
    buffered = collections.deque()
    buffer_start = 0
    next_start = 0
    last_start = None
    frame_shape = None
    count = 0
    for count, frame in enumerate(frames, start=1):
        frame = _check_frame(count - 1, frame, frame_shape)
        if frame_shape is None:
            frame_shape = frame.shape
            on_first_frame(frame_shape)
        buffered.append(frame)
        while next_start + window <= count:
            offset = next_start - buffer_start
            yield next_start, _to_model_range(np.stack([buffered[offset + index] for index in range(window)]))
            last_start, next_start = next_start, next_start + stride
            while buffer_start <= last_start:
                buffered.popleft()
                buffer_start += 1
    if count < window:
        size = "frames of " + "×".join(map(str, frame_shape[:2])) if frame_shape else "no frames"
        raise ValueError(f"tile_size frames={window} is larger than the video's frames={count} ({size}); "
                         "use a window no longer than the video")
    if last_start != count - window:
        offset = count - window - buffer_start
        yield count - window, _to_model_range(np.stack([buffered[offset + index] for index in range(window)]))


# --------------------------------------------------------------------------- #
# Enhancing
# --------------------------------------------------------------------------- #

def _known_length(frames, num_frames):
    if num_frames is not None:
        return check_positive_int("num_frames", num_frames)
    if isinstance(frames, np.ndarray):
        return frames.shape[0] if frames.ndim >= 1 else None
    try:
        return len(frames)
    except TypeError:
        return None


def enhance_frames(model_fn, frames, tile_size, overlap=None, scale=1, batch_size=8, progress=None,
                   num_frames=None):
    """Run `model_fn` over a whole video tile by tile and yield its output frames, blended without seams, in order.

    Args:
        model_fn: clips (n, t, h, w, C) float32 in [-1, 1] → (n, t, h·scale,
            w·scale, C_out) in [-1, 1], a NumPy array or a tensor (a Keras
            model, `model.predict_on_batch`, any function); n ≤ `batch_size`
            (the last batch of each window may be smaller).
        frames: the video: an array (T, H, W, C), or any iterable of (H, W, C)
            frames (a decoder's generator, so a long video is never held
            whole); uint8 in [0, 255] or float in [-1, 1].
        tile_size: (t, h, w), the clip shape the model sees; each must be at
            most the video's T, H, W (a ValueError names both otherwise).
        overlap: (frames, height, width) shared by neighbouring tiles, each
            smaller than its tile; None means a quarter of each tile size.
        scale: the model's integer spatial upscaling (1 for denoising).
        batch_size: tiles per model call.
        progress: if given, called as `progress(tiles_done, tiles_total)` after
            every model call and last as `(total, total)`. `tiles_total` comes
            from the number of frames (`num_frames`, or `len(frames)`) and is
            None when neither is known, until the last call.
        num_frames: the number of frames, for `progress`'s total when `frames`
            is an iterator without a length.

    Yields:
        Output frames (H·scale, W·scale, C_out) uint8, frame 0 first; a frame
        is yielded as soon as no later window covers it (about one window
        behind the reading). See the module docstring for the memory used.

    Example:
    >>> video = np.zeros((5, 12, 12, 1), np.uint8)
    >>> upsample = lambda clips: clips.repeat(2, axis=2).repeat(2, axis=3)
    >>> [frame.shape for frame in enhance_frames(upsample, iter(video), (2, 8, 8), (1, 2, 2), scale=2)][:2]
    [(24, 24, 1), (24, 24, 1)]
    """
    tile_size, overlap = _check_tiling(tile_size, overlap)
    scale = check_positive_int("scale", scale)
    batch_size = check_positive_int("batch_size", batch_size)
    if not callable(model_fn):
        raise ValueError(f"model_fn={model_fn!r} is not valid; expected a callable mapping clips to clips")
    if progress is not None and not callable(progress):
        raise ValueError(f"progress={progress!r} is not valid; expected a callable progress(done, total) or None")
    if isinstance(frames, np.ndarray) and frames.ndim != 4:
        raise ValueError(f"frames: expected a video of shape (T, H, W, C), got shape {frames.shape}")
    return _enhance(model_fn, frames, tile_size, overlap, scale, batch_size, progress,
                    _known_length(frames, num_frames))


def _enhance(model_fn, frames, tile_size, overlap, scale, batch_size, progress, known_length):
    window, tile_height, tile_width = tile_size
    stride = window - overlap[0]
    temporal_ramp = blend_weights(window, overlap[0]).astype(np.float32)
    grid = {}

    def plan_grid(frame_shape):
        height, width = frame_shape[:2]
        _check_fits((known_length or window, height, width), tile_size)
        rows, row_weights = _normalized_spatial_weights(height, tile_height, overlap[1], scale)
        columns, column_weights = _normalized_spatial_weights(width, tile_width, overlap[2], scale)
        grid["output_size"] = (height * scale, width * scale)
        grid["tiles"] = [(row, column, row_weight[:, None, None] * column_weight[None, :, None])
                         for row, row_weight in zip(rows, row_weights)
                         for column, column_weight in zip(columns, column_weights)]
        grid["total"] = (len(tile_starts(known_length, window, overlap[0])) * len(grid["tiles"])
                         if known_length else None)

    # Per pending output frame: the temporally weighted sum (spatial weights are already normalized) and its weight.
    pending_sums, pending_weights = {}, {}
    next_to_yield = 0
    done = 0
    for start, clip in _temporal_windows(frames, window, stride, plan_grid):
        for frame_index in range(start, start + window):
            if frame_index not in pending_sums:
                pending_sums[frame_index] = None
                pending_weights[frame_index] = 0.0
        for offset, weight in enumerate(temporal_ramp):
            pending_weights[start + offset] += float(weight)
        tiles = grid["tiles"]
        for batch_start in range(0, len(tiles), batch_size):
            batch = tiles[batch_start:batch_start + batch_size]
            inputs = np.stack([clip[:, row:row + tile_height, column:column + tile_width]
                               for row, column, _ in batch])
            outputs = _check_output(model_fn(inputs), inputs.shape, scale)
            for (row, column, spatial_weight), output in zip(batch, outputs):
                rows = slice(row * scale, (row + tile_height) * scale)
                columns = slice(column * scale, (column + tile_width) * scale)
                weighted = output * spatial_weight
                for offset in range(window):
                    frame_index = start + offset
                    if pending_sums[frame_index] is None:
                        pending_sums[frame_index] = np.zeros(grid["output_size"] + output.shape[-1:], np.float32)
                    pending_sums[frame_index][rows, columns] += temporal_ramp[offset] * weighted[offset]
            done += len(batch)
            if progress is not None:
                progress(done, grid["total"])
        # Every later window starts after `start`, so frames up to it are complete.
        while next_to_yield <= start:
            yield _finish(pending_sums, pending_weights, next_to_yield)
            next_to_yield += 1
    while next_to_yield in pending_sums:
        yield _finish(pending_sums, pending_weights, next_to_yield)
        next_to_yield += 1
    if progress is not None and grid.get("total") != done:
        progress(done, done)


def _finish(pending_sums, pending_weights, frame_index):
    summed, weight = pending_sums.pop(frame_index), pending_weights.pop(frame_index)
    return _to_uint8(summed / np.float32(weight))


def _check_output(outputs, input_shape, scale):
    outputs = np.asarray(outputs, dtype=np.float32)
    count, window, height, width, _ = input_shape
    expected = (count, window, height * scale, width * scale)
    if outputs.ndim != 5 or outputs.shape[:4] != expected:
        raise ValueError(f"model_fn returned shape {outputs.shape} for tiles of shape {tuple(input_shape)}; "
                         f"expected ({', '.join(map(str, expected))}, C_out) at scale={scale}")
    return outputs


def enhance_video(model_fn, frames, tile_size, overlap=None, scale=1, batch_size=8, progress=None,
                  num_frames=None):
    """`enhance_frames` collected into one uint8 array (T, H·scale, W·scale, C_out).

    Holds every output frame; for long videos iterate `enhance_frames` and
    write each frame as it comes. Arguments as for `enhance_frames`.

    Example:
    >>> video = np.full((3, 10, 10, 1), 100, np.uint8)
    >>> brighter = enhance_video(lambda clips: clips + 20 / 127.5, video, tile_size=(2, 8, 8), overlap=(1, 2, 2))
    >>> sorted(np.unique(brighter).tolist())
    [120]
    """
    output_frames = enhance_frames(model_fn, frames, tile_size, overlap, scale, batch_size, progress, num_frames)
    length = _known_length(frames, num_frames)
    first = next(output_frames)  # an empty video has raised its ValueError here
    if not length:
        return np.stack([first, *output_frames])
    # Filled in place when the length is known, so the output is not held twice (a list and its stack).
    video = np.empty((length,) + first.shape, np.uint8)
    video[0] = first
    count = 1
    extra = []  # only when `num_frames` undercounted the frames
    for frame in output_frames:
        if count < length:
            video[count] = frame
        else:
            extra.append(frame)
        count += 1
    return np.concatenate([video, np.stack(extra)]) if extra else video[:count]
