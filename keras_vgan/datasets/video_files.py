"""Clips from video files (MP4, AVI, WebM, MKV, ...), decoded by OpenCV inside `tf.data`.

Every file is probed once, up front and in parallel (opened, its frame count
and frame rate read, its first frame decoded), so a source with nothing
readable fails before training starts, and files that cannot give a clip are
warned about once and left out. Files that fail later (a truncated stream)
are skipped on the fly; the log says how many a pass skipped, again only when that changes.
"""

import glob
import os

import cv2
import tensorflow as tf

from keras_vgan.datasets.clip_options import check_clip_options
from keras_vgan.datasets.decoding import decoded_clips_dataset, probe_usable_items, worker_part
from keras_vgan.datasets.files import VIDEO_EXTENSIONS, is_glob, parent_folder_labels, walk_directory
from keras_vgan.datasets.sharding import check_shard, shard_seed
from keras_vgan.datasets.skipping import SkipItem, SkipTracker
from keras_vgan.datasets.summary import DataSummary, attach_summary

# FFmpeg threads per open file (0 lets FFmpeg use one per core). tf.data
# already decodes one file per core; FFmpeg's frame threads on top cost as
# much or more CPU per clip (benchmarks/results/data_pipeline.md), and when
# training shares the cores, CPU per clip is what limits the rate.
DECODER_THREADS = 1


def open_video(path, threads=None):
    """`cv2.VideoCapture` on `path` through FFmpeg, with `threads` decoder threads."""
    threads = DECODER_THREADS if threads is None else threads
    return cv2.VideoCapture(os.fspath(path), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, int(threads)])


def probe_video(path):
    """(frame count, frames per second) of a video, or `SkipItem` saying why it is unusable.

    Cheap: opens the file and decodes its first frame only, unless the
    container gives no frame count (then it counts frames by decoding).

    Example:
    >>> probe_video("clip.mp4")  # doctest: +SKIP
    (250, 25.0)
    """
    count, fps, _ = probe_video_frame(path)
    return count, fps


def probe_video_frame(path):
    """`probe_video`'s (frame count, frames per second), plus the first frame's shape (H, W, C)."""
    try:
        size = os.path.getsize(path)
    except OSError as error:
        raise SkipItem(f"cannot read it ({error.strerror or error})") from None
    if size == 0:
        raise SkipItem("it is empty (0 bytes)")
    capture = open_video(path)
    try:
        if not capture.isOpened():
            raise SkipItem("OpenCV/FFmpeg cannot open it as a video (not a video, or corrupt)")
        count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
        fps = capture.get(cv2.CAP_PROP_FPS)
        if not capture.grab():
            raise SkipItem("no frame decodes (corrupt or truncated)")
        ok, frame = capture.retrieve()
        if not ok or frame is None or frame.size == 0:
            raise SkipItem("its first frame does not decode (corrupt or unsupported codec)")
        if not count or count != count or count <= 0:
            # No count in the container: count by decoding, once.
            count = 1
            while capture.grab():
                count += 1
        fps = fps if fps and fps == fps and fps > 0 else 0.0
        return int(count), float(fps), frame.shape
    finally:
        capture.release()


def read_video_frames(path, indices):
    """Decode the frames at sorted `indices` of a video: `(dict index → BGR frame, stream_end)`.

    Decodes sequentially (frame-accurate for every codec), skipping the
    colour conversion of frames that are not needed. `stream_end` is None,
    or the number of frames the stream had when it ended before the last
    index.
    """
    wanted = set(indices)
    last = max(indices)
    capture = open_video(path)
    try:
        if not capture.isOpened():
            raise SkipItem("OpenCV/FFmpeg cannot open it as a video")
        frames = {}
        for position in range(last + 1):
            if not capture.grab():
                return frames, position
            if position in wanted:
                ok, frame = capture.retrieve()
                if not ok or frame is None:
                    raise SkipItem(f"frame {position} does not decode (corrupt?)")
                frames[position] = frame
        return frames, None
    finally:
        capture.release()


def find_video_files(paths, extensions=VIDEO_EXTENSIONS):
    """Resolve a directory (searched recursively), a glob, a file, or a list of those.

    Returns `(files, unreadable_folders)`: sorted unique paths, and a dict of
    folders that could not be listed → reason. A path that does not exist or a
    glob that matches nothing is a FileNotFoundError; finding no video at all
    is a ValueError.

    Example:
    >>> files, _ = find_video_files("UCF-101/")  # doctest: +SKIP
    """
    extensions = tuple(e.lower() for e in extensions)
    specs = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not specs:
        raise ValueError("no video paths given (an empty list)")
    files, unreadable = [], {}
    for spec in specs:
        spec = os.fspath(spec)
        if os.path.isdir(spec):
            listing, bad_folders = walk_directory(spec)
            unreadable.update(bad_folders)
            files.extend(os.path.join(folder, name) for folder, names in listing for name in names
                         if name.lower().endswith(extensions))
        elif os.path.isfile(spec):
            files.append(spec)  # named explicitly: accepted whatever its extension
        elif is_glob(spec):
            matches = sorted(glob.glob(spec, recursive=True))
            if not matches:
                raise FileNotFoundError(f"the glob {spec!r} matches no files")
            for match in matches:
                if os.path.isdir(match):
                    found, bad_folders = find_video_files(match, extensions)
                    files.extend(found)
                    unreadable.update(bad_folders)
                elif match.lower().endswith(extensions):
                    files.append(match)
        else:
            raise FileNotFoundError(f"video path {spec!r} does not exist")
    files = sorted(set(files))
    if not files and not unreadable:
        raise ValueError(f"no video files ({', '.join(extensions)}) found in "
                         f"{specs[0] if len(specs) == 1 else specs!r}")
    return files, unreadable


def from_video_files(paths, frames=16, height=64, width=64, channels=3, frame_step=1, fps=None,
                     clips_per_video=1, crop="center", clip_sampling="random", labels=False,
                     class_names=None, shuffle=True, seed=None, shard=None, extensions=VIDEO_EXTENSIONS,
                     num_parallel_calls=tf.data.AUTOTUNE, deterministic=False):
    """A `tf.data.Dataset` of float32 clips (frames, height, width, channels) in [-1, 1] from videos.

    `paths`: a directory (searched recursively), a glob, a file, or a list of
    those. Each pass takes `clips_per_video` clips from every video: clip
    starts drawn at random (`clip_sampling="random"`) or spread evenly
    (`"even"`); frames `frame_step` apart after resampling to `fps` when
    given (else the file's own rate). Frames are resized, aspect kept, to
    cover height×width, then cropped (`crop="center"` or `"random"`, one
    window per clip). With `labels=True` elements are `(clip, label)`, the
    label being the index of the video's parent folder name (UCF-101's
    `class/video.avi` layout) in `dataset.class_names` (sorted, or the
    `class_names` given). `shuffle` visits the videos in a new random order
    each pass; `seed` makes clip starts, crops and that order repeatable.

    Unreadable files (empty, truncated, not a video, shorter than one clip)
    and unreadable folders are skipped with one `SkippedItemWarning` each;
    "pass p: skipped k of n items this pass" goes to the `keras_vgan.datasets`
    logger after the first pass and whenever k changes. Nothing readable at all is a ValueError.

    `shard=(index, count)` (or a `tf.distribute.InputContext`) reads worker
    `index`'s part: of the sorted usable videos, those at positions index,
    index + count, ...; the labels and `class_names` are those of all the
    videos, so class indices agree across workers; fewer usable videos than
    workers is a ValueError. `seed` becomes one seed per worker
    (`sharding.shard_seed`).

    The returned dataset also carries `files` (the videos used),
    `skip_tracker` and, with labels, `class_names`.

    Example:
    >>> clips = from_video_files("UCF-101/", frames=16, height=64, width=64,
    ...                          labels=True)  # doctest: +SKIP
    >>> clips.class_names[:2]  # doctest: +SKIP
    ['ApplyEyeMakeup', 'ApplyLipstick']
    """
    frames, height, width, channels, frame_step, clips_per_video, fps = check_clip_options(
        frames, height, width, channels, frame_step, clips_per_video, crop, clip_sampling, fps)
    shard = check_shard(shard)
    files, unreadable_folders = find_video_files(paths, extensions)

    tracker = SkipTracker(len(files) + len(unreadable_folders), name="items")
    for folder, reason in unreadable_folders.items():
        tracker.skip(f"folder {folder}", reason)

    first_frames = {}

    def probe(path):
        # The first frame's size is kept for the data summary, at no extra decoding.
        count, source_fps, first_frames[path] = probe_video_frame(path)
        return count, source_fps

    source = os.fspath(paths) if isinstance(paths, (str, os.PathLike)) else f"{len(files)} paths"
    usable, infos = probe_usable_items(files, probe, tracker, frames, frame_step, fps, source=source)
    label_list = None
    if labels:
        label_list, class_names = parent_folder_labels(usable, class_names)
    usable, infos, label_list, part = worker_part(shard, usable, infos, label_list, "usable video file", source)

    dataset = decoded_clips_dataset(
        usable, infos, read_video_frames, frames, height, width, channels, frame_step=frame_step,
        fps=fps, clips_per_video=clips_per_video, clip_sampling=clip_sampling, crop=crop,
        labels=label_list, tracker=tracker, shuffle_items=shuffle, seed=shard_seed(seed, shard),
        class_names=class_names if labels else None, num_parallel_calls=num_parallel_calls,
        deterministic=deterministic)
    dataset.files = list(usable)
    return attach_summary(dataset, DataSummary(
        kind="video files", part=part, num_items=len(usable), item_name="video file",
        total_items=tracker.total if part is None else None,
        frame_counts=tuple(count for count, _ in infos),
        frame_sizes=tuple(first_frames[path][:2] for path in usable), channels=3, dtype="uint8",
        value_range=(0, 255), frame_step=frame_step, fps=fps, clips_per_item=clips_per_video,
        clip_sampling=clip_sampling, crop=crop, num_classes=len(class_names) if labels else None))
