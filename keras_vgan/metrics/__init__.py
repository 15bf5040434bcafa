"""Video quality metrics: FVD and KVD on the Kinetics-400 I3D network, offline.

Example:
>>> from keras_vgan.metrics import fvd
>>> fvd(real_clips, generated_clips)  # doctest: +SKIP
312.5
"""

from keras_vgan.metrics.fvd import (
    frechet_distance,
    fvd,
    fvd_and_kvd,
    kernel_distance,
    kvd,
    preprocess_videos,
    video_features,
)
from keras_vgan.metrics.i3d import build_i3d, load_i3d

__all__ = [
    "build_i3d",
    "frechet_distance",
    "fvd",
    "fvd_and_kvd",
    "kernel_distance",
    "kvd",
    "load_i3d",
    "preprocess_videos",
    "video_features",
]
