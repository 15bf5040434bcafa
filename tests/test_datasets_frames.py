import numpy as np
import pytest

from keras_vgan.datasets import from_frame_folders
from keras_vgan.datasets.frames import find_frame_folders
from video_factory import frame_indices_of, write_frame_folder


@pytest.fixture(scope="module")
def frame_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("frames")
    write_frame_folder(root / "dance" / "v1", num_frames=12, extension=".png")
    write_frame_folder(root / "dance" / "v2", num_frames=12, extension=".jpg")
    write_frame_folder(root / "swim" / "v3", num_frames=12, width=32, height=48, extension=".png")
    return root


def test_frames_are_in_natural_order(frame_root):
    folders, unreadable = find_frame_folders(frame_root)
    assert not unreadable
    names = [path.rsplit("/", 1)[1] for path in folders[str(frame_root / "dance" / "v1")]]
    assert names[:3] == ["frame_1.png", "frame_2.png", "frame_3.png"]
    assert names[9] == "frame_10.png"  # not right after frame_1, as plain sorting would put it


def test_clips_follow_frame_order_with_labels(frame_root):
    dataset = from_frame_folders(frame_root, frames=4, height=16, width=16, frame_step=2, labels=True,
                                 clip_sampling="even", shuffle=False)
    assert dataset.class_names == ["dance", "swim"]
    elements = list(dataset)
    assert len(elements) == 3
    for clip, label in elements:
        assert clip.shape == (4, 16, 16, 3)
        assert np.diff(frame_indices_of(clip.numpy())).tolist() == [2, 2, 2]
    assert sorted(int(label) for _, label in elements) == [0, 0, 1]


def test_single_folder_of_frames_and_grayscale(tmp_path):
    write_frame_folder(tmp_path, num_frames=6)
    clips = list(from_frame_folders(tmp_path, frames=6, height=8, width=8, channels=1))
    assert len(clips) == 1 and clips[0].shape == (6, 8, 8, 1)
    assert frame_indices_of(clips[0].numpy()) == list(range(6))


def test_source_fps_resampling(tmp_path):
    write_frame_folder(tmp_path / "v", num_frames=12)
    clip = next(iter(from_frame_folders(tmp_path, frames=3, height=8, width=8, fps=10, source_fps=30,
                                        clip_sampling="even")))
    assert np.diff(frame_indices_of(clip.numpy())).tolist() == [3, 3]


def test_not_a_frame_root(tmp_path):
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(ValueError, match="no folders of frame images"):
        from_frame_folders(tmp_path / "empty_dir")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        from_frame_folders(tmp_path / "file.txt")
