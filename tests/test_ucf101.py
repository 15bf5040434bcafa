"""UCF-101 from its real layout: a miniature tree with the official names, split files and codecs.

Each video of the tree has its own frame count, so the centred clip taken
from it starts at its own frame, and the frame indices a clip shows (its
grey levels, see video_factory) say which video it came from: the label each
clip carries can be checked against that video's class folder.
"""

import os

import pytest

from keras_vgan.datasets import from_ucf101
from keras_vgan.datasets.ucf101 import find_split_dir, read_class_index, read_split
from video_factory import frame_indices_of, write_h264, write_video

# classInd.txt's classes; Basketball has no video, as a subset of the real dataset may not.
CLASSES = ["ApplyEyeMakeup", "Basketball", "HandstandPushups", "YoYo"]
CLIP_FRAMES = 4
# (relative path, subset, codec). The real dataset spells this class "HandStand" in its file
# names but "Handstand" in its folder and classInd.txt: the folder is what counts.
VIDEOS = [
    ("ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi", "test", "mpeg4"),
    ("ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi", "train", "mpeg4"),
    ("ApplyEyeMakeup/v_ApplyEyeMakeup_g09_c02.avi", "train", "h264"),
    ("HandstandPushups/v_HandStandPushups_g01_c01.avi", "test", "mpeg4"),
    ("HandstandPushups/v_HandStandPushups_g08_c01.avi", "train", "mpeg4"),
    ("YoYo/v_YoYo_g01_c01.avi", "test", "h264"),
    ("YoYo/v_YoYo_g08_c01.avi", "train", "mpeg4"),
    ("YoYo/v_YoYo_g09_c01.avi", "train", "h264"),
]
# 10, 14, ... frames: a centred clip of 4 starts at frame 3, 5, ... Two frames apart, because
# lossy coding of these tiny flat frames can shift a level read back by one frame's worth.
FRAME_COUNTS = {path: 10 + 4 * number for number, (path, _, _) in enumerate(VIDEOS)}


def video_of_clip(clip):
    """The relative path of the video a centred clip came from, read from its frame indices."""
    start = sum(index - offset for offset, index in enumerate(frame_indices_of(clip))) / CLIP_FRAMES
    return min(FRAME_COUNTS, key=lambda path: abs((FRAME_COUNTS[path] - CLIP_FRAMES) // 2 - start))


def class_label(path):
    return CLASSES.index(path.split("/")[0])


def write_split_files(split_dir, videos=VIDEOS, classes=CLASSES):
    """classInd.txt, trainlist01.txt and testlist01.txt as the official archive has them: "\\r\\n", a blank last line."""
    os.makedirs(split_dir, exist_ok=True)
    lines = {
        "classInd.txt": [f"{index} {name}" for index, name in enumerate(classes, 1)],
        "trainlist01.txt": [f"{path} {classes.index(path.split('/')[0]) + 1}"
                            for path, subset, _ in videos if subset == "train"],
        "testlist01.txt": [path for path, subset, _ in videos if subset == "test"],
    }
    for name, content in lines.items():
        with open(os.path.join(split_dir, name), "w", newline="") as handle:
            handle.write("\r\n".join(content) + "\r\n\r\n")
    return split_dir


@pytest.fixture(scope="module")
def ucf101(tmp_path_factory):
    """data/UCF-101/<Class>/v_*.avi and data/ucfTrainTestlist/, as the two official archives extract."""
    data = tmp_path_factory.mktemp("data")
    root = data / "UCF-101"
    for path, _, codec in VIDEOS:
        if codec == "h264":
            write_h264(root / path, num_frames=FRAME_COUNTS[path], width=32, height=24)
        else:
            write_video(root / path, num_frames=FRAME_COUNTS[path], width=32, height=24, fourcc="mp4v")
    write_split_files(data / "ucfTrainTestlist")
    return root


def expected_videos(subset):
    return sorted(path for path, kind, _ in VIDEOS if kind == subset)


def test_split_files_give_paths_zero_based_labels_and_every_class(ucf101):
    split_dir = find_split_dir(ucf101)
    assert split_dir == str(ucf101.parent / "ucfTrainTestlist")
    assert read_class_index(os.path.join(split_dir, "classInd.txt")) == CLASSES
    for subset in ("train", "test"):
        paths, labels, class_names = read_split(split_dir, 1, subset)
        assert sorted(paths) == expected_videos(subset)
        assert labels == [class_label(path) for path in paths]
        assert class_names == CLASSES  # Basketball too, though no video has it
    assert 1 not in read_split(split_dir, 1, "test")[1]


def test_split_dir_inside_the_root_is_found_too(tmp_path):
    root = tmp_path / "UCF-101"
    write_split_files(root / "ucfTrainTestlist")
    assert find_split_dir(root) == str(root / "ucfTrainTestlist")
    with pytest.raises(ValueError, match="no ucfTrainTestlist/ folder in or beside"):
        find_split_dir(tmp_path / "elsewhere")


def test_from_ucf101_labels_each_clip_with_its_videos_class(ucf101):
    for subset in ("train", "test"):
        clips = from_ucf101(ucf101, split=1, subset=subset, frames=CLIP_FRAMES, height=16, width=16,
                            clip_sampling="even", shuffle=False)
        assert clips.class_names == CLASSES and clips.missing_videos == []
        seen = []
        for clip, label in clips:
            assert clip.shape == (CLIP_FRAMES, 16, 16, 3)
            path = video_of_clip(clip.numpy())
            assert int(label) == class_label(path), path
            seen.append(path)
        assert sorted(seen) == expected_videos(subset)
        summary = str(clips.data_summary)
        assert f"UCF-101 split 1, {subset}" in summary and f"video files: {len(seen)} in 4 classes" in summary


@pytest.mark.parametrize("content, message", [
    ("YoYo/v_YoYo_g08_c01.avi", r"trainlist01.txt, line 2: 'YoYo/v_YoYo_g08_c01.avi' is not a line like"),
    ("v_YoYo_g08_c01.avi 4", r"line 2: 'v_YoYo_g08_c01.avi 4' is not a line like"),
    ("Skiing/v_Skiing_g08_c01.avi 4", r"line 2: class folder 'Skiing' is not in .*classInd.txt"),
    ("YoYo/v_YoYo_g08_c01.avi 5", r"line 2: class index 5 is out of range; classInd.txt has 1..4"),
    ("YoYo/v_YoYo_g08_c01.avi 0", r"class index 0 is out of range"),
    ("YoYo/v_YoYo_g08_c01.avi 1", r"class index 1 is 'ApplyEyeMakeup' in classInd.txt, but the video is in "
                                  r"folder 'YoYo'"),
])
def test_a_bad_train_line_names_file_line_and_content(tmp_path, content, message):
    split_dir = write_split_files(tmp_path / "splits")
    with open(split_dir / "trainlist01.txt", "w", newline="") as handle:
        handle.write(f"YoYo/v_YoYo_g09_c01.avi 4\r\n{content}\r\n")
    with pytest.raises(ValueError, match=message):
        read_split(split_dir, 1, "train")


def test_bad_class_index_and_missing_files_are_named(tmp_path):
    split_dir = write_split_files(tmp_path / "splits")
    with pytest.raises(ValueError, match=r"testlist02.txt' does not exist; expected lines like"):
        read_split(split_dir, 2, "test")
    (split_dir / "classInd.txt").write_text("1 ApplyEyeMakeup\n3 YoYo\n")
    with pytest.raises(ValueError, match="class indices must run 1..2, but 2 is missing"):
        read_split(split_dir, 1, "test")
    (split_dir / "classInd.txt").write_text("1 ApplyEyeMakeup\nYoYo\n")
    with pytest.raises(ValueError, match=r"classInd.txt, line 2: 'YoYo' is not a line like '1 ApplyEyeMakeup'"):
        read_split(split_dir, 1, "test")
    with pytest.raises(ValueError, match="subset='val' is not valid"):
        read_split(split_dir, 1, "val")
