"""Reads a weight file and says which format it is, from its content, never from its name.

| format                     | written by                                   | what tells it apart            |
|----------------------------|----------------------------------------------|--------------------------------|
| tensorlayer list `.npz`    | `tl.files.save_npz` (TensorLayer 1, as the   | one member, `params`           |
|                            | official `g_srgan.npz`; TensorLayer 2 and    |                                |
|                            | TensorLayerX `save_weights(format="npz")`)   |                                |
| `npz_dict`                 | TensorLayer 2 and TensorLayerX               | members `<layer>/<variable>`   |
|                            | `save_weights(format="npz_dict")`            | in model order                 |
| TensorLayer 2 HDF5         | TensorLayer 2 `save_weights("g.h5")`         | `layer_names`, no Keras version|
| Keras legacy HDF5          | Keras 2 (`*_notop.h5` ImageNet VGG)          | `layer_names` + `keras_version`|
| Keras `.weights.h5`        | Keras 3 (this project)                       | a `layers` group               |
| TensorLayerX HDF5          | TensorLayerX `save_weights(format="hdf5")`   | a `model_parameters` group     |
| `vgg19.npy`                | tensorlayer/srgan's VGG19                    | a pickled `{layer: [W, b]}`    |
| `vgg16_weights.npz`        | tensorlayer's VGG16                          | members `conv1_1_W`, ...       |

Which library wrote a file matters for one thing only: a discriminator's dense layer, whose rows
follow the flatten order, (H, W, C) in tensorlayer and (C, H, W) in TensorLayerX's
channels_first `SRGAN_d`. A `npz_dict` file says which library wrote it through its layer names:
TensorLayer 2 calls a dense layer `dense_N`, TensorLayerX `linear_N` (both call BatchNorm2d
`batchnorm2d_N`, so that name says nothing). A list `.npz` says nothing at all: every library
writes the same bytes.
"""

import dataclasses
import os
import re
import zipfile
from pathlib import Path

import h5py
import numpy as np

from srgan_tf.config import WEIGHT_LIBRARIES as LIBRARIES
from srgan_tf.errors import WeightFileError
from srgan_tf.weights import safe_pickle

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
ZIP_MAGIC = b"PK"
NPY_MAGIC = b"\x93NUMPY"

# The default layer names of the dense layer: tensorlayer 2's `Dense`, TensorLayerX's `Linear`.
_DENSE_NAME = dict(zip(LIBRARIES, (re.compile(r"^dense_\d+/"), re.compile(r"^linear_\d+/"))))


@dataclasses.dataclass(frozen=True)
class WeightFile:
    """The arrays of a weight file and what the file is.

    Attributes:
        format: a readable name of the format ("tensorlayer list .npz", "npz_dict", ...).
        library: "tensorlayer" or "tensorlayerx" when the file says which wrote it, else None.
        evidence: what in the file says so (for messages).
        arrays: `[(key, array)]` in the reference's order, or for a Keras-native file
            `{layer name: [arrays]}`.
    """

    format: str
    library: str | None
    evidence: str
    arrays: list | dict


def _magic(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(8)


def _text(name) -> str:
    return name.decode("utf8") if isinstance(name, bytes) else str(name)


def _read_ordered_h5(group, prefix: str = ""):
    """Arrays of a tensorlayer / legacy-Keras HDF5 group, following its `layer_names` order."""
    if "layer_names" in group.attrs:
        out = []
        for name in group.attrs["layer_names"]:
            name = _text(name)
            out += _read_ordered_h5(group[name], prefix + name + "/")
        return out
    return [
        (prefix + _text(w), np.asarray(group[_text(w)]))
        for w in group.attrs.get("weight_names", [])
    ]


def _read_keras_native(f):
    """`{layer name: [arrays in Keras variable order]}` of a Keras 3 `.weights.h5` file."""
    out = {}
    for group in f["layers"].values():
        if "vars" not in group or "name" not in group["vars"].attrs or not len(group["vars"]):
            continue
        v = group["vars"]
        out[str(v.attrs["name"])] = [np.asarray(v[str(i)]) for i in range(len(v))]
    return out


def _hdf5(path: Path) -> WeightFile:
    with h5py.File(path, "r") as f:
        if "layer_names" in f.attrs:
            if "keras_version" in f.attrs or "backend" in f.attrs:
                return WeightFile("Keras legacy HDF5", None, "keras_version", _read_ordered_h5(f))
            return WeightFile(
                "TensorLayer 2 HDF5", "tensorlayer",
                "layer_names without keras_version (TensorLayerX writes model_parameters)",
                _read_ordered_h5(f),
            )  # fmt: skip
        if "layers" in f:
            return WeightFile("Keras .weights.h5", None, "a layers group", _read_keras_native(f))
        if "model_parameters" in f:
            raise WeightFileError(
                f"{path} is a TensorLayerX HDF5 file (save_weights(format='hdf5')): it stores the "
                f"variables by name only, without the model's order, so nothing can map them "
                f"onto another model. Save it with format='npz_dict' (what tensorlayer/srgan's "
                f"train.py writes) and load that file."
            )
    raise WeightFileError(f"{path}: HDF5 file with neither tensorlayer nor Keras weights")


_SUFFIX = re.compile(r"^(.*?)[/_]?(W|b|filters|biases|kernel|bias|weights)(:\d+)?$")


def _vgg_key(key):
    """Sort key putting VGG layers in name order and, within a layer, the kernel before the bias."""
    m = _SUFFIX.match(key)
    if not m:
        return (key, 0)
    return (m.group(1), 1 if m.group(2) in ("b", "biases", "bias") else 0)


def _npz(path: Path, vgg: bool) -> WeightFile:
    items = safe_pickle.load_npz(path)
    if len(items) == 1 and items[0][0] == "params":
        # One object array (or, were every shape equal, one stacked array) in model order.
        arrays = [(f"params[{i}]", np.asarray(a)) for i, a in enumerate(items[0][1])]
        return WeightFile("tensorlayer list .npz", None, "one member named params", arrays)
    if all("/" in key for key, _ in items):
        for library, pattern in _DENSE_NAME.items():
            hit = next((key for key, _ in items if pattern.match(key)), None)
            if hit:
                return WeightFile("npz_dict", library, f"the dense layer is named {hit!r}", items)
        return WeightFile("npz_dict", None, "no dense layer named by either library", items)
    if vgg:
        # vgg16_weights.npz has no meaningful member order; tensorlayer sorts it by name.
        items = sorted(items, key=lambda kv: _vgg_key(kv[0]))
    return WeightFile("named .npz", None, "members named per layer", items)


def _npy(path: Path) -> WeightFile:
    obj = safe_pickle.load_npy(path)
    if isinstance(obj, np.ndarray) and obj.dtype == object and obj.shape == ():
        obj = obj.item()
    if isinstance(obj, dict):  # vgg19.npy: {layer: [W, b]}, tensorlayer loads it sorted.
        arrays = [
            (f"{layer}[{i}]", np.asarray(a))
            for layer, pair in sorted(obj.items())
            for i, a in enumerate(pair)
        ]
        return WeightFile("pickled {layer: [W, b]} .npy", None, "a pickled dict", arrays)
    return WeightFile(
        ".npy list", None, "a pickled list", [(f"[{i}]", np.asarray(a)) for i, a in enumerate(obj)]
    )


def read(path: str | os.PathLike, vgg: bool = False) -> WeightFile:
    """Reads any supported weight file.

    Args:
        path: the weight file.
        vgg: order dict-shaped VGG files the way tensorlayer's VGG loader does.

    Raises:
        WeightFileError: missing, unreadable, unsafe or unsupported file.
    """
    path = Path(path)
    if not path.is_file():
        raise WeightFileError(f"no weight file at {path}")
    magic = _magic(path)
    try:
        if magic.startswith(HDF5_MAGIC):
            return _hdf5(path)
        if magic.startswith(ZIP_MAGIC):
            return _npz(path, vgg)
        if magic.startswith(NPY_MAGIC):
            return _npy(path)
    except WeightFileError:
        raise
    except safe_pickle.UnsafePickleError as e:
        raise WeightFileError(f"{path}: {e}") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as e:
        raise WeightFileError(f"{path}: cannot read weights ({type(e).__name__}: {e})") from None
    raise WeightFileError(
        f"{path}: not a weight file this project reads (expected HDF5, .npz or .npy; "
        f"first bytes {magic!r})"
    )
