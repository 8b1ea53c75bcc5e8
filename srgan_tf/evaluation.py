"""The study's model-by-class evaluation (Figure 9) and its best/worst comparison (Figure 10).

Every generator is run on every class's held-out test images; per (model, class) the metrics of
`srgan_tf.metrics` are averaged. A bicubic column is the baseline every model must beat.
Outputs: one CSV matrix per metric (rows: classes, columns: models), all numbers as JSON,
heatmaps with each class's best model outlined, a best/worst comparison image, and the SR
images. Deterministic: the same inputs give identical numbers.
"""

import json
from pathlib import Path

import numpy as np
import tensorflow as tf
from tqdm import tqdm

from srgan_tf import atomic, data, images, inference, metrics, weights
from srgan_tf.models import build_generator

BICUBIC = "bicubic"
PROTOCOL_TEXT = {
    "study": "LR = TensorFlow's bicubic x4 (no antialiasing), unquantised, as the study",
    "paper": "LR = MATLAB imresize bicubic x4 (antialiased), uint8, as SR papers",
}


def find_generators(checkpoint_dir, extra=()):
    """`{name: weight file}`: every `<checkpoint_dir>/<run>/g.weights.h5`, plus `extra` files.

    A run folder's name is its model's name (`general`, `desert`, `srgan`, `demo`, ...).
    """
    found = {}
    root = Path(checkpoint_dir)
    if root.is_dir():
        for path in sorted(root.glob("*/g.weights.h5")):
            found[path.parent.name] = path
    for path in extra:
        path = Path(path)
        # `checkpoints/demo/g.weights.h5` is "demo"; `g_srgan.npz` is "g_srgan".
        name = path.parent.name if path.name == "g.weights.h5" else path.name.split(".")[0]
        found[name if name not in found else f"{name}_{len(found)}"] = path
    return found


def trained_on(weight_file, image_paths):
    """The images of `image_paths` that the run which wrote `weight_file` trained on.

    Read from the `manifest.json` that training writes beside `g.weights.h5` (paths relative
    to that run's data root, so they are matched as path suffixes: the data root may differ
    from machine to machine). No manifest: nothing is known, nothing is returned.
    """
    manifest = Path(weight_file).parent / "manifest.json"
    if not manifest.is_file():
        return []
    train = json.loads(manifest.read_text()).get("train", [])
    suffixes = tuple("/" + Path(t).as_posix() for t in train)
    return [str(p) for p in image_paths if Path(p).as_posix().endswith(suffixes)]


def bicubic_up(lr, scale):
    up = tf.image.resize(lr[None], [lr.shape[0] * scale, lr.shape[1] * scale], method="bicubic")[0]
    return np.clip(up.numpy(), -1.0, 1.0)


def evaluate(
    generators,
    test_sets,
    data_cfg,
    model_cfg,
    out_dir,
    tile=inference.DEFAULT_TILE,
    log=print,
    progress=True,
):
    """Runs every generator on every class's test images and writes the outputs.

    Args:
        generators: `{model name: weight file}`.
        test_sets: `{class name: datasets.ImageSet}` of held-out images.
        data_cfg: a `DataConfig` (scale and LR method).
        model_cfg: a `ModelConfig` (generator size).
        out_dir: where matrices, figures and SR images go.
        tile: tiled-inference tile side (0: whole images).

    Returns:
        `{metric: {class: {model: mean}}}`, bicubic included.
    """
    out_dir = Path(out_dir)
    scale = data_cfg.scale
    every_image = [p for s in test_sets.values() for p in s.paths]
    leaks = {m: trained_on(w, every_image) for m, w in generators.items()}
    leaks = {m: paths for m, paths in leaks.items() if paths}
    for model, paths in leaks.items():
        log(
            f"WARNING: {model} ({generators[model]}) was trained on {len(paths)} of the images it "
            f"is evaluated on ({', '.join(Path(p).name for p in paths[:5])}"
            f"{', ...' if len(paths) > 5 else ''}), by its manifest.json: its numbers are not "
            f"held-out numbers. Was it trained with another --split_seed or data folder?"
        )
    g = build_generator(model_cfg.n_res_blocks, model_cfg.filters)
    predict = inference.predictor(g)
    pairs = {cls: list(data.eval_pairs(s, data_cfg)) for cls, s in test_sets.items()}
    per_image = {}  # (model, cls) -> list of metric dicts
    names = [BICUBIC, *generators]
    total = sum(len(p) for p in pairs.values()) * len(names)
    bar = tqdm(total=total, desc="evaluate", unit="image", disable=not progress)
    for model in names:
        if model != BICUBIC:
            weights.load_weights(g, generators[model])
        for cls, items in pairs.items():
            rows = []
            for path, lr, hr in items:
                sr = (
                    bicubic_up(lr, scale)
                    if model == BICUBIC
                    else inference.upscale(predict, lr, scale, tile)
                )
                sr_u8, hr_u8 = images.to_uint8(sr), images.to_uint8(hr)
                rows.append(metrics.all_metrics(sr_u8, hr_u8, sr, hr, border=scale))
                images.write_image(out_dir / "sr" / model / cls / f"{Path(path).stem}.png", sr_u8)
                bar.update(1)
            per_image[(model, cls)] = rows
    bar.close()
    keys = list(next(iter(per_image.values()))[0]) if per_image else []
    results = {
        k: {
            cls: {m: float(np.mean([r[k] for r in per_image[(m, cls)]])) for m in names}
            for cls in pairs
        }
        for k in keys
    }
    _write(results, per_image, pairs, names, out_dir, leaks, data_cfg.protocol)
    log(summary_table(results, "psnr_y"))
    table = paper_table(results)
    atomic.write_text(out_dir / "table.csv", table_csv(results))
    log(f"PSNR-Y / SSIM-Y (protocol {data_cfg.protocol!r}, {scale} border pixels cropped):")
    log(table)
    return results


def paper_table(results):
    """The table SR papers print: one row per set, `PSNR / SSIM` (on Y) per model."""
    sets = list(results["psnr_y"])
    models = list(results["psnr_y"][sets[0]])
    rows = [["set", *models]]
    for s in sets:
        rows.append(
            [s, *(f"{results['psnr_y'][s][m]:.2f} / {results['ssim_y'][s][m]:.4f}" for m in models)]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(" | ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows)


def table_csv(results):
    sets = list(results["psnr_y"])
    models = list(results["psnr_y"][sets[0]])
    head = ["set", *(f"{m}_{k}" for m in models for k in ("psnr_y", "ssim_y"))]
    lines = [",".join(head)]
    for s in sets:
        cells = [f"{results[k][s][m]:.4f}" for m in models for k in ("psnr_y", "ssim_y")]
        lines.append(",".join([s, *cells]))
    return "\n".join(lines) + "\n"


def summary_table(results, metric):
    classes = list(results[metric])
    models = list(results[metric][classes[0]])
    lines = [f"{metric}: " + " | ".join(["class", *models])]
    for cls in classes:
        lines.append(" | ".join([cls, *(f"{results[metric][cls][m]:.4f}" for m in models)]))
    return "\n".join(lines)


def best_model(results, metric, cls, include_bicubic=False):
    row = {m: v for m, v in results[metric][cls].items() if include_bicubic or m != BICUBIC}
    pick = min if metric in metrics.LOWER_IS_BETTER else max
    return pick(row, key=row.get)


def _write(results, per_image, pairs, names, out_dir, leaks, protocol):
    out_dir.mkdir(parents=True, exist_ok=True)
    for metric, table in results.items():
        lines = [",".join(["class", *names])]
        lines += [",".join([cls, *(f"{table[cls][m]:.6f}" for m in names)]) for cls in table]
        atomic.write_text(out_dir / f"matrix_{metric}.csv", "\n".join(lines) + "\n")
    detail = {
        "protocol": protocol,
        "protocol_text": PROTOCOL_TEXT[protocol],
        "matrices": results,
        "trained_on_test_images": leaks,
        "images": {
            f"{m}/{c}": [dict(r, image=str(p)) for r, (p, _, _) in zip(rows, pairs[c])]
            for (m, c), rows in per_image.items()
        },
    }
    atomic.write_text(out_dir / "results.json", json.dumps(detail, indent=1))
    for metric in ("mse", "psnr_y"):
        heatmap(results, metric, out_dir / f"heatmap_{metric}.png")
    if len(names) > 1:
        gain_heatmap(results, out_dir / "heatmap_psnr_y_gain.png")
        comparison_figure(results, per_image, pairs, out_dir)


def heatmap(results, metric, path):
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


def gain_heatmap(results, path):
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


def _draw_matrix(values, rows, cols, best, path, title, cmap, fmt, text_color=None, **norm):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    fig.tight_layout()
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def comparison_figure(results, per_image, pairs, out_dir, metric="mse"):
    """The study's Figure 10: LR | bicubic | SR | HR for the best and the worst (model, class),
    each panel titled with its PSNR-Y against HR (the number in results.json)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
        bic = images.read_image(out_dir / "sr" / BICUBIC / cls / f"{Path(path).stem}.png")[0]
        sr = images.read_image(out_dir / "sr" / model / cls / f"{Path(path).stem}.png")[0]
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
    fig.tight_layout()
    with atomic.atomic_path(out_dir / "best_worst.png") as tmp:
        fig.savefig(tmp, dpi=90)
    plt.close(fig)
    atomic.write_text(
        out_dir / "best_worst.txt",
        f"columns: LR (nearest) | bicubic | SR | HR\nrow 1 (best {metric}): model {ordered[0][0]} on {ordered[0][1]}\n"
        f"row 2 (worst {metric}): model {ordered[-1][0]} on {ordered[-1][1]}\n",
    )
