import os

import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.datasets import from_video_files
from keras_vgan.datasets.video_files import find_video_files, probe_video
from video_factory import frame_indices_of, write_h264, write_video


@pytest.fixture(scope="module")
def codec_videos(tmp_path_factory):
    """One 20-frame "index" video per container/codec, in UCF-101's class/video layout."""
    root = tmp_path_factory.mktemp("videos")
    paths = {
        "mpeg4_mp4": write_video(root / "walk" / "a.mp4"),
        "mjpeg_avi": write_video(root / "walk" / "b.avi"),
        "vp8_webm": write_video(root / "run" / "c.webm"),
        "vp9_mkv": write_video(root / "run" / "d.mkv"),
        "h264_mp4": write_h264(root / "jump" / "e.mp4"),
    }
    return root, paths


@pytest.mark.parametrize("kind", ["mpeg4_mp4", "mjpeg_avi", "vp8_webm", "vp9_mkv", "h264_mp4"])
def test_each_codec_gives_consecutive_frames(codec_videos, kind):
    _, paths = codec_videos
    assert probe_video(paths[kind])[0] == 20
    clips = list(from_video_files(paths[kind], frames=8, height=16, width=16, clip_sampling="even"))
    assert len(clips) == 1
    clip = clips[0].numpy()
    assert clip.shape == (8, 16, 16, 3) and clip.dtype == np.float32
    assert -1.0 <= clip.min() and clip.max() <= 1.0
    # A centred clip of 8 of 20 frames starts at frame 6.
    assert frame_indices_of(clip) == list(range(6, 14))


def test_directory_with_labels_from_class_folders(codec_videos):
    root, paths = codec_videos
    dataset = from_video_files(root, frames=4, height=8, width=8, labels=True, seed=0)
    assert dataset.class_names == ["jump", "run", "walk"]
    assert len(dataset.files) == len(paths)
    labels = sorted(int(label) for _clip, label in dataset)
    # walk: 2 videos, run: 2, jump: 1
    assert labels == [0, 1, 1, 2, 2]
    assert dataset.element_spec[1].dtype == tf.int32


def test_glob_and_list_inputs(codec_videos):
    root, paths = codec_videos
    files, _ = find_video_files(str(root / "*" / "*.mp4"))
    assert sorted(files) == sorted([paths["mpeg4_mp4"], paths["h264_mp4"]])
    files, _ = find_video_files([paths["vp8_webm"], str(root / "walk")])
    assert sorted(files) == sorted([paths["vp8_webm"], paths["mpeg4_mp4"], paths["mjpeg_avi"]])


def test_frame_step_fps_and_clips_per_video(tmp_path):
    path = write_video(tmp_path / "fast.avi", num_frames=24, fps=50)
    stepped = next(iter(from_video_files(path, frames=4, height=8, width=8, frame_step=3,
                                         clip_sampling="even")))
    indices = frame_indices_of(stepped)
    assert np.diff(indices).tolist() == [3, 3, 3]
    # 50 fps resampled to 25 fps: every other source frame.
    resampled = next(iter(from_video_files(path, frames=4, height=8, width=8, fps=25,
                                           clip_sampling="even")))
    assert np.diff(frame_indices_of(resampled)).tolist() == [2, 2, 2]
    several = [frame_indices_of(c) for c in from_video_files(path, frames=4, height=8, width=8,
                                                              clips_per_video=3, clip_sampling="even",
                                                              shuffle=False)]
    assert [i[0] for i in several] == [0, 10, 20]


def test_random_clip_starts_vary_and_repeat_with_seed(tmp_path):
    path = write_video(tmp_path / "v.avi", num_frames=20)

    def starts(seed):
        dataset = from_video_files(path, frames=4, height=8, width=8, clips_per_video=6, seed=seed)
        return [frame_indices_of(c)[0] for c in dataset]

    first = starts(5)
    assert len(set(first)) > 1
    assert all(0 <= s <= 16 for s in first)
    assert starts(5) == first


def test_mixed_resolutions_and_aspect_kept(tmp_path):
    write_video(tmp_path / "wide.mp4", width=64, height=32, pattern="gradient")
    write_video(tmp_path / "tall.mp4", width=32, height=64, pattern="gradient")
    write_video(tmp_path / "small.mp4", width=16, height=12, pattern="gradient")
    dataset = from_video_files(tmp_path, frames=4, height=24, width=24)
    clips = [c.numpy() for c in dataset]
    assert len(clips) == 3 and all(c.shape == (4, 24, 24, 3) for c in clips)
    # A wide frame is centre-cropped, not squeezed: the central half of the
    # ramp spans about half the brightness range, the whole ramp would span all.
    wide = from_video_files(tmp_path / "wide.mp4", frames=4, height=24, width=24)
    row = (next(iter(wide)).numpy()[0, 12, :, 0] + 1) * 127.5
    assert 90 < row[-1] - row[0] < 165


def test_random_crop_is_the_same_for_every_frame(tmp_path):
    path = write_video(tmp_path / "ramp.avi", width=96, height=32, num_frames=12, pattern="gradient")
    dataset = from_video_files(path, frames=6, height=32, width=32, crop="random", clips_per_video=8, seed=3)
    lefts = []
    for clip in dataset:
        clip = clip.numpy()
        # Every frame of one clip shows the same window of the (static) ramp.
        assert np.abs(clip - clip[:1]).max() < 0.05
        lefts.append(float(clip[0, 16, 0, 0]))
    assert max(lefts) - min(lefts) > 0.2  # different clips got different windows


def test_grayscale_and_rgb_order(tmp_path):
    path = write_video(tmp_path / "red.avi", pattern="color", num_frames=10)
    rgb = next(iter(from_video_files(path, frames=2, height=8, width=8))).numpy()
    red, blue = rgb[..., 0].mean(), rgb[..., 2].mean()
    assert red > 0.3 and blue < red  # channels come out RGB, not OpenCV's BGR
    gray = next(iter(from_video_files(path, frames=2, height=8, width=8, channels=1)))
    assert gray.shape == (2, 8, 8, 1)


def test_invalid_options_are_named(codec_videos):
    root, _ = codec_videos
    with pytest.raises(ValueError, match="channels"):
        from_video_files(root, channels=2)
    with pytest.raises(ValueError, match="crop"):
        from_video_files(root, crop="left")
    with pytest.raises(ValueError, match="frames"):
        from_video_files(root, frames=0)
    with pytest.raises(ValueError, match="class_names"):
        from_video_files(root, frames=4, labels=True, class_names=["walk"])


def test_parallel_map_keeps_every_clip(codec_videos):
    root, paths = codec_videos
    dataset = from_video_files(root, frames=4, height=8, width=8, clips_per_video=2)
    assert sum(1 for _ in dataset.repeat(2)) == 2 * 2 * len(paths)
    assert os.path.exists(dataset.files[0])
