"""Callbacks for `VideoGAN.fit`."""

from keras_vgan.callbacks.checkpoint import TrainingCheckpoint, TrainingProgress
from keras_vgan.callbacks.fvd import FVDCallback
from keras_vgan.callbacks.real_samples import RealSamples
from keras_vgan.callbacks.samples import SampleGrid
from keras_vgan.callbacks.schedule import EpochSchedule, StepSchedule
from keras_vgan.callbacks.singular_value_clipping import SingularValueClipping
from keras_vgan.callbacks.tensorboard_samples import TensorBoardSamples, animated_image_summary

__all__ = ["EpochSchedule", "FVDCallback", "RealSamples", "SampleGrid", "SingularValueClipping", "StepSchedule",
           "TensorBoardSamples", "TrainingCheckpoint", "TrainingProgress", "animated_image_summary"]
