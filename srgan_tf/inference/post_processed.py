"""The post-processed output beside the raw one: evaluate's extra column and compare's extra
panel (`name+x4+bp2+gate1.5`).

Both already have the generator's raw output of an image. Without a self-ensemble the
post-processing starts from it (no second generator pass); with one, from the ensembled
predictor's own output (n more passes). Either way the steps and the gate then act on the whole
image, as upscale's tiled predictor computes them (tests/test_evaluation.py checks the column
against that path).
"""

import keras
import numpy as np

from srgan_tf.config import DEFAULT_TILE
from srgan_tf.inference.tiling import predictor, upscale
from srgan_tf.models import post_processing


class PostProcessed:
    """`(lr, raw) -> post-processed SR` of one image, numpy `(h, w, 3)` in [-1, 1].

    Args:
        generator: the generator whose raw output is given (its weights are read at each
            call, so one `PostProcessed` serves every weight file loaded into it).
        back_projection, protocol, detail_floor, self_ensemble: as `inference.predictor`'s
            (protocol: the down-scaler of the back-projection steps).
        scale, tile: of the ensembled predictor's tiled pass.
    """

    def __init__(
        self,
        generator: keras.Model,
        back_projection: int = 0,
        protocol: str = "paper",
        detail_floor: float = 0.0,
        self_ensemble: int = 1,
        scale: int = 4,
        tile: int = DEFAULT_TILE,
    ):
        self.label = post_processing.label(back_projection, detail_floor, self_ensemble)
        self._post = post_processing.Post(back_projection, detail_floor, protocol)
        self._ensembled = (
            predictor(generator, self_ensemble=self_ensemble) if self_ensemble > 1 else None
        )
        self._scale, self._tile = scale, tile

    def __bool__(self):
        """Whether there is anything to add beside the raw output."""
        return bool(self.label)

    def __call__(self, lr: np.ndarray, raw: np.ndarray) -> np.ndarray:
        sr = upscale(self._ensembled, lr, self._scale, self._tile) if self._ensembled else raw
        return self._post(lr, sr)
