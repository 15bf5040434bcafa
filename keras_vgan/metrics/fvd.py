"""Fréchet Video Distance (FVD) and Kernel Video Distance (KVD), offline.

Both compare two sets of videos through the 400 Kinetics logits of the I3D
network (`keras_vgan.metrics.i3d`), exactly as the reference implementation
(google-research `frechet_video_distance`) does:

1. every frame is resized to 224×224 with TensorFlow 1's `resize_bilinear`
   (no half-pixel centres: the reference's resize, not TF 2's default);
2. pixels in [0, 255] are mapped to [-1, 1] by 2·x/255 − 1;
3. the features are the time-averaged logits (`RGB/inception_i3d/Mean`);
4. FVD is TF-GAN's `frechet_classifier_distance_from_activations` (float64,
   covariances with the n − 1 normaliser, matrix square roots through SVD;
   singular values below round-off are treated as zero, see `_symmetric_sqrt`);
   KVD is TF-GAN's `kernel_classifier_distance_from_activations`: the unbiased
   MMD² with kernel k(x, y) = (xᵀy / d + 1)³ averaged over blocks of at most
   `max_block_size` samples (computed here in float64).

Videos can be NumPy arrays (or tensors) of shape (N, T, H, W, C), uint8 in
[0, 255] or float in [-1, 1], or `tf.data.Dataset`s of clips / `(clip, label)`
pairs, batched or not. T must be at least 9 (I3D's temporal receptive field);
grayscale clips (C = 1) are repeated to RGB, as I3D was trained on colour.

FVD is biased by the number of videos: only compare numbers computed with the
same N (StyleGAN-V reports N = 2048; many earlier papers N = 256).
"""

import contextlib
import math
import weakref

import keras
import numpy as np
import tensorflow as tf

from keras_vgan.metrics import i3d as i3d_module
from keras_vgan.validation import check_positive_int

DEFAULT_BATCH_SIZE = 8
# Below this many batches the run is short enough not to need a progress bar.
PROGRESS_MIN_BATCHES = 4
# The reference asserts inputs within [-1.001, 1.001] after scaling.
RANGE_TOLERANCE = 1e-3
SQRT_EPS = 1e-10  # TF-GAN's threshold below which singular values are not square-rooted.

_SHARED_MODELS = {}
_EMBEDDERS = weakref.WeakKeyDictionary()


# --------------------------------------------------------------------------- #
# Distances on feature arrays
# --------------------------------------------------------------------------- #

def _as_feature_matrix(name, features):
    array = np.asarray(features, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (num_videos, num_features), got shape {array.shape}")
    if array.shape[0] < 2:
        raise ValueError(f"{name} needs at least 2 videos (rows) to estimate a covariance, got {array.shape[0]}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def _check_pair(features_a, features_b):
    a = _as_feature_matrix("features_a", features_a)
    b = _as_feature_matrix("features_b", features_b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sizes differ: features_a has {a.shape[1]} columns, features_b {b.shape[1]}")
    return a, b


def _symmetric_sqrt(matrix):
    # As TF-GAN, through the SVD. TF-GAN square-roots every singular value of at
    # least 1e-10; but round-off leaves "zero" singular values near
    # s_max · n · machine-epsilon, which can exceed 1e-10, and their square roots
    # then add ~1e-5 of pure noise (FVD(x, x) ≠ 0). Values below the matrix's
    # numerical resolution are therefore treated as exactly zero. Realistic
    # FVDs move by far less than their sampling noise.
    u, s, vh = np.linalg.svd(matrix)
    resolution = max(SQRT_EPS, s.max(initial=0.0) * matrix.shape[0] * np.finfo(matrix.dtype).eps)
    s = np.where(s < resolution, 0.0, np.sqrt(s))
    return (u * s) @ vh


def frechet_distance(features_a, features_b):
    """Fréchet distance between Gaussians fitted to two feature sets (float64).

    ‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa Σb)^½), with unbiased (n − 1) covariances
    and Tr((Σa Σb)^½) computed as Tr((A Σb A)^½), A = Σa^½, like TF-GAN.

    Example:
    >>> a = np.array([[0.0, 0.0], [2.0, 0.0]])
    >>> round(frechet_distance(a, a + [3.0, 4.0]), 6)  # only the means differ
    25.0
    """
    a, b = _check_pair(features_a, features_b)
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    centered_a, centered_b = a - mean_a, b - mean_b
    sigma_a = centered_a.T @ centered_a / (a.shape[0] - 1)
    sigma_b = centered_b.T @ centered_b / (b.shape[0] - 1)
    sqrt_a = _symmetric_sqrt(sigma_a)
    trace_sqrt_product = np.trace(_symmetric_sqrt(sqrt_a @ sigma_b @ sqrt_a))
    trace = np.trace(sigma_a) + np.trace(sigma_b) - 2.0 * trace_sqrt_product
    return float(np.sum((mean_a - mean_b) ** 2) + trace)


def kernel_distance(features_a, features_b, max_block_size=1024, return_std=False):
    """Unbiased MMD² with the cubic polynomial kernel, TF-GAN's block estimator (float64).

    The samples are split into the same number of blocks on both sides (none
    larger than `max_block_size`); each block gives an unbiased MMD² estimate
    and the result is their mean. With `return_std=True` also returns the
    standard error over blocks (NaN with a single block).

    Example:
    >>> rng = np.random.default_rng(0)
    >>> near = kernel_distance(rng.normal(size=(64, 8)), rng.normal(size=(64, 8)))
    >>> far = kernel_distance(rng.normal(size=(64, 8)), rng.normal(3.0, size=(64, 8)))
    >>> abs(near) < far
    True
    """
    a, b = _check_pair(features_a, features_b)
    if isinstance(max_block_size, bool) or not isinstance(max_block_size, (int, np.integer)) \
            or max_block_size < 2:
        raise ValueError(f"max_block_size must be an integer >= 2, got {max_block_size!r}")
    n_a, n_b = a.shape[0], b.shape[0]
    num_blocks = math.ceil(max(n_a, n_b) / max_block_size)
    if min(n_a, n_b) // num_blocks < 2:
        raise ValueError(
            f"kernel distance needs at least 2 samples per block on each side: {n_a} vs {n_b} "
            f"samples split into {num_blocks} blocks of at most {max_block_size}; "
            "use more samples on the smaller side or a larger max_block_size")
    dim = a.shape[1]

    def boundaries(n):
        # TF-GAN's split: the first blocks get n // num_blocks, the last ones one more.
        base, extra = divmod(n, num_blocks)
        sizes = [base] * (num_blocks - extra) + [base + 1] * extra
        return np.concatenate([[0], np.cumsum(sizes)])

    bounds_a, bounds_b = boundaries(n_a), boundaries(n_b)
    estimates = []
    for block in range(num_blocks):
        x = a[bounds_a[block]:bounds_a[block + 1]]
        y = b[bounds_b[block]:bounds_b[block + 1]]
        m, n = x.shape[0], y.shape[0]
        k_xx = (x @ x.T / dim + 1.0) ** 3
        k_yy = (y @ y.T / dim + 1.0) ** 3
        k_xy = (x @ y.T / dim + 1.0) ** 3
        estimates.append((k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
                         + (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
                         - 2.0 * k_xy.mean())
    estimates = np.asarray(estimates)
    mean = float(estimates.mean())
    if not return_std:
        return mean
    if num_blocks <= 1:
        return mean, float("nan")
    variance = np.sum((estimates - mean) ** 2) / (num_blocks - 1)
    return mean, float(np.sqrt(variance / num_blocks))


# --------------------------------------------------------------------------- #
# Video input handling
# --------------------------------------------------------------------------- #

def _check_clip_shape(name, clip_shape):
    frames, _, _, channels = clip_shape
    if channels not in (1, 3):
        raise ValueError(f"{name}: clips must have 1 (grayscale) or 3 (RGB) channels, "
                         f"got shape (T, H, W, C) = {tuple(clip_shape)}")
    if frames is not None and frames < i3d_module.MIN_FRAMES:
        raise ValueError(f"{name}: I3D needs at least {i3d_module.MIN_FRAMES} frames per clip, "
                         f"got {frames} (clip shape {tuple(clip_shape)})")


def _check_values(name, batch):
    if batch.dtype == np.uint8:
        return batch
    if not np.issubdtype(batch.dtype, np.floating):
        raise ValueError(f"{name}: videos must be uint8 in [0, 255] or float in [-1, 1], got dtype {batch.dtype}")
    low, high = float(np.min(batch)), float(np.max(batch))
    if not (low >= -1.0 - RANGE_TOLERANCE and high <= 1.0 + RANGE_TOLERANCE):
        raise ValueError(f"{name}: float videos must be in [-1, 1], got values in [{low:g}, {high:g}] "
                         "(pass uint8 for [0, 255] pixels)")
    return batch.astype(np.float32, copy=False)


class _Videos:
    """A uniform view of an array or dataset of videos: known shape/count and numpy batches."""

    def __init__(self, name, videos, num_videos=None):
        self.name = name
        self.requested = num_videos
        check_positive_int("num_videos", num_videos, allow_none=True)
        if isinstance(videos, tf.data.Dataset):
            self._init_dataset(videos, num_videos)
        else:
            self._init_array(videos, num_videos)

    def _init_array(self, videos, num_videos):
        array = np.asarray(videos)
        if array.ndim != 5:
            raise ValueError(f"{self.name}: expected videos of shape (N, T, H, W, C), got shape {array.shape}")
        if num_videos is not None:
            if array.shape[0] < num_videos:
                raise ValueError(f"{self.name}: num_videos={num_videos} but only {array.shape[0]} videos given")
            array = array[:num_videos]
        self.array, self.dataset = array, None
        self.count, self.clip_shape = array.shape[0], tuple(array.shape[1:])
        _check_clip_shape(self.name, self.clip_shape)

    def _init_dataset(self, dataset, num_videos):
        spec = dataset.element_spec
        if isinstance(spec, (tuple, list)):  # (clips, labels): keep the clips.
            dataset = dataset.map(lambda *element: element[0])
            spec = dataset.element_spec
        if not isinstance(spec, tf.TensorSpec) or spec.shape.rank not in (4, 5):
            raise ValueError(f"{self.name}: expected a dataset of clips (T, H, W, C) or batches "
                             f"(N, T, H, W, C), optionally paired with labels; got element_spec {spec}")
        if spec.shape.rank == 5:
            dataset = dataset.unbatch()
        if num_videos is not None:
            dataset = dataset.take(num_videos)
        elif dataset.cardinality() == tf.data.INFINITE_CARDINALITY:
            raise ValueError(f"{self.name}: the dataset is infinite (repeated); pass num_videos")
        self.array, self.dataset = None, dataset
        self.clip_shape = tuple(dataset.element_spec.shape.as_list())
        cardinality = int(dataset.cardinality())
        self.count = cardinality if cardinality >= 0 else None
        _check_clip_shape(self.name, self.clip_shape)

    def batches(self, batch_size):
        if self.array is not None:
            for start in range(0, self.array.shape[0], batch_size):
                yield _check_values(self.name, self.array[start:start + batch_size])
            return
        for batch in self.dataset.batch(batch_size).as_numpy_iterator():
            yield _check_values(self.name, batch)


def _check_same_clip_shape(real_shape, fake_shape):
    if any(r is not None and f is not None and r != f for r, f in zip(real_shape, fake_shape)):
        raise ValueError(f"real and fake clips differ in shape (T, H, W, C): real {tuple(real_shape)}, "
                         f"fake {tuple(fake_shape)}; compare videos with the same frames, size and channels")


def _check_count(name, count):
    if count is not None and count < 2:
        raise ValueError(f"{name}: need at least 2 videos to compare distributions, got {count}")


# --------------------------------------------------------------------------- #
# I3D features
# --------------------------------------------------------------------------- #

def _shared_model(weights):
    path = i3d_module.resolve_weights(weights)
    model = _SHARED_MODELS.get(path)
    if model is None:
        model = _SHARED_MODELS[path] = i3d_module.load_i3d(path)
    return model


def preprocess_videos(videos):
    """Videos (N, T, H, W, C) uint8 [0, 255] or float [-1, 1] → float32 (N, T, 224, 224, 3) in [-1, 1].

    The reference's resize (TF 1 `resize_bilinear`, corners not aligned, no
    half-pixel centres) on every frame; grayscale is repeated to RGB.

    Example:
    >>> preprocess_videos(np.zeros((1, 9, 64, 64, 1), np.uint8)).shape
    TensorShape([1, 9, 224, 224, 3])
    """
    videos = tf.convert_to_tensor(videos)
    shape = tf.shape(videos)
    size = i3d_module.INPUT_SIZE
    frames = tf.reshape(videos, tf.concat([[-1], shape[2:]], axis=0))
    resized = tf.raw_ops.ResizeBilinear(images=frames, size=[size, size], align_corners=False,
                                        half_pixel_centers=False)
    if videos.dtype == tf.uint8:
        resized = 2.0 * resized / 255.0 - 1.0
    if videos.shape[-1] == 1:
        resized = tf.image.grayscale_to_rgb(resized)
    return tf.reshape(resized, [shape[0], shape[1], size, size, 3])


def feature_function(model):
    """What `video_features` runs on each batch: resize every frame, then I3D.

    The returned callable takes a batch (N, T, H, W, C), uint8 or float32 in
    [-1, 1], C = 1 or 3, and returns (N, 400) float32 features. It wraps two
    `tf.function`s (uint8 and float32 input) traced once each with any batch
    size, frame count and frame size, and is cached per model.

    Example:
    >>> extract = feature_function(load_i3d())  # doctest: +SKIP
    >>> extract(np.zeros((2, 16, 64, 64, 3), np.uint8)).shape  # doctest: +SKIP
    TensorShape([2, 400])
    """
    extract = _EMBEDDERS.get(model)
    if extract is not None:
        return extract
    # A weak reference, so the cache entry does not keep its own key alive.
    model_ref = weakref.ref(model)

    def traced(dtype):
        @tf.function(input_signature=[tf.TensorSpec([None, None, None, None, 3], dtype)], autograph=False)
        def embed(videos):
            return tf.cast(model_ref()(preprocess_videos(videos), training=False), tf.float32)
        return embed

    by_dtype = {tf.uint8: traced(tf.uint8), tf.float32: traced(tf.float32)}

    def extract(videos):
        videos = tf.convert_to_tensor(videos)
        if videos.dtype not in by_dtype:
            videos = tf.cast(videos, tf.float32)
        if videos.shape[-1] == 1:  # Grayscale → RGB here, so the traced graphs stay RGB-only.
            videos = tf.repeat(videos, 3, axis=-1)
        return by_dtype[videos.dtype](videos)

    _EMBEDDERS[model] = extract
    return extract


@contextlib.contextmanager
def _full_float32():
    # TensorFlow runs float32 matmuls/convolutions in TensorFloat-32 on Ampere and
    # newer GPUs by default (10-bit mantissa); FVD is defined in float32.
    was_enabled = tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        yield
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(was_enabled)


def _features(videos, *, batch_size, model, weights, verbose):
    with _full_float32():
        return _features_float32(videos, batch_size=batch_size, model=model, weights=weights, verbose=verbose)


def _features_float32(videos, *, batch_size, model, weights, verbose):
    check_positive_int("batch_size", batch_size)
    model = model if model is not None else _shared_model(weights)
    embed = feature_function(model)
    num_batches = None if videos.count is None else math.ceil(videos.count / batch_size)
    if verbose == "auto":
        show = num_batches is None or num_batches >= PROGRESS_MIN_BATCHES
    else:
        show = bool(verbose)
    progress = keras.utils.Progbar(num_batches, unit_name="batch") if show else None
    outputs, clip_shape = [], None
    for index, batch in enumerate(videos.batches(batch_size)):
        if clip_shape is None:
            clip_shape = batch.shape[1:]
        elif batch.shape[1:] != clip_shape:
            raise ValueError(f"{videos.name}: clips change shape within the input: {tuple(clip_shape)} "
                             f"then {tuple(batch.shape[1:])}")
        outputs.append(embed(batch).numpy())
        if progress is not None:
            progress.update(index + 1)
    if not outputs:
        raise ValueError(f"{videos.name}: no videos given")
    features = np.concatenate(outputs).astype(np.float32)
    if videos.requested is not None and features.shape[0] < videos.requested:
        raise ValueError(f"{videos.name}: num_videos={videos.requested} but the dataset gave only "
                         f"{features.shape[0]} clips")
    _check_count(videos.name, features.shape[0])
    return features, tuple(clip_shape)


def video_features(videos, *, batch_size=DEFAULT_BATCH_SIZE, num_videos=None, model=None,
                   weights=None, verbose="auto"):
    """I3D features (N, 400) float32 of videos: the time-averaged Kinetics logits.

    `videos`: array (N, T, H, W, C) uint8 or float in [-1, 1], or a dataset of
    clips (see module docstring); `num_videos` takes the first N (required for
    an infinite dataset). `model`: an I3D from `load_i3d` (default: loaded
    once per process from `weights`, see `load_i3d`). `verbose`: "auto" shows a
    progress bar for long runs, 0/1 force it off/on.

    Example:
    >>> clips = np.zeros((4, 16, 64, 64, 3), np.uint8)
    >>> video_features(clips).shape  # doctest: +SKIP
    (4, 400)
    """
    source = _Videos("videos", videos, num_videos)
    _check_count(source.name, source.count)
    return _features(source, batch_size=batch_size, model=model, weights=weights, verbose=verbose)[0]


def _pair_features(real, fake, batch_size, num_videos, model, weights, verbose):
    real_videos = _Videos("real", real, num_videos)
    fake_videos = _Videos("fake", fake, num_videos)
    _check_count("real", real_videos.count)
    _check_count("fake", fake_videos.count)
    _check_same_clip_shape(real_videos.clip_shape, fake_videos.clip_shape)
    options = dict(batch_size=batch_size, model=model, weights=weights, verbose=verbose)
    real_features, real_shape = _features(real_videos, **options)
    fake_features, fake_shape = _features(fake_videos, **options)
    _check_same_clip_shape(real_shape, fake_shape)
    return real_features, fake_features


def fvd(real, fake, *, batch_size=DEFAULT_BATCH_SIZE, num_videos=None, model=None, weights=None,
        verbose="auto"):
    """Fréchet Video Distance between two sets of videos (a Python float; lower is closer).

    Arguments as in `video_features`; `num_videos` caps both sides. Real and
    fake clips must have the same (T, H, W, C). Use the same N on both sides
    and across the models you compare: FVD's bias depends on N.

    Example:
    >>> black = np.zeros((16, 15, 64, 64, 3), np.uint8)
    >>> round(fvd(black, black + 255), 1)  # the reference docstring's "around 131"  # doctest: +SKIP
    133.9
    """
    real_features, fake_features = _pair_features(real, fake, batch_size, num_videos, model, weights, verbose)
    return frechet_distance(real_features, fake_features)


def kvd(real, fake, *, batch_size=DEFAULT_BATCH_SIZE, num_videos=None, model=None, weights=None,
        verbose="auto", max_block_size=1024):
    """Kernel Video Distance (unbiased MMD² on I3D features; a Python float, ≈ 0 when alike).

    Arguments as in `fvd`; `max_block_size` as in `kernel_distance`.

    Example:
    >>> kvd(real_clips, generated_clips)  # doctest: +SKIP
    0.42
    """
    real_features, fake_features = _pair_features(real, fake, batch_size, num_videos, model, weights, verbose)
    return kernel_distance(real_features, fake_features, max_block_size=max_block_size)


def fvd_and_kvd(real, fake, *, batch_size=DEFAULT_BATCH_SIZE, num_videos=None, model=None,
                weights=None, verbose="auto", max_block_size=1024):
    """Both distances from one pass of I3D over each set: `{"fvd": float, "kvd": float}`.

    Example:
    >>> fvd_and_kvd(real_clips, generated_clips)  # doctest: +SKIP
    {'fvd': 312.5, 'kvd': 21.7}
    """
    real_features, fake_features = _pair_features(real, fake, batch_size, num_videos, model, weights, verbose)
    return {"fvd": frechet_distance(real_features, fake_features),
            "kvd": kernel_distance(real_features, fake_features, max_block_size=max_block_size)}
