"""`--mode=upscale` (files and folders) and `--mode=compare` (crops of one photo)."""

import sys
from pathlib import Path

import keras
import tensorflow as tf
from tqdm import tqdm

from srgan_tf import inference, weights
from srgan_tf.config import UPSCALED_DIR, Configs
from srgan_tf.data import datasets, images
from srgan_tf.errors import ConfigError
from srgan_tf.evaluation import compare as compare_lib
from srgan_tf.models import build_generator
from srgan_tf.modes.trained_through import mismatch


def load_generator(cfg: Configs) -> keras.Model:
    """The generator of upscale/compare/export: `app.g_weights`, which main.py resolved
    (--g_weights, else a shipped generator: modes/defaults.py) and the gate has read once already."""
    g = build_generator(cfg.model.n_res_blocks, cfg.model.filters)
    weights.load_weights(g, cfg.app.g_weights)
    warning = mismatch(cfg.app.g_weights, cfg.app.back_projection, cfg.app.detail_floor)
    if warning:
        print(warning, file=sys.stderr)
    return g


def consistency_note(steps: int, floor: float = 0.0, passes: int = 1) -> str:
    """The line that says what wraps and follows the generator (upscale and export)."""
    if passes > 1:
        start = (f"Self-ensemble: the generator's {passes} passes on flipped copies of the input, "
                 f"turned back and averaged (--self_ensemble=1: one pass, up to {passes}x faster). ")  # fmt: skip
    else:
        start = "Self-ensemble: off (--self_ensemble=1): one generator pass. "
    return start + _steps_note(steps, floor)


def _steps_note(steps: int, floor: float) -> str:
    if not steps:
        note = "Back-projection: off (--back_projection=0): the generator's pixels as they are"
    else:
        note = (f"Back-projection: {steps} step{'s' if steps > 1 else ''} after the generator, so the "
                f"output downscaled agrees with the input (--back_projection=0: the generator alone)")  # fmt: skip
    if floor > 0:
        return (note + f"; then the detail gate: where the generator's detail over bicubic is "
                f"weaker than {floor:g} grey levels, bicubic's pixels (--detail_floor=0: no gate)")  # fmt: skip
    return note


def upscale(cfg: Configs) -> None:
    """Upscales `--input` (a file, or a folder's tree) into `--output`; outputs that exist
    already are kept (a rerun after Ctrl-C goes on where it stopped) unless `--overwrite`."""
    app, scale = cfg.app, cfg.data.scale
    src = Path(app.input)  # checked by modes/checks.py
    fmt = app.format or "png"  # one of IMAGE_FORMATS (modes/checks.py)
    out = Path(app.output or UPSCALED_DIR)
    files = inference.input_files(src, out)  # never this program's own outputs
    targets = inference.output_paths(files, src, out, scale, fmt)
    todo = [p for p in files if app.overwrite or not targets[p].is_file()]
    kept = len(files) - len(todo)
    if kept:
        print(
            f"{kept} of {len(files)} outputs exist in {out} and are kept (--overwrite: redo them)"
        )
    report = datasets.ScanReport()
    if todo:
        # A photograph's own optics low-pass it before its pixels are sampled: the paper protocol.
        predict = inference.predictor(
            load_generator(cfg), app.back_projection, "paper", app.detail_floor, app.self_ensemble
        )
        print(consistency_note(app.back_projection, app.detail_floor, app.self_ensemble))
    for path in tqdm(todo, desc="upscale", unit="image", disable=not app.progress):
        try:
            sr = inference.upscale_file(predict, path, scale, app.tile, app.progress)
        except images.BadImage as e:
            report.add_skip(e.kind, path, e.reason)
            print(f"skipped {e}", file=sys.stderr)
            continue
        except tf.errors.ResourceExhaustedError:
            report.add_skip("out_of_memory", path, "out of memory; try a smaller --tile")
            print(f"skipped {path}: out of memory; try a smaller --tile", file=sys.stderr)
            continue
        if fmt == "jpg" and sr.ndim == 3 and sr.shape[-1] == 4:
            sr = sr[..., :3]  # JPEG has no alpha channel
        images.write_image(targets[path], sr)
        report.used += 1
    print(report.summary(out, verb="upscaled into") + (f"; {kept} kept" if kept else ""))
    if not report.used and not kept:
        raise ConfigError(f"no readable image in {src}: {report.skipped_names()}")


def compare(cfg: Configs) -> None:
    app = cfg.app
    src = Path(app.input)  # checked by modes/checks.py
    box = None
    if app.window_at:
        try:
            box = tuple(int(v) for v in app.window_at.split(","))
            assert len(box) == 2
        except (ValueError, AssertionError):
            raise ConfigError(f"--window_at must be 'y,x', got {app.window_at!r}") from None
    rgb, _ = images.read_image(src)
    g = load_generator(cfg)
    out = Path(app.output or "results/compare") / f"{src.stem}_compare.png"
    name = Path(app.g_weights).parent.name if app.g_weights else "SR"
    post = inference.PostProcessed(g, app.back_projection, cfg.data.protocol, app.detail_floor,
                                   app.self_ensemble, cfg.data.scale, app.tile)  # fmt: skip
    scores = compare_lib.compare_figure(
        inference.predictor(g), rgb, out, cfg.data, app.window, box, name=name, title=src.name,
        tile=app.tile, post=post,
    )  # fmt: skip
    print(", ".join(f"{k}: {v:.2f} dB PSNR-Y" for k, v in scores.items()) + f". Figure: {out}")
