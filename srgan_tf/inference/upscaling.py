"""Super-resolves images of any size with bounded memory: a traced predictor and the tiled
pass (`tiling_core.py`, the one tiling core, shared with the SavedModel), equal to a whole-image pass.

Whole-image float32 inference needs about 12 KB of RAM per input pixel (a 2040x1356 input
would need about 32 GB); the tiled pass needs about that of one tile's trunk and one strip of
its tail.
"""

import math

import keras
import numpy as np
import tensorflow as tf
from tqdm import tqdm

from srgan_tf.config import AUTO_TILE
from srgan_tf.data import images
from srgan_tf.inference import tiling_core
from srgan_tf.inference.post_settings import NONE, PostProcessing


class Predictor:
    """The generator wrapped and followed as `post` says, two ways: called, a traced
    `(b, h, w, 3) -> (b, 4h, 4w, 3)` whole-image pass that never retraces for new sizes (the
    Keras model `post.model`); `tiler`, the tiled pass (`tiling_core.Tiler`) that `upscale` runs.
    `context` is the input pixels each tile keeps around its core (what the generator, the
    steps and the gate reach)."""

    def __init__(self, generator: keras.Model, post: PostProcessing = NONE) -> None:
        self.post = post
        # The precision it computes in: the generator's Keras policy when it was built.
        compute = generator.dtype_policy.compute_dtype
        self.precision = "bfloat16" if compute == "bfloat16" else "float32"
        self.model = post.model(generator)
        self.tiler = tiling_core.Tiler(generator, post)
        self.context = self.tiler.context
        spec = tf.TensorSpec([None, None, None, 3], tf.float32)
        self._fn = tf.function(lambda x: self.model(x, training=False), input_signature=[spec])

    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        return self._fn(x)


def predictor(generator: keras.Model, post: PostProcessing = NONE) -> Predictor:
    """A `Predictor` of the generator (see there)."""
    return Predictor(generator, post)


def tile_count(h: int, w: int, tile: int, context: int) -> int:
    """How many tiles `upscale` runs on an `h x w` input (what its progress bar counts)."""
    core_h, core_w = (int(tiling_core.grid(n, tile, context)) for n in (h, w))
    return math.ceil(h / core_h) * math.ceil(w / core_w)


def upscale(
    predict: Predictor,
    lr: np.ndarray,
    tile: int = AUTO_TILE,
    to_uint8: bool = False,
    progress: str = "",
    alpha: np.ndarray | None = None,
    gray: bool = False,
) -> np.ndarray:
    """Super-resolves one image.

    Args:
        predict: a `Predictor` (`predictor`).
        lr: `(h, w, 3)` float32 in [-1, 1], or uint8 (converted a tile at a time).
        tile: input tile side, context included; 0 for one whole pass (the Keras model).
        to_uint8: return uint8 pixels (a quarter of the memory of float32 for big outputs).
        progress: when given, a progress bar of the tiles with this label (on stderr, cleared
            when done): a large photo through the self-ensemble takes minutes.
        alpha, gray: with `to_uint8` and tiles, an `(h, w, 1)` uint8 alpha channel upscaled
            by bicubic in the same tiles and appended; the colours averaged to one gray
            channel (`tiling_core.Tiler`).

    Returns:
        `(4h, 4w, 3)` float32 in [-1, 1], or uint8.

    Raises:
        ValueError: a tile too small for its context.
    """
    if tile < 0:  # sized by the memory budget for this image
        tile = tiling_core.auto_tile(*lr.shape[:2], predict.precision, predict.context)
    if not tile and alpha is None and not gray:
        if lr.dtype == np.uint8:
            lr = lr.astype(np.float32) / 127.5 - 1.0
        sr = predict(tf.constant(lr[None], tf.float32))[0].numpy()
        return images.to_uint8(sr) if to_uint8 else sr
    tile = tile or max(tiling_core.MIN_SIDE, *lr.shape[:2])  # whole: one tile
    tiler = predict.tiler
    h, w = (max(n, tiling_core.MIN_SIDE) for n in lr.shape[:2])
    fits_rule = tiling_core.tile_problem(tile, tiler.context) is None
    total = tile_count(h, w, tile, tiler.context) if fits_rule else 1  # else: one tile or an error
    with tqdm(total=total, desc=progress, unit="tile", leave=False, disable=not progress) as bar:
        x = tf.constant(lr if lr.dtype == np.uint8 else np.asarray(lr, np.float32))
        out = tiler(x, tile, tf.uint8 if to_uint8 else tf.float32, bar.update,
                    alpha=alpha, gray=gray)  # fmt: skip
    return out
