"""Precise BatchNorm statistics: moving means and variances re-estimated as exact averages.

The reference's BatchNorm decay of 0.9 makes every moving statistic an average of about the last
ten training batches. With small batches of small patches that is noisy, and the generator's
inference-mode output can shift in colour with it (re-estimating the old demo generator's
statistics moved retina from -0.88 to -0.33 dB against bicubic, and clock from -0.18 to -0.24:
measure before relying on it; the weight jitter `weight_average.py` removes was the larger
cause of the demo's swings between checkpoints). PreciseBN (Wu & Johnson,
"Rethinking 'Batch' in BatchNorm", 2021; fvcore's `update_bn_stats`) replaces them, after
training, by the plain mean of the per-batch means and (biased) variances over many batches,
computed in training mode, exactly as the layers normalise during training. Not in the reference;
off unless asked for (`--precise_bn_batches`).
"""

from collections.abc import Iterable

import keras


def batch_norm_layers(model: keras.Model) -> list:
    """The trainable BatchNormalization layers of `model`, in order (frozen ones keep theirs)."""
    return [
        layer
        for layer in _walk(model)
        if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable
    ]


def _walk(model):
    for layer in getattr(model, "layers", ()):
        yield layer
        yield from _walk(layer)


def recalibrate(model: keras.Model, batches: Iterable) -> int:
    """Sets every trainable BatchNorm layer's moving statistics to exact averages over `batches`.

    Each batch runs through `model` in training mode; batch k enters the average with weight 1/k
    (momentum (k-1)/k), so after n batches each statistic is the mean of its n batch values,
    whatever it held before. Weights other than the moving statistics do not change.

    Args:
        model: a Keras model with BatchNormalization layers (called eagerly, one device).
        batches: an iterable of model inputs, e.g. the LR half of the training batches.

    Returns:
        The number of batches used.

    Raises:
        ValueError: `batches` was empty. On any error the statistics are left as they were.
    """
    layers = batch_norm_layers(model)
    saved = [(layer.moving_mean.numpy(), layer.moving_variance.numpy()) for layer in layers]
    momenta = [layer.momentum for layer in layers]
    n = 0
    try:
        for x in batches:
            n += 1
            for layer in layers:
                layer.momentum = (n - 1) / n
            model(x, training=True)
        if n == 0:
            raise ValueError("precise BatchNorm statistics need at least one batch; got none")
    except BaseException:
        for layer, (mean, var) in zip(layers, saved):
            layer.moving_mean.assign(mean)
            layer.moving_variance.assign(var)
        raise
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
    return n


def statistics(model: keras.Model) -> dict:
    """`{layer name: (moving mean, moving variance)}` as numpy arrays (for checks and tests)."""
    return {
        layer.name: (layer.moving_mean.numpy(), layer.moving_variance.numpy())
        for layer in batch_norm_layers(model)
    }
