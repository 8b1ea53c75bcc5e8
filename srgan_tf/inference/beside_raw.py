"""The post-processed output beside the raw one: evaluate's extra column and compare's extra
panel (`name+x4+bp2+gate1.5`).

Both already have the generator's raw output of an image. Without a self-ensemble the
post-processing starts from it (no second generator pass); with one, from the ensembled
predictor's own output (n more passes). Either way the steps and the gate then run through the
tiling core's strips (`tiling_core.Tiler.after`: the memory of a strip, not of the image), as
upscale's tiled predictor computes them (tests/test_evaluation.py checks the column against
that path). An image with a side below `min_side.MIN_SIDE` is mirrored up before all
of it, so its raw output cannot be reused: it runs upscale's whole path (a few pixels).
"""

import keras
import numpy as np
import tensorflow as tf

from srgan_tf.config import AUTO_TILE
from srgan_tf.inference import tiling_core
from srgan_tf.inference.post_settings import PostProcessing
from srgan_tf.inference.upscaling import predictor, upscale
from srgan_tf.models.min_side import MIN_SIDE


class PostProcessed:
    """`(lr, raw) -> post-processed SR` of one image, numpy `(h, w, 3)` in [-1, 1].

    Args:
        generator: the generator whose raw output is given (its weights are read at each
            call, so one `PostProcessed` serves every weight file loaded into it).
        post: what wraps and follows the generator (its protocol: the down-scaler of the
            back-projection steps).
        tile: of the ensembled predictor's tiled pass.
    """

    def __init__(self, generator: keras.Model, post: PostProcessing, tile: int = AUTO_TILE) -> None:
        self.post = post
        ensemble = post.ensemble_only()
        self._ensembled = predictor(generator, ensemble) if ensemble else None
        self._tiler = tiling_core.Tiler(generator, post) if post.has_stages else None
        self._tile = tile
        self._generator, self._whole = generator, None

    @property
    def label(self) -> str:
        """The suffix naming the post-processed column or panel (`+x4+bp2+gate1.5`)."""
        return self.post.label

    def __bool__(self) -> bool:
        """Whether there is anything to add beside the raw output."""
        return bool(self.post)

    def __call__(self, lr: np.ndarray, raw: np.ndarray) -> np.ndarray:
        if self.post.has_stages and min(lr.shape[:2]) < MIN_SIDE:
            if self._whole is None:
                self._whole = predictor(self._generator, self.post)
            return upscale(self._whole, lr, self._tile)
        sr = upscale(self._ensembled, lr, self._tile) if self._ensembled else raw
        if self._tiler is None:
            return sr
        lr_t, sr_t = tf.constant(lr, tf.float32), tf.constant(sr, tf.float32)
        return self._tiler.after(lr_t, sr_t).numpy()
