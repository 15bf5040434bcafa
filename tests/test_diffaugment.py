import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.diffaugment import DiffAugment


@pytest.fixture(autouse=True)
def _seeded():
    keras.utils.set_random_seed(1234)


def _ones(batch=16, frames=4, side=32, channels=1):
    return np.ones((batch, frames, side, side, channels), "float32")


def _same_across_frames(videos):
    return all(np.array_equal(videos[:, t], videos[:, 0]) for t in range(videos.shape[1]))


def _distinct_clips(videos):
    return len({videos[n].tobytes() for n in range(len(videos))})


@pytest.mark.parametrize("policy", ["translation", "cutout"])
def test_one_geometric_draw_per_clip_applies_to_every_frame(policy):
    out = DiffAugment(policy)(_ones(), training=True).numpy()
    assert set(np.unique(out)) <= {0.0, 1.0}  # zero fill, no interpolation
    assert _same_across_frames(out)
    assert _distinct_clips(out) > 4


def test_translation_shifts_by_at_most_an_eighth_of_the_side_with_zero_fill():
    frames = DiffAugment("translation")(_ones(batch=32), training=True).numpy()[:, 0, :, :, 0]
    for frame in frames:
        rows, columns = frame.any(axis=1), frame.any(axis=0)
        assert rows.sum() >= 28 and columns.sum() >= 28  # 32 - 32/8
        assert frame[rows][:, columns].all()  # what is left is one solid, shifted rectangle
    assert any(frame.sum() < 32 * 32 for frame in frames)


def test_translation_moves_content_rather_than_rescaling_it():
    clip = np.zeros((1, 1, 32, 32, 1), "float32")
    clip[0, 0, 10, 20, 0] = 1.0
    for _ in range(5):
        out = DiffAugment("translation")(clip, training=True).numpy()[0, 0, :, :, 0]
        y, x = np.argwhere(out == 1.0)[0]
        assert out.sum() == 1.0 and abs(y - 10) <= 4 and abs(x - 20) <= 4


def test_cutout_zeroes_one_square_of_at_most_half_the_side():
    frames = DiffAugment("cutout")(_ones(batch=32), training=True).numpy()[:, 0, :, :, 0]
    for frame in frames:
        holes = np.argwhere(frame == 0.0)
        height, width = np.ptp(holes, axis=0) + 1
        assert height <= 16 and width <= 16 and len(holes) == height * width  # one rectangle
    assert any((frame == 0).sum() == 16 * 16 for frame in frames)


def test_colour_draws_once_per_clip_within_the_documented_ranges():
    # A clip whose frames are all alike stays alike: every colour draw is per clip.
    rng = np.random.default_rng(0)
    still = np.repeat(rng.uniform(-1, 1, (8, 1, 16, 16, 3)).astype("float32"), 4, axis=1)
    out = DiffAugment("color")(still, training=True).numpy()
    assert _same_across_frames(out) and _distinct_clips(out - still) == 8
    # A constant grey clip: saturation and contrast keep it constant; brightness moves it by at most 0.5.
    grey = DiffAugment("color")(np.zeros((64, 2, 8, 8, 1), "float32"), training=True).numpy()
    shifts = grey.reshape(64, -1)
    np.testing.assert_allclose(shifts, shifts[:, :1].repeat(shifts.shape[1], axis=1), atol=1e-6)
    assert np.abs(shifts).max() <= 0.5 and np.abs(shifts).max() > 0.3


def test_gradients_reach_the_input():
    videos = tf.constant(np.random.default_rng(1).uniform(-1, 1, (4, 4, 16, 16, 3)).astype("float32"))
    augment = DiffAugment()
    with tf.GradientTape() as tape:
        tape.watch(videos)
        score = tf.reduce_sum(augment(videos, training=True) * tf.sin(videos))
    gradient = tape.gradient(score, videos)
    assert gradient is not None and float(tf.reduce_sum(tf.abs(gradient))) > 0


def test_identity_unless_training_and_inside_tf_function_it_augments():
    augment = DiffAugment()
    videos = np.random.default_rng(2).uniform(-1, 1, (2, 4, 16, 16, 3)).astype("float32")
    np.testing.assert_array_equal(augment(videos).numpy(), videos)
    np.testing.assert_array_equal(augment(videos, training=False).numpy(), videos)
    np.testing.assert_array_equal(DiffAugment("")(videos, training=True).numpy(), videos)
    traced = tf.function(lambda x: augment(x, training=True))
    assert not np.array_equal(traced(videos).numpy(), videos)


def test_mixed_bfloat16_returns_the_compute_dtype():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    assert DiffAugment()(_ones(batch=2), training=True).dtype == tf.bfloat16


def test_config_round_trip_and_inside_a_saved_model(tmp_path):
    augment = DiffAugment("translation, cutout", translation_ratio=0.25, cutout_ratio=0.375)
    config = augment.get_config()
    assert config["policy"] == "translation,cutout"
    clone = DiffAugment.from_config(config)
    assert (clone.policy, clone.translation_ratio, clone.cutout_ratio) == ("translation,cutout", 0.25, 0.375)
    video = keras.Input((4, 16, 16, 1), name="video")
    keras.Model(video, augment(video)).save(tmp_path / "augment.keras")
    loaded = keras.models.load_model(tmp_path / "augment.keras")
    assert loaded.layers[-1].get_config()["translation_ratio"] == 0.25


@pytest.mark.parametrize("kwargs, named", [
    ({"policy": "colour"}, "policy='colour'"),
    ({"policy": "color,color"}, "policy='color,color'"),
    ({"policy": ["color"]}, r"policy=\['color'\]"),
    ({"cutout_ratio": 0}, "cutout_ratio=0"),
    ({"translation_ratio": 1.5}, "translation_ratio=1.5"),
])
def test_bad_options_name_the_value(kwargs, named):
    with pytest.raises(ValueError, match=named):
        DiffAugment(**kwargs)
