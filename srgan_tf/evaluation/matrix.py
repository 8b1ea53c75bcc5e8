"""The study's model-by-class evaluation (Figure 9) and its best/worst comparison (Figure 10).

Every generator is run on every class's held-out test images; per (model, class) the metrics of
`srgan_tf.evaluation.metrics` and NIQE (`niqe.py`, beside the HR images' own) are averaged. A bicubic column is the baseline every model must beat.
Outputs: one CSV matrix per metric (rows: classes, columns: models), all numbers as JSON,
heatmaps with each class's best model outlined, a best/worst comparison image, and the SR
images. Deterministic: the same inputs give identical numbers.
"""

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from srgan_tf import atomic, data, inference, protocols, weights
from srgan_tf.config import AUTO_TILE, DataConfig, ModelConfig
from srgan_tf.data import images
from srgan_tf.evaluation import figures
from srgan_tf.evaluation.metrics import BICUBIC, all_metrics, best_model  # noqa: F401  (re-exported)
from srgan_tf.evaluation.niqe import niqe
from srgan_tf.inference import precision as inference_precision
from srgan_tf.inference.post_settings import NONE, PostProcessing
from srgan_tf.models import build_generator


def find_generators(checkpoint_dir: str | Path, extra: tuple = ()) -> dict[str, Path]:
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
        # `.../demo/g.weights.h5` is "demo"; `g_srgan.npz` is "g_srgan".
        name = path.parent.name if path.name == "g.weights.h5" else path.name.split(".")[0]
        found[name if name not in found else f"{name}_{len(found)}"] = path
    return found


def trained_on(weight_file: str | Path, image_paths: Iterable) -> list[str]:
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


def evaluate(
    generators: dict,
    test_sets: dict,
    data_cfg: DataConfig,
    model_cfg: ModelConfig,
    out_dir: str | Path,
    tile: int = AUTO_TILE,
    log: Callable[..., None] = print,
    progress: bool = True,
    post: PostProcessing = NONE,
    own_post: dict | None = None,
    precision: str = "float32",
) -> dict:
    """Runs every generator on every class's test images and writes the outputs.

    Args:
        generators: `{model name: weight file}`.
        test_sets: `{class name: datasets.ImageSet}` of held-out images.
        data_cfg: a `DataConfig` (scale and LR method).
        model_cfg: a `ModelConfig` (generator size).
        out_dir: where matrices, figures and SR images go.
        tile: tiled-inference tile side (0: whole images).
        post: with anything in it, every generator is also scored post-processed so (its
            steps under `post.protocol`, the evaluation's), as a column `<name><post.label>`
            (`mine+x2+bp2+gate1.5`) beside its raw one.
        own_post: `{model name: PostProcessing}`: generators whose extra column has this
            instead of `post` (those trained through steps and a gate).
        precision: the generators' compute precision, "float32" or "bfloat16".

    Returns:
        `{metric: {class: {model: mean}}}`, bicubic included.
    """
    out_dir, scale = Path(out_dir), data_cfg.scale
    leaks = _warn_about_leaks(generators, test_sets, log)
    with inference_precision.building(precision):
        g = build_generator(model_cfg.n_res_blocks, model_cfg.filters)
    predict = inference.predictor(g)
    # Each generator's extra column (none when its PostProcessed is empty).
    posts = {name: inference.PostProcessed(g, (own_post or {}).get(name, post), tile)
             for name in generators}  # fmt: skip
    pairs = {cls: list(data.eval_pairs(s, data_cfg)) for cls, s in test_sets.items()}
    names = [BICUBIC]
    for name in generators:
        names += [name, f"{name}{posts[name].label}"] if posts[name] else [name]
    scores = _Scores(out_dir, scale)
    total = sum(len(p) for p in pairs.values()) * (1 + len(generators))
    with tqdm(total=total, desc="evaluate", unit="image", disable=not progress) as bar:
        for model in [BICUBIC, *generators]:
            if model != BICUBIC:
                weights.load_weights(g, generators[model])
            for cls, items in pairs.items():
                for path, lr, hr in items:
                    if model == BICUBIC:
                        scores.add(model, cls, path, protocols.bicubic_up(lr, scale), hr)
                    else:  # raw and, with post-processing, once more with it (one pass)
                        sr = inference.upscale(predict, lr, tile)
                        scores.add(model, cls, path, sr, hr)
                        if extra := posts[model]:
                            scores.add(f"{model}{extra.label}", cls, path, extra(lr, sr), hr)
                    bar.update(1)
    results = _means(scores.per_image, pairs, names)
    versus = against_bicubic(scores.per_image, pairs, names)
    hr_niqe = {cls: [niqe(images.to_uint8(hr), scale) for _, _, hr in items]
               for cls, items in pairs.items()}  # fmt: skip
    _write(results, scores.per_image, pairs, scores.first_sr, names, out_dir, leaks,
           data_cfg.protocol, versus, hr_niqe)  # fmt: skip
    _log_tables(results, versus, data_cfg, out_dir, log, hr_niqe)
    return results


def _warn_about_leaks(generators: dict, test_sets: dict, log: Callable[..., None]) -> dict:
    """`{model: [test images it trained on]}` by the manifests, each warned about."""
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
    return leaks


class _Scores:
    """Every output scored and written as it comes: `per_image[(model, cls)]` the metric
    dicts in order, `first_sr[(model, cls)]` the uint8 output of the class's first image
    (the comparison figure draws these)."""

    def __init__(self, out_dir: Path, scale: int):
        self.out_dir, self.scale = out_dir, scale
        self.per_image, self.first_sr = {}, {}

    def add(self, model: str, cls: str, path, sr: np.ndarray, hr: np.ndarray) -> None:
        sr_u8, hr_u8 = images.to_uint8(sr), images.to_uint8(hr)
        rows = self.per_image.setdefault((model, cls), [])
        scores = all_metrics(sr_u8, hr_u8, sr, hr, border=self.scale)
        # NaN for an image below two 96-px NIQE blocks after the border; means skip it.
        rows.append(scores | {"niqe": niqe(sr_u8, self.scale)})
        if len(rows) == 1:
            self.first_sr[(model, cls)] = sr_u8
        target = self.out_dir / "sr" / model / cls / f"{Path(path).stem}.png"
        images.write_image(target, sr_u8, fast=True)


def _means(per_image: dict, pairs: dict, names: list[str]) -> dict:
    """`{metric: {class: {model: mean over the class's images}}}`."""
    keys = list(next(iter(per_image.values()))[0]) if per_image else []
    return {
        k: {cls: {m: _mean([r[k] for r in per_image[(m, cls)]]) for m in names} for cls in pairs}
        for k in keys
    }


def _mean(values: list[float]) -> float:
    """The mean of the finite values (NIQE is NaN for images too small to score); NaN if none."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def _log_tables(results: dict, versus: dict, data_cfg: DataConfig, out_dir: Path,
                log: Callable[..., None], hr_niqe: dict) -> None:  # fmt: skip
    """The summary, the paper table (also `table.csv`), NIQE beside the HR images' own, and
    the per-model lines against bicubic."""
    log(summary_table(results, "psnr_y"))
    table = paper_table(results)
    atomic.write_text(out_dir / "table.csv", table_csv(results))
    log(f"PSNR-Y / SSIM-Y (protocol {data_cfg.protocol!r}, {data_cfg.scale} border pixels "
        f"cropped):")  # fmt: skip
    log(table)
    hr = ", ".join(f"{cls} {_mean(v):.3f}" for cls, v in hr_niqe.items())
    log(f"NIQE (no reference; lower looks more natural; the HR images' own: {hr}):")
    log(summary_table(results, "niqe"))
    log("Image by image, against bicubic:")
    for model, v in versus.items():
        log(versus_line(model, v))


def against_bicubic(per_image: dict, pairs: dict, names: list[str]) -> dict:
    """`{model: summary}` over every image of every set: the mean PSNR-Y gain over bicubic,
    how many images fall below bicubic, the worst image and its gain, and the largest colour
    offset (gray levels between a channel's mean and the HR's) and its image. A mean can hide
    one photo that a model ruins; these say whether any is."""
    out = {}
    for model in names:
        if model == BICUBIC:
            continue
        gains, casts = [], []
        for cls, items in pairs.items():
            rows, base = per_image[(model, cls)], per_image[(BICUBIC, cls)]
            for (path, _, _), r, b in zip(items, rows, base):
                name = f"{cls}/{Path(path).stem}"
                gains.append((r["psnr_y"] - b["psnr_y"], name))
                casts.append((r["colour_offset"], name))
        worst, cast = min(gains), max(casts)
        niqes = [r["niqe"] for cls in pairs for r in per_image[(model, cls)]]
        out[model] = {
            "mean_niqe": _mean(niqes),
            "images": len(gains),
            "mean_psnr_y_gain": float(np.mean([g for g, _ in gains])),
            "below_bicubic": sum(g < 0 for g, _ in gains),
            "worst_image": worst[1],
            "worst_psnr_y_gain": float(worst[0]),
            "max_colour_offset": float(cast[0]),
            "max_colour_offset_image": cast[1],
        }
    return out


def versus_line(model: str, v: dict) -> str:
    """One log line of `against_bicubic`'s summary of a model."""
    return (
        f"  {model}: {v['mean_psnr_y_gain']:+.2f} dB PSNR-Y over bicubic on average, "
        f"{v['below_bicubic']} of {v['images']} images below bicubic, worst {v['worst_image']} "
        f"{v['worst_psnr_y_gain']:+.2f} dB; largest colour offset {v['max_colour_offset']:.2f} "
        f"levels ({v['max_colour_offset_image']}); NIQE {v['mean_niqe']:.3f}"
    )


def paper_table(results: dict) -> str:
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


def table_csv(results: dict) -> str:
    sets = list(results["psnr_y"])
    models = list(results["psnr_y"][sets[0]])
    head = ["set", *(f"{m}_{k}" for m in models for k in ("psnr_y", "ssim_y"))]
    lines = [",".join(head)]
    for s in sets:
        cells = [f"{results[k][s][m]:.4f}" for m in models for k in ("psnr_y", "ssim_y")]
        lines.append(",".join([s, *cells]))
    return "\n".join(lines) + "\n"


def summary_table(results: dict, metric: str) -> str:
    classes = list(results[metric])
    models = list(results[metric][classes[0]])
    lines = [f"{metric}: " + " | ".join(["class", *models])]
    for cls in classes:
        lines.append(" | ".join([cls, *(f"{results[metric][cls][m]:.4f}" for m in models)]))
    return "\n".join(lines)


def _write(results, per_image, pairs, first_sr, names, out_dir, leaks, protocol, versus,
           hr_niqe) -> None:  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    for metric, table in results.items():
        lines = [",".join(["class", *names])]
        lines += [",".join([cls, *(f"{table[cls][m]:.6f}" for m in names)]) for cls in table]
        atomic.write_text(out_dir / f"matrix_{metric}.csv", "\n".join(lines) + "\n")
    detail = {
        "protocol": protocol,
        "protocol_text": protocols.DESCRIPTIONS[protocol],
        "matrices": results,
        "against_bicubic": versus,
        "trained_on_test_images": leaks,
        # The HR images' own NIQE (what the outputs' would be at best), per set and per image.
        "niqe_hr": {cls: _mean(v) for cls, v in hr_niqe.items()},
        "niqe_hr_images": {
            cls: dict(zip((str(p) for p, _, _ in pairs[cls]), v)) for cls, v in hr_niqe.items()
        },  # fmt: skip
        "images": {
            f"{m}/{c}": [dict(r, image=str(p)) for r, (p, _, _) in zip(rows, pairs[c])]
            for (m, c), rows in per_image.items()
        },
    }
    atomic.write_text(out_dir / "results.json", json.dumps(_finite(detail), indent=1))
    for metric in ("mse", "psnr_y", "niqe"):
        figures.heatmap(results, metric, out_dir / f"heatmap_{metric}.png")
    if len(names) > 1:
        figures.gain_heatmap(results, out_dir / "heatmap_psnr_y_gain.png")
        figures.comparison_figure(results, per_image, pairs, first_sr, out_dir)


def _finite(value):
    """`value` with every NaN float as None (JSON has no NaN: NIQE of a too-small image)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return None if isinstance(value, float) and np.isnan(value) else value
