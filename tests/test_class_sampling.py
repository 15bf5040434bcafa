"""Class-conditional sampling (issue 11, second half): `sample --class`, `interpolate --class`, grids with a
row per class, and SavedModel export with a `label` argument served by TensorFlow alone."""

import json
import os
import re
import subprocess
import sys
import textwrap

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from helpers import tiny_discriminator, tiny_gan, tiny_generator
from keras_vgan import video_io
from keras_vgan.callbacks import SampleGrid, TensorBoardSamples
from keras_vgan.callbacks.samples import generated_samples, sample_columns
from keras_vgan.cli import main
from keras_vgan.export import export_generator, signature_descriptions
from keras_vgan.models import VideoGAN
from keras_vgan.noise import latent_noise

CLASS_NAMES = ["circle", "square", "triangle"]
CELL = 17  # a 16-pixel video and the 1-pixel padding of a grid


def conditional_gan():
    """A tiny 3-class GAN whose EMA generator's classes look different (perturbed label embedding)."""
    keras.utils.set_random_seed(0)
    gan = VideoGAN(tiny_generator(num_classes=3), tiny_discriminator(num_classes=3), ema_decay=0.9)
    rng = np.random.default_rng(0)
    gan.ema_generator.set_weights([w + rng.normal(0, 0.5, w.shape).astype(w.dtype) if w.ndim > 1 else w
                                   for w in gan.ema_generator.get_weights()])
    gan.compile()
    return gan


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A conditional run directory: model.keras and class_names.json, as `train --conditional` leaves it."""
    keras.mixed_precision.set_global_policy("float32")
    directory = tmp_path_factory.mktemp("conditional_run")
    conditional_gan().save(str(directory / "model.keras"))
    (directory / "class_names.json").write_text(json.dumps(CLASS_NAMES))
    return directory


@pytest.fixture(scope="module")
def gan(run_dir):
    return keras.models.load_model(str(run_dir / "model.keras"))


def rows_of(gan, labels, per_class, seed):
    return np.concatenate([gan.generate(per_class, seed=seed, labels=label) for label in labels])


def test_sample_by_name_and_by_index_gives_one_row_per_class(run_dir, gan, tmp_path, capsys):
    out = str(tmp_path / "two.png")
    assert main(["sample", str(run_dir), "--class", "triangle", "--class", "0", "--num", "2", "--seed", "5",
                 "--out", out]) == 0
    assert "for each of 2 classes (triangle, circle)" in capsys.readouterr().out
    expected = rows_of(gan, [2, 0], 2, seed=5)
    assert not np.array_equal(expected[:2], expected[2:])  # the classes differ
    np.testing.assert_array_equal(cv2.imread(out, cv2.IMREAD_GRAYSCALE), video_io.grid_image(expected)[..., 0])
    gif = str(tmp_path / "two.gif")
    assert main(["sample", str(run_dir / "model.keras"), "--class", "square", "--class", "circle", "--num", "3",
                 "--out", gif]) == 0
    assert Image.open(gif).size == (3 * CELL - 1, 2 * CELL - 1)  # 3 columns (--num), 2 rows (classes)


def test_sample_without_class_shows_every_class_a_row(run_dir, gan, tmp_path):
    out = str(tmp_path / "all.png")
    assert main(["sample", str(run_dir), "--seed", "1", "--out", out]) == 0  # --num: 4 per class
    expected = rows_of(gan, [0, 1, 2], 4, seed=1)
    np.testing.assert_array_equal(cv2.imread(out, cv2.IMREAD_GRAYSCALE), video_io.grid_image(expected)[..., 0])
    gif = str(tmp_path / "all.gif")
    assert main(["sample", str(run_dir), "--num", "2", "--out", gif]) == 0
    assert Image.open(gif).size == (2 * CELL - 1, 3 * CELL - 1)


def test_interpolate_within_a_class_ends_on_the_seeds_videos(run_dir, gan, tmp_path, capsys):
    out = str(tmp_path / "walk.png")
    assert main(["interpolate", str(run_dir), "--seeds", "0", "1", "--steps", "3", "--class", "square",
                 "--out", out]) == 0
    assert "class square" in capsys.readouterr().out
    image = cv2.imread(out, cv2.IMREAD_GRAYSCALE)
    ends = np.concatenate([gan.generate(1, seed=0, labels=1), gan.generate(1, seed=1, labels=1)])
    rows = video_io.grid_image(ends)[..., 0]
    np.testing.assert_array_equal(image[:CELL - 1], rows[:CELL - 1])
    np.testing.assert_array_equal(image[-(CELL - 1):], rows[-(CELL - 1):])


@pytest.fixture(scope="module")
def unconditional_run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("unconditional_run")
    tiny_gan(seed=0, compile_options={}).save(str(directory / "model.keras"))
    return directory


@pytest.mark.parametrize("command, arguments, message", [
    ("sample", ["--class", "3"], r"--class 3 is outside the model's labels; expected an index in \[0, 3\)"),
    ("sample", ["--class", "-1"], r"--class -1 is outside the model's labels"),
    ("sample", ["--class", "hexagon"],
     r"--class 'hexagon' is not a class of this model; expected one of \['circle', 'square', 'triangle'\]"),
    ("interpolate", ["--seeds", "0", "1", "--class", "hexagon"], r"--class 'hexagon' is not a class"),
    ("interpolate", ["--seeds", "0", "1"], r"--class is required for a class-conditional model of 3 classes"),
    ("sample", ["--class", "0", "UNCONDITIONAL"], r"--class 0 is not valid: the model is not class-conditional"),
    ("interpolate", ["--seeds", "0", "1", "--class", "0", "UNCONDITIONAL"], r"not class-conditional"),
])
def test_bad_classes_are_one_line_exit_2_and_no_output(run_dir, unconditional_run, tmp_path, capsys,
                                                       command, arguments, message):
    model = str(unconditional_run) if "UNCONDITIONAL" in arguments else str(run_dir)
    arguments = [a for a in arguments if a != "UNCONDITIONAL"]
    out = tmp_path / "out.gif"
    assert main([command, model, *arguments, "--out", str(out)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"keras-vgan {command}: error: "), lines
    assert re.search(message, lines[0]), lines[0]
    assert os.listdir(tmp_path) == []


def test_training_samples_have_a_row_per_class(gan, tmp_path):
    videos = generated_samples(gan, 5, seed=3, use_ema=True)  # 5 videos for 3 classes: 2 of each
    noise = gan.sample_noise(2, 3)
    expected = np.concatenate([gan.generate_from_noise(noise, labels=label) for label in range(3)])
    np.testing.assert_array_equal(videos, expected)  # class-major, every class on the same noise
    assert sample_columns(gan, 5, None, generated_samples) == 2
    assert sample_columns(gan, 5, 4, generated_samples) == 4  # explicit columns win
    callback = SampleGrid(str(tmp_path), num_videos=5, formats=("gif",), seed=3)
    callback.set_model(gan)
    (path,) = callback.write_samples(1)
    assert Image.open(path).size == (2 * CELL - 1, 3 * CELL - 1)
    board = TensorBoardSamples(str(tmp_path / "tensorboard"), num_videos=5, seed=3)
    board.set_model(gan)
    _, tiled = board.sample_gif()
    np.testing.assert_array_equal(tiled, video_io.tile_videos(expected, columns=2))  # a row per class


def test_a_class_name_without_class_names_json_asks_for_an_index(run_dir, tmp_path, capsys):
    bare = tmp_path / "bare.keras"
    bare.write_bytes((run_dir / "model.keras").read_bytes())
    out = tmp_path / "out.png"
    assert main(["sample", str(bare), "--class", "square", "--out", str(out)]) == 2
    assert ("--class 'square' is not a class of this model; expected an index in [0, 3) (the model has no "
            "class_names.json beside it") in capsys.readouterr().err
    assert main(["sample", str(bare), "--class", "1", "--num", "1", "--out", str(out)]) == 0
    assert "for each of 1 class (1)" in capsys.readouterr().out


# Runs with TensorFlow alone, as a serving machine without keras_vgan (or Keras) does.
SERVE_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import tensorflow as tf
    directory, noise_path, out_path = sys.argv[1:4]
    served = tf.saved_model.load(directory)
    noise = tf.constant(np.load(noise_path))
    sample = served.signatures["sample"]
    results = dict(
        by_noise=served.signatures["generate"](noise=noise, label=tf.constant([2, 0, 1, 1], tf.int32))["videos"],
        by_seed_one_label=sample(num_videos=tf.constant(3), seed=tf.constant(7), label=tf.constant(2))["videos"],
        by_seed_labels=sample(num_videos=tf.constant(3), seed=tf.constant(7),
                              label=tf.constant([0, 1, 2]))["videos"])
    for bad in (tf.constant(3), tf.constant([0, -1, 0]), tf.constant([0, 1])):
        try:
            sample(num_videos=tf.constant(3), seed=tf.constant(7), label=bad)
        except tf.errors.InvalidArgumentError as error:
            print("REFUSED", "[0, 3)" in error.message, "one per video" in error.message)
    np.savez(out_path, **{name: value.numpy() for name, value in results.items()})
    print("MODULES", sorted(m for m in sys.modules if m.split(".")[0] == "keras_vgan"))
""")


def test_exported_conditional_generator_serves_generate_s_videos_by_label(run_dir, gan, tmp_path, capsys):
    directory = str(tmp_path / "exported")
    assert main(["export", str(run_dir), directory]) == 0
    assert "label int32 [0, 3)" in capsys.readouterr().out
    metadata = json.loads(open(os.path.join(directory, "keras_vgan.json")).read())
    assert metadata["labels"] == {"argument": "label", "dtype": "int32", "num_classes": 3,
                                  "class_names": CLASS_NAMES}
    assert metadata["signatures"] == signature_descriptions(gan)
    noise = latent_noise(4, 8, seed=3).numpy()
    np.save(tmp_path / "noise.npy", noise)
    script = tmp_path / "serve.py"
    script.write_text(SERVE_SCRIPT)
    result = subprocess.run([sys.executable, str(script), directory, str(tmp_path / "noise.npy"),
                             str(tmp_path / "out.npz")], capture_output=True, text=True,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), cwd=str(tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("REFUSED True False") == 2 and "REFUSED False True" in result.stdout, result.stdout
    assert "MODULES []" in result.stdout  # keras_vgan was not imported to serve
    served = np.load(tmp_path / "out.npz")
    np.testing.assert_array_equal(served["by_noise"], gan.generate_from_noise(noise, labels=[2, 0, 1, 1]))
    np.testing.assert_array_equal(served["by_seed_one_label"], gan.generate(3, seed=7, labels=2))
    np.testing.assert_array_equal(served["by_seed_labels"], gan.generate(3, seed=7, labels=[0, 1, 2]))


def test_export_checks_class_names(gan, tmp_path):
    with pytest.raises(ValueError, match=r"class_names=\['a'\] is not valid; expected a list of 3 strings"):
        export_generator(gan, str(tmp_path / "exported"), class_names=["a"])
    directory = export_generator(gan.ema_generator, str(tmp_path / "bare"))  # a bare generator Model works too
    served = tf.saved_model.load(directory).signatures["sample"]
    videos = served(num_videos=tf.constant(2), seed=tf.constant(1), label=tf.constant(1))["videos"].numpy()
    np.testing.assert_array_equal(videos, gan.generate(2, seed=1, labels=1))
    assert json.loads(open(os.path.join(directory, "keras_vgan.json")).read())["labels"]["class_names"] is None
    assert os.listdir(tmp_path) == ["bare"]
