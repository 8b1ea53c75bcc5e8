"""Where a run is: the step, phase, epoch and step within the epoch, owned by the loop.

They are host-side counters, updated between steps (plain variables, not mirrored ones), and
saved in the run's checkpoint under the names `step`, `phase`, `epoch` and `epoch_step`: runs
resume by those names.
"""

import tensorflow as tf


class Progress:
    """The four counters of a run, read as Python ints."""

    NAMES = ("step", "phase", "epoch", "epoch_step")

    def __init__(self) -> None:
        self.variables = {
            name: tf.Variable(0, dtype=tf.int64, trainable=False, name=name) for name in self.NAMES
        }

    step = property(lambda self: int(self.variables["step"]))
    phase = property(lambda self: int(self.variables["phase"]))
    epoch = property(lambda self: int(self.variables["epoch"]))
    epoch_step = property(lambda self: int(self.variables["epoch_step"]))

    def state(self) -> tuple[int, int, int, int]:
        """`(step, phase, epoch, epoch_step)`."""
        return self.step, self.phase, self.epoch, self.epoch_step

    def count_step(self) -> None:
        self.variables["step"].assign_add(1)
        self.variables["epoch_step"].assign_add(1)

    def end_epoch(self) -> None:
        self.variables["epoch"].assign_add(1)
        self.variables["epoch_step"].assign(0)

    def end_phase(self) -> None:
        self.variables["phase"].assign_add(1)
        self.variables["epoch"].assign(0)
