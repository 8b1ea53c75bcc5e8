"""Writes weights: Keras-native files, and the tensorlayer list format, both atomically."""

import os

import keras
import numpy as np

from srgan_tf import atomic
from srgan_tf.weights.loading import reference_variables


def save_weights(model: keras.Model, path: str | os.PathLike) -> None:
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


def save_tensorlayer_npz(model: keras.Model, path: str | os.PathLike) -> None:
    """Writes weights in tensorlayer's list format, loadable by `tl.files.load_and_assign_npz`.

    Written the way tensorlayer did (`np.savez(path, params=<object array>)`), which its own
    `save_npz` no longer manages under numpy 2.
    """
    values = [var.numpy() for _, var in reference_variables(model)]
    params = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        params[i] = v
    with atomic.atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, params=params)
