"""Video quality metrics: FVD and KVD on the Kinetics-400 I3D network, offline.

The modules, from the bottom up: `i3d` (the network and its weights),
`features` (I3D features of videos), `distances` (Fréchet and kernel
distances between feature sets), `video_distances` (FVD and KVD of videos).

Example:
>>> from keras_vgan.metrics import fvd
>>> fvd(real_clips, generated_clips)  # doctest: +SKIP
312.5
"""

from keras_vgan.metrics.distances import frechet_distance, kernel_distance
from keras_vgan.metrics.features import VideoSet, extract_features, preprocess_videos, video_features
from keras_vgan.metrics.i3d import build_i3d, load_i3d
from keras_vgan.metrics.video_distances import (
    frechet_video_distance,
    fvd,
    fvd_and_kvd,
    kernel_video_distance,
    kvd,
)

__all__ = [
    "VideoSet",
    "build_i3d",
    "extract_features",
    "frechet_distance",
    "frechet_video_distance",
    "fvd",
    "fvd_and_kvd",
    "kernel_distance",
    "kernel_video_distance",
    "kvd",
    "load_i3d",
    "preprocess_videos",
    "video_features",
]
