import io
import os
import re
import subprocess

import cv2
import numpy as np
import pytest
from PIL import Image

from keras_vgan import atomic, video_io


def random_video(frames=5, height=15, width=17, channels=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (frames, height, width, channels), dtype=np.uint8)


def ffmpeg_probe(path):
    """(codec line of the video stream, number of decoded frames) as the bundled ffmpeg reports them."""
    result = subprocess.run([video_io.ffmpeg_executable(), "-hide_banner", "-nostdin", "-i", path,
                             "-map", "0:v:0", "-f", "null", "-"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    stream = next(line for line in result.stderr.splitlines() if "Stream #0:0" in line and "Video:" in line)
    frames = int(re.findall(r"frame=\s*(\d+)", result.stderr)[-1])
    return stream, frames


def gif_frames(path_or_file, mode="L"):
    image = Image.open(path_or_file)
    frames, durations = [], []
    for index in range(image.n_frames):
        image.seek(index)
        frames.append(np.asarray(image.convert(mode)))
        durations.append(image.info.get("duration"))
    return frames, durations, image.info.get("loop")


@pytest.mark.parametrize("channels", [1, 3])
def test_mp4_is_browser_playable_h264_with_every_frame(tmp_path, channels):
    path = str(tmp_path / "clip.mp4")
    video_io.write_video(path, random_video(channels=channels), fps=8)
    stream, frames = ffmpeg_probe(path)
    assert "h264" in stream and "yuv420p" in stream
    assert "18x16" in stream  # 17x15 padded to even sides, as yuv420p requires
    assert frames == 5
    data = open(path, "rb").read()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: the index comes first
    assert os.listdir(tmp_path) == ["clip.mp4"]


def test_webm_is_vp9(tmp_path):
    path = str(tmp_path / "clip.webm")
    video_io.write_video(path, random_video(frames=4), fps=4)
    stream, frames = ffmpeg_probe(path)
    assert "vp9" in stream and frames == 4


def test_grayscale_gif_loops_and_keeps_every_frame_exactly(tmp_path):
    video = random_video(frames=6, channels=1)
    path = str(tmp_path / "clip.gif")
    video_io.write_video(path, video, fps=10)
    frames, durations, loop = gif_frames(path)
    assert loop == 0 and len(frames) == 6
    assert durations == [100] * 6
    for frame, expected in zip(frames, video):
        np.testing.assert_array_equal(frame, expected[..., 0])  # 256 grey levels fit a GIF palette


def test_rgb_gif_frames_are_close_to_the_video(tmp_path):
    video = np.zeros((3, 8, 8, 3), np.uint8)
    video[0, ..., 0] = 255
    video[1, ..., 1] = 255
    video[2, ..., 2] = 255
    frames, _, _ = gif_frames(io.BytesIO(video_io.encode_gif(video, fps=8)), mode="RGB")
    assert len(frames) == 3
    for frame, expected in zip(frames, video):
        np.testing.assert_array_equal(frame, expected)


def test_static_gif_plays_for_the_whole_duration(tmp_path):
    # The encoder merges identical frames; their delays must add up.
    path = str(tmp_path / "still.gif")
    video_io.write_video(path, np.full((4, 8, 8, 1), 77, np.uint8), fps=5)
    _, durations, _ = gif_frames(path)
    assert sum(durations) == 4 * 200


def test_float_videos_are_converted(tmp_path):
    video = np.linspace(-1.0, 1.0, 4 * 4 * 4).reshape(4, 4, 4, 1).astype(np.float32)
    frames, _, _ = gif_frames(io.BytesIO(video_io.encode_gif(video)))
    np.testing.assert_array_equal(np.stack(frames), video_io.as_uint8_array(video)[..., 0])


def test_tile_videos_fills_rows_and_pads():
    videos = np.stack([np.full((2, 3, 4, 1), i + 1, np.uint8) for i in range(5)])
    tiled = video_io.tile_videos(videos, columns=2, padding=1)
    assert tiled.shape == (2, 3 * 3 + 2, 2 * 4 + 1, 1)
    assert tiled[0, 0, 0, 0] == 1 and tiled[0, 0, 5, 0] == 2 and tiled[0, 4, 0, 0] == 3
    assert tiled[0, 8, 5, 0] == 0  # the sixth cell is empty
    assert tiled[0, 3, 0, 0] == 0  # padding row


def test_animated_grid_gif_and_mp4(tmp_path):
    videos = np.stack([random_video(frames=4, height=8, width=8, channels=1, seed=i) for i in range(5)])
    gif = video_io.write_animated_grid(str(tmp_path / "grid.gif"), videos, columns=3)
    frames, _, _ = gif_frames(gif)
    assert len(frames) == 4 and frames[0].shape == (2 * 8 + 1, 3 * 8 + 2)
    np.testing.assert_array_equal(frames[2][:8, 9:17], videos[1, 2, ..., 0])
    stream, count = ffmpeg_probe(video_io.write_animated_grid(str(tmp_path / "grid.mp4"), videos, columns=3))
    assert count == 4 and "26x18" in stream


def test_png_grid_round_trips(tmp_path):
    videos = np.stack([random_video(frames=3, height=5, width=6, seed=i) for i in range(2)])
    path = video_io.write_grid(str(tmp_path / "grid.png"), videos)
    image = cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(image, video_io.grid_image(videos))


def test_scale_enlarges_pixels(tmp_path):
    video = random_video(frames=2, height=3, width=4, channels=1)
    frames, _, _ = gif_frames(video_io.write_video(str(tmp_path / "big.gif"), video, scale=3))
    assert frames[0].shape == (9, 12)
    assert frames[1][4, 7] == video[1, 1, 2, 0]


@pytest.mark.parametrize("name, error", [("clip.avi", "'avi'"), ("clip", "''")])
def test_unknown_extension_is_refused_and_writes_nothing(tmp_path, name, error):
    with pytest.raises(ValueError, match=error):
        video_io.write_video(str(tmp_path / name), random_video())
    assert os.listdir(tmp_path) == []


def test_unknown_or_mismatched_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="'mkv'"):
        video_io.write_video(str(tmp_path / "clip.mp4"), random_video(), format="mkv")
    with pytest.raises(ValueError, match="does not match"):
        video_io.write_video(str(tmp_path / "clip.mp4"), random_video(), format="gif")
    with pytest.raises(ValueError, match="png"):
        video_io.write_video(str(tmp_path / "clip.png"), random_video())
    assert os.listdir(tmp_path) == []


def test_unwritable_paths_give_one_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        video_io.write_video(str(tmp_path / "missing" / "clip.gif"), random_video())
    (tmp_path / "folder.gif").mkdir()
    with pytest.raises(ValueError, match="is a directory"):
        video_io.write_video(str(tmp_path / "folder.gif"), random_video())
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileNotFoundError):
        video_io.write_grid(str(tmp_path / "file" / "grid.png"), random_video())
    assert sorted(os.listdir(tmp_path)) == ["file", "folder.gif"]


def test_encoder_failure_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "clip.mp4"
    target.write_bytes(b"previous")
    monkeypatch.setitem(video_io._CODEC_OPTIONS, "mp4", ["-c:v", "no_such_encoder", "-f", "mp4"])
    with pytest.raises(RuntimeError, match="ffmpeg"):
        video_io.write_video(str(target), random_video())
    assert os.listdir(tmp_path) == ["clip.mp4"] and target.read_bytes() == b"previous"


@pytest.mark.parametrize("bad", [
    dict(video=np.zeros((4, 8, 8, 2), np.uint8)),
    dict(video=np.zeros((8, 8, 3), np.uint8)),
    dict(fps=0),
    dict(fps=float("nan")),
    dict(scale=0),
])
def test_bad_arguments_raise_value_error(tmp_path, bad):
    arguments = dict(video=random_video(), fps=8, scale=1)
    arguments.update(bad)
    with pytest.raises(ValueError):
        video_io.write_video(str(tmp_path / "clip.gif"), **arguments)
    assert os.listdir(tmp_path) == []


def test_gif_refuses_frame_rates_browsers_slow_down():
    with pytest.raises(ValueError, match="at most 50"):
        video_io.encode_gif(random_video(), fps=60)


def test_written_files_are_not_private(tmp_path):
    path = video_io.write_video(str(tmp_path / "clip.gif"), random_video())
    assert os.stat(path).st_mode & 0o044 == 0o044 & ~atomic.UMASK
