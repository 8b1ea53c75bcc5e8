"""The evaluation's figures, from arrays and tables in memory: the study's heatmaps (Figure 9)
and best/worst comparison (Figure 10), and the four-panel LR | bicubic | SR | HR crops of
`--mode=compare` (a training run's curves and samples: `training/plots.py`).

Drawn with matplotlib's Agg backend (no display), written atomically.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from srgan_tf import atomic
from srgan_tf.data import images
from srgan_tf.evaluation import metrics
from srgan_tf.evaluation.metrics import BICUBIC, best_model  # noqa: E402


def four_panels(panels: list, title: str, path: str | Path) -> Path:
    """One row of `(image, label)` panels (LR, bicubic, SR, HR), shown pixel for pixel."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4.6))
    for ax, (img, label) in zip(axes, panels):
        ax.imshow(img, interpolation="nearest")
        ax.set_title(label, fontsize=12)
        ax.axis("off")
    fig.suptitle(title, fontsize=11)
    return atomic.save_figure(fig, path, dpi=80)


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
    atomic.save_figure(fig, path, dpi=110)


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
    atomic.save_figure(fig, out_dir / "best_worst.png", dpi=90)
    atomic.write_text(
        out_dir / "best_worst.txt",
        f"columns: LR (nearest) | bicubic | SR | HR\nrow 1 (best {metric}): model {ordered[0][0]} on {ordered[0][1]}\n"
        f"row 2 (worst {metric}): model {ordered[-1][0]} on {ordered[-1][1]}\n",
    )
