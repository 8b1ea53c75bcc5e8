"""Loads every published tensorlayer/srgan weight format into the Keras models, and saves weights.

Formats, detected from the file's content (not its name):

| file                           | layout                                                    |
|--------------------------------|-----------------------------------------------------------|
| `g_srgan.npz` (official)       | tensorlayer list: `np.savez(f, params=<object array>)`    |
| `g.h5`, `d.h5` (tensorlayer 2) | HDF5, attrs `layer_names` / `weight_names`, in model order |
| `g.npz`, `d.npz` (TensorLayerX)| `npz_dict`: one member per variable name, in model order; |
|                                | channels_first `SRGAN_d`: dense rows permuted on load      |
| `vgg19.npy`                    | pickled dict `{layer: [W, b]}`                             |
| `vgg16_weights.npz`            | members `conv1_1_W`, `conv1_1_b`, ...                      |
| Keras ImageNet VGG `*_notop.h5`| legacy Keras HDF5, layers `block1_conv1`, ...             |
| `*.weights.h5`                 | Keras-native (`save_weights` below)                        |

tensorlayer formats are ordered lists of arrays in the reference's weight order: per layer,
conv `[W, b]`, BatchNorm `[beta, gamma, moving_mean, moving_var]`, dense `[W, b]`
(Keras orders BatchNorm gamma, beta, mean, variance; `reference_variables` does the mapping).
Every array is checked against the model before anything is assigned, so a refused file leaves
the model exactly as it was.
"""

import re
import zipfile
from pathlib import Path

import h5py
import keras
import numpy as np

from srgan_tf import atomic, official, safe_pickle
from srgan_tf.errors import WeightFileError  # noqa: F401  (re-exported)

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_ZIP_MAGIC = b"PK"
_NPY_MAGIC = b"\x93NUMPY"


def reference_variables(model):
    """The model's variables in tensorlayer's order, each with a readable label.

    Returns:
        A list of `(label, variable)`, e.g. `("generator_res0_bn1.beta", <Variable>)`.
    """
    out = []
    for layer in model.layers:
        if not layer.weights:
            continue
        if isinstance(layer, keras.layers.BatchNormalization):
            names = ["beta", "gamma", "moving_mean", "moving_variance"]
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            names = ["kernel", "bias"] if layer.use_bias else ["kernel"]
        else:
            raise TypeError(
                f"no tensorlayer mapping for layer {layer.name} ({type(layer).__name__})"
            )
        out += [(f"{layer.name}.{n}", getattr(layer, n)) for n in names]
    return out


def _is_vgg(model):
    return model.name.startswith("vgg")


def _magic(path):
    with open(path, "rb") as f:
        return f.read(8)


def _read_ordered_h5(group, prefix=""):
    """Arrays of a tensorlayer / legacy-Keras HDF5 group, following its `layer_names` order."""
    if "layer_names" in group.attrs:
        out = []
        for name in group.attrs["layer_names"]:
            name = name.decode("utf8") if isinstance(name, bytes) else str(name)
            out += _read_ordered_h5(group[name], prefix + name + "/")
        return out
    out = []
    for w_name in group.attrs.get("weight_names", []):
        w_name = w_name.decode("utf8") if isinstance(w_name, bytes) else str(w_name)
        out.append((prefix + w_name, np.asarray(group[w_name])))
    return out


_SUFFIX = re.compile(r"^(.*?)[/_]?(W|b|filters|biases|kernel|bias|weights)(:\d+)?$")


def _vgg_key(key):
    """Sort key putting VGG layers in name order and, within a layer, the kernel before the bias."""
    m = _SUFFIX.match(key)
    if not m:
        return (key, 0)
    return (m.group(1), 1 if m.group(2) in ("b", "biases", "bias") else 0)


def _read_keras_native(f, path):
    """`{layer name: [arrays in Keras variable order]}` of a Keras 3 `.weights.h5` file."""
    if "layers" not in f:
        raise WeightFileError(f"{path}: HDF5 file with neither tensorlayer nor Keras weights")
    out = {}
    for group in f["layers"].values():
        if "vars" not in group or "name" not in group["vars"].attrs or not len(group["vars"]):
            continue
        v = group["vars"]
        out[str(v.attrs["name"])] = [np.asarray(v[str(i)]) for i in range(len(v))]
    return out


def _read_npz(path, vgg):
    items = safe_pickle.load_npz(path)
    if len(items) == 1 and items[0][0] == "params":
        # tensorlayer list format: one object array (or, with equal shapes, one stacked array).
        params = items[0][1]
        return [(f"params[{i}]", np.asarray(a)) for i, a in enumerate(params)]
    if vgg:
        # vgg16_weights.npz has no meaningful member order; tensorlayer sorts it by name.
        items = sorted(items, key=lambda kv: _vgg_key(kv[0]))
    return items


def _read_npy(path):
    obj = safe_pickle.load_npy(path)
    if isinstance(obj, np.ndarray) and obj.dtype == object and obj.shape == ():
        obj = obj.item()
    if isinstance(obj, dict):  # vgg19.npy: {layer: [W, b]}, tensorlayer loads it sorted.
        return [
            (f"{layer}[{i}]", np.asarray(a))
            for layer, pair in sorted(obj.items())
            for i, a in enumerate(pair)
        ]
    return [(f"[{i}]", np.asarray(a)) for i, a in enumerate(obj)]


def read_arrays(path, vgg=False):
    """Reads a tensorlayer-style weight file into `(key, array)` pairs in reference order.

    Args:
        path: the weight file.
        vgg: order dict-shaped VGG files the way tensorlayer's VGG loader does.

    Returns:
        The list of pairs, or for a Keras-native file a dict `{layer name: [arrays]}`.

    Raises:
        WeightFileError: missing, unreadable or unsafe file.
    """
    path = Path(path)
    if not path.is_file():
        raise WeightFileError(f"no weight file at {path}")
    magic = _magic(path)
    try:
        if magic.startswith(_HDF5_MAGIC):
            with h5py.File(path, "r") as f:
                if "layer_names" in f.attrs:
                    return _read_ordered_h5(f)
                return _read_keras_native(f, path)
        if magic.startswith(_ZIP_MAGIC):
            return _read_npz(path, vgg)
        if magic.startswith(_NPY_MAGIC):
            return _read_npy(path)
    except safe_pickle.UnsafePickleError as e:
        raise WeightFileError(f"{path}: {e}") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as e:
        raise WeightFileError(f"{path}: cannot read weights ({type(e).__name__}: {e})") from None
    raise WeightFileError(
        f"{path}: not a weight file this project reads (expected HDF5, .npz or .npy; "
        f"first bytes {magic!r})"
    )


def _fit(arr, var):
    """`arr` reshaped to the variable's shape where only singleton axes differ, else None."""
    if tuple(arr.shape) == tuple(var.shape):
        return arr
    # tensorlayer 2.0 stored BatchNorm parameters as (1, 1, 1, C); its own loader squeezes them.
    if arr.ndim > len(var.shape) and np.squeeze(arr).shape == tuple(var.shape):
        return arr.reshape(var.shape)
    return None


def _other_backend_layout(arr, var):
    """True when `arr` is `var`'s shape in PyTorch order ((out, in, kh, kw), or (out, in))."""
    target = tuple(var.shape)
    if arr.ndim == 4 and len(target) == 4:
        return tuple(np.transpose(arr, (2, 3, 1, 0)).shape) == target and arr.shape != target
    if arr.ndim == 2 and len(target) == 2:
        return tuple(arr.shape[::-1]) == target and arr.shape != target
    return False


def _check(model, arrays, path):
    """Matches arrays to the model's variables; raises before any assignment on a mismatch."""
    targets = reference_variables(model)
    if _is_vgg(model) and len(arrays) > len(targets):
        arrays = arrays[: len(targets)]  # VGG files carry all layers (and fc); keep the prefix.
    for i, ((label, var), (key, arr)) in enumerate(zip(targets, arrays)):
        fitted = _fit(arr, var)
        if fitted is None and _other_backend_layout(arr, var):
            raise WeightFileError(
                f"{path}: weight #{i} ({key!r}) has shape {tuple(arr.shape)} where layer {label} "
                f"expects {tuple(var.shape)}: the same numbers in the (out, in, kh, kw) / "
                f"(out, in) layout of TensorLayerX's PyTorch, Paddle or MindSpore backends. Save "
                f"the model with TL_BACKEND=tensorflow (tensorlayer/srgan's default). The model "
                f"was left unchanged."
            )
        if fitted is None:
            raise WeightFileError(
                f"{path} does not fit model '{model.name}': weight #{i} ({key!r}) has shape "
                f"{tuple(arr.shape)} but layer {label} expects {tuple(var.shape)} "
                f"(file has {len(arrays)} weights, model {len(targets)}). Is this a file for "
                f"another model? The model was left unchanged."
            )
        arrays[i] = (key, fitted)
    if len(arrays) != len(targets):
        first_missing = targets[len(arrays)][0] if len(arrays) < len(targets) else None
        detail = (
            f"the file ends before layer {first_missing}"
            if first_missing
            else f"the file has {len(arrays) - len(targets)} extra weights after layer {targets[-1][0]}"
        )
        raise WeightFileError(
            f"{path} does not fit model '{model.name}': the file has {len(arrays)} weights, "
            f"the model {len(targets)}; {detail}. The model was left unchanged."
        )
    return [(var, arr) for (_, var), (_, arr) in zip(targets, arrays)]


def _check_named(model, named, path):
    """Matches a `{layer: [arrays]}` dict to the model by layer name, before any assignment."""
    pairs = []
    for layer in model.layers:
        if not layer.weights:
            continue
        if layer.name not in named:
            raise WeightFileError(
                f"{path} does not fit model '{model.name}': it has no weights for layer "
                f"{layer.name}. Is this a file for another model? The model was left unchanged."
            )
        values = named[layer.name]
        if len(values) != len(layer.weights):
            raise WeightFileError(
                f"{path} does not fit model '{model.name}': layer {layer.name} has "
                f"{len(layer.weights)} weights, the file {len(values)}. The model was left unchanged."
            )
        for var, arr in zip(layer.weights, values):
            if tuple(arr.shape) != tuple(var.shape):
                raise WeightFileError(
                    f"{path} does not fit model '{model.name}': {var.path} has shape "
                    f"{tuple(var.shape)}, the file {tuple(arr.shape)}. The model was left unchanged."
                )
            pairs.append((var, arr))
    extra = sorted(set(named) - {layer.name for layer in model.layers if layer.weights})
    if extra:
        raise WeightFileError(
            f"{path} does not fit model '{model.name}': the file has weights for layers the "
            f"model lacks ({', '.join(extra[:3])}{', ...' if len(extra) > 3 else ''}). "
            f"The model was left unchanged."
        )
    return pairs


# TensorLayerX names its variables `batchnorm2d_N/...` and `linear_N/...` where tensorlayer 2
# writes `batchnorm_N/...` and `dense_N/...`.
_TLX_KEY = re.compile(r"^(batchnorm2d|linear)_\d+/")


def is_tensorlayerx(arrays):
    """True for the `(key, array)` pairs of a TensorLayerX `npz_dict` file."""
    return not isinstance(arrays, dict) and any(_TLX_KEY.match(key) for key, _ in arrays)


def _from_tensorlayerx(model, arrays, path):
    """Maps a TensorLayerX file (tensorlayer/srgan's `srgan.py`: channels_first, TensorFlow
    backend) onto the channels-last port.

    Convolution kernels are stored (kh, kw, in, out) whatever the data format, so they load as
    they are; the generator needs nothing else. `SRGAN_d` flattens (C, H, W) before its dense
    layer where the port flattens (H, W, C): the dense rows are permuted to match. Its
    other discriminator, `SRGAN_d2`, puts LeakyReLU before BatchNorm and cannot be mapped.
    """
    names = {layer.name for layer in model.layers}
    if "discriminator_flatten" not in names:
        return arrays
    if "discriminator_res_add" not in names:
        raise WeightFileError(
            f"{path} is a TensorLayerX discriminator file: tensorlayer/srgan's SRGAN_d maps onto "
            f"--discriminator=tl only (its SRGAN_d2 applies LeakyReLU before BatchNorm, which no "
            f"discriminator here does). The model was left unchanged."
        )
    h, w, c = model.get_layer("discriminator_flatten").input.shape[1:]
    key, kernel = arrays[-2]
    if kernel.ndim != 2 or kernel.shape[0] != h * w * c:
        return arrays  # the shape check below names the mismatch
    chw = kernel.reshape(c, h, w, kernel.shape[1])
    arrays[-2] = (key, chw.transpose(1, 2, 0, 3).reshape(h * w * c, kernel.shape[1]))
    return arrays


def load_weights(model, path, log=print):
    """Loads any supported weight file into `model` (see the module docstring for formats).

    Args:
        model: a model from `srgan_tf.models` (generator, discriminator or VGG).
        path: the weight file.
        log: where the line naming an official tensorlayer/srgan file (or warning about a
            file named like one that is not) goes.

    Raises:
        WeightFileError: missing, unreadable, unsafe, or mismatching file. The model is
            left exactly as it was.
    """
    arrays = read_arrays(path, vgg=_is_vgg(model))
    _, message = official.identify(path)
    if message:
        log(message)
    if isinstance(arrays, dict):
        pairs = _check_named(model, arrays, path)
    else:
        arrays = list(arrays)
        if is_tensorlayerx(arrays):
            arrays = _from_tensorlayerx(model, arrays, path)
        pairs = _check(model, arrays, path)
    for var, arr in pairs:
        var.assign(np.asarray(arr, dtype=var.dtype))


def save_weights(model, path):
    """Writes Keras-native weights atomically (a reader never sees a half-written file).

    Args:
        model: any Keras model.
        path: the target; must end in `.weights.h5`, as Keras requires.

    Raises:
        ValueError: a path with another suffix.
    """
    if not str(path).endswith(".weights.h5"):
        raise ValueError(f"Keras weight files must end in .weights.h5, got {path}")
    with atomic.atomic_path(path) as tmp:
        model.save_weights(str(tmp), overwrite=True)


def save_tensorlayer_npz(model, path):
    """Writes weights in tensorlayer's list format, loadable by `tl.files.load_and_assign_npz`.

    Written the way tensorlayer 2 did (`np.savez(path, params=<object array>)`), which its own
    `save_npz` no longer manages under numpy 2.
    """
    values = [var.numpy() for _, var in reference_variables(model)]
    params = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        params[i] = v
    with atomic.atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, params=params)
