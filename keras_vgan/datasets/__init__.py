"""Datasets of video clips for training: built-in synthetic data and real videos.

Every source gives a `tf.data.Dataset` of float32 clips (T, H, W, C) in
[-1, 1] (or `(clip, label)` pairs); `make_training_dataset` shuffles,
augments, batches and prefetches one for `model.fit`; `load_source` picks the
source from a spec string, as `keras-vgan train --data` does; `describe_source`
says what a source holds and how its clips are made, and `check_first_batch`
stops or warns on a first batch that cannot be what was meant.

Example:
>>> from keras_vgan.datasets import load_source, make_training_dataset
>>> clips = load_source("moving_digits", frames=8, height=32, width=32, channels=1, num_videos=8)
>>> batches = make_training_dataset(clips, batch_size=4, shuffle_buffer=8)
"""

from keras_vgan.datasets.arrays import LayoutWarning, choose_layout, from_array, from_npy
from keras_vgan.datasets.checks import DataWarning, check_first_batch, take_clips
from keras_vgan.datasets.degradations import DEGRADATIONS, degraded_pairs, make_degradation
from keras_vgan.datasets.frames import from_frame_folders
from keras_vgan.datasets.moving_mnist import generate_moving_mnist, moving_mnist
from keras_vgan.datasets.pipeline import make_training_dataset
from keras_vgan.datasets.sharding import ShardingWarning
from keras_vgan.datasets.skipping import SkippedItemWarning
from keras_vgan.datasets.sources import BUILTIN_DATASETS, PROCEDURAL_DATASETS, load_source
from keras_vgan.datasets.summary import DataSummary, describe_source
from keras_vgan.datasets.synthetic import bouncing_shapes, moving_digits
from keras_vgan.datasets.tfds import from_tfds
from keras_vgan.datasets.tfrecord import from_tfrecord, write_tfrecord_shards
from keras_vgan.datasets.ucf101 import from_ucf101
from keras_vgan.datasets.video_files import from_video_files

__all__ = [
    "BUILTIN_DATASETS",
    "DEGRADATIONS",
    "DataSummary",
    "DataWarning",
    "LayoutWarning",
    "PROCEDURAL_DATASETS",
    "ShardingWarning",
    "SkippedItemWarning",
    "bouncing_shapes",
    "check_first_batch",
    "choose_layout",
    "degraded_pairs",
    "describe_source",
    "from_array",
    "from_frame_folders",
    "from_npy",
    "from_tfds",
    "from_tfrecord",
    "from_ucf101",
    "from_video_files",
    "generate_moving_mnist",
    "load_source",
    "make_training_dataset",
    "make_degradation",
    "moving_digits",
    "moving_mnist",
    "take_clips",
    "write_tfrecord_shards",
]
