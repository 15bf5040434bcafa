"""Clips from folders of frame images: one folder of JPEG/PNG frames per video.

The layout is `root/class/video/frame_0001.jpg` (or `root/video/...`, or
`root` itself holding the frames of one video). Frames are ordered by
natural sort of their names, so `frame_2` comes before `frame_10`.
"""

import os

import cv2
import tensorflow as tf

from keras_vgan.datasets.clip_options import check_clip_options
from keras_vgan.datasets.decoding import decoded_clips_dataset, probe_usable_items, worker_part
from keras_vgan.datasets.files import IMAGE_EXTENSIONS, natural_sort_key, parent_folder_labels, walk_directory
from keras_vgan.datasets.sharding import check_shard, shard_seed
from keras_vgan.datasets.skipping import SkipItem, SkipTracker
from keras_vgan.datasets.summary import DataSummary, attach_summary


def find_frame_folders(root, extensions=IMAGE_EXTENSIONS):
    """Folders under `root` (itself included) that directly hold image files.

    Returns `(folders, unreadable)`: a dict folder → naturally sorted frame
    paths, and a dict of folders that could not be listed → reason.

    Example:
    >>> folders, _ = find_frame_folders("frames/")  # doctest: +SKIP
    """
    extensions = tuple(e.lower() for e in extensions)
    listing, unreadable = walk_directory(root)
    folders = {}
    for folder, names in listing:
        images = sorted((n for n in names if n.lower().endswith(extensions)), key=natural_sort_key)
        if images:
            folders[folder] = [os.path.join(folder, name) for name in images]
    return folders, unreadable


def from_frame_folders(root, frames=16, height=64, width=64, channels=3, frame_step=1, fps=None,
                       source_fps=None, clips_per_video=1, crop="center", clip_sampling="random",
                       labels=False, class_names=None, shuffle=True, seed=None, shard=None,
                       extensions=IMAGE_EXTENSIONS, num_parallel_calls=tf.data.AUTOTUNE,
                       deterministic=False):
    """A `tf.data.Dataset` of float32 clips in [-1, 1] from folders of frame images.

    Each folder holding images is one video. Options are those of
    `from_video_files`; frame folders carry no frame rate, so `fps`
    resampling needs `source_fps` (the rate the frames were extracted at).
    With `labels=True` a video's class is the name of the folder above it
    (`class/video/frame_0001.jpg`); elements are `(clip, label)` and the
    dataset has `class_names`. `shuffle` visits the videos in a new random
    order each pass. `shard=(index, count)` reads worker `index`'s part of
    the sorted usable folders, as `from_video_files` does.

    A folder with an unreadable frame, or fewer frames than one clip needs,
    and an unlistable folder, are skipped with one `SkippedItemWarning` each.

    Example:
    >>> clips = from_frame_folders("ucf_frames/", frames=16, height=64, width=64)  # doctest: +SKIP
    """
    frames, height, width, channels, frame_step, clips_per_video, fps = check_clip_options(
        frames, height, width, channels, frame_step, clips_per_video, crop, clip_sampling, fps)
    shard = check_shard(shard)
    root = os.fspath(root)
    if not os.path.exists(root):
        raise FileNotFoundError(f"frame folder root {root!r} does not exist")
    if not os.path.isdir(root):
        raise ValueError(f"frame folder root {root!r} is not a directory")
    folders, unreadable = find_frame_folders(root, extensions)
    if not folders and not unreadable:
        raise ValueError(f"no folders of frame images ({', '.join(extensions)}) found under {root!r}")

    tracker = SkipTracker(len(folders) + len(unreadable), name="frame folders")
    for folder, reason in unreadable.items():
        tracker.skip(f"folder {folder}", reason)
    read_flag = cv2.IMREAD_GRAYSCALE if channels == 1 else cv2.IMREAD_COLOR
    first_frames = {}

    def probe(folder):
        first = cv2.imread(folders[folder][0], read_flag)
        if first is None:
            raise SkipItem(f"its first frame {folders[folder][0]} does not decode")
        first_frames[folder] = first.shape[:2]
        return len(folders[folder]), float(source_fps or 0.0)

    def read_frames(folder, indices):
        paths = folders[folder]
        decoded = {}
        for index in indices:
            if index >= len(paths):
                return decoded, len(paths)
            image = cv2.imread(paths[index], read_flag)
            if image is None:
                raise SkipItem(f"frame {paths[index]} does not decode")
            decoded[index] = image
        return decoded, None

    usable, infos = probe_usable_items(sorted(folders), probe, tracker, frames, frame_step, fps, root)
    label_list = None
    if labels:
        label_list, class_names = parent_folder_labels(usable, class_names)
    usable, infos, label_list, part = worker_part(shard, usable, infos, label_list, "usable frame folder", root)

    dataset = decoded_clips_dataset(
        usable, infos, read_frames, frames, height, width, channels, frame_step=frame_step, fps=fps,
        clips_per_video=clips_per_video, clip_sampling=clip_sampling, crop=crop, labels=label_list,
        tracker=tracker, shuffle_items=shuffle, seed=shard_seed(seed, shard),
        class_names=class_names if labels else None, num_parallel_calls=num_parallel_calls,
        deterministic=deterministic)
    dataset.folders = list(usable)
    # Frames are read as `channels` straight away, so the summary reports no colour conversion.
    return attach_summary(dataset, DataSummary(
        kind="frame folders", part=part, num_items=len(usable), item_name="frame folder",
        total_items=tracker.total if part is None else None,
        frame_counts=tuple(count for count, _ in infos), frame_sizes=tuple(first_frames[f] for f in usable),
        channels=channels, dtype="uint8", value_range=(0, 255), frame_step=frame_step, fps=fps,
        clips_per_item=clips_per_video, clip_sampling=clip_sampling, crop=crop,
        num_classes=len(class_names) if labels else None))
