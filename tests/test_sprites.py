"""The layered-sprite generator: placement, compositing, rigid motion, gradients and its errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.models import build_architecture
from keras_vgan.models.sprites import PlaceSprites, build_sprite_generator, sprite_streams


def _composite_by_hand(sprites, positions, height, width):
    """NumPy reference for integer corners: paste each sprite (alpha over), back to front, over black."""
    batch, count, size, size_w, channels_plus_alpha = sprites.shape
    frames = positions.shape[1]
    out = np.zeros((batch, frames, height, width, channels_plus_alpha - 1), np.float32)
    for n in range(batch):
        for t in range(frames):
            for k in range(count):
                top = int(round(positions[n, t, k, 0] * (height - size)))
                left = int(round(positions[n, t, k, 1] * (width - size_w)))
                colour, alpha = sprites[n, k, ..., :-1], sprites[n, k, ..., -1:]
                region = out[n, t, top:top + size, left:left + size_w]
                out[n, t, top:top + size, left:left + size_w] = alpha * colour + (1 - alpha) * region
    return out


def test_placement_at_whole_pixels_pastes_each_sprite_and_composites_back_to_front():
    rng = np.random.default_rng(0)
    sprites = rng.uniform(0, 1, (2, 3, 4, 4, 3)).astype(np.float32)
    sprites[..., -1] = rng.integers(0, 2, (2, 3, 4, 4))  # opaque or clear pixels: the order shows
    # Corners on whole pixels: the room is 12 - 4 = 8 rows and 10 - 4 = 6 columns.
    corners = rng.integers(0, [9, 7], (2, 5, 3, 2))
    positions = (corners / np.array([8.0, 6.0])).astype(np.float32)
    frames = PlaceSprites(12, 10)([sprites, positions]).numpy()
    np.testing.assert_allclose(frames, _composite_by_hand(sprites, positions, 12, 10), atol=1e-5)


def test_a_fractional_position_samples_bilinearly_and_uncovered_pixels_stay_black():
    sprite = np.ones((1, 1, 2, 2, 2), np.float32)
    positions = np.array([[[[0.25, 0.0]]]], np.float32)  # 4 rows of room: the corner on row 1
    frames = PlaceSprites(6, 2)([sprite, positions]).numpy()[0, 0, :, :, 0]
    np.testing.assert_allclose(frames, [[0, 0], [1, 1], [1, 1], [0, 0], [0, 0], [0, 0]], atol=1e-6)
    half = PlaceSprites(6, 2)([sprite, np.array([[[[0.375, 0.0]]]], np.float32)]).numpy()[0, 0, :, 0, 0]
    np.testing.assert_allclose(half, [0, 0.5, 1, 0.5, 0, 0], atol=1e-6)  # corner at row 1.5


def test_every_frame_of_a_generated_clip_is_its_sprites_placed_where_its_positions_say():
    generator = build_sprite_generator(8, 32, 32, 1, latent_dim=8, sprites=2, base_filters=4)
    noise = np.random.default_rng(1).normal(size=(3, 8)).astype(np.float32)
    streams = sprite_streams(generator)(noise)
    sprites, positions = streams["sprites"].numpy(), streams["positions"].numpy()
    assert sprites.shape == (3, 2, 16, 16, 2) and positions.shape == (3, 8, 2, 2)
    # The same sprites in every frame (rigid motion): the video is the sprites re-placed frame by frame.
    expected = PlaceSprites(32, 32)([sprites, positions]).numpy() * 2 - 1
    np.testing.assert_allclose(streams["video"].numpy(), expected, atol=1e-5)
    np.testing.assert_allclose(generator(noise).numpy(), expected, atol=1e-5)
    assert 0 <= positions.min() and positions.max() <= 1


def test_gradients_reach_the_sprites_and_the_paths():
    generator = build_sprite_generator(8, 16, 16, 1, latent_dim=8, base_filters=4, sprite_size=8)
    noise = tf.random.stateless_normal((4, 8), seed=[1, 2])
    target = tf.random.stateless_uniform((4, 8, 16, 16, 1), seed=[3, 4], minval=-1, maxval=1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(generator(noise, training=True) - target))
    named = dict(zip([v.path for v in generator.trainable_variables],
                     tape.gradient(loss, generator.trainable_variables)))
    for layer in ("motion_positions", "motion_hidden", "sprite_codes", "to_frame_conv"):
        grads = [g for path, g in named.items() if f"{layer}/kernel" in path]
        assert grads and all(float(tf.reduce_max(tf.abs(g))) > 0 for g in grads), layer


def test_round_trips_through_keras_saving(tmp_path):
    generator = build_sprite_generator(8, 32, 32, 3, latent_dim=8, sprites=3, base_filters=4)
    noise = np.random.default_rng(2).normal(size=(2, 8)).astype(np.float32)
    path = str(tmp_path / "sprites.keras")
    generator.save(path)
    restored = keras.models.load_model(path)
    np.testing.assert_array_equal(restored(noise).numpy(), generator(noise).numpy())


def test_the_class_conditional_form_draws_other_sprites_for_another_label():
    generator, (discriminator,) = build_architecture("sprites", 8, 32, 32, 1, latent_dim=8, generator_filters=4,
                                                     discriminator_filters=4, num_classes=3,
                                                     auxiliary_classifier="fake_class")
    assert [x.name for x in generator.inputs] == ["noise", "condition"]
    assert discriminator.output_shape == [(None, 1), (None, 4)]  # the logit, and 3 classes + "generated"
    noise = np.random.default_rng(3).normal(size=(2, 8)).astype(np.float32)
    first, second = (generator([noise, np.full(2, label, np.int32)]).numpy() for label in (0, 2))
    assert np.abs(first - second).max() > 1e-3


def test_sprites_larger_than_the_frame_are_refused():
    with pytest.raises(ValueError, match="sprites of 8x8 do not fit frames of 6x10"):
        PlaceSprites(6, 10)([np.zeros((1, 1, 8, 8, 2), np.float32), np.zeros((1, 2, 1, 2), np.float32)])


@pytest.mark.parametrize("options, named", [
    (dict(sprite_size=40), "sprite_size=40"),
    (dict(sprite_size=12), "sprite_size=12"),
    (dict(sprites=0), "sprites=0"),
    (dict(motion_units=-1), "motion_units=-1"),
])
def test_bad_options_are_named(options, named):
    with pytest.raises(ValueError, match=named.replace("(", r"\(")):
        build_architecture("sprites", 8, 32, 32, 1, **options)
