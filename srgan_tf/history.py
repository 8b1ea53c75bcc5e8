"""Loss history of a run: per-step and per-epoch CSV files, and PNG plots like the study's figures.

The CSV files survive a resume: rows past the restored step (work that will be redone) are
dropped first, so a killed and resumed run has one row per step.
"""

import csv
import math
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from srgan_tf import atomic  # noqa: E402

STEP_FIELDS = ["step", "phase", "epoch", "lr", "patches_per_s"]
# Filled on the steps that validate (--val_every), empty on the others.
VAL_FIELDS = ["val_psnr_y", "val_ssim_y", "val_psnr_y_gain", "val_ssim_y_gain"]
EPOCH_FIELDS = ["phase", "epoch", "step", "seconds"]
PLOT_SECS = 60  # loss figures are redrawn at most this often (and at the end of a run)
LOSS_KEYS = ["mse", "vgg", "adv", "g_loss", "d_real", "d_fake", "d_loss", "l1"]


def _rewrite(path, fields, rows):
    with atomic.atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def _read(path):
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class History:
    """Appends loss rows to `history_steps.csv` and `history_epochs.csv` in the run folder."""

    def __init__(self, run_dir, resume_step=0, enabled=True):
        self.dir = Path(run_dir)
        self.steps_path = self.dir / "history_steps.csv"
        self.epochs_path = self.dir / "history_epochs.csv"
        self.enabled = enabled
        self.step_fields = STEP_FIELDS + LOSS_KEYS + VAL_FIELDS
        self._plotted_at = -math.inf
        self.epoch_fields = EPOCH_FIELDS + LOSS_KEYS
        if not enabled:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        steps = [r for r in _read(self.steps_path) if int(r["step"]) <= resume_step]
        epochs = [r for r in _read(self.epochs_path) if int(r["step"]) <= resume_step]
        _rewrite(self.steps_path, self.step_fields, steps)
        _rewrite(self.epochs_path, self.epoch_fields, epochs)
        self._epoch_rows = []

    def _append(self, path, fields, row):
        with open(path, "a", newline="") as f:
            csv.DictWriter(f, fieldnames=fields, extrasaction="ignore").writerow(row)

    def best_validation(self, key="val_psnr_y_gain"):
        """`(value, step)` of the best validation so far in the kept rows, or None."""
        if not self.enabled:
            return None
        rows = [r for r in _read(self.steps_path) if r.get(key) not in (None, "")]
        if not rows:
            return None
        best = max(rows, key=lambda r: float(r[key]))
        return float(best[key]), int(best["step"])

    def log_validation(self, row):
        """A row with only the step and validation columns (a validation between steps)."""
        if self.enabled:
            self._append(self.steps_path, self.step_fields, row)

    def log_step(self, row):
        if self.enabled:
            self._append(self.steps_path, self.step_fields, row)
            self._epoch_rows.append(row)

    def end_epoch(self, phase, epoch, step, seconds):
        """Writes the epoch's mean losses and redraws the plots; returns the means."""
        if not self.enabled:
            return {}
        rows = [r for r in self._epoch_rows if r["phase"] == phase]
        means = {
            k: sum(float(r[k]) for r in rows) / len(rows)
            for k in LOSS_KEYS
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

    def plot(self, force=False):
        """Redraws the loss figures, at most once every PLOT_SECS unless forced (run end)."""
        if not self.enabled or (not force and time.time() - self._plotted_at < PLOT_SECS):
            return
        self._plotted_at = time.time()
        plot_history(self.epochs_path, self.dir / "plots")


def plot_history(epochs_csv, out_dir):
    """The study's Figures 2-4 from an epochs CSV: G init MSE, G adversarial, D adversarial."""
    rows = _read(Path(epochs_csv))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    panels = [
        ("init", ["mse"], "generator_init_loss.png", "Generator initialisation (MSE)"),
        (
            "adversarial",
            ["g_loss", "mse", "vgg", "adv"],
            "generator_adversarial_loss.png",
            "Generator (adversarial)",
        ),
        ("adversarial", ["d_loss", "d_real", "d_fake"], "discriminator_loss.png", "Discriminator"),
    ]
    written = []
    for phase, keys, name, title in panels:
        sel = [r for r in rows if r["phase"] == phase and r.get(keys[0]) not in (None, "")]
        if not sel:
            continue
        fig, ax = plt.subplots(figsize=(6, 4))
        x = [int(r["epoch"]) + 1 for r in sel]
        for k in keys:
            if sel[0].get(k) not in (None, ""):
                ax.plot(x, [float(r[k]) for r in sel], label=k, marker="." if len(x) < 30 else None)
        last = float(sel[-1][keys[0]])
        ax.set(xlabel="epoch", ylabel="loss", title=f"{title}: last {keys[0]} = {last:.5f}")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        with atomic.atomic_path(out_dir / name) as tmp:
            fig.savefig(tmp, dpi=100)
        plt.close(fig)
        written.append(out_dir / name)
    return written


def plot_validation(steps_csv, path, key="val_psnr_y_gain"):
    """The validation curve: `key` against the step, the best step marked."""
    rows = [r for r in _read(Path(steps_csv)) if r.get(key) not in (None, "")]
    if not rows:
        return None
    x = [int(r["step"]) for r in rows]
    y = [float(r[key]) for r in rows]
    best = max(range(len(y)), key=y.__getitem__)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(x, y, marker="." if len(x) < 60 else None)
    ax.plot(
        [x[best]], [y[best]], "o", color="tab:red", label=f"best: {y[best]:+.3f} at step {x[best]}"
    )
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set(xlabel="step", ylabel=f"{key} (dB over bicubic)" if "psnr" in key else key)
    ax.set_title("Validation")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100)
    plt.close(fig)
    return path
