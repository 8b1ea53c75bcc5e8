"""When and where a training run saves and resumes: the checkpoint and the weight files.

Every `save_every` steps or `save_secs` seconds after the last save (one-process runs; the
workers of a cluster must all save at the same step), and whenever the loop asks (the end of a
phase or run, Ctrl-C); each state is written once. In a cluster every worker takes part in each
save, but only the chief's checkpoints are kept: the others write to a folder of their own,
removed right after (TensorFlow's multi-worker pattern), and every worker restores from the
chief's `ckpt/`.
"""

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import tensorflow as tf

from srgan_tf import weights
from srgan_tf.errors import TrainingError
from srgan_tf.training import distribute
from srgan_tf.training.progress import Progress


class RunSaver:
    """The one checkpoint manager of a run folder.

    Args:
        run_dir: the run folder (`ckpt/` and the weight files go there).
        checkpoint: the `tf.train.Checkpoint` of the run (the loop's counters and the task's
            models, optimisers and weight average).
        progress: the loop's counters (a save is named after the step; a state is saved once).
        weight_files: returns `{file name: Keras model}`, the weights written beside `ckpt/` at
            each save (the chief's only).
        save_every, save_secs: the cadence (0: off).
        keep: how many checkpoints to keep (`TrainConfig.keep_checkpoints`, the one default).
    """

    def __init__(
        self,
        run_dir: Path,
        checkpoint: tf.train.Checkpoint,
        progress: Progress,
        weight_files: Callable[[], dict],
        save_every: int,
        save_secs: float,
        keep: int,
    ) -> None:
        self.run_dir, self.checkpoint, self.progress = Path(run_dir), checkpoint, progress
        self.weight_files, self.save_every, self.save_secs = weight_files, save_every, save_secs
        self.chief = distribute.is_chief()
        self.ckpt_dir = self.run_dir / "ckpt"
        self._write_dir = (
            self.ckpt_dir if self.chief else self.run_dir / ".worker_tmp" / distribute.task_name()
        )
        self.manager = tf.train.CheckpointManager(
            checkpoint, str(self._write_dir), max_to_keep=keep
        )
        self.single = not distribute.tf_config()[0]  # time-based saves only without a cluster
        self.saved_state = None  # the counters at the last save
        self.saved_at = time.time()

    def latest(self) -> str | None:
        """The chief's latest checkpoint, or None."""
        return tf.train.latest_checkpoint(str(self.ckpt_dir))

    def restore(self) -> str | None:
        """Restores the latest checkpoint, if any, and returns its path; refuses one written by
        a run with other models, phases or weight average, saying how to start over from it."""
        latest = self.latest()
        if latest:
            try:
                self.checkpoint.restore(latest).assert_existing_objects_matched()
            except AssertionError as e:
                raise TrainingError(
                    f"{latest} was written by a run with other settings (models, phases or "
                    f"--ema_decay) than this one: {str(e).splitlines()[0][:300]}. Resume with the "
                    f"same flags, or start a new --checkpoint_dir warm-started with "
                    f"--g_weights={self.run_dir / 'g.weights.h5'}"
                ) from None
        return latest

    def due(self, step: int) -> bool:
        if self.save_every and step % self.save_every == 0:
            return True
        return (
            bool(self.save_secs) and self.single and time.time() - self.saved_at >= self.save_secs
        )

    def save(self) -> None:
        # Phase ends, --max_steps and interruptions can coincide; write each state once.
        state = self.progress.state()
        if state == self.saved_state:
            return
        try:
            self.manager.save(checkpoint_number=state[0])
            if self.chief:
                for name, model in self.weight_files().items():
                    weights.save_weights(model, self.run_dir / name)
        except (tf.errors.ResourceExhaustedError, OSError) as e:
            raise self._not_saved(state[0], e) from None
        self.saved_state, self.saved_at = state, time.time()
        if not self.chief:
            shutil.rmtree(self._write_dir, ignore_errors=True)
            try:
                self._write_dir.parent.rmdir()  # .worker_tmp, once no other worker uses it
            except OSError:
                pass
            return

    def _not_saved(self, step: int, error: Exception) -> TrainingError:
        """The checkpoint of `step` could not be written (a full disk, most often): its partial
        files are removed, and the error names the folder and the step that is safe."""
        for partial in self._write_dir.glob("*_temp*"):
            if partial.is_dir():
                shutil.rmtree(partial, ignore_errors=True)
            else:
                partial.unlink()
        usage = shutil.disk_usage(self._write_dir) if self._write_dir.exists() else None
        full = usage is not None and usage.free < 64 * 2**20
        latest = self.latest()
        safe = (f"step {latest.rsplit('-', 1)[-1]} ({latest}) is the last complete checkpoint"
                if latest else "no checkpoint was complete yet")  # fmt: skip
        why = "the disk holding it is full" if full else str(error).splitlines()[0][:200]
        return TrainingError(
            f"the checkpoint of step {step} could not be written in {self._write_dir}: {why}; "
            f"{safe}. Free space and rerun the same command to resume from it"
        )
