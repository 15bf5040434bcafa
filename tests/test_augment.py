import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.augment import (
    VideoAugment,
    augment_clip,
    random_crop,
    random_flip_left_right,
    random_resized_crop,
    random_temporal_reverse,
)


def _clip(frames=5, height=12, width=10, channels=3, seed=0):
    """A random base image plus t in every pixel of frame t: frames differ, but only by time."""
    base = np.random.default_rng(seed).random((height, width, channels)).astype(np.float32)
    return tf.constant(base[None] + np.arange(frames, dtype=np.float32)[:, None, None, None])


def _without_time(clip):
    clip = np.asarray(clip)
    return clip - clip.reshape(clip.shape[0], -1).min(axis=1)[:, None, None, None]


def test_flip_flips_all_frames_or_none():
    clip = _clip()
    outcomes = set()
    for seed in range(12):
        out = random_flip_left_right(clip, seed=seed).numpy()
        flipped = np.allclose(out, clip.numpy()[:, :, ::-1])
        assert flipped or np.allclose(out, clip.numpy())
        outcomes.add(flipped)
    assert outcomes == {True, False}


def test_crop_uses_one_window_for_every_frame():
    clip = _clip(height=20, width=20)
    windows = set()
    for seed in range(8):
        out = random_crop(clip, 8, 6, seed=seed).numpy()
        assert out.shape == (5, 8, 6, 3)
        # Removing each frame's time offset leaves identical frames: one window.
        content = out - np.arange(5)[:, None, None, None]
        np.testing.assert_allclose(content, np.broadcast_to(content[:1], content.shape), atol=1e-5)
        windows.add(float(content[0, 0, 0, 0]))
    assert len(windows) > 1


def test_resized_crop_keeps_shape_and_frame_consistency():
    clip = _clip(height=16, width=16)
    out = random_resized_crop(clip, 0.75, seed=4).numpy()
    assert out.shape == clip.shape
    content = out - np.arange(5)[:, None, None, None]
    np.testing.assert_allclose(content, np.broadcast_to(content[:1], content.shape), atol=1e-4)
    as_uint8 = random_resized_crop(tf.cast(clip * 10, tf.uint8), 0.5, seed=1)
    assert as_uint8.dtype == tf.uint8


def test_temporal_reverse():
    clip = _clip()
    outcomes = set()
    for seed in range(12):
        out = random_temporal_reverse(clip, seed=seed).numpy()
        reversed_ = np.allclose(out, clip.numpy()[::-1])
        assert reversed_ or np.allclose(out, clip.numpy())
        outcomes.add(reversed_)
    assert outcomes == {True, False}


def test_augment_clip_is_seed_deterministic_and_frame_consistent():
    clip = _clip(height=16, width=16)
    a = augment_clip(clip, flip=True, crop=0.8, temporal_reverse=True, seed=[3, 4]).numpy()
    b = augment_clip(clip, flip=True, crop=0.8, temporal_reverse=True, seed=[3, 4]).numpy()
    np.testing.assert_array_equal(a, b)
    offsets = a.reshape(5, -1).mean(axis=1) - clip.numpy().reshape(5, -1).mean(axis=1)
    # Frames stay in (possibly reversed) order: the per-frame time offsets are a ramp.
    assert abs(abs(np.diff(a.reshape(5, -1).mean(axis=1))).mean() - 1.0) < 0.05, offsets
    cropped = augment_clip(clip, flip=False, crop=(8, 8), seed=1)
    assert cropped.shape == (5, 8, 8, 3)
    always = augment_clip(clip, flip=1.0, seed=0).numpy()
    np.testing.assert_allclose(always, clip.numpy()[:, :, ::-1])


def test_works_inside_tf_data_map():
    clips = tf.data.Dataset.from_tensor_slices(tf.stack([_clip(seed=i) for i in range(4)]))
    augment = VideoAugment(flip=True, crop=0.9)
    out = list(clips.map(lambda c: augment(c)))
    assert len(out) == 4 and out[0].shape == (5, 12, 10, 3)


def test_video_augment_config_round_trip():
    augment = VideoAugment(flip=0.3, crop=(8, 8), temporal_reverse=True)
    config = augment.get_config()
    rebuilt = VideoAugment.from_config(config)
    assert rebuilt.get_config() == config
    registered = keras.saving.get_registered_object("keras_vgan>VideoAugment")
    assert registered is VideoAugment


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="crop"):
        VideoAugment(crop="big")
    with pytest.raises(ValueError, match="probability"):
        random_flip_left_right(_clip(), probability=2)
    with pytest.raises(ValueError, match="cannot crop height 20"):
        random_crop(_clip(), 20, 4)
    with pytest.raises(ValueError, match=r"\(T, H, W, C\)"):
        augment_clip(tf.zeros((2, 3, 4, 5, 6)))
    with pytest.raises(ValueError, match="scale"):
        random_resized_crop(_clip(), 1.5)
