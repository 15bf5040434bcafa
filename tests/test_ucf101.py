"""UCF-101 from its real layout: a miniature tree with the official names, split files and codecs.

Each video of the tree has its own frame count, so the centred clip taken
from it starts at its own frame, and the frame indices a clip shows (its
grey levels, see video_factory) say which video it came from: the label each
clip carries can be checked against that video's class folder.
"""

import json
import os
import warnings

import pytest

from keras_vgan.cli import main as cli_main
from keras_vgan.datasets import SkippedItemWarning, from_tfrecord, from_ucf101, load_source
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


def read_shards(directory):
    """(video of each clip, its label) of a shard directory, in the order written."""
    return [(video_of_clip(clip.numpy()), int(label))
            for clip, label in from_tfrecord(directory, labels=True, shuffle=False)]


def prepare(root, out, *extra):
    return cli_main(["prepare", str(root), str(out), "--ucf101-split", "1", "--frames", str(CLIP_FRAMES),
                     "--size", "16", "--shard-size", "2", *extra])


def test_prepare_writes_labelled_train_and_test_shards_kept_apart(ucf101, tmp_path, capsys):
    out = tmp_path / "shards" / "ucf101"
    assert prepare(ucf101, out) == 0
    printed = capsys.readouterr().out
    videos = {}
    for subset in ("train", "test"):
        manifest = json.loads((out / subset / "manifest.json").read_text())
        assert manifest["class_names"] == CLASSES and manifest["has_labels"]
        pairs = read_shards(out / subset)
        assert all(label == class_label(video) for video, label in pairs), pairs
        videos[subset] = sorted(video for video, _ in pairs)
        assert videos[subset] == expected_videos(subset)
        assert (f"UCF-101 split 1 {subset}: {len(videos[subset])} videos listed, 0 missing, 0 unreadable; "
                f"{len(videos[subset])} clips") in printed
    assert not set(videos["train"]) & set(videos["test"])
    assert f"keras-vgan train --data {out / 'train'}" in printed
    # What `train --data` and `evaluate --data` read: each subset is a source of its own.
    assert load_source(str(out / "train"), frames=CLIP_FRAMES, height=16, width=16).data_summary.num_items == 5
    # The same command again refuses before it decodes anything.
    assert prepare(ucf101, out) == 2
    assert "already holds clips" in capsys.readouterr().err


def test_listed_but_missing_videos_are_skipped_with_one_counted_warning(ucf101, tmp_path, capsys):
    listed = VIDEOS + [(f"YoYo/v_YoYo_g2{n}_c01.avi", "train", None) for n in range(5)]
    split_dir = write_split_files(tmp_path / "splits", videos=listed)
    out = tmp_path / "out"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert prepare(ucf101, out, "--split-dir", str(split_dir)) == 0
    messages = [str(w.message) for w in caught if issubclass(w.category, SkippedItemWarning)]
    assert len(messages) == 1, messages
    assert messages[0].startswith(f"UCF-101 trainlist01.txt: 5 of 10 listed videos are missing under {ucf101} "
                                  f"(first: YoYo/v_YoYo_g20_c01.avi, YoYo/v_YoYo_g21_c01.avi, "
                                  f"YoYo/v_YoYo_g22_c01.avi, ...); skipped")
    assert "train: 10 videos listed, 5 missing" in capsys.readouterr().out
    assert sorted(video for video, _ in read_shards(out / "train")) == expected_videos("train")
    # Nothing of a split there at all: the wrong folder, most likely.
    with pytest.raises(ValueError, match="none of its 5 listed videos is under"):
        from_ucf101(tmp_path, split_dir=write_split_files(tmp_path / "only_missing", videos=listed[8:]),
                    subset="train")


@pytest.mark.parametrize("damage, message", [
    (lambda split_dir: os.remove(split_dir / "testlist01.txt"),
     "testlist01.txt' does not exist; expected lines like 'ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi'"),
    (lambda split_dir: (split_dir / "trainlist01.txt").write_text("YoYo/v_YoYo_g08_c01.avi 4 extra\n"),
     "trainlist01.txt, line 1: 'YoYo/v_YoYo_g08_c01.avi 4 extra' is not a line like"),
])
def test_bad_split_files_are_one_line_exit_2_and_write_nothing(ucf101, tmp_path, capsys, damage, message):
    split_dir = write_split_files(tmp_path / "splits")
    damage(split_dir)
    out = tmp_path / "out"
    assert prepare(ucf101, out, "--split-dir", str(split_dir)) == 2
    error = capsys.readouterr().err.splitlines()
    assert len(error) == 1 and error[0].startswith("keras-vgan prepare: error: ") and message in error[0], error
    assert not out.exists()


def test_split_options_that_do_not_fit_are_usage_errors(ucf101, tmp_path, capsys):
    assert cli_main(["prepare", str(ucf101), str(tmp_path / "a"), "--split-dir", str(tmp_path)]) == 2
    assert "--split-dir applies only with --ucf101-split" in capsys.readouterr().err
    assert prepare(ucf101, tmp_path / "b", "--layout", "NTHW") == 2
    assert "--layout applies to .npy arrays only" in capsys.readouterr().err
    assert cli_main(["prepare", str(ucf101), str(tmp_path / "c"), "--ucf101-split", "4"]) == 2
    assert "invalid choice: 4" in capsys.readouterr().err
    assert not any((tmp_path / name).exists() for name in "abc")


def test_prepare_writes_through_gfile(ucf101):
    """TF's in-memory file system stands in for gs://: both subsets' shards go through tf.io.gfile."""
    import uuid

    out = f"ram://keras_vgan_ucf101_{uuid.uuid4().hex}/ucf101"
    assert prepare(ucf101, out) == 0
    for subset in ("train", "test"):
        assert sorted(video for video, _ in read_shards(f"{out}/{subset}")) == expected_videos(subset)
