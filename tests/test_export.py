import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import tiny_gan
from keras_vgan.export import export_generator
from keras_vgan.models import VideoGAN, build_video_discriminator, build_video_generator
from keras_vgan.noise import latent_noise
from keras_vgan.saving import load_video_gan


def trained_looking_gan():
    """A tiny GAN whose raw and EMA generators differ and whose videos span the pixel range."""
    gan = tiny_gan(ema_decay=0.9, seed=0)
    rng = np.random.default_rng(0)
    for model in (gan.generator, gan.ema_generator):
        model.set_weights([w + rng.normal(0, 0.5, w.shape).astype(w.dtype) if w.ndim > 1 else w
                           for w in model.get_weights()])
    return gan


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    keras.mixed_precision.set_global_policy("float32")
    gan = trained_looking_gan()
    directory = str(tmp_path_factory.mktemp("export") / "generator")
    assert export_generator(gan, directory) == directory
    return gan, directory


# Runs with TensorFlow alone: what a serving machine without keras_vgan (or Keras) does.
SERVE_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import tensorflow as tf
    directory, noise_path, out_path = sys.argv[1:4]
    served = tf.saved_model.load(directory)
    noise = tf.constant(np.load(noise_path))
    by_noise = served.signatures["generate"](noise=noise)["videos"].numpy()
    by_seed = served.signatures["sample"](num_videos=tf.constant(5), seed=tf.constant(7))["videos"].numpy()
    np.savez(out_path, by_noise=by_noise, by_seed=by_seed)
    print("MODULES", sorted(m for m in sys.modules if m.split(".")[0] == "keras_vgan"))
    from tensorflow.python.tools import saved_model_cli  # the `saved_model_cli` command's own code
    sys.argv = ["saved_model_cli", "show", "--all", "--dir", directory]
    try:
        saved_model_cli.main()
    except SystemExit as exit:  # it ends through absl's app.run
        assert not exit.code, exit.code
""")


def test_tensorflow_alone_serves_byte_identical_videos(exported, tmp_path):
    gan, directory = exported
    noise = latent_noise(6, 8, seed=3).numpy()
    np.save(tmp_path / "noise.npy", noise)
    script = tmp_path / "serve.py"
    script.write_text(SERVE_SCRIPT)
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, str(script), directory, str(tmp_path / "noise.npy"),
                             str(tmp_path / "out.npz")], capture_output=True, text=True, env=environment,
                            cwd=str(tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    served = np.load(tmp_path / "out.npz")

    expected = gan.generate_from_noise(noise)  # EMA weights by default
    assert expected.dtype == np.uint8 and expected.std() > 20  # varied pixels, not a flat image
    assert served["by_noise"].dtype == np.uint8
    np.testing.assert_array_equal(served["by_noise"], expected)
    np.testing.assert_array_equal(served["by_seed"], gan.generate(5, seed=7))
    assert not np.array_equal(served["by_noise"], gan.generate_from_noise(noise, use_ema=False))

    listing = result.stdout
    for signature in ("signature_def['generate']", "signature_def['sample']"):
        assert signature in listing
    assert "inputs['noise']" in listing and "inputs['num_videos']" in listing and "inputs['seed']" in listing
    assert "outputs['videos']" in listing and "DT_UINT8" in listing and "(-1, 4, 16, 16, 1)" in listing
    assert "MODULES []" in listing  # keras_vgan was not imported to serve


def test_export_writes_metadata_and_can_export_raw_weights(exported, tmp_path):
    gan, directory = exported
    metadata = json.loads(open(os.path.join(directory, "keras_vgan.json")).read())
    assert metadata["latent_dim"] == 8 and metadata["video_shape"] == [4, 16, 16, 1] and metadata["weights"] == "ema"
    raw = export_generator(gan, str(tmp_path / "raw"), use_ema=False)
    served = tf.saved_model.load(raw).signatures["sample"](num_videos=tf.constant(2), seed=tf.constant(1))
    np.testing.assert_array_equal(served["videos"].numpy(), gan.generate(2, seed=1, use_ema=False))


def test_export_replaces_an_earlier_export(exported, tmp_path):
    gan, _ = exported
    target = str(tmp_path / "generator")
    export_generator(gan.generator, target)  # a plain generator Model works too
    export_generator(gan, target)
    served = tf.saved_model.load(target).signatures["sample"](num_videos=tf.constant(2), seed=tf.constant(1))
    np.testing.assert_array_equal(served["videos"].numpy(), gan.generate(2, seed=1))
    assert os.listdir(tmp_path) == ["generator"]  # no temporary or old copy left


def test_a_failed_export_leaves_nothing(exported, tmp_path, monkeypatch):
    gan, _ = exported

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tf.saved_model, "save", fail)
    with pytest.raises(OSError, match="No space"):
        export_generator(gan, str(tmp_path / "generator"))
    assert os.listdir(tmp_path) == []


def test_export_refuses_bad_targets_and_keeps_their_contents(exported, tmp_path):
    gan, _ = exported
    with pytest.raises(FileNotFoundError, match="does not exist"):
        export_generator(gan, str(tmp_path / "missing" / "generator"))
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not a SavedModel"):
        export_generator(gan, str(occupied))
    assert (occupied / "notes.txt").read_text() == "keep me"
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        export_generator(gan, str(tmp_path / "file"))
    assert sorted(os.listdir(tmp_path)) == ["file", "occupied"]


def test_load_video_gan_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_video_gan(str(tmp_path / "nothing.keras"))
    with pytest.raises(FileNotFoundError, match="holds no model.keras"):
        load_video_gan(str(tmp_path))
    (tmp_path / "weights.h5").write_bytes(b"x")
    with pytest.raises(ValueError, match="not a .keras file"):
        load_video_gan(str(tmp_path / "weights.h5"))
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="could not load"):
        load_video_gan(str(tmp_path / "broken.keras"))
