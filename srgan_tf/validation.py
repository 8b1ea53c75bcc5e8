"""Validation during training: the generator scored on held-aside images every N steps.

The images are a folder of their own (`--val_dir`, e.g. the photo corpus' validation split),
never trained on. Each is degraded under the run's evaluation protocol (`DataConfig.protocol`),
super-resolved and scored with `srgan_tf.metrics` (the metric code `evaluate` uses): mean
PSNR-Y and SSIM-Y, and their gains over bicubic, which are computed once. The best step so far
is kept, and its generator is written to `g_best.weights.h5` beside `g.weights.h5`, so the
snapshot to ship can be picked by validation alone.
"""

from pathlib import Path

import numpy as np

from srgan_tf import data, datasets, evaluation, images, inference, metrics

KEYS = ("psnr_y", "ssim_y", "psnr_y_gain", "ssim_y_gain")


class Validator:
    """Scores a generator on a folder of validation images.

    Args:
        val_dir: folder of images (every readable file, any layout).
        data_cfg: a `DataConfig` (its `protocol` and `scale` make the LR).
        crop: HR side of the centre crop scored per image (0: whole images).
        tile: tiled-inference tile side (bounds memory on big images).
        log: where the loading line goes.

    Raises:
        datasets.DataError: a missing folder or one without readable images.
    """

    def __init__(self, val_dir, data_cfg, crop=0, tile=inference.DEFAULT_TILE, log=print):
        root = Path(val_dir)
        classes, unknown = datasets.discover(root)
        paths = sorted([*unknown, *(p for files in classes.values() for p in files)])
        report = datasets.ScanReport()
        self.pairs = []
        self.scale, self.tile = data_cfg.scale, tile
        for path in paths:
            try:
                rgb, _ = images.read_image(path)
            except images.BadImage as e:
                report.add_skip(e.kind)
                continue
            side = min(crop, *rgb.shape[:2]) // self.scale * self.scale if crop else 0
            self.pairs.append((path, *data.eval_pair(rgb, data_cfg, side)))
            report.used += 1
        if not self.pairs:
            raise datasets.DataError(
                f"no readable validation image in {root}: {report.summary(str(root))}"
            )
        log(f"Validation: {report.summary(str(root))}, protocol {data_cfg.protocol!r}")
        self.bicubic = self._score(lambda lr: evaluation.bicubic_up(lr, self.scale))

    def _score(self, upscale):
        rows = []
        for _, lr, hr in self.pairs:
            sr = upscale(lr)
            m = metrics.all_metrics(images.to_uint8(sr), images.to_uint8(hr), sr, hr, self.scale)
            rows.append((m["psnr_y"], m["ssim_y"]))
        return np.mean(rows, axis=0)

    def __call__(self, generator):
        """`{psnr_y, ssim_y, psnr_y_gain, ssim_y_gain}`: means over the images (gains against
        bicubic)."""
        predict = inference.predictor(generator)
        psnr_y, ssim_y = self._score(
            lambda lr: inference.upscale(predict, lr, self.scale, self.tile)
        )
        return {
            "psnr_y": float(psnr_y),
            "ssim_y": float(ssim_y),
            "psnr_y_gain": float(psnr_y - self.bicubic[0]),
            "ssim_y_gain": float(ssim_y - self.bicubic[1]),
        }

    def record(self, generator, step, history, tb, run_dir, log=print):
        """Scores `generator` at `step`; a new best goes to `run_dir/g_best.weights.h5`, the
        scores to TensorBoard and the log line (with the best step so far). Returns the
        history columns (`val_*`)."""
        import tensorflow as tf

        from srgan_tf import weights

        scores = self(generator)
        best = history.best_validation()
        if best is None or scores["psnr_y_gain"] > best[0]:
            weights.save_weights(generator, Path(run_dir) / "g_best.weights.h5")
            best = (scores["psnr_y_gain"], step)
        log(
            f"validation at step {step}: PSNR-Y {scores['psnr_y']:.3f} dB "
            f"({scores['psnr_y_gain']:+.3f} over bicubic), SSIM-Y {scores['ssim_y']:.4f} "
            f"({scores['ssim_y_gain']:+.4f}); best {best[0]:+.3f} dB at step {best[1]} "
            f"(g_best.weights.h5)"
        )
        if tb is not None:
            with tb.as_default(step=step):
                for k, v in scores.items():
                    tf.summary.scalar(f"validation/{k}", v)
        return {f"val_{k}": round(v, 5) for k, v in scores.items()}
