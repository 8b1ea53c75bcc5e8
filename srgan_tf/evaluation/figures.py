"""Every figure the project draws, from arrays and tables in memory: loss curves and the
validation curve of a run, the study's heatmaps (Figure 9) and best/worst comparison
(Figure 10), and the four-panel LR | bicubic | SR | HR crops of `--mode=compare`.

Drawn with matplotlib's Agg backend (no display), written atomically.
"""

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from srgan_tf import atomic
from srgan_tf.data import images
from srgan_tf.evaluation import metrics
from srgan_tf.evaluation.metrics import BICUBIC, best_model  # noqa: E402


def read_csv(path: str | Path) -> list[dict]:
    if not Path(path).exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _save(fig, path, dpi: int = 100):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    plt.close(fig)
    return path


def sample_grid(lr: np.ndarray, sr: np.ndarray, hr: np.ndarray) -> np.ndarray:
    """Rows of [bicubic | SR | HR] for a batch of [-1, 1] images, as one uint8 image."""
    import tensorflow as tf

    bic = tf.image.resize(lr, hr.shape[1:3], method="bicubic").numpy()
    rows = [np.concatenate([images.to_uint8(x) for x in triple], axis=1)
            for triple in zip(bic, sr, hr)]  # fmt: skip
    return np.concatenate(rows, axis=0)


def four_panels(panels: list, title: str, path: str | Path) -> Path:
    """One row of `(image, label)` panels (LR, bicubic, SR, HR), shown pixel for pixel."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4.6))
    for ax, (img, label) in zip(axes, panels):
        ax.imshow(img, interpolation="nearest")
        ax.set_title(label, fontsize=12)
        ax.axis("off")
    fig.suptitle(title, fontsize=11)
    return _save(fig, path, dpi=80)


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
        _save(fig, out_dir / name)
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
    return _save(fig, path)


def heatmap(results: dict, metric: str, path: str | Path) -> None:
    """The study's Figure 9: classes x models, each class's best model outlined."""
    classes = list(results[metric])
    models = list(results[metric][classes[0]])
    values = np.array([[results[metric][c][m] for m in models] for c in classes])
    # The best column, bicubic included: a model that loses to the baseline must show it.
    best = [models.index(best_model(results, metric, c, include_bicubic=True)) for c in classes]
    better = "lower" if metric in metrics.LOWER_IS_BETTER else "higher"
    _draw_matrix(
        values, classes, models, best, path,
        title=f"{metric} ({better} is better)\nbest per class outlined in green",
        cmap="viridis_r" if metric in metrics.LOWER_IS_BETTER else "viridis",
        fmt="{:.4g}",
    )  # fmt: skip


def gain_heatmap(results: dict, path: str | Path) -> None:
    """PSNR-Y gain over bicubic (dB) of every model on every class: red loses to bicubic,
    blue beats it. The absolute matrix is dominated by how hard each class is; this one shows
    what a model adds."""
    table = results["psnr_y"]
    classes = list(table)
    models = [m for m in table[classes[0]] if m != BICUBIC]
    values = np.array([[table[c][m] - table[c][BICUBIC] for m in models] for c in classes])
    span = max(float(np.abs(values).max()), 0.1)
    _draw_matrix(
        values, classes, models, [int(np.argmax(row)) for row in values], path,
        title="PSNR-Y gain over bicubic (dB)\nbest per class outlined in green",
        cmap="RdBu", fmt="{:+.2f}", vmin=-span, vmax=span,
        text_color=lambda v: "w" if abs(v) > 0.6 * span else "k",  # readable on dark cells
    )  # fmt: skip


def _draw_matrix(values, rows, cols, best, path, title, cmap, fmt, text_color=None, **norm) -> None:
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(cols), 1.2 + 0.6 * len(rows)))
    im = ax.imshow(values, cmap=cmap, aspect="auto", **norm)
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    for i, b in enumerate(best):
        for j in range(len(cols)):
            color = text_color(values[i, j]) if text_color else "w"
            ax.text(j, i, fmt.format(values[i, j]), ha="center", va="center", color=color,
                    fontsize=9, fontweight="bold" if j == b else "normal")  # fmt: skip
        ax.add_patch(
            plt.Rectangle((b - 0.47, i - 0.45), 0.94, 0.9, fill=False, edgecolor="#39ff14", lw=3)
        )
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax)
    _save(fig, path, dpi=110)


def comparison_figure(
    results: dict,
    per_image: dict,
    pairs: dict,
    first_sr: dict,
    out_dir: str | Path,
    metric: str = "mse",
) -> None:
    """The study's Figure 10: LR | bicubic | SR | HR for the best and the worst (model, class),
    each panel titled with its PSNR-Y against HR (the number in results.json).

    `first_sr[(model, cls)]` is the uint8 output on the class's first image, kept in memory by
    the evaluation (bicubic included)."""

    cells = [
        (m, c, v) for c, row in results[metric].items() for m, v in row.items() if m != BICUBIC
    ]
    ordered = sorted(cells, key=lambda t: t[2], reverse=metric not in metrics.LOWER_IS_BETTER)
    picked = [("best", *ordered[0][:2]), ("worst", *ordered[-1][:2])]
    fig, axes = plt.subplots(len(picked), 4, figsize=(16, 4.4 * len(picked)), squeeze=False)
    for row, (label, model, cls) in zip(axes, picked):
        path, lr, hr = pairs[cls][0]
        hr_u8 = images.to_uint8(hr)
        s = hr_u8.shape[0] // lr.shape[0]
        lr_big = np.repeat(np.repeat(images.to_uint8(lr), s, axis=0), s, axis=1)
        bic, sr = first_sr[(BICUBIC, cls)], first_sr[(model, cls)]
        panels = [
            (lr_big, f"LR x{s} (nearest)"),
            (bic, f"bicubic: {per_image[(BICUBIC, cls)][0]['psnr_y']:.2f} dB"),
            (sr, f"{model}: {per_image[(model, cls)][0]['psnr_y']:.2f} dB"),
            (hr_u8, "HR"),
        ]
        for ax, (img, title) in zip(row, panels):
            ax.imshow(img[: hr_u8.shape[0], : hr_u8.shape[1]])
            ax.set_title(title, fontsize=11)
            ax.axis("off")
        row[0].text(
            -0.04, 0.5, f"{label} {metric}\n{model} on {cls}\n{Path(path).name}",
            transform=row[0].transAxes, ha="right", va="center", fontsize=10,
        )  # fmt: skip
    fig.suptitle("PSNR-Y against HR (border cropped)", fontsize=12)
    _save(fig, out_dir / "best_worst.png", dpi=90)
    atomic.write_text(
        out_dir / "best_worst.txt",
        f"columns: LR (nearest) | bicubic | SR | HR\nrow 1 (best {metric}): model {ordered[0][0]} on {ordered[0][1]}\n"
        f"row 2 (worst {metric}): model {ordered[-1][0]} on {ordered[-1][1]}\n",
    )
