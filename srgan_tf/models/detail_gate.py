"""The detail gate: keeps the generator's detail over bicubic only where it stands above the
generator's own noise.

On flat tones (a sky, a backdrop, an out-of-focus background, the smooth ramps of a blurred
edge) bicubic is already near 60 dB PSNR-Y, and a generator's faint checkerboard and texture of
a level or so costs several decibels there, far more than its detail gains. The gate is a local
shrinkage of the residual `d = SR - bicubic(LR)`, as in wavelet denoising (a James-Stein /
Wiener weight on each pixel's neighbourhood):

    E = Gaussian-weighted local mean of |d|^2 over the 3 channels (grey levels of 255, squared)
    w = max(0, 1 - floor^2 / E)
    out = bicubic(LR) + w * d

Where the generator's residual is no stronger than `floor` levels RMS, the output is bicubic;
where it is strong (edges, texture), it is nearly untouched. It acts after back-projection, on
what `upscale` would otherwise return. Not in the reference; `floor = 0` is no gate.

Made of convolutions, mirror and zero padding and elementwise ops, so it tiles (it reaches
`GATE_RADIUS` LR pixels) and exports to a SavedModel and TFLite's builtin ops.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from srgan_tf import protocols
from srgan_tf.models.back_projection import BicubicUp

# HR pixels: the local window, chosen on validation photos with the floor (docs/evaluation.md;
# 1 and 2 were tried), about the period of the generator's checkerboard (2 and 4 pixels).
SIGMA = 1.0
# LR pixels the gate reaches: the Gaussian's 3 sigma (at most 1.5 LR pixels at x4 for sigma up
# to 2) and bicubic's 2, and more for rounding. Tiles keep this much more margin
# (srgan_tf/inference/tiling_core.py).
GATE_RADIUS = 5


@keras.saving.register_keras_serializable(package="srgan_tf")
class DetailGate(keras.layers.Layer):
    """`[lr, sr] -> sr` with the residual over bicubic shrunk where it is weak (module docstring).

    Args:
        floor: grey levels (of 255) RMS below which a neighbourhood's residual is dropped.
        sigma: the local window's Gaussian sigma in HR pixels.
        scale: the SR factor.
    """

    def __init__(
        self, floor: float = 1.5, sigma: float = SIGMA, scale: int = 4, **kwargs: object
    ) -> None:
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if floor <= 0:
            raise ValueError(f"the detail gate's floor must be > 0 grey levels, got {floor}")
        self.floor, self.sigma, self.scale = float(floor), float(sigma), int(scale)
        self._bicubic = BicubicUp(self.scale)
        self._radius = math.ceil(3 * self.sigma)
        x = np.arange(-self._radius, self._radius + 1, dtype=np.float64)
        taps = np.exp(-0.5 * (x / self.sigma) ** 2)
        taps /= taps.sum()
        self._row = tf.constant(np.tile(taps.reshape(1, -1, 1, 1), (1, 1, 3, 1)), tf.float32)
        self._col = tf.constant(np.tile(taps.reshape(-1, 1, 1, 1), (1, 1, 3, 1)), tf.float32)
        # The channel mean as a 1x1 convolution, so every tensor keeps 3 (equal) channels and
        # the weight multiplies the residual without broadcasting.
        self._channel_mean = tf.constant(np.full((1, 1, 3, 3), 1 / 3), tf.float32)

    def local_energy(self, residual: tf.Tensor) -> tf.Tensor:
        """The Gaussian-weighted local mean of `residual ** 2` over the 3 channels, in levels^2,
        `(n, h, w, 3)` (the same value in each channel)."""
        energy = tf.nn.conv2d(tf.square(residual * 127.5), self._channel_mean, 1, "VALID")
        r = self._radius
        energy = protocols.symmetric_pad(energy, r)
        energy = tf.nn.depthwise_conv2d(energy, self._row, [1, 1, 1, 1], "VALID")
        return tf.nn.depthwise_conv2d(energy, self._col, [1, 1, 1, 1], "VALID")

    def weight(self, residual: tf.Tensor) -> tf.Tensor:
        """The gate's weight per pixel, in [0, 1], `(n, h, w, 3)` (equal channels)."""
        energy = self.local_energy(residual)
        # max(0, 1 - floor^2 / E), written with the scalar second in every op (TFLite's XNNPack
        # delegate could not resize a graph dividing a scalar by a tensor).
        return tf.nn.relu(energy - self.floor**2) / (energy + 1e-12)

    def call(self, inputs: list) -> tf.Tensor:
        lr, sr = (tf.cast(t, tf.float32) for t in inputs)
        base = tf.clip_by_value(self._bicubic(lr), -1.0, 1.0)  # the bicubic baseline's pixels
        residual = sr - base
        return tf.clip_by_value(base + self.weight(residual) * residual, -1.0, 1.0)

    def compute_output_shape(self, input_shapes: list) -> tuple:
        return input_shapes[1]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "floor": self.floor,
            "sigma": self.sigma,
            "scale": self.scale,
        }
