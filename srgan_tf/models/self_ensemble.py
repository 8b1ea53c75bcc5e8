"""Geometric self-ensemble: the generator run on flipped (and transposed) copies of its input,
each output turned back and all averaged.

A convolutional generator is not exactly equivariant to flips: what it invents where the input
does not decide (texture, the faint checkerboard of sub-pixel convolution) changes with the
orientation, while what the input supports does not. Averaging the turned-back outputs keeps
the second and thins the first. Timofte, Rothe and Van Gool ("Seven ways to improve
example-based single image super resolution", CVPR 2016) introduced it; EDSR's "+" rows
(Lim et al. 2017) use the 8 symmetries of the square.

`n` is how many copies (1, 2, 4 or 8), each costing one generator pass: 2 adds the mirror
image, 4 the vertical flips (all four keep the image's orientation, so any rectangle), 8 the
transposed ones. Not in the reference. Made of flips and transposes, so it tiles (a flipped
tile is the flipped image's tile: nothing reaches further), and a SavedModel and TFLite carry it.
"""

import keras
import tensorflow as tf
from keras import ops

from srgan_tf.config import post_processing_problem

# (transpose, flip rows, flip columns), in the order the ensembles take them: the first n form
# the ensemble of n.
TRANSFORMS = (
    (False, False, False),
    (False, False, True),
    (False, True, False),
    (False, True, True),
    (True, False, False),
    (True, False, True),
    (True, True, False),
    (True, True, True),
)


def check(n: int) -> int:
    """`n`, or a ValueError naming the valid sizes."""
    problem = post_processing_problem(self_ensemble=n)
    if problem:
        raise ValueError(problem)
    return n


def forward(x: tf.Tensor, transform: tuple[bool, bool, bool]) -> tf.Tensor:
    """`x` (`(b, h, w, c)`, any backend tensor) in the orientation of `transform`."""
    transpose, flip_rows, flip_cols = transform
    if transpose:
        x = ops.transpose(x, (0, 2, 1, 3))
    if flip_rows:
        x = ops.flip(x, axis=1)
    if flip_cols:
        x = ops.flip(x, axis=2)
    return x


def inverse(y: tf.Tensor, transform: tuple[bool, bool, bool]) -> tf.Tensor:
    """Undoes `forward(., transform)` (the flips, then the transpose)."""
    transpose, flip_rows, flip_cols = transform
    if flip_cols:
        y = ops.flip(y, axis=2)
    if flip_rows:
        y = ops.flip(y, axis=1)
    if transpose:
        y = ops.transpose(y, (0, 2, 1, 3))
    return y


def self_ensembled(generator: keras.Model, n: int) -> keras.Model:
    """`lr -> sr`: the mean of the generator's outputs on the first `n` orientations of
    `TRANSFORMS`, each turned back (the generator itself for `n = 1`); one set of weights."""
    if check(n) == 1:
        return generator
    lr = keras.Input((None, None, 3), name="lr_image")
    outs = [ops.cast(inverse(generator(forward(lr, t)), t), "float32") for t in TRANSFORMS[:n]]
    sr = ops.mean(ops.stack(outs), axis=0)
    return keras.Model(lr, sr, name=f"{generator.name}_x{n}")
