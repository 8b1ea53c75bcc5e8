"""What `g.weights.h5` is written from: the training generator, or a one-device copy holding
its weight average (`--ema_decay`) and/or re-estimated BatchNorm statistics
(`--precise_bn_batches`).

The training model and its checkpoint keep their own weights, so resuming and distributed
training are unaffected; layers frozen for transfer learning keep their statistics too. The
copy is also what validation scores, since the training model may be distributed.
"""

from collections.abc import Callable, Iterator

import keras

from srgan_tf import data
from srgan_tf.config import DataConfig
from srgan_tf.models import build_generator
from srgan_tf.training import precise_bn
from srgan_tf.training.weight_average import WeightAverage

# The data epoch whose batches re-estimate BatchNorm statistics: fixed, so every save of a run
# uses the same batches, and far from the epochs training draws.
PRECISE_BN_EPOCH = 10**6


def training_lr_batches(
    train_images: list, data_cfg: DataConfig, patches_per_image: int
) -> Callable[[], Iterator]:
    """LR batches from the training images, the same at every call: the fixed epochs from
    `PRECISE_BN_EPOCH` on, for as many epochs as it takes."""

    def batches():
        epoch = PRECISE_BN_EPOCH
        while True:
            for lr, _ in data.train_dataset(train_images, data_cfg, epoch, patches_per_image):
                yield lr
            epoch += 1

    return batches


class GeneratorSnapshot:
    """Builds, on demand, the generator that is written and validated.

    Args:
        g: the training generator.
        n_res_blocks, filters: its shape (the copy is built alike).
        average: its weight average, or None.
        precise_bn_batches: how many batches re-estimate BatchNorm statistics (0: none).
        lr_batches: returns an iterator of LR batches for that (see `training_lr_batches`).
    """

    def __init__(
        self,
        g: keras.Model,
        n_res_blocks: int,
        filters: int,
        average: WeightAverage | None = None,
        precise_bn_batches: int = 0,
        lr_batches: Callable[[], Iterator] | None = None,
    ) -> None:
        if precise_bn_batches and lr_batches is None:
            raise ValueError("precise_bn_batches needs lr_batches")
        self.g, self.shape, self.average = g, (n_res_blocks, filters), average
        self.precise_bn_batches, self.lr_batches = precise_bn_batches, lr_batches
        self._copy = None

    def copy(self, values: list) -> keras.Model:
        """A one-device generator of the training one's shape holding `values` (built once)."""
        if self._copy is None:
            self._copy = build_generator(*self.shape, name="generator")
            for src, dst in zip(self.g.layers, self._copy.layers):
                dst.trainable = src.trainable
        self._copy.set_weights(values)
        return self._copy

    def to_write(self) -> keras.Model:
        """The generator `g.weights.h5` gets (the training one when nothing is averaged)."""
        n = self.precise_bn_batches
        if not n and self.average is None:
            return self.g
        g = self.copy(self.average.values() if self.average else self.g.get_weights())
        if n:
            batches = self.lr_batches()
            precise_bn.recalibrate(g, (next(batches) for _ in range(n)))
        return g

    def to_validate(self) -> keras.Model:
        """`to_write()`, always on one device."""
        g = self.to_write()
        return self.copy(g.get_weights()) if g is self.g else g
