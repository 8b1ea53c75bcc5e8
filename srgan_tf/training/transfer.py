"""Transfer learning for the Specialized SR-GAN: re-initialise and train only the generator's tail.

The study kept every pretrained weight except those of the last layer, which were drawn again
from a random normal and trained on one landscape class (it also tried the last 3 and 5).
Frozen layers are set `trainable=False`, which in Keras also runs their BatchNorm in inference
mode, so nothing outside the tail changes, moving statistics included.
"""

import keras
import numpy as np


def weighted_layers(model: keras.Model) -> list:
    return [layer for layer in model.layers if layer.weights]


def tail_layers(model: keras.Model, n: int) -> list:
    """The last `n` layers that carry weights (1: `generator_conv_out`).

    Raises:
        ValueError: `n` outside 1 .. the number of weighted layers.
    """
    layers = weighted_layers(model)
    if not 1 <= n <= len(layers):
        raise ValueError(
            f"--n_trainable={n}: the generator has {len(layers)} layers with weights; pass 1 "
            f"(the study: the last layer) to {len(layers)}"
        )
    return layers[-n:]


def freeze_all_but_tail(model: keras.Model, n: int) -> list:
    """Makes only the last `n` weighted layers trainable; returns them."""
    tail = tail_layers(model, n)
    for layer in model.layers:
        layer.trainable = layer in tail
    return tail


def reinitialize(layers: list, seed: int = 0) -> None:
    """Draws the layers' weights again with the reference initialisers (seeded)."""
    for k, layer in enumerate(layers):
        for i, var in enumerate(layer.weights):
            name = var.path.rsplit("/", 1)[-1]
            init = {
                "kernel": keras.initializers.RandomNormal(0.0, 0.02, seed=seed * 1000 + 10 * k + i),
                "gamma": keras.initializers.RandomNormal(1.0, 0.02, seed=seed * 1000 + 10 * k + i),
                "moving_variance": keras.initializers.Ones(),
            }.get(name, keras.initializers.Zeros())
            var.assign(np.asarray(init(var.shape, dtype=var.dtype)))
