"""Tiny inputs: a side below `MIN_SIDE` pixels is mirrored up to it before the generator, and
the output cropped back.

A convolutional generator zero-pads every border, and an image of a few pixels is all border:
a 1x2 photo came back with dark corners. Mirrored (the 'symmetric' rule, repeated as often as
needed: `protocols.symmetric_pad`), a 1-pixel image is a flat field, which is what it shows.
Images with both sides at least `MIN_SIDE` pass through unchanged (the same ops, no padding),
so the tiles of a larger image never see it. Not in the reference. Made of a gather and a
slice, so a SavedModel and TFLite carry it.
"""

import keras
import tensorflow as tf

from srgan_tf import protocols

MIN_SIDE = 16  # input pixels; a tile is never this small unless its whole image is


@keras.saving.register_keras_serializable(package="srgan_tf")
class MinSidePad(keras.layers.Layer):
    """`(b, h, w, c) -> (b, max(h, MIN_SIDE), max(w, MIN_SIDE), c)`, mirrored evenly."""

    def call(self, x: tf.Tensor) -> tf.Tensor:
        h, w = tf.shape(x)[1], tf.shape(x)[2]
        ph, pw = tf.maximum(0, MIN_SIDE - h), tf.maximum(0, MIN_SIDE - w)
        return protocols.symmetric_pad(x, (ph // 2, pw // 2), (ph - ph // 2, pw - pw // 2))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        b, h, w, c = input_shape
        return (b, *(None if n is None else max(n, MIN_SIDE) for n in (h, w)), c)


@keras.saving.register_keras_serializable(package="srgan_tf")
class MinSideCrop(keras.layers.Layer):
    """`[lr, sr] -> sr` cropped to `scale` times `lr`'s size, where `MinSidePad` added."""

    def __init__(self, scale: int = 4, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.scale = int(scale)

    def call(self, inputs: list) -> tf.Tensor:
        lr, sr = inputs
        h, w = tf.shape(lr)[1], tf.shape(lr)[2]
        top = tf.maximum(0, MIN_SIDE - h) // 2
        left = tf.maximum(0, MIN_SIDE - w) // 2
        s = self.scale
        return sr[:, s * top : s * (top + h), s * left : s * (left + w)]

    def compute_output_shape(self, input_shapes: list) -> tuple:
        (_, h, w, _), (b, _, _, c) = input_shapes
        return (b, *(None if n is None else self.scale * n for n in (h, w)), c)

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale}


def at_least_min_side(model: keras.Model, scale: int = 4) -> keras.Model:
    """`model` (`lr -> sr`, `scale` times larger) with tiny inputs mirrored up to `MIN_SIDE`."""
    lr = keras.Input((None, None, 3), name="lr_image")
    sr = model(MinSidePad(name="min_side_pad")(lr))
    sr = MinSideCrop(scale, name="min_side_crop")([lr, sr])
    return keras.Model(lr, sr, name=f"{model.name}_min{MIN_SIDE}")
