"""Consistency with the input: iterative back-projection after the generator (Irani & Peleg 1991).

Each step adds back what the output lost: `SR += up(LR - down(SR))`, `down` the LR protocol's
own downscaler (`srgan_tf.protocols`) and `up` bicubic. Downscaled again, the output then moves
closer to the LR it came from, which undoes a generator's colour casts and brightness drifts on
pictures unlike its training photos. It cannot restore what the LR does not show. Not in the
reference; `post_stages.post_processed` puts it after a generator.

The layer is made of convolutions, mirror and zero padding, a channel gather and depth-to-space
only, so a model that contains it exports to a SavedModel and to TFLite's builtin ops.
"""

import keras
import numpy as np
import tensorflow as tf

from srgan_tf import protocols
from srgan_tf.config import PHOTO_PROTOCOL

# to 2 LR pixels away (the antialiased kernel spans 4 LR pixels), `up` residuals 2 away; one
# more for rounding. Tiles keep this much more context per step (srgan_tf/inference/tiling_core.py).
RADIUS_PER_STEP = 5


def _depthwise(taps_y, taps_x, channels, multiplier: int = 1):
    kernel = np.einsum("...i,...j->...ij", taps_y, taps_x)  # (multiplier?, ky, kx)
    if multiplier == 1:
        kernel = kernel[..., None, None]
        return np.repeat(kernel, channels, axis=2).astype(np.float32)
    kernel = np.moveaxis(kernel, 0, -1)[:, :, None, :]  # (ky, kx, 1, multiplier)
    return np.repeat(kernel, channels, axis=2).astype(np.float32)


class BicubicUp:
    """TensorFlow's bicubic upscale by `scale` (`tf.image.resize`, the bicubic baseline) as one
    depthwise convolution per phase and a depth-to-space: tileable and exportable."""

    def __init__(self, scale: int = 4, channels: int = 3) -> None:
        self.scale = int(scale)
        up, self._pad = protocols.up_kernel(self.scale)
        s2 = self.scale * self.scale
        phases_y = np.repeat(up, self.scale, axis=0)  # phase (ky, kx) -> taps of ky
        phases_x = np.tile(up, (self.scale, 1))  # ... and of kx
        self._kernel = tf.constant(_depthwise(phases_y, phases_x, channels, multiplier=s2))
        # depthwise output channels are (channel, phase); depth_to_space wants (phase, channel)
        order = [c * s2 + m for m in range(s2) for c in range(channels)]
        self._order = tf.constant(order, tf.int32)

    def __call__(self, lr: tf.Tensor) -> tf.Tensor:
        p = self._pad
        pads = [[0, 0], [p, p], [p, p], [0, 0]]
        value = tf.nn.depthwise_conv2d(tf.pad(lr, pads), self._kernel, [1, 1, 1, 1], "VALID")
        weight = tf.nn.depthwise_conv2d(
            tf.pad(tf.ones_like(lr), pads), self._kernel, [1, 1, 1, 1], "VALID"
        )
        y = tf.gather(value / weight, self._order, axis=-1)
        return tf.nn.depth_to_space(y, self.scale)


@keras.saving.register_keras_serializable(package="srgan_tf")
class BackProjection(keras.layers.Layer):
    """`[lr, sr] -> sr` after `steps` back-projection steps under `protocol`, clipped to [-1, 1].

    Args:
        steps: back-projection steps (0: `sr` unchanged but clipped).
        protocol: "paper" (MATLAB's antialiased bicubic down) or "study" (the plain bicubic).
        scale: the SR factor.
    """

    def __init__(
        self, steps: int = 1, protocol: str = PHOTO_PROTOCOL, scale: int = 4, **kwargs: object
    ) -> None:
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.steps, self.protocol, self.scale = int(steps), protocols.check(protocol), int(scale)
        down, self._down_pad = protocols.down_kernel(protocol, self.scale)
        self._down = tf.constant(_depthwise(down, down, 3))
        self._bicubic = BicubicUp(self.scale)

    def down(self, sr: tf.Tensor) -> tf.Tensor:
        p = self._down_pad
        if p:
            sr = protocols.symmetric_pad(sr, p)
        s = self.scale
        return tf.nn.depthwise_conv2d(sr, self._down, [1, s, s, 1], "VALID")

    def up(self, lr: tf.Tensor) -> tf.Tensor:
        return self._bicubic(lr)

    def call(self, inputs: list) -> tf.Tensor:
        lr, sr = (tf.cast(t, tf.float32) for t in inputs)
        for _ in range(self.steps):
            sr = sr + self.up(lr - self.down(sr))
        return tf.clip_by_value(sr, -1.0, 1.0)

    def compute_output_shape(self, input_shapes: list) -> tuple:
        return input_shapes[1]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "steps": self.steps,
            "protocol": self.protocol,
            "scale": self.scale,
        }
