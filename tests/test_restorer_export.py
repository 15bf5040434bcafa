"""A restorer's SavedModel: `enhance(clip)` of any size gives what `translate` gives in process."""

import json
import os

import numpy as np
import tensorflow as tf

from keras_vgan.cli import main
from keras_vgan.export import METADATA_FILENAME, export_generator, signature_descriptions
from keras_vgan.models.restorers import build_restoration_generator
from keras_vgan.models.translation import TranslationGAN
from keras_vgan.saving import save_model


def _trained_looking(generator, seed=0):
    # Non-zero weights everywhere, the residual head included, so the export is not the plain baseline.
    for index, variable in enumerate(generator.trainable_variables):
        variable.assign(tf.random.stateless_normal(variable.shape, [seed, index]) * 0.05)
    return generator


def test_saved_model_enhance_matches_translate_at_any_size(tmp_path):
    model = TranslationGAN(_trained_looking(build_restoration_generator(4, 16, 16, 1, scale=2, filters=4,
                                                                        residual_blocks=1)))
    model.compile()
    served = tf.saved_model.load(export_generator(model, str(tmp_path / "exported")))
    assert set(served.signatures) == {"enhance", "enhance_uint8"}
    clips = np.random.default_rng(0).uniform(-1, 1, (2, 3, 10, 12, 1)).astype(np.float32)
    outputs = served.signatures["enhance"](clip=tf.constant(clips))
    expected = model.translate(clips)
    assert outputs["videos"].shape == (2, 3, 20, 24, 1)
    np.testing.assert_array_equal(outputs["videos"].numpy(), expected)
    restored = np.asarray(model.generator(clips, training=False))
    np.testing.assert_allclose(outputs["restored"].numpy(), restored, atol=1e-5)
    levels = np.random.default_rng(1).integers(0, 256, (1, 2, 8, 8, 1), dtype=np.uint8)
    np.testing.assert_array_equal(served.signatures["enhance_uint8"](clip=tf.constant(levels))["videos"].numpy(),
                                  model.translate(levels))
    metadata = json.loads((tmp_path / "exported" / METADATA_FILENAME).read_text())
    assert (metadata["task"], metadata["scale"], metadata["channels"]) == ("enhance", 2, 1)
    assert metadata["signatures"]["enhance"].startswith("clip float32 [N, T, h, w, 1]")


def test_inpainting_restorer_exports_enhance_only(tmp_path):
    model = TranslationGAN(_trained_looking(build_restoration_generator(4, 16, 16, 1, condition_channels=2,
                                                                        filters=4, residual_blocks=0)))
    assert list(signature_descriptions(model)) == ["enhance"]
    save_model(model, str(tmp_path / "model.keras"))
    # Through the command line, from the .keras file, as a run would be exported.
    assert main(["export", str(tmp_path / "model.keras"), str(tmp_path / "exported")]) == 0
    served = tf.saved_model.load(str(tmp_path / "exported"))
    assert list(served.signatures) == ["enhance"]
    condition = np.concatenate([np.zeros((1, 2, 8, 8, 1), np.float32), np.ones((1, 2, 8, 8, 1), np.float32)], -1)
    np.testing.assert_array_equal(served.signatures["enhance"](clip=tf.constant(condition))["videos"].numpy(),
                                  model.translate(condition))
    assert os.path.isfile(tmp_path / "exported" / "saved_model.pb")
