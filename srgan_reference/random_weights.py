"""Random weights with realistic statistics for the reference models of both oracles
(tensorlayer and TensorLayerX name their variables alike)."""

import numpy as np


def randomize(model, rng):
    """Gives every tensorlayer weight a random value with realistic statistics.

    BatchNorm moving variances must stay positive; gammas near 1 keep activations bounded.
    """
    for w in model.all_weights:
        shape = tuple(w.shape)
        name = w.name
        if "moving_var" in name:
            value = rng.uniform(0.5, 1.5, shape)
        elif "gamma" in name:
            value = rng.normal(1.0, 0.1, shape)
        elif "moving_mean" in name or "beta" in name or "biases" in name:
            value = rng.normal(0.0, 0.1, shape)
        else:
            fan_in = int(np.prod(shape[:-1]))
            value = rng.normal(0.0, np.sqrt(1.0 / fan_in), shape)
        w.assign(value.astype(np.float32))
    return model


def he_scaled_kernels(model, seed=0):
    """Gives every kernel of a Keras model He-scaled random values (a fresh model's outputs are
    ~1e-4, too small for a difference between two paths to show); returns the model."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if hasattr(layer, "kernel"):
            fan_in = int(np.prod(layer.kernel.shape[:-1]))
            layer.kernel.assign(rng.normal(0, np.sqrt(1.0 / fan_in), layer.kernel.shape))
    return model
