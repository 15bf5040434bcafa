"""A frame predictor (`TranslationGAN`) saved as .keras and exported as a SavedModel gives `translate`'s frames."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from keras_vgan.cli import main
from keras_vgan.export import export_generator
from keras_vgan.models.predictors import build_convlstm_predictor
from keras_vgan.models.translation import TranslationGAN
from keras_vgan.saving import load_video_gan

CONTEXT, FUTURE, SIZE = 4, 3, 16


def trained_looking_predictor(noise_dim=0, seed=0):
    """A tiny predictor whose raw and EMA generators differ and whose frames span the pixel range."""
    keras.utils.set_random_seed(seed)
    model = TranslationGAN(build_convlstm_predictor(CONTEXT, FUTURE, SIZE, SIZE, 1, filters=4, noise_dim=noise_dim),
                           ema_decay=0.9)
    rng = np.random.default_rng(seed)
    for generator in (model.generator, model.ema_generator):
        generator.set_weights([w + rng.normal(0, 0.5, w.shape).astype(w.dtype) if w.ndim > 1 else w
                               for w in generator.get_weights()])
    return model


def contexts(count=5, seed=1):
    """uint8 context clips (count, CONTEXT, SIZE, SIZE, 1) and the same as float in [-1, 1]."""
    clips = np.random.default_rng(seed).integers(0, 256, (count, CONTEXT, SIZE, SIZE, 1), dtype=np.uint8)
    return clips, clips.astype(np.float32) / 127.5 - 1.0


@pytest.fixture(scope="module")
def predictors(tmp_path_factory):
    """{"deterministic": (model, .keras path, export dir), "stochastic": … (noise_dim=4)}."""
    keras.mixed_precision.set_global_policy("float32")
    root = tmp_path_factory.mktemp("predictors")
    made = {}
    for kind, noise_dim in (("deterministic", 0), ("stochastic", 4)):
        model = trained_looking_predictor(noise_dim)
        model.save(str(root / f"{kind}.keras"))
        made[kind] = model, str(root / f"{kind}.keras"), export_generator(model, str(root / f"{kind}_export"))
    return made


def test_keras_round_trip_gives_the_same_predictions(predictors):
    _, context = contexts()
    for kind, (model, path, _) in predictors.items():
        loaded = load_video_gan(path)
        assert isinstance(loaded, TranslationGAN) and loaded.condition_shape == (CONTEXT, SIZE, SIZE, 1)
        np.testing.assert_array_equal(loaded.translate(context, seed=3), model.translate(context, seed=3), kind)
    stochastic = predictors["stochastic"][0]
    assert not np.array_equal(stochastic.translate(context, seed=3), stochastic.translate(context, seed=4))


# Runs with TensorFlow alone: what a serving machine without keras_vgan does.
SERVE_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import tensorflow as tf
    deterministic, stochastic, context_path, out_path = sys.argv[1:5]
    clips = np.load(context_path)
    floats = tf.constant(clips.astype(np.float32) / 127.5 - 1.0)
    served = tf.saved_model.load(deterministic).signatures
    results = {"deterministic": served["predict"](context=floats)["videos"].numpy(),
               "deterministic_uint8": served["predict_uint8"](context=tf.constant(clips))["videos"].numpy()}
    served = tf.saved_model.load(stochastic).signatures
    seed = tf.constant(3)
    results["stochastic"] = served["predict"](context=floats, seed=seed)["videos"].numpy()
    results["stochastic_uint8"] = served["predict_uint8"](context=tf.constant(clips), seed=seed)["videos"].numpy()
    np.savez(out_path, **results)
    print("MODULES", sorted(m for m in sys.modules if m.split(".")[0] == "keras_vgan"))
""")


def test_tensorflow_alone_predicts_the_frames_of_translate(predictors, tmp_path):
    clips, context = contexts()
    np.save(tmp_path / "context.npy", clips)
    script = tmp_path / "serve.py"
    script.write_text(SERVE_SCRIPT)
    result = subprocess.run([sys.executable, str(script), predictors["deterministic"][2],
                             predictors["stochastic"][2], str(tmp_path / "context.npy"), str(tmp_path / "out.npz")],
                            capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
                            cwd=str(tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "MODULES []" in result.stdout  # keras_vgan was not imported to serve
    served = np.load(tmp_path / "out.npz")
    for kind in ("deterministic", "stochastic"):
        model = predictors[kind][0]
        expected = model.translate(context, seed=3)  # EMA weights by default
        assert expected.shape == (5, FUTURE, SIZE, SIZE, 1) and expected.std() > 20  # varied, not flat
        assert served[kind].dtype == np.uint8
        np.testing.assert_array_equal(served[kind], expected, kind)
        np.testing.assert_array_equal(served[f"{kind}_uint8"], model.translate(clips, seed=3), kind)
        assert not np.array_equal(served[kind], model.translate(context, seed=3, use_ema=False))


def test_export_metadata_says_predict_with_the_shapes(predictors):
    for kind, (_, _, directory) in predictors.items():
        metadata = json.loads(open(os.path.join(directory, "keras_vgan.json")).read())
        assert metadata["task"] == "predict" and metadata["weights"] == "ema"
        assert metadata["context_shape"] == [CONTEXT, SIZE, SIZE, 1]
        assert metadata["future_shape"] == [FUTURE, SIZE, SIZE, 1]
        assert sorted(metadata["signatures"]) == ["predict", "predict_uint8"]
        assert ("seed int32" in metadata["signatures"]["predict"]) == (kind == "stochastic")
        assert metadata["noise"] == ({"noise": [4]} if kind == "stochastic" else {})


def test_export_cli_exports_a_predictor(predictors, tmp_path, capsys):
    out = str(tmp_path / "exported")
    assert main(["export", predictors["stochastic"][1], out]) == 0
    printed = capsys.readouterr().out
    assert "predict(context float32 [N, 4, 16, 16, 1] in [-1, 1], seed int32) -> videos uint8 [N, 3, 16, 16, 1]" \
        in printed, printed
    assert json.loads(open(os.path.join(out, "keras_vgan.json")).read())["task"] == "predict"
