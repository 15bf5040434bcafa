"""Degradations turn clean clips into (degraded, clean) pairs: deterministic per (seed, clip), drawn once per clip.

Clips are tiny (a few frames of 16×16) so the whole file, H.264 included,
runs in seconds; statistics use a few larger clips where the sample size
decides the tolerance.
"""

import re
import tempfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.datasets.degradations import (
    DEGRADATIONS,
    BoxMask,
    DroppedFrames,
    Downsample,
    GaussianNoise,
    H264Compression,
    PoissonNoise,
    ScribbleMask,
    degraded_pairs,
    h264_round_trip,
    make_degradation,
)
from keras_vgan.loss_terms import reconstruction_terms
from keras_vgan.models.translation import TranslationGAN
from keras_vgan.pixels import to_unit_range

LEVEL = 1.0 / 127.5  # one step of uint8 in [-1, 1]

# One of each, with ranges where the degradation has them, so another seed draws another degradation.
RANDOM_DEGRADATIONS = [
    Downsample(scale=2, blur_sigma=(0.5, 2.0)),
    GaussianNoise(sigma=(5, 50)),
    PoissonNoise(peak=(5, 50)),
    H264Compression(crf=(20, 51), preset="ultrafast"),
    BoxMask(boxes=(1, 3)),
    ScribbleMask(strokes=(1, 3)),
    DroppedFrames(count=(1, 3)),
]


def _textured(num_clips=3, frames=4, height=16, width=16, channels=1, seed=0):
    """Clips of random uint8 levels (exact through uint8 storage), as float32 in [-1, 1]."""
    levels = np.random.default_rng(seed).integers(0, 256, (num_clips, frames, height, width, channels), np.uint8)
    return to_unit_range(levels).numpy()


def _dataset(clips):
    return tf.data.Dataset.from_tensor_slices(clips)


def _read(pairs):
    return [(degraded.numpy(), clean.numpy()) for degraded, clean in pairs]


def _degraded(clips, degradation, seed=0):
    return np.stack([degraded for degraded, _ in _read(degraded_pairs(_dataset(clips), degradation, seed=seed))])


@pytest.mark.parametrize("degradation", RANDOM_DEGRADATIONS, ids=lambda degradation: degradation.name)
def test_each_degradation_is_the_same_for_a_seed_and_another_for_another(degradation):
    clips = _textured(num_clips=2, channels=3)
    first, again = _degraded(clips, degradation, seed=0), _degraded(clips, degradation, seed=0)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, _degraded(clips, degradation, seed=1))
    pairs = _read(degraded_pairs(_dataset(clips), degradation, seed=0))
    for index, (degraded, clean) in enumerate(pairs):
        np.testing.assert_array_equal(clean, clips[index])  # the target is the clean clip itself
        # (seed, index) alone decides: the clip degraded on its own, and read after skipping others.
        np.testing.assert_allclose(degradation(clips[index], seed=0, index=index).numpy(), degraded, atol=1e-6)
    skipped, _ = next(iter(degraded_pairs(_dataset(clips), degradation, seed=0).skip(1)))
    np.testing.assert_array_equal(skipped.numpy(), pairs[1][0])
    assert tuple(pairs[0][0].shape) == degradation.condition_shape(clips.shape[1:])


@pytest.mark.parametrize("name", DEGRADATIONS)
def test_the_registry_rebuilds_each_degradation_from_its_name_and_config(name):
    degradation = make_degradation(name)
    assert degradation.name == name and make_degradation(name, **degradation.get_config()) == degradation


def test_labelled_clips_keep_the_clip_and_names_take_default_options():
    labelled = tf.data.Dataset.from_tensor_slices((_textured(), np.arange(3)))
    degraded, clean = next(iter(degraded_pairs(labelled, "denoise")))
    assert degraded.shape == clean.shape == (4, 16, 16, 1)


def test_downsampling_by_4_keeps_a_constant_clip_constant_at_a_quarter_of_the_size():
    clips = np.full((2, 4, 16, 24, 3), 0.3, np.float32)
    for degradation in (Downsample(scale=4), Downsample(scale=4, blur_sigma=2.0)):
        small = _degraded(clips, degradation)
        assert small.shape == (2, 4, 4, 6, 3)
        np.testing.assert_allclose(small, 0.3, atol=1e-5)


def test_downsampling_refuses_sizes_not_divisible_by_the_scale():
    clips = _dataset(np.zeros((2, 4, 18, 16, 1), np.float32))
    with pytest.raises(ValueError, match=r"height=18 is not divisible by scale=4"):
        degraded_pairs(clips, Downsample(scale=4))


def test_a_blur_drawn_from_a_range_is_one_blur_for_all_frames_of_a_clip():
    # Every frame of every clip is one texture, so frames differ only if their blurs do.
    texture = _textured(num_clips=1, frames=1, height=32, width=32)[0, 0]
    clips = np.broadcast_to(texture, (4, 4, 32, 32, 1)).copy()
    smooth = _degraded(clips, Downsample(scale=2, blur_sigma=(0.5, 3.0)))
    np.testing.assert_allclose(smooth, np.broadcast_to(smooth[:, :1], smooth.shape), atol=1e-6)
    assert len({np.round(clip[0], 4).tobytes() for clip in smooth}) == 4  # another blur for each clip
    sharp = Downsample(scale=2)(clips[0]).numpy()
    assert np.abs(np.diff(smooth, axis=3)).mean() < 0.8 * np.abs(np.diff(sharp, axis=2)).mean()


def test_gaussian_sigma_25_on_the_255_scale_has_that_std_on_mid_grey():
    noisy = GaussianNoise(sigma=25)(np.zeros((8, 32, 32, 1), np.float32), seed=3).numpy()
    assert abs(noisy.std() - 25 / 127.5) < 0.03 * 25 / 127.5
    assert abs(noisy.mean()) < 0.01
    # Drawn anew for each frame: consecutive frames' noise is uncorrelated.
    assert abs(np.corrcoef(noisy[0].ravel(), noisy[1].ravel())[0, 1]) < 0.1


@pytest.mark.parametrize("degradation", [GaussianNoise(sigma=(5, 60)), PoissonNoise(peak=(3, 100))],
                         ids=["gaussian", "poisson"])
def test_a_noise_level_drawn_from_a_range_is_one_level_for_all_frames_of_a_clip(degradation):
    noisy = _degraded(np.zeros((6, 4, 32, 32, 1), np.float32), degradation, seed=0)
    frame_levels = noisy.std(axis=(2, 3, 4))  # (clips, frames)
    spread = frame_levels.max(axis=1) / frame_levels.min(axis=1)
    assert np.all(spread < 1.15), frame_levels
    clip_levels = frame_levels.mean(axis=1)
    assert clip_levels.max() > 1.5 * clip_levels.min(), clip_levels  # another level for each clip


def test_poisson_noise_at_a_peak_has_shot_noise_statistics():
    peak = 30
    noisy = PoissonNoise(peak=peak)(np.zeros((8, 32, 32, 1), np.float32), seed=0).numpy()
    # Mid grey is half of white: counts of mean and variance peak / 2, read back at 2 / peak per photon.
    expected = 2.0 * np.sqrt(0.5 * peak) / peak
    assert abs(noisy.std() - expected) < 0.05 * expected
    assert abs(noisy.mean()) < 0.02
    np.testing.assert_allclose(np.round((noisy + 1.0) * peak / 2.0), (noisy + 1.0) * peak / 2.0, atol=1e-4)
    black = PoissonNoise(peak=peak)(np.full((2, 8, 8, 1), -1.0, np.float32)).numpy()
    np.testing.assert_array_equal(black, -1.0)  # no light, no photons


def test_h264_at_crf_40_changes_a_textured_clip_and_crf_0_nearly_keeps_grey():
    clip = _textured(num_clips=1)[0]
    blocky = H264Compression(crf=40)(clip).numpy()
    assert np.abs(blocky - clip).mean() > 20 * LEVEL
    # CRF 0 is lossless in luma; only the full ↔ limited range conversion of yuv420p rounds, by a level.
    kept = H264Compression(crf=0)(clip).numpy()
    assert np.abs(kept - clip).max() <= 2 * LEVEL + 1e-6 and np.abs(kept - clip).mean() < 0.5 * LEVEL


def test_h264_crf_0_keeps_smooth_colour_but_not_colour_finer_than_its_half_resolution_chroma():
    orange = np.broadcast_to(np.array([200, 120, 40], np.uint8), (4, 16, 16, 3)).copy()
    assert np.abs(h264_round_trip(orange, crf=0).astype(int) - orange).max() <= 2
    ramp = np.arange(90, 122, 2, dtype=np.uint8)  # two levels a pixel, down and across
    gradient = np.stack(np.broadcast_arrays(ramp[None, None, :], ramp[None, :, None], np.full((4, 1, 1), 128)), -1)
    gradient = gradient.astype(np.uint8)
    error = np.abs(h264_round_trip(gradient, crf=0).astype(int) - gradient)
    assert error.max() <= 6 and error.mean() < 2
    noise = np.random.default_rng(0).integers(0, 256, (4, 16, 16, 3), np.uint8)
    assert np.abs(h264_round_trip(noise, crf=0).astype(int) - noise).mean() > 10


def test_h264_pads_odd_sizes_and_leaves_no_files_behind(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    video = np.random.default_rng(0).integers(0, 256, (3, 15, 17, 1), np.uint8)
    decoded = h264_round_trip(video, crf=0)
    assert decoded.shape == video.shape and np.abs(decoded.astype(int) - video).max() <= 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("crf", [-1, 52, 20.5, (10, 60), True])
def test_h264_refuses_a_crf_outside_0_to_51(crf):
    with pytest.raises(ValueError, match=re.escape(f"crf={crf!r} is not valid; expected an integer in [0, 51]")):
        make_degradation("deblock", crf=crf)


def test_h264_refuses_clips_of_2_channels():
    with pytest.raises(ValueError, match=r"channels=2 is not valid for H.264"):
        degraded_pairs(_dataset(np.zeros((1, 2, 16, 16, 2), np.float32)), H264Compression())


@pytest.mark.parametrize("degradation", [BoxMask(boxes=(1, 3), fill=0.0), ScribbleMask(strokes=(1, 3), fill=-1.0)],
                         ids=["boxes", "scribbles"])
def test_a_box_or_scribble_mask_is_at_the_same_place_in_every_frame(degradation):
    clips = _textured(num_clips=4, channels=3)
    conditions = _degraded(clips, degradation, seed=0)
    assert conditions.shape == (4, 4, 16, 16, 4)
    masked, masks = conditions[..., :3], conditions[..., 3:]
    assert set(np.unique(masks)) == {0.0, 1.0}
    np.testing.assert_array_equal(masks, np.broadcast_to(masks[:, :1], masks.shape))
    holes = np.broadcast_to(masks, masked.shape) == 1.0
    np.testing.assert_array_equal(masked[holes], degradation.fill)
    np.testing.assert_array_equal(masked[~holes], clips[~holes])
    assert len({masks[index, 0].tobytes() for index in range(4)}) == 4  # each clip its own holes


def test_dropped_frames_are_entirely_fill_valued_and_the_mask_channel_marks_them():
    clips = _textured(num_clips=6, frames=5)
    conditions = _degraded(clips, DroppedFrames(count=(1, 3), fill=0.0), seed=0)
    masked, masks = conditions[..., :1], conditions[..., 1:]
    for clip, frames, mask in zip(clips, masked, masks):
        dropped = mask.max(axis=(1, 2, 3)) == 1.0
        assert 1 <= dropped.sum() <= 3
        np.testing.assert_array_equal(mask[dropped], 1.0)
        np.testing.assert_array_equal(mask[~dropped], 0.0)
        np.testing.assert_array_equal(frames[dropped], 0.0)
        np.testing.assert_array_equal(frames[~dropped], clip[~dropped])
    assert len({tuple(mask.max(axis=(1, 2, 3))) for mask in masks}) > 1


def test_dropping_every_frame_of_a_clip_is_refused():
    with pytest.raises(ValueError, match=r"count=4 is not valid for clips of 4 frames; expected at most 3"):
        degraded_pairs(_dataset(_textured()), DroppedFrames(count=4))


@pytest.mark.parametrize("name, options, named", [
    ("sr", {"scale": 1}, "scale=1"),
    ("sr", {"scale": True}, "scale=True"),
    ("sr", {"blur_sigma": -1.0}, "blur_sigma=-1.0"),
    ("denoise", {"sigma": (30, 10)}, r"sigma=\(30, 10\)"),
    ("denoise", {"sigma": "25"}, "sigma='25'"),
    ("denoise_poisson", {"peak": 0}, "peak=0"),
    ("deblock", {"preset": "fastest"}, "preset='fastest'"),
    ("inpaint", {"size": 1.5}, "size=1.5"),
    ("inpaint", {"fill": 2}, "fill=2"),
    ("inpaint", {"boxes": 0}, "boxes=0"),
    ("inpaint_scribbles", {"vertices": 1}, "vertices=1"),
    ("inpaint_scribbles", {"thickness": 0}, "thickness=0"),
    ("inpaint_dropped_frames", {"count": 0}, "count=0"),
    ("sr", {"factor": 2}, "factor=2 is not an option of degradation 'sr'"),
    ("superres", {}, "degradation='superres'"),
])
def test_bad_options_raise_a_value_error_naming_the_value(name, options, named):
    with pytest.raises(ValueError, match=named):
        make_degradation(name, **options)


def test_degraded_pairs_refuses_a_bad_seed_and_batched_clips():
    with pytest.raises(ValueError, match="seed=-1"):
        degraded_pairs(_dataset(_textured()), "denoise", seed=-1)
    with pytest.raises(ValueError, match="batch after degraded_pairs"):
        degraded_pairs(_dataset(_textured()).batch(2), "denoise")
    with pytest.raises(ValueError, match="degradation=3"):
        degraded_pairs(_dataset(_textured()), 3)


def test_translation_gan_trains_on_inpainting_pairs():
    condition = keras.Input((4, 16, 16, 2), name="condition")
    output = keras.layers.Conv3D(1, 3, padding="same", activation="tanh")(condition)
    model = TranslationGAN(keras.Model(condition, output, name="inpainter"))
    model.compile(loss_terms=reconstruction_terms(l1_weight=1.0))
    pairs = degraded_pairs(_dataset(_textured(num_clips=4)), BoxMask(), seed=0).batch(2)
    history = model.fit(pairs, epochs=1, verbose=0)
    assert np.isfinite(history.history["l1_reconstruction"][-1])
    assert model.translate(next(iter(pairs))[0].numpy()).shape == (2, 4, 16, 16, 1)
