"""Video quality metrics: FVD and KVD on the Kinetics-400 I3D network, offline; frame-prediction metrics.

The modules, from the bottom up: `i3d` (the network and its weights),
`features` (I3D features of videos), `distances` (Fréchet and kernel
distances between feature sets), `video_distances` (FVD and KVD of videos).
For frame prediction: `frame_quality` (MSE, MAE, PSNR and SSIM of predicted
frames against the true ones, per future step) and `prediction_report`
(models beside the copy-last-frame baseline on held-out clips, as Markdown).
For restored videos: `temporal_consistency` (the warping error between
consecutive frames along Farneback optical flow, and its ratio to the ground
truth's). For class-conditional generators: `obedience` (a video
classifier's accuracy on the clips generated for each class).

Example:
>>> from keras_vgan.metrics import fvd
>>> fvd(real_clips, generated_clips)  # doctest: +SKIP
312.5
"""

from keras_vgan.metrics.obedience import (
    ClassObedience,
    build_video_classifier,
    class_obedience,
    train_video_classifier,
)
from keras_vgan.metrics.distances import frechet_distance, kernel_distance
from keras_vgan.metrics.features import VideoSet, extract_features, preprocess_videos, video_features
from keras_vgan.metrics.frame_quality import (
    copy_last_frame,
    frame_scores,
    identical_frames_per_step,
    mae_per_frame,
    mean_over_clips,
    mean_over_steps,
    mse_per_frame,
    prediction_metrics,
    psnr_per_frame,
    ssim_per_frame,
)
from keras_vgan.metrics.i3d import build_i3d, load_i3d
from keras_vgan.metrics.prediction_report import (
    BASELINE_NAME,
    PUBLISHED_MOVING_MNIST,
    evaluate_predictions,
    format_report,
    published_moving_mnist_table,
)
from keras_vgan.metrics.temporal_consistency import (
    TEMPORAL_CONSISTENCY_TARGET,
    TemporalConsistency,
    frame_pair_warping_errors,
    temporal_consistency,
    temporal_consistency_ratio,
)
from keras_vgan.metrics.video_distances import (
    frechet_video_distance,
    fvd,
    fvd_and_kvd,
    kernel_video_distance,
    kvd,
)

__all__ = [
    "BASELINE_NAME",
    "ClassObedience",
    "PUBLISHED_MOVING_MNIST",
    "TEMPORAL_CONSISTENCY_TARGET",
    "TemporalConsistency",
    "VideoSet",
    "build_i3d",
    "build_video_classifier",
    "class_obedience",
    "copy_last_frame",
    "evaluate_predictions",
    "extract_features",
    "format_report",
    "frame_pair_warping_errors",
    "frame_scores",
    "frechet_distance",
    "frechet_video_distance",
    "fvd",
    "fvd_and_kvd",
    "identical_frames_per_step",
    "kernel_distance",
    "kernel_video_distance",
    "kvd",
    "load_i3d",
    "mae_per_frame",
    "mean_over_clips",
    "mean_over_steps",
    "mse_per_frame",
    "prediction_metrics",
    "preprocess_videos",
    "psnr_per_frame",
    "published_moving_mnist_table",
    "ssim_per_frame",
    "temporal_consistency",
    "temporal_consistency_ratio",
    "train_video_classifier",
    "video_features",
]
