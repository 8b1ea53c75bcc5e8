"""A training run's pictures: its loss curves (the study's Figures 2-4), its validation curve,
and sample grids of bicubic | SR | HR. Drawn with matplotlib's Agg backend (no display), written
atomically."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from srgan_tf import atomic  # noqa: E402
from srgan_tf.data import images  # noqa: E402


def sample_grid(lr: np.ndarray, sr: np.ndarray, hr: np.ndarray) -> np.ndarray:
    """Rows of [bicubic | SR | HR] for a batch of [-1, 1] images, as one uint8 image."""
    import tensorflow as tf

    bic = tf.image.resize(lr, hr.shape[1:3], method="bicubic").numpy()
    rows = [np.concatenate([images.to_uint8(x) for x in triple], axis=1)
            for triple in zip(bic, sr, hr)]  # fmt: skip
    return np.concatenate(rows, axis=0)


def plot_history(rows: list[dict], out_dir: str | Path) -> list[Path]:
    """The study's Figures 2-4 from the epochs CSV's rows (`history.read_csv`): G init MSE, G
    adversarial, D adversarial, and D's accuracy."""
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
        (
            "adversarial",
            ["d_acc_real", "d_acc_fake"],
            "discriminator_accuracy.png",
            "Discriminator accuracy (0.5: chance)",
        ),
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
        ylabel = "share of patches called right" if "acc" in keys[0] else "loss"
        ax.set(xlabel="epoch", ylabel=ylabel, title=f"{title}: last {keys[0]} = {last:.5f}")
        ax.grid(alpha=0.3)
        ax.legend()
        atomic.save_figure(fig, out_dir / name)
        written.append(out_dir / name)
    return written


def plot_validation(
    rows: list[dict], path: str | Path, since: int = 0, best: int | None = None
) -> Path | None:
    """The validation curve of history rows (`History.step_rows()`) from step `since` on: the
    mean PSNR-Y gain over bicubic (and each protocol's, when a run validates under several),
    and beside it, when the run scores NIQE, the outputs' mean NIQE with bicubic's and the HR
    images' own; the best step (`best`) marked on each."""
    key = "val_psnr_y_gain"
    rows = [r for r in rows if r.get(key) not in (None, "") and int(r["step"]) >= since]
    if not rows:
        return None
    with_niqe = rows[-1].get("val_niqe") not in (None, "")
    fig, axes = plt.subplots(1, 2 if with_niqe else 1, figsize=(11 if with_niqe else 6, 4))
    axes = np.atleast_1d(axes)
    _gain_panel(axes[0], rows, best)
    if with_niqe:
        _niqe_panel(axes[1], rows, best)
    fig.suptitle("Validation")
    return atomic.save_figure(fig, path)


def _column(rows, key):
    return [float(r[key]) if r.get(key) not in (None, "") else np.nan for r in rows]


def _mark_best(ax, rows, best, key):
    chosen = [r for r in rows if int(r["step"]) == best]
    if chosen and chosen[0].get(key) not in (None, ""):
        value = float(chosen[0][key])
        ax.plot([best], [value], "o", color="tab:red", label=f"best: {value:.3f} at step {best}")


def _gain_panel(ax, rows, best):
    key = "val_psnr_y_gain"
    x = [int(r["step"]) for r in rows]
    marker = "." if len(x) < 60 else None
    others = [k for k in rows[-1] if k.startswith("val_") and k.endswith("_psnr_y_gain")]
    others = [k for k in others if k not in (key, "val_min_psnr_y_gain") and rows[-1][k]]
    if others:
        for k in others:
            name = k[4:-12]
            label = "mean of the protocols" if name == "mean" else f"{name} protocol"
            ax.plot(x, _column(rows, k), marker=marker, label=label,
                    ls=":" if name == "mean" else "-")  # fmt: skip
    else:
        ax.plot(x, _column(rows, key), marker=marker, label="mean gain")
    if best is not None:
        _mark_best(ax, rows, best, "val_mean_psnr_y_gain" if others else key)
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set(xlabel="step", ylabel="PSNR-Y gain over bicubic (dB)", title="Fidelity (higher)")
    ax.grid(alpha=0.3)
    ax.legend()


def _niqe_panel(ax, rows, best):
    x = [int(r["step"]) for r in rows]
    ax.plot(x, _column(rows, "val_niqe"), marker="." if len(x) < 60 else None, label="outputs")
    ax.axhline(float(rows[-1]["val_niqe_bicubic"]), color="tab:grey", ls="--", label="bicubic")
    ax.axhline(float(rows[-1]["val_niqe_hr"]), color="tab:green", ls="--", label="HR photos")
    if best is not None:
        _mark_best(ax, rows, best, "val_niqe")
    ax.set(xlabel="step", ylabel="mean NIQE", title="Naturalness: NIQE (lower)")
    ax.grid(alpha=0.3)
    ax.legend()
