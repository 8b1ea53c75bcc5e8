"""Loss history of a run: per-step and per-epoch CSV files (plots: `srgan_tf.evaluation.figures`).

The CSV files survive a resume: rows past the restored step (work that will be redone) are
dropped first, so a killed and resumed run has one row per step.
"""

import csv
import math
import time
from collections.abc import Iterable
from pathlib import Path

from srgan_tf import atomic

STEP_FIELDS = ["step", "phase", "epoch", "lr", "patches_per_s"]
# Filled on the steps that validate (--val_every), empty on the others; a run validating under
# several protocols adds one `val_<protocol>_psnr_y_gain` column each (`val_fields`).
VAL_FIELDS = [
    "val_psnr_y",
    "val_ssim_y",
    "val_psnr_y_gain",
    "val_ssim_y_gain",
    "val_min_psnr_y_gain",
    "val_max_colour_offset",
]
EPOCH_FIELDS = ["phase", "epoch", "step", "seconds"]
PLOT_SECS = 60  # loss figures are redrawn at most this often (and at the end of a run)
# The usual losses, in the order their columns come; any other scalar a step returns (a new
# loss such as `log_mse`) gets a column of its own the first time it appears.
LOSS_KEYS = ["mse", "vgg", "adv", "g_loss", "d_real", "d_fake", "d_loss", "d_acc_real",
             "d_acc_fake", "l1"]  # fmt: skip


def _rewrite(path, fields, rows) -> None:
    with atomic.atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def read_csv(path: str | Path) -> list[dict]:
    """The rows of a history CSV (none when the file does not exist yet)."""
    if not Path(path).exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class History:
    """Appends loss rows to `history_steps.csv` and `history_epochs.csv` in the run folder."""

    def __init__(
        self,
        run_dir: str | Path,
        resume_step: int = 0,
        enabled: bool = True,
        val_fields: Iterable[str] = (),
    ) -> None:
        self.dir = Path(run_dir)
        self.steps_path = self.dir / "history_steps.csv"
        self.epochs_path = self.dir / "history_epochs.csv"
        self.enabled = enabled
        self.val_fields = VAL_FIELDS + list(val_fields)
        self.loss_keys = list(LOSS_KEYS)
        self._plotted_at = -math.inf
        self._epoch_rows = []
        if not enabled:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        steps = [r for r in read_csv(self.steps_path) if int(r["step"]) <= resume_step]
        epochs = [r for r in read_csv(self.epochs_path) if int(r["step"]) <= resume_step]
        known = set(STEP_FIELDS + EPOCH_FIELDS + self.val_fields + self.loss_keys)
        # A resumed run keeps the loss columns it had (a loss learned from its steps).
        self.loss_keys += [k for r in steps[:1] for k in r if k not in known]
        self._rewrite(steps, epochs)

    @property
    def step_fields(self) -> list[str]:
        return STEP_FIELDS + self.loss_keys + self.val_fields

    @property
    def epoch_fields(self) -> list[str]:
        return EPOCH_FIELDS + self.loss_keys

    def _rewrite(self, steps, epochs) -> None:
        _rewrite(self.steps_path, self.step_fields, steps)
        _rewrite(self.epochs_path, self.epoch_fields, epochs)

    def _learn(self, scalars) -> None:
        """New columns for scalars the step returned that no column holds yet."""
        new = [k for k in scalars if k not in self.loss_keys]
        if new and self.enabled:
            steps, epochs = read_csv(self.steps_path), read_csv(self.epochs_path)
            self.loss_keys += new
            self._rewrite(steps, epochs)

    def _append(self, path, fields, row) -> None:
        with open(path, "a", newline="") as f:
            csv.DictWriter(f, fieldnames=fields, extrasaction="ignore").writerow(row)

    def step_rows(self) -> list[dict]:
        """The per-step rows written so far (dicts of strings; none when disabled)."""
        return read_csv(self.steps_path) if self.enabled else []

    def log_validation(self, row: dict) -> None:
        """A row with only the step and validation columns (a validation between steps)."""
        if self.enabled:
            self._append(self.steps_path, self.step_fields, row)

    def log_step(self, row: dict, tb: object = None, scalars: dict | None = None) -> None:
        """Appends a step's row; `scalars` also go to TensorBoard as `<phase>/<name>`."""
        if self.enabled:
            self._learn(scalars or {})
            self._append(self.steps_path, self.step_fields, row)
            self._epoch_rows.append(row)
        if tb is not None and scalars:
            import tensorflow as tf

            with tb.as_default(step=row["step"]):
                for k, v in scalars.items():
                    tf.summary.scalar(f"{row['phase']}/{k}", v)

    def end_epoch(self, phase: str, epoch: int, step: int, seconds: float) -> dict:
        """Writes the epoch's mean losses and redraws the plots; returns the means."""
        if not self.enabled:
            return {}
        rows = [r for r in self._epoch_rows if r["phase"] == phase]
        means = {
            k: sum(float(r[k]) for r in rows) / len(rows)
            for k in self.loss_keys
            if rows and k in rows[0]
        }
        self._append(
            self.epochs_path,
            self.epoch_fields,
            {"phase": phase, "epoch": epoch, "step": step, "seconds": round(seconds, 2), **means},
        )
        self._epoch_rows = []
        self.plot()
        return means

    def plot(self, force: bool = False) -> None:
        """Redraws the loss figures, at most once every PLOT_SECS unless forced (run end)."""
        if not self.enabled or (not force and time.time() - self._plotted_at < PLOT_SECS):
            return
        self._plotted_at = time.time()
        from srgan_tf.training import plots  # matplotlib only when a plot is drawn

        plots.plot_history(read_csv(self.epochs_path), self.dir / "plots")
