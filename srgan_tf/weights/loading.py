"""Maps the arrays of a weight file onto a Keras model, checking everything before assigning.

tensorlayer's formats are ordered lists of arrays in the reference's weight order: per layer,
conv `[W, b]`, BatchNorm `[beta, gamma, moving_mean, moving_var]`, dense `[W, b]` (Keras
orders BatchNorm gamma, beta, mean, variance; `reference_variables` does the mapping). Keras
files are matched by layer name. Every array is checked against the model before any is
assigned, so a refused file leaves the model exactly as it was.
"""

import os
from collections.abc import Callable

import keras
import numpy as np

from srgan_tf.errors import WeightFileError
from srgan_tf.weights import formats, official

# `library` values, and what each says about a dense layer after a flatten.
FLATTEN_ORDER = {"tensorlayer": "(H, W, C)", "tensorlayerx": "(C, H, W)"}


def reference_variables(model: keras.Model) -> list:
    """The model's variables in tensorlayer's order, each with a readable label.

    Returns:
        A list of `(label, variable)`, e.g. `("generator_res0_bn1.beta", <Variable>)`.

    Raises:
        TypeError: a layer with weights that tensorlayer has no counterpart for.
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


def _flattened_map(model):
    """`(h, w, c)` of the feature map the model flattens before a dense layer, when the flatten
    order matters (h * w > 1), else None."""
    flatten = [layer for layer in model.layers if isinstance(layer, keras.layers.Flatten)]
    if not flatten:
        return None
    h, w, c = flatten[0].input.shape[1:]
    return (h, w, c) if h * w > 1 else None


def _choose_library(model, weight_file, library, path):
    """Which library wrote the file: the caller's choice (checked against the file's own
    evidence), else the file's evidence, else None where it does not matter. Raises where it
    matters and nothing says: a tensorlayer/srgan discriminator whose dense rows follow a
    flatten of more than one position."""
    named = weight_file.library
    if library is not None:
        if named is not None and named != library:
            raise WeightFileError(
                f"{path} was written by {named} ({weight_file.evidence}), but it was asked to "
                f"be read as {library}'s. Drop the choice (the file says which it is). The model "
                f"was left unchanged."
            )
        return library
    if named is not None or _flattened_map(model) is None:
        return named
    if "discriminator_res_add" not in {layer.name for layer in model.layers}:
        # Only tensorlayer/srgan's discriminator exists in TensorLayerX; every other model
        # with a dense layer is this project's or tensorlayer's, which flatten alike.
        return "tensorlayer"
    raise WeightFileError(
        f"{path} is a {weight_file.format} file ({weight_file.evidence}), which does not say "
        f"whether tensorlayer or TensorLayerX wrote it, and for this discriminator the two "
        f"readings differ: tensorlayer's get_D flattens {FLATTEN_ORDER['tensorlayer']} before "
        f"its dense layer, TensorLayerX's channels_first SRGAN_d "
        f"{FLATTEN_ORDER['tensorlayerx']}. Choose with --d_weights_library=tensorlayer or "
        f"--d_weights_library=tensorlayerx (in Python: load_weights(..., library=...)). The "
        f"model was left unchanged."
    )


def _from_channels_first(model, arrays, path):
    """Maps a TensorLayerX `SRGAN_d` file (tensorlayer/srgan's `srgan.py`: channels_first,
    TensorFlow backend) onto the channels-last port.

    Convolution kernels are stored (kh, kw, in, out) whatever the data format, so they load as
    they are. `SRGAN_d` flattens (C, H, W) before its dense layer where the port flattens
    (H, W, C): the dense rows are permuted to match. Its other discriminator, `SRGAN_d2`, puts
    LeakyReLU before BatchNorm and cannot be mapped.
    """
    names = {layer.name for layer in model.layers}
    if "discriminator_res_add" not in names:
        raise WeightFileError(
            f"{path} is a TensorLayerX discriminator file: tensorlayer/srgan's SRGAN_d maps onto "
            f"--discriminator=tl only (its SRGAN_d2 applies LeakyReLU before BatchNorm, which no "
            f"discriminator here does). The model was left unchanged."
        )
    h, w, c = model.get_layer("discriminator_flatten").input.shape[1:]
    key, kernel = arrays[-2]
    if kernel.ndim != 2 or kernel.shape[0] != h * w * c:
        return arrays  # the shape check names the mismatch
    chw = kernel.reshape(c, h, w, kernel.shape[1])
    arrays[-2] = (key, chw.transpose(1, 2, 0, 3).reshape(h * w * c, kernel.shape[1]))
    return arrays


def load_weights(
    model: keras.Model,
    path: str | os.PathLike,
    log: Callable[..., None] = print,
    library: str | None = None,
) -> None:
    """Loads any supported weight file into `model` (formats: `srgan_tf.weights.formats`).

    Args:
        model: a model from `srgan_tf.models` (generator, discriminator or VGG).
        path: the weight file.
        log: where the line naming an official tensorlayer/srgan file (or warning about a
            file named like one that is not) goes.
        library: "tensorlayer" or "tensorlayerx": which library wrote the file, for the one
            case the file cannot say (a discriminator in the list format, or an `npz_dict` with
            renamed layers). None: the file says, or the question does not arise.

    Raises:
        WeightFileError: missing, unreadable, unsafe, ambiguous or mismatching file. The model
            is left exactly as it was.
    """
    if library is not None and library not in FLATTEN_ORDER:
        raise ValueError(f"library must be one of {tuple(FLATTEN_ORDER)}, got {library!r}")
    weight_file = formats.read(path, vgg=_is_vgg(model))
    _, message = official.identify(path)
    if message:
        log(message)
    if isinstance(weight_file.arrays, dict):
        pairs = _check_named(model, weight_file.arrays, path)
    else:
        arrays = list(weight_file.arrays)
        chosen = _choose_library(model, weight_file, library, path)
        if chosen == "tensorlayerx" and any(
            isinstance(layer, keras.layers.Dense) for layer in model.layers
        ):
            arrays = _from_channels_first(model, arrays, path)
        pairs = _check(model, arrays, path)
    for var, arr in pairs:
        var.assign(np.asarray(arr, dtype=var.dtype))
