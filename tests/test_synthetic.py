import numpy as np
import pytest

from keras_vgan.datasets.synthetic import (bouncing_shapes, moving_digits, render_bouncing_shapes,
                                           render_moving_digits)


@pytest.mark.parametrize("render", [render_moving_digits, render_bouncing_shapes])
def test_same_seed_same_clips_and_another_seed_differs(render):
    a = render(6, frames=8, height=32, width=32, seed=3)
    assert np.array_equal(a, render(6, frames=8, height=32, width=32, seed=3))
    assert not np.array_equal(a, render(6, frames=8, height=32, width=32, seed=4))


def test_moving_digits_move_and_stay_in_frame():
    videos = render_moving_digits(16, frames=10, height=64, width=48, channels=1, num_digits=1, seed=0)
    assert videos.shape == (16, 10, 64, 48, 1) and videos.dtype == np.uint8
    # Something is drawn in every frame, and the drawing moves.
    assert (videos.reshape(16, 10, -1).max(axis=2) == 255).all()
    assert (np.abs(videos[:, 1:].astype(int) - videos[:, :-1]).sum(axis=(1, 2, 3, 4)) > 0).all()
    # A bouncing digit keeps its ink: no frame loses most of it to the edges.
    ink = videos.reshape(16, 10, -1).astype(int).sum(axis=2)
    assert (ink.min(axis=1) > 0.6 * ink.max(axis=1)).all()


def test_number_of_digits_controls_ink():
    one = render_moving_digits(32, frames=2, height=64, width=64, num_digits=1, seed=1).astype(int).sum()
    three = render_moving_digits(32, frames=2, height=64, width=64, num_digits=3, seed=1).astype(int).sum()
    assert three > 2 * one


def test_shapes_are_coloured_and_grayscale_on_request():
    rgb = render_bouncing_shapes(8, frames=4, height=32, width=32, channels=3, seed=0)
    assert rgb.shape == (8, 4, 32, 32, 3)
    assert np.abs(rgb[..., 0].astype(int) - rgb[..., 1]).max() > 0
    assert render_bouncing_shapes(2, frames=4, height=32, width=32, channels=1).shape == (2, 4, 32, 32, 1)


def test_datasets_yield_float_clips_in_unit_range():
    for dataset in (moving_digits(4, frames=4, height=16, width=16, channels=3),
                    bouncing_shapes(4, frames=4, height=16, width=16)):
        clips = np.stack(list(dataset.as_numpy_iterator()))
        assert clips.shape == (4, 4, 16, 16, 3) and clips.dtype == np.float32
        assert clips.min() == -1.0 and clips.max() <= 1.0


@pytest.mark.parametrize("kwargs, named", [
    ({"channels": 2}, "channels=2"),
    ({"frames": 0}, "frames=0"),
    ({"num_digits": (3, 1)}, "num_digits=(3, 1)"),
    ({"num_videos": -1}, "num_videos=-1"),
])
def test_bad_arguments_name_the_value(kwargs, named):
    with pytest.raises(ValueError, match=named.replace("(", r"\(").replace(")", r"\)")):
        render_moving_digits(**{"num_videos": 2, **kwargs})
