"""Fréchet Video Distance (FVD) and Kernel Video Distance (KVD), offline.

Both compare two sets of videos through their I3D features
(`keras_vgan.metrics.features`, computed as the reference implementation
does): FVD is the Fréchet distance between Gaussians fitted to the two
feature sets, KVD the unbiased MMD² with a cubic polynomial kernel
(`keras_vgan.metrics.distances`, both as TF-GAN computes them).

`fvd` and `kvd` are the short names of `frechet_video_distance` and
`kernel_video_distance`.

FVD is biased by the number of videos: only compare numbers computed with the
same N (StyleGAN-V reports N = 2048; many earlier papers N = 256).
"""

from keras_vgan.metrics.distances import frechet_distance, kernel_distance
from keras_vgan.metrics.features import DEFAULT_BATCH_SIZE, VideoSet, extract_features


def _check_same_clip_shape(real_shape, fake_shape):
    if any(r is not None and f is not None and r != f for r, f in zip(real_shape, fake_shape)):
        raise ValueError(f"real and fake clips differ in shape (T, H, W, C): real {tuple(real_shape)}, "
                         f"fake {tuple(fake_shape)}; compare videos with the same frames, size and channels")


def _pair_features(real, fake, batch_size, num_videos, model, weights, verbose):
    real_videos = VideoSet("real", real, num_videos)
    fake_videos = VideoSet("fake", fake, num_videos)
    real_videos.check_enough()
    fake_videos.check_enough()
    _check_same_clip_shape(real_videos.clip_shape, fake_videos.clip_shape)
    options = dict(batch_size=batch_size, model=model, weights=weights, verbose=verbose)
    real_features, real_shape = extract_features(real_videos, **options)
    fake_features, fake_shape = extract_features(fake_videos, **options)
    _check_same_clip_shape(real_shape, fake_shape)
    return real_features, fake_features


def frechet_video_distance(real, fake, *, batch_size=DEFAULT_BATCH_SIZE, num_videos=None, model=None,
                           weights=None, verbose="auto"):
    """Fréchet Video Distance between two sets of videos (a Python float; lower is closer).

    Arguments as in `video_features`; `num_videos` caps both sides. Real and
    fake clips must have the same (T, H, W, C). Use the same N on both sides
    and across the models you compare: FVD's bias depends on N.

    Example:
    >>> import numpy as np
    >>> black = np.zeros((16, 15, 64, 64, 3), np.uint8)
    >>> round(fvd(black, black + 255), 1)  # the reference docstring's "around 131"  # doctest: +SKIP
    133.9
    """
    real_features, fake_features = _pair_features(real, fake, batch_size, num_videos, model, weights, verbose)
    return frechet_distance(real_features, fake_features)


def kernel_video_distance(real, fake, *, batch_size=DEFAULT_BATCH_SIZE, num_videos=None, model=None,
                          weights=None, verbose="auto", max_block_size=1024):
    """Kernel Video Distance (unbiased MMD² on I3D features; a Python float, ≈ 0 when alike).

    Arguments as in `frechet_video_distance`; `max_block_size` as in `kernel_distance`.

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


# The short names papers and the README use.
fvd = frechet_video_distance
kvd = kernel_video_distance
