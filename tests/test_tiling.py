"""Tiled enhancement reassembles videos exactly: identity, ×2 nearest upsampling, a constant shift; grid and errors."""

import math

import numpy as np
import pytest

from keras_vgan.tiling import blend_weights, enhance_frames, enhance_video, tile_counts, tile_starts

# Sizes that are no multiple of the tile or the stride, with overlap along every axis.
VIDEO_SHAPE = (9, 21, 26, 3)
TILE_SIZE = (4, 8, 10)
OVERLAP = (1, 3, 4)


def random_video(shape=VIDEO_SHAPE, high=256, seed=0):
    return np.random.default_rng(seed).integers(0, high, shape, dtype=np.uint8)


def identity(clips):
    return clips


def nearest_upsample(clips):
    return clips.repeat(2, axis=2).repeat(2, axis=3)


def expected_count(length, tile, overlap):
    return 1 + math.ceil((length - tile) / (tile - overlap))


def test_identity_reassembles_the_video_exactly():
    video = random_video()
    np.testing.assert_array_equal(enhance_video(identity, video, TILE_SIZE, OVERLAP, batch_size=5), video)


def test_a_lazy_iterator_gives_the_same_frames():
    video = random_video()
    streamed = np.stack(list(enhance_frames(identity, (frame for frame in video), TILE_SIZE, OVERLAP)))
    np.testing.assert_array_equal(streamed, video)


def test_float_frames_in_model_range_come_back_as_their_uint8():
    video = random_video()
    as_float = video.astype(np.float32) / 127.5 - 1.0
    np.testing.assert_array_equal(enhance_video(identity, as_float, TILE_SIZE, OVERLAP), video)


def test_nearest_upsampling_reassembles_the_upsampled_video():
    video = random_video()
    upsampled = enhance_video(nearest_upsample, video, TILE_SIZE, OVERLAP, scale=2, batch_size=3)
    np.testing.assert_array_equal(upsampled, video.repeat(2, axis=1).repeat(2, axis=2))


def test_a_constant_shift_is_a_constant_shift_everywhere():
    # 40 / 127.5 in [-1, 1] is exactly 40 levels in uint8; pixels stay below 216 so nothing clips.
    video = random_video(high=216)
    shifted = enhance_video(lambda clips: clips + 40 / 127.5, video, TILE_SIZE, OVERLAP)
    np.testing.assert_array_equal(shifted.astype(int), video.astype(int) + 40)


def test_tiles_of_different_constants_blend_into_their_weighted_mean():
    # Each tile answers with its own constant: samples inside one tile only keep it,
    # samples in the overlap get the ramps' weighted mean of the two.
    rng = np.random.default_rng(1)
    constants = []

    def constant_per_tile(clips):
        values = rng.uniform(-0.8, 0.8, len(clips)).astype(np.float32)
        constants.extend(values)
        return np.broadcast_to(values[:, None, None, None, None], clips.shape).copy()

    video = np.zeros((4, 8, 18, 1), np.uint8)
    output = enhance_video(constant_per_tile, video, (4, 8, 10), (0, 0, 2)).astype(int)
    left, right = constants
    as_levels = lambda value: (value + 1) * 127.5  # noqa: E731
    assert (output[:, :, :8] == np.round(as_levels(left))).all()
    assert (output[:, :, 10:] == np.round(as_levels(right))).all()
    # The two ramps weigh 2/3 and 1/3 across the 2-column overlap: each column leans toward its nearer tile.
    expected = as_levels(np.array([(2 * left + right) / 3, (left + 2 * right) / 3]))
    np.testing.assert_allclose(output[:, :, 8:10, 0], np.broadcast_to(expected, (4, 8, 2)), rtol=0, atol=0.5001)


def test_neighbouring_ramps_sum_to_one_across_a_regular_overlap():
    tile, overlap = 10, 4
    starts = tile_starts(34, tile, overlap)
    assert starts == [0, 6, 12, 18, 24]  # 34 = 24 + 10: no end-aligned extra tile
    summed = np.zeros(34)
    for start in starts:
        summed[start:start + tile] += blend_weights(tile, overlap)
    np.testing.assert_allclose(summed[overlap:-overlap], 1.0, rtol=0, atol=1e-12)
    assert (blend_weights(tile, overlap) > 0).all()


def test_tile_starts_end_aligned_and_counted_by_the_formula():
    for length, tile, overlap in [(10, 4, 1), (11, 4, 1), (4, 4, 0), (5, 4, 3), (26, 10, 4), (720, 128, 16)]:
        starts = tile_starts(length, tile, overlap)
        assert len(starts) == expected_count(length, tile, overlap), (length, tile, overlap)
        assert starts[0] == 0 and starts[-1] == length - tile
        assert all(0 < later - earlier <= tile - overlap for earlier, later in zip(starts, starts[1:]))
    assert tile_counts(VIDEO_SHAPE, TILE_SIZE, OVERLAP) == tuple(
        expected_count(*arguments) for arguments in zip(VIDEO_SHAPE, TILE_SIZE, OVERLAP))


def test_the_model_sees_every_tile_once_and_progress_ends_at_the_total():
    video = random_video()
    seen, calls = [], []

    def counting(clips):
        seen.append(clips.shape)
        return clips

    enhance_video(counting, video, TILE_SIZE, OVERLAP, batch_size=5, progress=lambda *call: calls.append(call))
    total = math.prod(tile_counts(VIDEO_SHAPE, TILE_SIZE, OVERLAP))
    assert sum(shape[0] for shape in seen) == total
    assert all(shape[0] <= 5 and shape[1:] == TILE_SIZE + (3,) for shape in seen)
    assert calls[-1] == (total, total)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert {total_seen for _, total_seen in calls} == {total}


def test_progress_without_a_known_length_ends_with_done_as_the_total():
    calls = []
    list(enhance_frames(identity, iter(random_video()), TILE_SIZE, OVERLAP, progress=lambda *call: calls.append(call)))
    total = math.prod(tile_counts(VIDEO_SHAPE, TILE_SIZE, OVERLAP))
    assert calls[-1] == (total, total)
    assert all(total_seen is None for _, total_seen in calls[:-1])


def test_frames_come_out_before_the_whole_video_is_read():
    video = random_video((30, 8, 10, 1))
    read = []

    def reader():
        for index, frame in enumerate(video):
            read.append(index)
            yield frame

    output = enhance_frames(identity, reader(), (4, 8, 10), (2, 0, 0))
    np.testing.assert_array_equal(next(output), video[0])
    assert len(read) <= 4 + 2  # one window, plus what the next one needed


@pytest.mark.parametrize("arguments, message", [
    (dict(overlap=(4, 3, 4)), r"overlap frames=4 .* tile_size frames=4"),
    (dict(overlap=(1, 3, 10)), r"overlap width=10 .* tile_size width=10"),
    (dict(overlap=(1, -1, 4)), r"overlap height=-1"),
    (dict(scale=0), r"scale=0"),
    (dict(scale=1.5), r"scale=1\.5"),
    (dict(scale=True), r"scale=True"),
    (dict(batch_size=0), r"batch_size=0"),
    (dict(tile_size=(4, 8)), r"tile_size=\(4, 8\)"),
    (dict(tile_size=(4, 22, 10)), r"tile_size height=22 is larger than the video's height=21"),
    (dict(tile_size=(4, 8, 27)), r"tile_size width=27 is larger than the video's width=26"),
    (dict(tile_size=(10, 8, 10)), r"tile_size frames=10 is larger than the video's frames=9"),
])
def test_bad_arguments_name_the_values(arguments, message):
    options = {"tile_size": TILE_SIZE, "overlap": OVERLAP, **arguments}
    with pytest.raises(ValueError, match=message):
        enhance_video(identity, random_video(), **options)


def test_a_short_iterator_is_refused_once_its_end_is_known():
    with pytest.raises(ValueError, match=r"tile_size frames=4 is larger than the video's frames=3"):
        list(enhance_frames(identity, iter(random_video((3, 8, 10, 1))), TILE_SIZE, (0, 0, 0)))


@pytest.mark.parametrize("frames, message", [
    (np.zeros((9, 21, 26), np.uint8), r"shape \(T, H, W, C\), got shape \(9, 21, 26\)"),
    (np.zeros(VIDEO_SHAPE, np.int32), r"dtype int32"),
    (np.full(VIDEO_SHAPE, 2.0, np.float32), r"\[-1, 1\], got values in \[2, 2\]"),
    ([np.zeros((21, 26, 3), np.uint8)] * 4 + [np.zeros((21, 26, 1), np.uint8)], r"frame 4 has shape \(21, 26, 1\)"),
])
def test_bad_frames_name_the_problem(frames, message):
    with pytest.raises(ValueError, match=message):
        enhance_video(identity, frames, TILE_SIZE, (0, 0, 0))


def test_a_model_of_the_wrong_scale_is_named():
    expected = r"model_fn returned shape \(5, 4, 8, 10, 3\).*\(5, 4, 16, 20, C_out\) at scale=2"
    with pytest.raises(ValueError, match=expected):
        enhance_video(identity, random_video(), TILE_SIZE, OVERLAP, scale=2, batch_size=5)


def test_a_keras_model_returning_tensors_is_a_model_fn():
    import keras

    inputs = keras.Input((None, None, None, 3))
    # A 1×1×1 convolution with identity weights: the tiling path of a real model, answering with tensors.
    pointwise = keras.layers.Conv3D(3, 1, kernel_initializer=lambda shape, dtype=None: np.eye(3).reshape(shape),
                                    bias_initializer="zeros")
    model = keras.Model(inputs, pointwise(inputs))
    video = random_video()
    np.testing.assert_array_equal(enhance_video(model, video, TILE_SIZE, OVERLAP, batch_size=16), video)
