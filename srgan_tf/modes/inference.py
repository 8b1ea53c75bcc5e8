"""`--mode=upscale` (files and folders) and `--mode=compare` (crops of one photo)."""

import sys
from pathlib import Path

import keras

from srgan_tf import inference, weights
from srgan_tf.api import Report, Upscaler
from srgan_tf.config import Configs
from srgan_tf.data import images
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
    """Upscales `--input` (a file, or a folder's tree) into `--output` with the API's
    `Upscaler` (what a notebook gets); outputs that exist already are kept (a rerun after
    Ctrl-C goes on where it stopped) unless `--overwrite`."""
    app = cfg.app
    src, out = Path(app.input), MODES["upscale"].output_dir(app.output)  # checked by the gate
    files = inference.input_files(src, out)  # never this program's own outputs
    targets = inference.output_paths(files, src, out, cfg.data.scale, app.format or "png")
    todo = [p for p in files if app.overwrite or not targets[p].is_file()]
    if len(todo) < len(files):
        print(
            f"{len(files) - len(todo)} of {len(files)} outputs exist in {out} and are kept "
            f"(--overwrite: redo them)"
        )
    report = Report([], [targets[p] for p in files if p not in todo], {})
    if todo:
        upscaler = Upscaler(load_generator(cfg), cfg.post, cfg.inference.infer_precision,
                            app.tile, app.g_weights)  # fmt: skip
        print(cfg.post.note())
        report = upscaler.upscale_path(src, out, app.format or "png", app.overwrite,
                                       app.progress, lambda line: print(line, file=sys.stderr))  # fmt: skip
    kept = f"; {len(report.kept)} kept" if report.kept else ""
    print(f"{len(report.written)} images upscaled into {out}{_skipped(report)}{kept}")
    if not report.written and not report.kept:
        raise ConfigError(f"no readable image in {src}: {', '.join(report.skipped)}")


def _skipped(report: Report) -> str:
    if not report.skipped:
        return ""
    names = ", ".join(Path(p).name for p in list(report.skipped)[:5])
    more = ", ..." if len(report.skipped) > 5 else ""
    return f"; {len(report.skipped)} skipped ({names}{more})"


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
