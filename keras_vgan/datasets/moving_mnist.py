"""Moving MNIST, built the standard way (Srivastava et al., 2015) from MNIST digits.

Each video is a 64×64 black canvas on which `num_digits` 28×28 MNIST digits
move in straight lines and bounce off the edges:

* every digit starts at a uniform random position and heads in a uniform
  random direction; each frame it moves 0.1 of the free range (64 - 28 = 36
  pixels) along that direction;
* on reaching an edge the position is clamped and the velocity component
  normal to it flips;
* digits are composited with a per-pixel maximum; 20 frames per video.

The digits come from a local `mnist.npz` (Keras's format: `x_train`,
`y_train`, `x_test`, `y_test`), from Keras's cache (`~/.keras/datasets` or
`$KERAS_HOME/datasets`), or from `keras.datasets.mnist.load_data()` when the
network allows.
"""

import os

import numpy as np

from keras_vgan.datasets.arrays import from_array
from keras_vgan.datasets.sharding import check_shard, procedural_part
from keras_vgan.validation import check_int, check_positive_ints

IMAGE_SIZE = 64
DIGIT_SIZE = 28
SEQUENCE_LENGTH = 20
STEP_LENGTH = 0.1


def _keras_cache_file():
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "datasets", "mnist.npz")


def load_mnist_digits(mnist_path=None, split="train"):
    """MNIST digit images (N, 28, 28) uint8 of `split` ("train" or "test").

    Looks at `mnist_path`, then Keras's cache, then downloads with
    `keras.datasets.mnist.load_data()`; when none works, a FileNotFoundError
    says what to provide.

    Example:
    >>> digits = load_mnist_digits("mnist.npz")  # doctest: +SKIP
    >>> digits.shape  # doctest: +SKIP
    (60000, 28, 28)
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    key = f"x_{split}"
    if mnist_path is not None:
        mnist_path = os.fspath(mnist_path)
        if not os.path.exists(mnist_path):
            raise FileNotFoundError(f"MNIST file {mnist_path!r} does not exist")
        return _read_npz(mnist_path, key)
    cached = _keras_cache_file()
    if os.path.exists(cached):
        return _read_npz(cached, key)
    try:
        import keras

        (x_train, _), (x_test, _) = keras.datasets.mnist.load_data()
    except Exception as error:  # no network, proxy, SSL, ...: all mean "not available here"
        raise FileNotFoundError(
            f"MNIST is not available: no mnist_path given, no Keras cache at {cached!r}, and "
            f"downloading failed ({type(error).__name__}: {error}). Download mnist.npz (Keras "
            f"format, https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz) "
            f"and pass mnist_path=") from None
    return np.asarray(x_train if split == "train" else x_test, np.uint8)


def _read_npz(path, key):
    try:
        with np.load(path, allow_pickle=False) as archive:
            if key not in archive.files:
                raise ValueError(f"{path!r} has no {key!r} array (found {archive.files}); expected "
                                 f"Keras's mnist.npz with x_train, y_train, x_test, y_test")
            digits = np.asarray(archive[key])
    except (OSError, EOFError) as error:
        raise ValueError(f"cannot read {path!r} as an .npz archive: {error}") from None
    if digits.ndim != 3 or digits.shape[1:] != (DIGIT_SIZE, DIGIT_SIZE):
        raise ValueError(f"{key} in {path!r} has shape {digits.shape}; expected (N, 28, 28)")
    return digits.astype(np.uint8, copy=False)


def bouncing_trajectories(num_paths, frames, rng, step_length=STEP_LENGTH):
    """Positions in [0, 1]² of `num_paths` bouncing points: arrays (frames, num_paths) for y and x.

    Moves first, then records, as the standard procedure does, so frame 0 is
    already one step from the random start.
    """
    position = rng.random((2, num_paths))
    angle = rng.random(num_paths) * 2.0 * np.pi
    velocity = np.stack([np.sin(angle), np.cos(angle)])
    path = np.empty((frames, 2, num_paths))
    for t in range(frames):
        position += velocity * step_length
        low, high = position <= 0.0, position >= 1.0
        velocity[low | high] *= -1.0
        np.clip(position, 0.0, 1.0, out=position)
        path[t] = position
    return path[:, 0], path[:, 1]


def generate_moving_mnist(num_videos=10000, frames=SEQUENCE_LENGTH, num_digits=2, digits=None,
                          mnist_path=None, split="train", image_size=IMAGE_SIZE, seed=None):
    """Moving MNIST videos as uint8 (num_videos, frames, image_size, image_size, 1).

    `digits` (N, 28, 28) uint8 overrides where the digits come from (see
    `load_mnist_digits` for `mnist_path` / `split`).

    Example:
    >>> digits = np.zeros((10, 28, 28), np.uint8)
    >>> generate_moving_mnist(3, digits=digits, seed=0).shape
    (3, 20, 64, 64, 1)
    """
    check_positive_ints(num_videos=num_videos, frames=frames, num_digits=num_digits)
    check_int("image_size", image_size, minimum=DIGIT_SIZE)
    if digits is None:
        digits = load_mnist_digits(mnist_path, split)
    digits = np.asarray(digits)
    if digits.ndim != 3 or digits.shape[1:] != (DIGIT_SIZE, DIGIT_SIZE) or digits.dtype != np.uint8:
        raise ValueError(f"digits must be uint8 of shape (N, 28, 28), got {digits.dtype} {digits.shape}")
    rng = np.random.default_rng(seed)
    free = image_size - DIGIT_SIZE
    videos = np.zeros((num_videos, frames, image_size, image_size), np.uint8)
    for video in videos:
        ys, xs = bouncing_trajectories(num_digits, frames, rng)
        tops, lefts = (ys * free).astype(np.int64), (xs * free).astype(np.int64)
        for d in range(num_digits):
            digit = digits[rng.integers(len(digits))]
            for t in range(frames):
                window = video[t, tops[t, d]:tops[t, d] + DIGIT_SIZE, lefts[t, d]:lefts[t, d] + DIGIT_SIZE]
                np.maximum(window, digit, out=window)
    return videos[..., None]


def moving_mnist(num_videos=10000, frames=SEQUENCE_LENGTH, height=None, width=None, channels=None,
                 clip_frames=None, num_digits=2, mnist_path=None, split="train", seed=None, shard=None,
                 **options):
    """A `tf.data.Dataset` of Moving MNIST clips, float32 in [-1, 1].

    Generates `num_videos` videos of `frames` frames (64×64×1), then hands
    them to `from_array`: `clip_frames` samples shorter clips, `height`,
    `width` and `channels` resize/convert, other options are `from_array`'s.
    `shard=(index, count)` generates worker `index`'s share of `num_videos`
    from a seed of its own, as `synthetic.moving_digits` does.

    Example:
    >>> clips = moving_mnist(1000, mnist_path="mnist.npz", clip_frames=16)  # doctest: +SKIP
    >>> clips.element_spec.shape  # doctest: +SKIP
    TensorShape([16, 64, 64, 1])
    """
    num_videos, seed, part = procedural_part(num_videos, seed, check_shard(shard))
    videos = generate_moving_mnist(num_videos, frames, num_digits, mnist_path=mnist_path, split=split,
                                   seed=seed)
    # Generated videos-first: no layout to guess.
    options.setdefault("layout", "NTHWC")
    clips = from_array(videos, frames=clip_frames, height=height, width=width, channels=channels,
                       seed=seed, **options)
    clips.data_summary.kind = "built-in, generated from MNIST digits"
    clips.data_summary.layout_note = None
    clips.data_summary.part = part
    return clips
