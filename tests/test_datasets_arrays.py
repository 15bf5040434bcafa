import numpy as np
import pytest

from keras_vgan.datasets import from_array, from_npy, generate_moving_mnist, moving_mnist
from keras_vgan.datasets.moving_mnist import bouncing_trajectories, load_mnist_digits
from keras_vgan.pixels import to_uint8


def _videos(num=3, frames=10, size=8, channels=None):
    """uint8 videos whose pixel values say (video, frame): value = 20 * video + frame."""
    values = 20 * np.arange(num)[:, None] + np.arange(frames)[None, :]
    videos = np.broadcast_to(values[:, :, None, None], (num, frames, size, size)).astype(np.uint8)
    return videos if channels is None else np.repeat(videos[..., None], channels, axis=-1)


def test_uint8_array_round_trips_exactly():
    videos = _videos(channels=3)
    clips = [c for c in from_array(videos, shuffle=False)]
    assert len(clips) == 3
    np.testing.assert_array_equal(np.stack([to_uint8(c).numpy() for c in clips]), videos)


def test_rank4_gets_a_channel_and_clips_are_sampled():
    dataset = from_array(_videos(), frames=4, frame_step=2, clips_per_video=2, clip_sampling="even",
                         shuffle=False)
    clips = [to_uint8(c).numpy() for c in dataset]
    assert len(clips) == 6 and clips[0].shape == (4, 8, 8, 1)
    first_frames = [c[:, 0, 0, 0].tolist() for c in clips[:2]]
    assert first_frames == [[0, 2, 4, 6], [3, 5, 7, 9]]


def test_resize_and_channel_conversion():
    clip = next(iter(from_array(_videos(size=16), height=8, width=8, channels=3)))
    assert clip.shape == (10, 8, 8, 3)


def test_float_arrays_and_value_range():
    unit = np.random.default_rng(0).random((2, 4, 8, 8, 1)).astype(np.float32)
    clips = list(from_array(unit, value_range=(0, 1), shuffle=False))
    np.testing.assert_allclose(clips[0].numpy(), unit[0] * 2 - 1, atol=1e-6)
    symmetric = unit * 2 - 1
    np.testing.assert_allclose(next(iter(from_array(symmetric, shuffle=False))).numpy(), symmetric[0],
                               atol=1e-6)


def test_labels_and_class_names():
    dataset = from_array(_videos(), labels=[2, 0, 1], class_names=["a", "b", "c"], shuffle=False)
    assert dataset.class_names == ["a", "b", "c"]
    assert [int(label) for _, label in dataset] == [2, 0, 1]
    with pytest.raises(ValueError, match="one per video"):
        from_array(_videos(), labels=[1, 2])


def test_npy_file_and_moving_mnist_layout(tmp_path):
    videos = _videos(num=4, frames=20, size=64)  # (N, T, 64, 64)
    plain = tmp_path / "videos.npy"
    np.save(plain, videos)
    clip = next(iter(from_npy(plain, frames=20, shuffle=False)))
    assert clip.shape == (20, 64, 64, 1)
    # The standard file is stored time-major, (T, N, 64, 64).
    standard = tmp_path / "mnist_test_seq.npy"
    np.save(standard, np.swapaxes(videos, 0, 1))
    clips = [to_uint8(c).numpy() for c in from_npy(standard, frames=20, shuffle=False)]
    assert len(clips) == 4
    np.testing.assert_array_equal(clips[1][..., 0], videos[1])


def _fake_mnist(path, count=12):
    digits = np.zeros((count, 28, 28), np.uint8)
    digits[:, 8:20, 10:18] = 255  # a solid block per "digit"
    np.savez(path, x_train=digits, y_train=np.arange(count) % 10, x_test=digits[:4], y_test=np.arange(4))
    return path


def test_moving_mnist_follows_the_standard_procedure(tmp_path):
    mnist = _fake_mnist(tmp_path / "mnist.npz")
    videos = generate_moving_mnist(6, mnist_path=mnist, seed=1)
    assert videos.shape == (6, 20, 64, 64, 1) and videos.dtype == np.uint8
    for video in videos:
        for frame in video[..., 0]:
            assert frame.max() == 255  # digits never leave the canvas
    # One digit: its top-left corner moves by about 0.1 of the free range (36 px) per frame.
    one = generate_moving_mnist(3, frames=20, num_digits=1, mnist_path=mnist, seed=2)[..., 0]
    for video in one:
        corners = np.array([np.argwhere(frame > 0).min(axis=0) for frame in video], float)
        steps = np.linalg.norm(np.diff(corners, axis=0), axis=1)
        assert steps.max() <= 3.6 * np.sqrt(2) + 1.5
        assert steps.mean() > 1.0


def test_bouncing_stays_in_the_unit_square():
    ys, xs = bouncing_trajectories(50, 60, np.random.default_rng(0))
    assert ys.shape == (60, 50)
    assert ys.min() >= 0 and ys.max() <= 1 and xs.min() >= 0 and xs.max() <= 1
    assert (np.abs(np.diff(xs, axis=0)) <= 0.1 + 1e-9).all()


def test_moving_mnist_dataset(tmp_path):
    mnist = _fake_mnist(tmp_path / "mnist.npz")
    clips = moving_mnist(4, mnist_path=mnist, clip_frames=16, seed=0)
    assert clips.element_spec.shape == (16, 64, 64, 1)
    assert len(list(clips)) == 4


def test_moving_mnist_without_mnist_says_what_to_do(tmp_path, monkeypatch):
    import keras

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))

    def offline():
        raise OSError("network is unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(FileNotFoundError, match="mnist_path"):
        load_mnist_digits()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist_digits(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    np.savez(bad, images=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="x_train"):
        load_mnist_digits(bad)
