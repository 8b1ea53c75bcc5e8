"""An exponential moving average of the generator's weights (Polyak averaging).

Adam's steps keep the weights jittering around a minimum; for a super-resolution network that
jitter shows as colour offsets of a few gray levels that change from one checkpoint to the
next, which costs most on smooth images, where bicubic is already within one gray level. ESRGAN's
successors (BasicSR's `ema_decay`, 0.999) and timm's `ModelEmaV2` write the average of the
recent weights instead. Every variable is averaged, BatchNorm moving statistics included (as
ModelEmaV2 does); `srgan_tf.training.precise_bn` can then re-estimate those for the averaged weights.
Not in the reference; off unless asked for (`--ema_decay`).
"""

import tensorflow as tf


class WeightAverage:
    """`average <- decay * average + (1 - decay) * weight` for every variable of a model.

    The averages are plain float32 variables on the host, created outside any distribution
    strategy and updated after each step from the (replicated) weights, so they need no
    cross-replica logic. `trackable` goes into the run's checkpoint.

    Args:
        variables: the variables to follow (a model's `weights`, in that order).
        decay: in [0, 1); 0.999 averages over about the last 1,000 steps.
    """

    def __init__(self, variables: list, decay: float) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"the weight-average decay must be in [0, 1), got {decay}")
        self.decay = float(decay)
        self._sources = list(variables)
        with tf.init_scope():
            self.trackable = tf.Module(name="weight_average")
            self.trackable.averages = [
                tf.Variable(tf.cast(v, tf.float32), trainable=False, name=f"average_{i}")
                for i, v in enumerate(self._sources)
            ]
        self._update = tf.function(self._update_all)

    @property
    def averages(self) -> list:
        return self.trackable.averages

    def reset(self) -> None:
        """Starts the average over at the current weights (a fresh or warm-started run)."""
        for average, source in zip(self.averages, self._sources):
            average.assign(tf.cast(source, tf.float32))

    def update(self) -> None:
        """One step of the average; call after every optimiser step."""
        self._update()

    def _update_all(self) -> None:
        d = self.decay
        for average, source in zip(self.averages, self._sources):
            average.assign(d * average + (1.0 - d) * tf.cast(source, tf.float32))

    def values(self) -> list:
        """The averaged weights as numpy arrays, in the order of `variables` (for `set_weights`)."""
        return [average.numpy() for average in self.averages]
