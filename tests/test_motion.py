"""Camera motion: the affine estimate recovers a known pan, zoom and rotation, and warping undoes it."""

import math

import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.motion import estimate_affine_motion, estimate_camera_motion, warp_frames


def _textured(seed, size=48):
    """A smooth random texture: random pixels blurred, so Lucas-Kanade's linearisation has gradients to use."""
    noise = tf.random.stateless_uniform([1, size, size, 1], [seed, 7])
    kernel = tf.ones([5, 5, 1, 1]) / 25.0
    return tf.nn.conv2d(tf.nn.conv2d(noise, kernel, 1, "SAME"), kernel, 1, "SAME") * 4.0 - 2.0


def _similarity_map(shift_x, shift_y, zoom, degrees, size):
    """The map (output pixel -> source pixel) of a rotation and zoom about the centre plus a shift."""
    centre = (size - 1) / 2.0
    cosine, sine = math.cos(math.radians(degrees)) * zoom, math.sin(math.radians(degrees)) * zoom
    a2 = centre + shift_x - cosine * centre + sine * centre
    b2 = centre + shift_y - sine * centre - cosine * centre
    return np.array([[cosine, -sine, a2, sine, cosine, b2, 0.0, 0.0]], np.float32)


def _source_of(maps, x, y):
    return maps[0, 0] * x + maps[0, 1] * y + maps[0, 2], maps[0, 3] * x + maps[0, 4] * y + maps[0, 5]


@pytest.mark.parametrize("shift_x, shift_y, zoom, degrees", [(1.3, -0.7, 1.0, 0.0), (-0.4, 0.9, 1.01, 0.5),
                                                             (0.0, 0.0, 1.0, 0.0)])
def test_the_estimate_recovers_a_known_motion_to_a_tenth_of_a_pixel(shift_x, shift_y, zoom, degrees):
    size = 48
    source = _textured(0, size)
    truth = _similarity_map(shift_x, shift_y, zoom, degrees, size)
    target = warp_frames(source, truth)
    estimate = estimate_affine_motion(source, target).numpy()
    # Compare where the two maps send the frame's corners (less the margin the estimate ignores).
    for x, y in [(8, 8), (40, 8), (8, 40), (40, 40), (24, 24)]:
        np.testing.assert_allclose(_source_of(estimate, x, y), _source_of(truth, x, y), atol=0.1)


def test_camera_motion_is_one_map_per_frame_pair_and_lines_frames_up():
    size = 40
    first = _textured(3, size)
    pan = _similarity_map(0.8, 0.5, 1.0, 0.0, size)
    clip = tf.stack([first, warp_frames(first, pan)], axis=1)  # (1, 2, H, W, 1): frame 1 is frame 0 panned
    clips = tf.concat([clip, clip[:, ::-1]], axis=0)
    maps = estimate_camera_motion(clips)
    assert maps.shape == (2, 8)
    inner = np.s_[:, 6:-6, 6:-6, :]
    before = tf.reduce_mean(tf.abs(clips[:, 1] - clips[:, 0])[inner], axis=[1, 2, 3]).numpy()
    after = tf.reduce_mean(tf.abs(clips[:, 1] - warp_frames(clips[:, 0], maps))[inner], axis=[1, 2, 3]).numpy()
    # The pan itself is undone exactly; undoing its inverse resamples twice, which smooths: the exact inverse map
    # leaves that much too.
    exact_inverse = warp_frames(clips[1:, 0], _similarity_map(-0.8, -0.5, 1.0, 0.0, size))
    resampling = float(tf.reduce_mean(tf.abs(clips[1, 1] - exact_inverse[0])[6:-6, 6:-6]))
    assert after[0] < 0.01 * before[0] and after[1] < 1.05 * resampling < 0.5 * before[1]
    assert estimate_camera_motion(clips[:, :1]).shape == (0, 8)


def test_frames_too_small_for_the_margin_are_refused():
    with pytest.raises(ValueError, match="frames of 6x6 are too small"):
        estimate_affine_motion(tf.zeros([1, 6, 6, 1]), tf.zeros([1, 6, 6, 1]))
