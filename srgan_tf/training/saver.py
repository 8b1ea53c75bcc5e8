"""When and where a training run saves: the checkpoint, `g.weights.h5` and `d.weights.h5`.

Every `save_every` steps or `save_secs` seconds after the last save (one-process runs; the
workers of a cluster must all save at the same step), and whenever the loop asks (the end of a
phase or run, Ctrl-C); each state is written once. In a cluster every worker takes part in each
save, but only the chief's checkpoints are kept: the others write to a folder of their own,
removed right after (TensorFlow's multi-worker pattern), and every worker restores from the
chief's `ckpt/`.
"""

import shutil
import time
from pathlib import Path

import tensorflow as tf

from srgan_tf import weights
from srgan_tf.training import distribute


class RunSaver:
    """Saves an `SRGANTask` into its run folder.

    Args:
        task: the task (its checkpoint object, state and discriminator).
        snapshot: the `GeneratorSnapshot` that `g.weights.h5` is written from.
        run_dir: the run folder.
        train_cfg: a `TrainConfig` (save_every, save_secs, keep_checkpoints).
    """

    def __init__(self, task, snapshot, run_dir, train_cfg):
        self.task, self.snapshot, self.tcfg = task, snapshot, train_cfg
        self.run_dir = Path(run_dir)
        self.chief = distribute.is_chief()
        self.ckpt_dir = self.run_dir / "ckpt"
        self._write_dir = (
            self.ckpt_dir if self.chief else self.run_dir / ".worker_tmp" / distribute.task_name()
        )
        self.manager = tf.train.CheckpointManager(
            task.ckpt, str(self._write_dir), max_to_keep=train_cfg.keep_checkpoints
        )
        self.single = not distribute.tf_config()[0]  # time-based saves only without a cluster
        self.saved_state = None  # the task's state at the last save
        self.saved_at = time.time()

    def latest(self):
        """The chief's latest checkpoint, or None."""
        return tf.train.latest_checkpoint(str(self.ckpt_dir))

    def due(self, step):
        t = self.tcfg
        if t.save_every and step % t.save_every == 0:
            return True
        return bool(t.save_secs) and self.single and time.time() - self.saved_at >= t.save_secs

    def save(self):
        # Phase ends, --max_steps and interruptions can coincide; write each state once.
        state = self.task.state()
        if state == self.saved_state:
            return
        self.saved_state, self.saved_at = state, time.time()
        self.manager.save(checkpoint_number=state[0])
        if not self.chief:
            shutil.rmtree(self._write_dir, ignore_errors=True)
            try:
                self._write_dir.parent.rmdir()  # .worker_tmp, once no other worker uses it
            except OSError:
                pass
            return
        weights.save_weights(self.snapshot.to_write(), self.run_dir / "g.weights.h5")
        if self.task.d is not None:
            weights.save_weights(self.task.d, self.run_dir / "d.weights.h5")
