"""photo_clips: real photographs under a simulated moving camera."""

import numpy as np
import pytest

from keras_vgan.datasets import load_source
from keras_vgan.datasets.photographs import (PHOTOGRAPHS, film_photograph, photo_clips, photograph_names,
                                             read_photograph, render_photo_clips)


def test_every_listed_photograph_is_readable_in_gray_and_rgb():
    for name in PHOTOGRAPHS:
        gray, rgb = read_photograph(name, 1), read_photograph(name, 3)
        assert gray.dtype == np.uint8 and gray.ndim == 3 and gray.shape[-1] == 1
        assert rgb.shape == gray.shape[:2] + (3,)
        assert min(gray.shape[:2]) >= 128


def test_splits_are_disjoint_and_cover_every_photograph():
    train, test = set(photograph_names("train")), set(photograph_names("test"))
    assert train and test and not train & test
    assert train | test == set(PHOTOGRAPHS) == set(photograph_names("all"))


def test_clips_are_deterministic_per_seed_and_differ_between_seeds():
    first = render_photo_clips(4, frames=4, height=32, width=32, seed=5)
    again = render_photo_clips(4, frames=4, height=32, width=32, seed=5)
    other = render_photo_clips(4, frames=4, height=32, width=32, seed=6)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_test_split_films_only_held_out_photographs():
    clips = render_photo_clips(2, frames=2, height=32, width=32, seed=0, split="test", max_scale=1.0,
                               max_speed=0.0, max_zoom=0.0, max_rotation=0.0)
    # A still camera at scale 1 shows a (sub-pixel) crop of one photograph: it matches a held-out one far
    # better than any training one.
    import cv2

    def best_match(clip, split):
        frame = clip[0, ..., 0].astype(np.float32)
        return min(cv2.matchTemplate(read_photograph(name, 1)[..., 0].astype(np.float32), frame,
                                     cv2.TM_SQDIFF).min() / frame.size for name in photograph_names(split))

    for clip in clips:
        np.testing.assert_array_equal(clip[0], clip[1])
        held_out, training = best_match(clip, "test"), best_match(clip, "train")
        assert held_out < 0.2 * training, (held_out, training)


def test_a_pan_moves_the_content_by_the_velocity():
    photo = np.zeros((200, 200, 1), np.uint8)
    photo[90:110, 90:110] = 255
    clip = film_photograph(photo, 5, 64, 64, seed=3, max_speed=2.0, max_zoom=0.0, max_rotation=0.0)
    centres = []
    for frame in clip[..., 0].astype(np.float64):
        rows, cols = np.indices(frame.shape)
        centres.append(((rows * frame).sum() / frame.sum(), (cols * frame).sum() / frame.sum()))
    steps = np.diff(np.array(centres), axis=0)
    # The camera moves at one constant velocity, so the square moves by the same step each frame.
    np.testing.assert_allclose(steps, np.broadcast_to(steps.mean(axis=0), steps.shape), atol=0.05)
    assert np.hypot(*steps.mean(axis=0)) <= 2.0 + 1e-6


def test_load_source_builds_the_dataset_and_refuses_labels_and_objects():
    clips = load_source("photo_clips", frames=4, height=32, width=32, channels=3, num_videos=3, seed=1)
    batch = np.stack(list(clips.as_numpy_iterator()))
    assert batch.shape == (3, 4, 32, 32, 3) and batch.dtype == np.float32
    assert batch.min() >= -1.0 and batch.max() <= 1.0
    assert "real photographs" in clips.data_summary.kind
    with pytest.raises(ValueError, match="no labels"):
        load_source("photo_clips", num_videos=2, labels=True)
    with pytest.raises(ValueError, match="num_objects"):
        load_source("photo_clips", num_videos=2, num_objects=2)


def test_shards_render_disjoint_shares():
    parts = [photo_clips(5, frames=2, height=16, width=16, seed=0, shard=(index, 2)) for index in range(2)]
    counts = [sum(1 for _ in part) for part in parts]
    assert counts == [3, 2]


@pytest.mark.parametrize("options, match", [
    (dict(split="validation"), "split"),
    (dict(max_scale=0.5), "max_scale"),
    (dict(max_speed=-1.0), "max_speed"),
    (dict(max_zoom=0.7), "max_zoom"),
    (dict(channels=2), "channels"),
])
def test_bad_options_are_one_clear_error(options, match):
    with pytest.raises(ValueError, match=match):
        render_photo_clips(1, frames=2, height=16, width=16, **options)


def test_a_clip_larger_than_every_photograph_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        render_photo_clips(1, frames=2, height=1000, width=1000)
    with pytest.raises(ValueError, match="photo"):
        film_photograph(np.zeros((10, 10), np.uint8), 2, 8, 8)


def test_a_training_config_reads_photo_clips():
    from keras_vgan.presets import get_preset
    from keras_vgan.training import source_clips

    config = get_preset("enhance-denoise-photos").replace(num_videos=2, frames=2, height=16, width=16)
    clips = source_clips(config)
    assert clips.element_spec.shape.as_list() == [2, 16, 16, 1]
