"""What `g.weights.h5` is written from: the training generator, or a one-device copy holding
its weight average (`--ema_decay`) and/or re-estimated BatchNorm statistics
(`--precise_bn_batches`).

The training model and its checkpoint keep their own weights, so resuming and distributed
training are unaffected; layers frozen for transfer learning keep their statistics too. The
copy is also what validation scores, since the training model may be distributed.
"""

from srgan_tf import data
from srgan_tf.models import build_generator
from srgan_tf.training import precise_bn

# The data epoch whose batches re-estimate BatchNorm statistics: fixed, so every save of a run
# uses the same batches, and far from the epochs training draws.
PRECISE_BN_EPOCH = 10**6


class GeneratorSnapshot:
    """Builds, on demand, the generator that is written and validated.

    Args:
        task: the `SRGANTask` (its generator, weight average and configs).
        train_images: the training `ImageSet` (PreciseBN's batches come from it).
    """

    def __init__(self, task, train_images):
        self.task = task
        self.train_images = train_images
        self._copy = None

    def copy(self, values):
        """A one-device generator holding `values` (built once, reused)."""
        if self._copy is None:
            m = self.task.mcfg
            self._copy = build_generator(m.n_res_blocks, m.filters, name="generator")
            for src, dst in zip(self.task.g.layers, self._copy.layers):
                dst.trainable = src.trainable
        self._copy.set_weights(values)
        return self._copy

    def to_write(self):
        """The generator `g.weights.h5` gets (the training one when nothing is averaged)."""
        task, n = self.task, self.task.tcfg.precise_bn_batches
        if not n and task.ema is None:
            return task.g
        g = self.copy(task.ema.values() if task.ema else task.g.get_weights())
        if n:
            precise_bn.recalibrate(g, self._precise_bn_inputs(n))
        return g

    def to_validate(self):
        """`to_write()`, always on one device."""
        g = self.to_write()
        return self.copy(g.get_weights()) if g is self.task.g else g

    def _precise_bn_inputs(self, n):
        """`n` LR training batches, from as many fixed epochs as it takes."""
        t = self.task
        epoch = PRECISE_BN_EPOCH
        while True:
            ds = data.train_dataset(self.train_images, t.dcfg, epoch, t.tcfg.patches_per_image)
            for lr, _ in ds:
                yield lr
                n -= 1
                if n == 0:
                    return
            epoch += 1
