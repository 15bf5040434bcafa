"""Distances between two sets of feature vectors, as TF-GAN computes them (float64).

* `frechet_distance`: TF-GAN's `frechet_classifier_distance_from_activations`
  (covariances with the n − 1 normaliser, matrix square roots through SVD;
  singular values below round-off are treated as zero, see `_symmetric_sqrt`).
* `kernel_distance`: TF-GAN's `kernel_classifier_distance_from_activations`,
  the unbiased MMD² with kernel k(x, y) = (xᵀy / d + 1)³ averaged over blocks
  of at most `max_block_size` samples.

On I3D features (`keras_vgan.metrics.features`) they are FVD and KVD.
"""

import math

import numpy as np

from keras_vgan.validation import check_int

SQRT_EPS = 1e-10  # TF-GAN's threshold below which singular values are not square-rooted.


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
    max_block_size = check_int("max_block_size", max_block_size, minimum=2)
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
