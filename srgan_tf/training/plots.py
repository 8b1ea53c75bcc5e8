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
from srgan_tf.training.history import read_csv  # noqa: E402


def sample_grid(lr: np.ndarray, sr: np.ndarray, hr: np.ndarray) -> np.ndarray:
    """Rows of [bicubic | SR | HR] for a batch of [-1, 1] images, as one uint8 image."""
    import tensorflow as tf

    bic = tf.image.resize(lr, hr.shape[1:3], method="bicubic").numpy()
    rows = [np.concatenate([images.to_uint8(x) for x in triple], axis=1)
            for triple in zip(bic, sr, hr)]  # fmt: skip
    return np.concatenate(rows, axis=0)


def plot_history(epochs_csv: str | Path, out_dir: str | Path) -> list[Path]:
    """The study's Figures 2-4 from an epochs CSV: G init MSE, G adversarial, D adversarial."""
    rows = read_csv(Path(epochs_csv))
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
        atomic.save_figure(fig, out_dir / name)
        written.append(out_dir / name)
    return written


def plot_validation(
    rows: list[dict], path: str | Path, since: int = 0, best: int | None = None
) -> Path | None:
    """The validation curve of history rows (`History.step_rows()`) from step `since` on: the
    mean PSNR-Y gain over bicubic (and each protocol's, when a run validates under several),
    the best step (`(gain, step)`) marked."""
    key = "val_psnr_y_gain"
    rows = [r for r in rows if r.get(key) not in (None, "") and int(r["step"]) >= since]
    if not rows:
        return None
    x = [int(r["step"]) for r in rows]
    marker = "." if len(x) < 60 else None
    fig, ax = plt.subplots(figsize=(6, 4))
    others = [k for k in rows[-1] if k.startswith("val_") and k.endswith("_psnr_y_gain")]
    others = [k for k in others if k not in (key, "val_min_psnr_y_gain") and rows[-1][k]]
    if others:
        for k in others:
            name = k[4:-12]
            label = "mean of the protocols" if name == "mean" else f"{name} protocol"
            ax.plot(x, [float(r[k]) if r.get(k) else np.nan for r in rows], marker=marker,
                    label=label, ls=":" if name == "mean" else "-")  # fmt: skip
    else:
        ax.plot(x, [float(r[key]) for r in rows], marker=marker, label="mean gain")
    if best is not None:
        label = f"best: {best[0]:+.3f} at step {best[1]}"
        ax.plot([best[1]], [best[0]], "o", color="tab:red", label=label)
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set(xlabel="step", ylabel="PSNR-Y gain over bicubic (dB)")
    ax.set_title("Validation")
    ax.grid(alpha=0.3)
    ax.legend()
    return atomic.save_figure(fig, path)
