"""Names moved to a module of their own still import from where they were, as the same objects."""

import pytest

from keras_vgan import atomic, export, saving, training, video_io
from keras_vgan.cli import evaluate
from keras_vgan.models import layers, predictors
from keras_vgan.datasets import clip_options, decoding, files, opencv_clips, pipeline, skipping, sources, tensor_clips

MOVED = [
    (pipeline, clip_options, ["CLIP_SAMPLINGS", "CROP_MODES", "check_channels", "check_clip_options"]),
    (pipeline, files, ["IMAGE_EXTENSIONS", "VIDEO_EXTENSIONS", "class_labels", "is_glob", "natural_sort_key",
                       "parent_folder_labels", "walk_directory"]),
    (pipeline, opencv_clips, ["assemble_clips", "bgr_to_channels", "clip_frame_indices", "clip_span", "cover_size",
                              "crop_offset", "resize_frame_to_cover", "source_step"]),
    (pipeline, tensor_clips, ["convert_channels", "long_enough", "process_video_tensor", "resize_and_crop",
                              "sample_clips", "to_float_clip"]),
    (pipeline, skipping, ["SkipItem", "SkipTracker", "SkippedItemWarning"]),
    (pipeline, decoding, ["decoded_clips_dataset", "probe_in_parallel", "probe_usable_items"]),
    (video_io, atomic, ["atomic_path", "check_writable"]),
    (export, saving, ["MODEL_FILENAME", "load_video_gan", "resolve_model_path"]),
    (training, saving, ["save_model"]),
    (evaluate, saving, ["resolve_model_path"]),
    (predictors, layers, ["DepthToSpace"]),
]


@pytest.mark.parametrize("old, new, names", MOVED, ids=lambda value: getattr(value, "__name__", None))
def test_moved_names_are_still_at_their_old_place(old, new, names):
    for name in names:
        assert getattr(old, name) is getattr(new, name), (old.__name__, name)


def test_the_builtin_dataset_lists_are_one_list():
    assert sources.BUILTIN_SOURCES is sources.BUILTIN_DATASETS
    assert evaluate.PROCEDURAL_SOURCES is sources.PROCEDURAL_DATASETS
    assert set(sources.PROCEDURAL_DATASETS) < set(sources.BUILTIN_DATASETS)
