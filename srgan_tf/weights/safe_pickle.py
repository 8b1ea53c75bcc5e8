"""Reads pickled `.npy` / `.npz` members without ever running code from the file.

tensorlayer's list format (`np.savez(name, params=<object array>)`) and `vgg19.npy` (a pickled
dict) are pickles. `np.load(allow_pickle=True)` would execute whatever the pickle asks for; this
module parses the `.npy` header itself and unpickles with an allow-list that can rebuild only
numpy arrays, dtypes, scalars, lists, tuples and dicts. Anything else is refused before it runs.
"""

import codecs
import importlib
import io
import os
import pickle
import zipfile

import numpy as np

# (module, name) pairs a pickle of numpy data may reference. numpy 2 moved `numpy.core` to
# `numpy._core`; old files (the official weights date from 2017-2019) name the old path.
_NUMPY_NAMES = {
    ("multiarray", "_reconstruct"),
    ("multiarray", "scalar"),
    ("numeric", "_frombuffer"),
}
_BUILTINS = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("builtins", "list"): list,
    ("builtins", "dict"): dict,
    ("builtins", "tuple"): tuple,
    ("__builtin__", "list"): list,
    ("__builtin__", "dict"): dict,
    ("collections", "OrderedDict"): dict,
    # Protocol-2 pickles written by Python 3 rebuild byte strings (array buffers) this way.
    ("_codecs", "encode"): codecs.encode,
}


class UnsafePickleError(ValueError):
    """A pickle asked for something other than numpy data."""


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _BUILTINS:
            return _BUILTINS[(module, name)]
        package, _, sub = module.rpartition(".")
        if package in ("numpy.core", "numpy._core") and (sub, name) in _NUMPY_NAMES:
            return getattr(importlib.import_module(f"numpy._core.{sub}"), name)
        raise UnsafePickleError(
            f"the pickle references {module}.{name}, which is not numpy data; refused, nothing was run"
        )


def _read_npy(fp, what):
    """Reads one `.npy` stream; object arrays go through the restricted unpickler."""
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
    if not dtype.hasobject:
        fp.seek(0)
        return np.load(fp, allow_pickle=False)
    # Python 2 pickles (vgg19.npy) hold str/bytes that only latin1 decodes, as numpy does.
    try:
        return _NumpyOnlyUnpickler(fp, encoding="latin1").load()
    except UnsafePickleError as e:
        raise UnsafePickleError(f"{what}: {e}") from None
    except Exception as e:  # a truncated or garbled pickle stream
        raise ValueError(
            f"{what}: cannot read the pickled array ({type(e).__name__}: {e})"
        ) from None


def load_npy(path: str | os.PathLike) -> np.ndarray:
    """Loads a `.npy` file safely (see module docstring)."""
    with open(path, "rb") as fp:
        return _read_npy(fp, str(path))


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Loads every member of a `.npz` file safely, in the order they were written.

    Returns:
        A list of `(key, value)` pairs; keys without the `.npy` suffix.
    """
    items = []
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            data = io.BytesIO(zf.read(info))
            items.append((key, _read_npy(data, f"{path} (member {key!r})")))
    return items
