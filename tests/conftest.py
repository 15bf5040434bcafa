import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _float32_policy():
    """Every test starts (and ends) under float32, whatever a test set globally."""
    keras.mixed_precision.set_global_policy("float32")
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.fixture(scope="session")
def i3d_model():
    """The I3D network, loaded once for every test that runs it; the test is skipped without the weights."""
    from keras_vgan.metrics import i3d

    try:
        i3d.resolve_weights()
    except FileNotFoundError:
        pytest.skip(f"I3D weights not installed: {i3d.INSTALL_HINT}")
    return i3d.load_i3d()
