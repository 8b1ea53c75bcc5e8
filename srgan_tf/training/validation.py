"""Validation during training: the generator scored on held-aside images every N steps.

The images are a folder of their own (`--val_dir`, e.g. the photo corpus' validation split),
never trained on. Each is degraded under one or more LR protocols (`--val_protocols`; the
first, by default the run's `--protocol`, is the one the curve and the best step follow),
super-resolved and scored with `srgan_tf.evaluation.metrics` (the metric code `evaluate` uses).

The best step is the one with the highest mean PSNR-Y gain over bicubic under the first
protocol (or, with `--val_best=mean`, the mean of the protocols' gains) among the validations
that pass two guards, the demo's shipping bar applied to the
validation images: every image beats bicubic under every validated protocol, and no image's
channel means move more than `MAX_COLOUR_OFFSET` levels from the HR image's (a colour cast).
Its generator is written to `g_best.weights.h5` beside `g.weights.h5`, so the snapshot to ship
is picked by validation alone.

With NIQE (`--val_niqe`, srgan_tf/evaluation/niqe.py), each validation also scores the
naturalness of the outputs under the first protocol, beside bicubic's and the HR images' own.
`--val_best=niqe` ranks by it, as a GAN's snapshots are chosen: the lowest mean NIQE among the
validations that pass the guards and reach a mean gain of `--val_min_mean_gain`.

A run remembers what it validates (`validation.json`: folder, crop, protocols, best rule).
Resumed with another definition, earlier scores are not comparable (or not ranked alike), so
the best restarts from that step.
"""

import dataclasses
import json
from collections.abc import Callable, Iterable
from pathlib import Path

import keras
import numpy as np

from srgan_tf import atomic, data, inference
from srgan_tf.config import AUTO_TILE, DataConfig
from srgan_tf.data import datasets, images
from srgan_tf.evaluation import metrics
from srgan_tf.evaluation.niqe import niqe as niqe_score
from srgan_tf.inference.post_settings import NONE, PostProcessing
from srgan_tf.protocols import bicubic_up

GUARDS = ("min_psnr_y_gain", "max_colour_offset")  # the scores `passes_guards` reads
# `--val_best`: the score each rule ranks by ("mean" falls back to "first" with one protocol).
BEST_RULES = {"first": "psnr_y_gain", "mean": "mean_psnr_y_gain", "niqe": "niqe"}
NIQE_FIELDS = ("niqe", "niqe_bicubic", "niqe_hr")  # with NIQE: the outputs', bicubic's, HR's
# Bicubic stays within about 0.05 of a level; a model's colour cast shows as whole levels.
MAX_COLOUR_OFFSET = 1.0
STATE = "validation.json"


def passes_guards(scores: dict, min_gain: float = 0.0, min_mean_gain: float | None = None) -> bool:
    """The shipping bar on the validation images: every image's PSNR-Y gain over bicubic above
    `min_gain` (0: above bicubic), no colour cast, and (when given) a mean gain of at least
    `min_mean_gain`."""
    if min_mean_gain is not None and scores["psnr_y_gain"] < min_mean_gain:
        return False
    return scores["min_psnr_y_gain"] > min_gain and scores["max_colour_offset"] <= MAX_COLOUR_OFFSET


def better(key: str, value: float, than: float) -> bool:
    """Whether `value` of score `key` beats `than`: lower NIQE, higher gains."""
    return value < than if key == "niqe" else value > than


def best_of(
    rows: list[dict],
    since: int = 0,
    key: str = "psnr_y_gain",
    min_gain: float = 0.0,
    min_mean_gain: float | None = None,
) -> tuple[float, int] | None:
    """`(score, step)` of the best validation in history rows (`val_*` columns) from step
    `since` on by `val_<key>` (`better`), among those passing the guards; None if none does."""
    found = None
    names = dict.fromkeys((key, "psnr_y_gain", *GUARDS))
    for r in rows:
        columns = [f"val_{k}" for k in names]
        if int(r["step"]) < since or any(r.get(c) in (None, "") for c in columns):
            continue  # not a validation, or one from before the guards were recorded
        scores = {c[4:]: float(r[c]) for c in columns}
        if passes_guards(scores, min_gain, min_mean_gain) and (
            found is None or better(key, scores[key], found[0])
        ):
            found = (scores[key], int(r["step"]))
    return found


def _definition(val_dir: str, crop: int, protocols: tuple, min_gain: float,
                post: PostProcessing, best: str | None,
                min_mean_gain: float | None = None) -> dict:  # fmt: skip
    """What makes scores comparable from one validation to the next (`validation.json`).
    Settings are written only when set, so the definitions of older runs still match."""
    out = {"val_dir": str(val_dir), "crop": crop, "protocols": list(protocols)}
    if min_gain:
        out["min_gain"] = min_gain
    if min_mean_gain is not None:
        out["min_mean_gain"] = min_mean_gain
    if post.back_projection:
        out["back_projection"] = post.back_projection
    if post.detail_floor:
        out["detail_floor"] = post.detail_floor
    if post.self_ensemble > 1:
        out["self_ensemble"] = post.self_ensemble
    if best:
        out["best"] = best
    return out


def _load_pairs(val_dir: str, data_cfg: DataConfig, crop: int, protocols: tuple,
                log: Callable[..., None]) -> dict:  # fmt: skip
    """`{protocol: [(path, lr, hr)]}` of every readable image under the comma-separated
    folders `val_dir` (unreadable files skipped and named in the loading line)."""
    roots = [Path(p) for p in str(val_dir).split(",") if p]
    paths = []
    for root in roots:
        classes, unknown = datasets.discover(root)
        paths += sorted([*unknown, *(p for files in classes.values() for p in files)])
    where = ", ".join(map(str, roots))
    report = datasets.ScanReport()
    pairs = {p: [] for p in protocols}
    for path in paths:
        try:
            rgb, _ = images.read_image(path)
        except images.BadImage as e:
            report.add_skip(e.kind, path, e.reason)
            continue
        side = min(crop, *rgb.shape[:2]) // data_cfg.scale * data_cfg.scale if crop else 0
        for p in protocols:
            cfg = dataclasses.replace(data_cfg, protocol=p)
            pairs[p].append((path, *data.eval_pair(rgb, cfg, side)))
        report.used += 1
    if not report.used:
        raise datasets.DataError(
            f"no readable validation image in {where}: {report.summary(where)}"
        )
    log(
        f"Validation: {report.summary(where)}, "
        f"{'whole images' if not crop else f'{crop}-pixel centre crops'}, "
        f"protocol {' + '.join(map(repr, protocols))}"
    )
    return pairs


class Validator:
    """Scores a generator on a folder of validation images.

    Args:
        val_dir: folder of images (every readable file, any layout), or several, comma-separated.
        data_cfg: a `DataConfig` (its `scale`, and its `protocol` unless `protocols` is given).
        crop: HR side of the centre crop scored per image (0: whole images).
        protocols: LR protocols to validate under, the first one leading (default: the run's).
        best: "first" (the first protocol's mean gain picks the best step), "mean" (the mean
            of the protocols' gains does) or "niqe" (the lowest mean NIQE under the first
            protocol among the steps whose mean gain is at least `min_mean_gain`).
        min_mean_gain: with `best="niqe"`, the least mean PSNR-Y gain of a best step.
        niqe: also score NIQE (always with `best="niqe"`).
        snapshots: keep every validated generator in the run folder's `snapshots/`.
        min_gain: the per-image bar of the guards, in dB of PSNR-Y over bicubic.
        tile: tiled-inference tile side (bounds memory on big images).
        post: what wraps and follows the generator (its steps take each protocol's own
            downscaler), so validation scores what upscale ships; default: the generator alone.
        log: where the loading line goes.

    Raises:
        datasets.DataError: a missing folder or one without readable images.
    """

    def __init__(
        self,
        val_dir: str,
        data_cfg: DataConfig,
        crop: int = 0,
        protocols: Iterable[str] = (),
        best: str = "first",
        tile: int = AUTO_TILE,
        log: Callable[..., None] = print,
        min_gain: float = 0.0,
        post: PostProcessing = NONE,
        min_mean_gain: float = 0.0,
        niqe: bool = False,
        snapshots: bool = False,
    ) -> None:
        self.protocols = tuple(protocols) or (data_cfg.protocol,)
        if best not in BEST_RULES:
            raise ValueError(f"best must be one of {BEST_RULES}, got {best!r}")
        several = len(self.protocols) > 1
        self.best_key = BEST_RULES[best] if best != "mean" or several else "psnr_y_gain"
        self.min_mean_gain = float(min_mean_gain) if best == "niqe" else None
        self.with_niqe, self.snapshots = niqe or best == "niqe", snapshots
        self.min_gain, self.post = float(min_gain), post
        self.definition = _definition(val_dir, crop, self.protocols, self.min_gain, post,
                                      best if self.best_key != "psnr_y_gain" else None,
                                      self.min_mean_gain)  # fmt: skip
        self._predictors = {}  # (generator, protocol) -> Predictor, built once
        # Set by `start`: the first step that counts for the best, and the best so far.
        self.since, self.best = 0, None
        self.scale, self.tile = data_cfg.scale, tile
        self.pairs = _load_pairs(val_dir, data_cfg, crop, self.protocols, log)
        self.bicubic = {
            p: self._score(lambda lr: bicubic_up(lr, self.scale), p, self.with_niqe and i == 0)
            for i, p in enumerate(self.protocols)
        }
        self.niqe_hr = None
        if self.with_niqe:
            hr = [images.to_uint8(hr) for _, _, hr in self.pairs[self.protocols[0]]]
            self.niqe_hr = np.nanmean([niqe_score(x, self.scale) for x in hr])
            log(
                f"Validation NIQE (lower: more natural): the HR images {self.niqe_hr:.3f}, "
                f"bicubic {np.nanmean(self.bicubic[self.protocols[0]][:, 3]):.3f}"
            )

    def _score(self, upscale, protocol, with_niqe=False):
        """Per image: `(psnr_y, ssim_y, colour_offset[, niqe])`, an `(n, 3 or 4)` array."""
        rows = []
        for _, lr, hr in self.pairs[protocol]:
            sr = upscale(lr)
            sr_u8 = images.to_uint8(sr)
            m = metrics.all_metrics(sr_u8, images.to_uint8(hr), sr, hr, self.scale)
            row = (m["psnr_y"], m["ssim_y"], m["colour_offset"])
            rows.append(row + (niqe_score(sr_u8, self.scale),) if with_niqe else row)
        return np.array(rows, np.float64)

    def __call__(self, generator: keras.Model) -> dict[str, float]:
        """Means over the images under the first protocol (`psnr_y`, `ssim_y` and their gains
        against bicubic), the smallest per-image PSNR-Y gain under any protocol, the largest
        colour offset under the first, and with several protocols each one's mean gain
        (`<protocol>_psnr_y_gain`)."""
        out, gains = {}, []
        for i, p in enumerate(self.protocols):
            predict = self._predictor(generator, p)
            rows = self._score(
                lambda lr, f=predict: inference.upscale(f, lr, self.tile),
                p,
                self.with_niqe and i == 0,
            )
            gain = rows[:, 0] - self.bicubic[p][:, 0]
            gains.append(gain)
            if i == 0:
                out |= {
                    "psnr_y": rows[:, 0].mean(),
                    "ssim_y": rows[:, 1].mean(),
                    "psnr_y_gain": gain.mean(),
                    "ssim_y_gain": (rows[:, 1] - self.bicubic[p][:, 1]).mean(),
                    "max_colour_offset": rows[:, 2].max(),
                }
                if self.with_niqe:  # NaN for an image too small to score (fewer than 2 blocks)
                    bicubic = self.bicubic[p][:, 3]
                    out |= {"niqe": np.nanmean(rows[:, 3]), "niqe_bicubic": np.nanmean(bicubic),
                            "niqe_hr": self.niqe_hr}  # fmt: skip
            if len(self.protocols) > 1:
                out[f"{p}_psnr_y_gain"] = gain.mean()
        out["min_psnr_y_gain"] = np.concatenate(gains).min()
        if len(self.protocols) > 1:
            out["mean_psnr_y_gain"] = np.mean([g.mean() for g in gains])
        return {k: float(v) for k, v in out.items()}

    def _predictor(self, generator, protocol):
        """The traced predictor of `generator` under `protocol`, built on the first call (the
        generator's weights change between validations; its model and trace do not)."""
        key = (id(generator), protocol)
        if key not in self._predictors:  # (the generator is kept: its id is not reused)
            post = dataclasses.replace(self.post, protocol=protocol)
            self._predictors[key] = (generator, inference.predictor(generator, post))
        return self._predictors[key][1]

    @property
    def fields(self) -> list[str]:
        """The history columns beyond `history.VAL_FIELDS` (one gain per protocol, NIQE)."""
        out = [f"val_{k}" for k in NIQE_FIELDS] if self.with_niqe else []
        if len(self.protocols) < 2:
            return out
        return [f"val_{p}_psnr_y_gain" for p in self.protocols] + ["val_mean_psnr_y_gain", *out]

    def start(
        self, run_dir: str | Path, step: int, rows: list[dict], log: Callable[..., None] = print
    ) -> bool:
        """Reads (or writes) the run's `validation.json` and finds the best so far in the
        history `rows` (`self.since`, `self.best`); returns whether this definition starts at
        `step` (a new run, or one resumed with another folder, crop, protocols or rule)."""
        path = Path(run_dir) / STATE
        state = json.loads(path.read_text()) if path.is_file() else None
        if state is not None and state["definition"] == self.definition:
            self.since = state["since_step"]
            self.best = best_of(rows, self.since, self.best_key, self.min_gain,
                                self.min_mean_gain)  # fmt: skip
            return False
        if state is not None:
            log(
                f"Validation changed since the run's last start ({state['definition']} -> "
                f"{self.definition}): earlier scores are not comparable or not ranked alike, so "
                f"the best step is chosen from step {step} on"
            )
        atomic.write_text(path, json.dumps({"definition": self.definition, "since_step": step}))
        self.since, self.best = step, None
        return True

    def plot(self, rows: list[dict], run_dir: str | Path) -> None:
        """Redraws the validation curve from the history rows (once the new row is written)."""
        from srgan_tf.training.plots import plot_validation

        plot_validation(rows, Path(run_dir) / "plots" / "validation.png", self.since,
                        self.best and self.best[1])  # fmt: skip

    def record(
        self,
        generator: keras.Model,
        step: int,
        tb: object,
        run_dir: str | Path,
        log: Callable[..., None] = print,
    ) -> dict:
        """Scores `generator` at `step`; a new best (the rule of `best_of`) goes to
        `run_dir/g_best.weights.h5`, the scores to TensorBoard and the log line (with the best
        step so far). Returns the history columns (`val_*`)."""
        import tensorflow as tf

        from srgan_tf import weights

        scores = self(generator)
        key, best = self.best_key, self.best
        if passes_guards(scores, self.min_gain, self.min_mean_gain) and (
            best is None or better(key, scores[key], best[0])
        ):
            weights.save_weights(generator, Path(run_dir) / "g_best.weights.h5")
            best = self.best = (scores[key], step)
        if self.snapshots:
            path = Path(run_dir) / "snapshots" / f"g_step{step:07d}.weights.h5"
            weights.save_weights(generator, path)
        log(_line(scores, step, best, key, self))
        if tb is not None:
            with tb.as_default(step=step):
                for k, v in scores.items():
                    tf.summary.scalar(f"validation/{k}", v)
        return {f"val_{k}": round(v, 5) for k, v in scores.items()}


def _line(scores: dict, step: int, best: tuple | None, key: str, v: Validator) -> str:
    """The log line of one validation: its scores and the best step so far."""
    others = "".join(
        f", {p} {scores[f'{p}_psnr_y_gain']:+.3f}"
        for p in v.protocols[1:]
        if f"{p}_psnr_y_gain" in scores
    )
    line = (
        f"validation at step {step}: PSNR-Y {scores['psnr_y']:.3f} dB "
        f"({scores['psnr_y_gain']:+.3f} over bicubic{others}; worst image "
        f"{scores['min_psnr_y_gain']:+.3f}), SSIM-Y {scores['ssim_y']:.4f} "
        f"({scores['ssim_y_gain']:+.4f}), colour offset {scores['max_colour_offset']:.2f}"
    )
    if "niqe" in scores:
        line += (
            f", NIQE {scores['niqe']:.3f} (bicubic {scores['niqe_bicubic']:.3f}, "
            f"HR {scores['niqe_hr']:.3f})"
        )
    if best:
        if key == "niqe":
            return line + f"; best NIQE {best[0]:.3f} at step {best[1]} (g_best.weights.h5)"
        which = " (mean of the protocols)" if key == "mean_psnr_y_gain" else ""
        return line + f"; best {best[0]:+.3f} dB{which} at step {best[1]} (g_best.weights.h5)"
    mean_bar = f", a mean gain of {v.min_mean_gain:+g} dB" if v.min_mean_gain is not None else ""
    return (
        line
        + "; no step yet has every image above bicubic"
        + (f" {v.min_gain:+g} dB" if v.min_gain else "")
        + f"{mean_bar} and a colour offset within {MAX_COLOUR_OFFSET:g} level"
        + " (no g_best.weights.h5)"
    )
