"""The training loop (Ledig et al. 2017, Sec. 3; the study's DIV2K and specialisation runs).

Like orbit's `Controller` driving a Model Garden `Task`: `Trainer` runs the phases of an
`SRGANTask` (`srgan_tf/training/task.py`) epoch by epoch, writes the history, TensorBoard, sample grids
and validation scores, and saves the task's checkpoint every `save_every` steps or `save_secs`
seconds, at the end and on Ctrl-C (`srgan_tf/training/saver.py`), with `g.weights.h5` from a
`GeneratorSnapshot` (`srgan_tf/training/snapshot.py`). Rerunning the same command resumes where the last save left off,
mid-epoch included. The caller holds the run folder's lock (`modes/train.py` takes it before
anything is written there).
"""

import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import tensorflow as tf
from tqdm import tqdm

from srgan_tf import atomic, data
from srgan_tf.config import AUTO_TILE, FINISHED, DataConfig, LossConfig, ModelConfig, TrainConfig
from srgan_tf.data import images
from srgan_tf.data.datasets import Split
from srgan_tf.errors import TrainingError
from srgan_tf.inference import post_settings
from srgan_tf.training import distribute, validation
from srgan_tf.training.history import History
from srgan_tf.training.interrupt import StopRequest
from srgan_tf.training.progress import Progress
from srgan_tf.training.saver import RunSaver
from srgan_tf.training.snapshot import GeneratorSnapshot, training_lr_batches
from srgan_tf.training.task import SRGANTask


class Trainer:
    """Runs the phases of one training run in its run folder.

    Args:
        phases: the phases this run trains, in order ("init", "adversarial" or both).
        model_cfg, data_cfg, loss_cfg, train_cfg: the frozen configs.
        split: a `datasets.Split` (its `train` images are used).
        strategy: a tf.distribute strategy (default: the current one).
        log: where progress lines go.
        progress: show a progress bar per epoch.
        tile: tiled-inference tile side of validation (`--tile`).
    """

    def __init__(
        self,
        phases: tuple[str, ...],
        model_cfg: ModelConfig,
        data_cfg: DataConfig,
        loss_cfg: LossConfig,
        train_cfg: TrainConfig,
        split: Split,
        strategy: tf.distribute.Strategy | None = None,
        log: Callable[..., None] = print,
        progress: bool = True,
        tile: int = AUTO_TILE,
    ) -> None:
        self.dcfg, self.tcfg, self.split, self.log = data_cfg, train_cfg, split, log
        self.show_progress = progress
        self.run_dir = Path(train_cfg.run_dir)
        self.chief = distribute.is_chief()
        self.steps_per_epoch = _steps_per_epoch(split, data_cfg, train_cfg)
        self.validator = _validator(train_cfg, data_cfg, tile, log) if self.chief else None
        self.task = task = SRGANTask(phases, model_cfg, data_cfg, loss_cfg, train_cfg, strategy)
        self.phases = task.phases
        self.progress = Progress()
        with task.strategy.scope():
            checkpoint = tf.train.Checkpoint(**self.progress.variables, **task.checkpointables())
        self.snapshot = GeneratorSnapshot(
            task.g, model_cfg.n_res_blocks, model_cfg.filters, task.ema,
            train_cfg.precise_bn_batches,
            training_lr_batches(split.train, data_cfg, train_cfg.patches_per_image),
        )  # fmt: skip
        self.saver = RunSaver(
            self.run_dir, checkpoint, self.progress, self._weight_files,
            train_cfg.save_every, train_cfg.save_secs, train_cfg.keep_checkpoints,
        )  # fmt: skip
        self.ckpt_dir, self.manager = self.saver.ckpt_dir, self.saver.manager
        self._stop = StopRequest(log)  # Ctrl-C: finish the step, save, return
        self.interrupted = False  # whether the last run() ended on Ctrl-C

    # The task's parts, for callers that drive or inspect a trainer.
    g = property(lambda self: self.task.g)
    d = property(lambda self: self.task.d)
    opt = property(lambda self: self.task.opt)
    step = property(lambda self: self.progress.step)

    def step_function(self, phase: str) -> Callable:
        return self.task.step_function(phase)

    def _weight_files(self):
        files = {"g.weights.h5": self.snapshot.to_write()}
        if self.task.d is not None:
            files["d.weights.h5"] = self.task.d
        return files

    def restore_or_warm_start(self) -> bool:
        """Resumes from the run folder's latest checkpoint, or warm-starts the task; returns
        True when it resumed."""
        latest = self.saver.restore()
        if not latest:
            self.task.warm_start(self.log)
            return False
        self.log(f"Resuming from step {self.progress.step} ({latest})")
        if self.tcfg.g_weights or self.tcfg.d_weights:
            starts = ", ".join(w for w in (self.tcfg.g_weights, self.tcfg.d_weights) if w)
            self.log(
                f"(a run continues from its own checkpoint; the starting weights ({starts}) are "
                f"read only by a new run: use a new --checkpoint_dir to start over from them)"
            )
        return True

    def _validate(self, tb):
        """Scores the snapshot on the validation images (validation.py records it); returns
        the history columns."""
        return self.validator.record(
            self.snapshot.to_validate(), self.progress.step, tb, self.run_dir, self.log
        )

    def run(self) -> dict:
        """Trains until every phase is done or `max_steps` is reached; returns the final losses."""
        resumed = self.restore_or_warm_start()
        if self.chief:  # training on: g.weights.h5 is no longer the finished run's
            (self.run_dir / FINISHED).unlink(missing_ok=True)
        val_fields = self.validator.fields if self.validator else ()
        progress = self.progress
        history = History(self.run_dir, progress.step, self.chief, val_fields)
        tb = tf.summary.create_file_writer(str(self.run_dir / "tb")) if self.chief else None
        if self.validator is not None:
            step = progress.step
            new = self.validator.start(self.run_dir, step, history.step_rows(), self.log)
            if new or not resumed:  # the starting point of the curve
                history.log_validation({"step": step, **self._validate(tb)})
                self.validator.plot(history.step_rows(), self.run_dir)
        last = {}
        max_steps = self.tcfg.max_steps or math.inf
        with self._stop.armed():
            while (
                progress.phase < len(self.phases) and progress.step < max_steps and not self._stop
            ):
                phase = self.phases[progress.phase]
                n_epochs = self.tcfg.n_epoch_init if phase == "init" else self.tcfg.n_epoch
                while progress.epoch < n_epochs and progress.step < max_steps and not self._stop:
                    epoch = progress.epoch
                    last = self._run_epoch(phase, epoch, n_epochs, history, tb, max_steps) or last
                if progress.epoch >= n_epochs:
                    progress.end_phase()
                    self.saver.save()
        self.saver.save()  # the end of training, --max_steps or Ctrl-C: always saved
        history.plot(force=True)
        self.interrupted = bool(self._stop)
        if self._stop:
            where = self.saver.latest() + (
                f" and {self.run_dir / 'g.weights.h5'}" if self.chief else ""
            )
            self.log(
                f"Interrupted at step {progress.step}: saved {where}. Rerun the same command to resume."
            )
            return last
        if progress.step >= max_steps:
            self.log(f"Stopped at step {progress.step} (--max_steps={self.tcfg.max_steps})")
        if self.chief:  # other modes start from a finished run only (modes/defaults.py)
            atomic.write_text(self.run_dir / FINISHED, json.dumps({"step": progress.step}))
        return last

    def _run_epoch(self, phase, epoch, n_epochs, history, tb, max_steps):
        lr_value = self.task.lr_for(phase, epoch)
        self.task.set_lr(phase, lr_value)
        # Distinct draws per phase: the adversarial phase's epoch 0 is not init's epoch 0.
        seed = epoch + 1000 * self.phases.index(phase)
        ds = data.train_dataset(self.split.train, self.dcfg, seed, self.tcfg.patches_per_image)
        progress = self.progress
        skip = progress.epoch_step
        if skip:
            ds = ds.skip(skip)
        step_fn = self.step_function(phase)
        show = self.show_progress and self.chief
        bar = _bar(self.steps_per_epoch, skip, f"{phase} epoch {epoch + 1}/{n_epochs}", show)
        start = time.time()
        t_last = time.time()
        sample_batch = None
        last = {}
        for lr, hr in ds:
            if sample_batch is None:
                sample_batch = (lr[:4], hr[:4])
            out = step_fn(distribute.split_batch(self.task.strategy, (lr, hr)))
            values = {k: float(v) for k, v in out.items()}
            bad = [k for k, v in values.items() if not math.isfinite(v)]
            if bad:
                bar.close()
                where = f"{phase} step {progress.step + 1}"
                raise _non_finite(bad, values, where, self.saver.latest())
            if self.task.ema is not None:
                self.task.ema.update()
            progress.count_step()
            now = time.time()
            rate = self.dcfg.batch_size / max(now - t_last, 1e-9)
            t_last = now
            step = progress.step
            validated = {}
            if self.validator is not None and step % self.tcfg.val_every == 0:
                validated = self._validate(tb)
            row = {"step": step, "phase": phase, "epoch": epoch, "lr": lr_value,
                   "patches_per_s": round(rate, 2)}  # fmt: skip
            history.log_step({**row, **values, **validated}, tb, scalars=values)
            if validated:
                self.validator.plot(history.step_rows(), self.run_dir)
            bar.set_postfix(
                {k: f"{v:.4g}" for k, v in values.items() if k in ("mse", "g_loss", "d_loss")}
                | {"patch/s": f"{rate:.1f}"}
            )
            bar.update(1)
            last = values
            if (step >= max_steps or self._stop) and progress.epoch_step < self.steps_per_epoch:
                bar.close()
                return last  # mid-epoch: the epoch's end (means, samples) comes on resume
            if self.saver.due(step):
                self.saver.save()
        bar.close()
        progress.end_epoch()
        means = history.end_epoch(phase, epoch, progress.step, time.time() - start)
        if means:
            self.log(
                f"{phase} epoch {epoch + 1}/{n_epochs}: "
                + ", ".join(f"{k}={v:.5f}" for k, v in means.items())
            )
        samples_due = (epoch + 1) % max(1, self.tcfg.sample_every) == 0 or epoch + 1 == n_epochs
        if sample_batch is not None and self.chief and samples_due:
            path = self.run_dir / "samples" / f"{phase}_epoch{epoch + 1:04d}.png"
            write_samples(self.g, sample_batch, path, tb, progress.step, f"{phase}/bicubic_sr_hr")
        return last


def _steps_per_epoch(split: Split, data_cfg: DataConfig, train_cfg: TrainConfig) -> int:
    """Full batches per epoch; a TrainingError when the images make none."""
    n = data.steps_per_epoch(split.train, data_cfg, train_cfg.patches_per_image)
    if n == 0 and not len(split.train):
        raise TrainingError(
            f"no training image is at least {data_cfg.crop_size} pixels on each side "
            f"(--crop_size={data_cfg.crop_size}; the held-out test images are chosen whatever "
            f"their size), so none can train; pass a smaller --crop_size"
        )
    if n == 0:
        patches = len(split.train) * train_cfg.patches_per_image
        raise TrainingError(
            f"{len(split.train)} training images x {train_cfg.patches_per_image} patches each "
            f"(--patches_per_image) = {patches} patches, fewer than one batch of "
            f"{data_cfg.batch_size} (--batch_size); lower --batch_size or raise "
            f"--patches_per_image"
        )
    return n


def _validator(t: TrainConfig, data_cfg: DataConfig, tile: int,
               log: Callable[..., None]) -> "validation.Validator | None":  # fmt: skip
    """The run's validator, or None without `--val_every` (a folder is then required:
    modes/checks.py)."""
    if t.val_every <= 0:
        return None
    return validation.Validator(
        t.val_dir, data_cfg, t.val_crop, t.val_protocol_list, t.val_best, log=log,
        min_gain=t.val_min_gain, tile=tile,
        post=post_settings.for_validation(t),
        min_mean_gain=t.val_min_mean_gain, niqe=t.val_niqe, snapshots=t.val_snapshots,
    )  # fmt: skip


def write_samples(
    g: tf.keras.Model,
    batch: tuple,
    path: str | Path,
    tb: object = None,
    step: int = 0,
    tag: str = "bicubic_sr_hr",
) -> None:
    """A grid of [bicubic | SR | HR] rows for a fixed batch, as PNG and in TensorBoard."""
    lr, hr = batch
    from srgan_tf.training.plots import sample_grid

    grid = sample_grid(lr.numpy(), g(lr, training=False).numpy(), hr.numpy())
    images.write_image(path, grid)
    if tb is not None:
        with tb.as_default(step=step):
            tf.summary.image(tag, grid[None], max_outputs=1)


def _bar(total, initial, desc, show):
    return tqdm(total=total, initial=initial, desc=desc, disable=not show, unit="step",
                dynamic_ncols=True)  # fmt: skip


def _non_finite(bad, values, where, latest):
    return TrainingError(
        f"{where}: loss {', '.join(bad)} is not finite ({values}). Stopped; the last good "
        f"checkpoint is {latest}."
    )
