"""`--mode=upscale` (files and folders) and `--mode=compare` (crops of one photo)."""

import sys
from pathlib import Path

import keras
import tensorflow as tf
from tqdm import tqdm

from srgan_tf import inference, weights
from srgan_tf.config import Configs
from srgan_tf.data import datasets, images
from srgan_tf.errors import ConfigError
from srgan_tf.evaluation import compare as compare_lib
from srgan_tf.inference import precision
from srgan_tf.models import build_generator
from srgan_tf.modes.registry import MODES
from srgan_tf.modes.trained_through import mismatch


def load_generator(cfg: Configs) -> keras.Model:
    """The generator of upscale/compare/export: `app.g_weights`, which main.py resolved
    (--g_weights, else a shipped generator: modes/defaults.py) and the gate has read once already."""
    with precision.building(cfg.inference.infer_precision):
        g = build_generator(cfg.model.n_res_blocks, cfg.model.filters)
    weights.load_weights(g, cfg.app.g_weights)
    print(precision.describe(cfg.inference.infer_precision))
    warning = mismatch(cfg.app.g_weights, cfg.post)
    if warning:
        print(warning, file=sys.stderr)
    return g


def upscale(cfg: Configs) -> None:
    """Upscales `--input` (a file, or a folder's tree) into `--output`; outputs that exist
    already are kept (a rerun after Ctrl-C goes on where it stopped) unless `--overwrite`."""
    app, scale = cfg.app, cfg.data.scale
    src = Path(app.input)  # checked by modes/checks.py
    fmt = app.format or "png"  # one of IMAGE_FORMATS (modes/checks.py)
    out = MODES["upscale"].output_dir(app.output)
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
        predict = inference.predictor(load_generator(cfg), cfg.post)
        print(cfg.post.note())
    for path in tqdm(todo, desc="upscale", unit="image", disable=not app.progress):
        try:
            sr = inference.upscale_file(predict, path, app.tile, app.progress)
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
    if cfg.compare.window_at:
        try:
            box = tuple(int(v) for v in cfg.compare.window_at.split(","))
            assert len(box) == 2
        except (ValueError, AssertionError):
            raise ConfigError(f"--window_at must be 'y,x', got {cfg.compare.window_at!r}") from None
    rgb, _ = images.read_image(src)
    h, w = (n // cfg.data.scale * cfg.data.scale for n in rgb.shape[:2])  # as eval_pair trims
    if box is not None and not (0 <= box[0] < h and 0 <= box[1] < w):
        raise ConfigError(
            f"--window_at={box[0]},{box[1]} is outside {src} ({w}x{h} pixels once trimmed to a "
            f"multiple of {cfg.data.scale}): y must be in [0, {h}) and x in [0, {w})"
        )
    g = load_generator(cfg)
    out = MODES["compare"].output_dir(app.output) / f"{src.stem}_compare.png"
    name = Path(app.g_weights).parent.name if app.g_weights else "SR"
    post = inference.PostProcessed(g, cfg.post, app.tile)
    scores = compare_lib.compare_figure(
        inference.predictor(g), rgb, out, cfg.data, cfg.compare.window, box, name=name, title=src.name,
        tile=app.tile, post=post,
    )  # fmt: skip
    hr = scores.pop("HR")
    print(
        "; ".join(
            f"{k}: {v['psnr_y']:.2f} dB PSNR-Y, NIQE {v['niqe']:.2f}" for k, v in scores.items()
        )
        + f"; HR: NIQE {hr['niqe']:.2f} (lower: more natural). Figure: {out}"
    )
