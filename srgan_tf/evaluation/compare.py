"""Side-by-side crops of one photograph: LR, bicubic, SR and HR (`--mode=compare`).

The HR image is degraded under an evaluation protocol, super-resolved with tiled inference
and bicubic-upscaled; one window of each is shown at the HR scale, titled with the whole
image's PSNR-Y and NIQE (the HR's NIQE on its panel); with back-projection, the consistent SR beside the raw one. The window is the
user's (`--window_at`) or, by default, the one with the most
detail in the HR image (largest Laplacian energy), chosen without looking at the SR output.
"""

from pathlib import Path

import numpy as np

from srgan_tf import data, inference, protocols
from srgan_tf.config import AUTO_TILE, DataConfig
from srgan_tf.data import images
from srgan_tf.evaluation import figures, metrics
from srgan_tf.evaluation.niqe import niqe
from srgan_tf.inference.beside_raw import PostProcessed
from srgan_tf.inference.upscaling import Predictor


def most_detailed_window(hr_u8: np.ndarray, size: int, stride: int = 16) -> tuple[int, int]:
    """`(y, x)` of the `size` x `size` window with the largest mean squared Laplacian of luma."""
    y = metrics.rgb_to_y(hr_u8)
    lap = np.zeros_like(y)
    lap[1:-1, 1:-1] = (
        y[:-2, 1:-1] + y[2:, 1:-1] + y[1:-1, :-2] + y[1:-1, 2:] - 4 * y[1:-1, 1:-1]
    ) ** 2
    integral = np.pad(lap.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    h, w = y.shape
    best, where = -1.0, (0, 0)
    for top in range(0, max(1, h - size + 1), stride):
        for left in range(0, max(1, w - size + 1), stride):
            b, r = min(h, top + size), min(w, left + size)
            energy = integral[b, r] - integral[top, r] - integral[b, left] + integral[top, left]
            if energy > best:
                best, where = energy, (top, left)
    return where


def compare_figure(
    predict: Predictor,
    hr_rgb: np.ndarray,
    out_path: str | Path,
    data_cfg: DataConfig,
    crop: int = 256,
    box: tuple[int, int] | None = None,
    name: str = "SR",
    title: str = "",
    tile: int = AUTO_TILE,
    post: PostProcessed | None = None,
) -> dict:
    """Writes the panel figure for one HR image and returns the PSNR-Y of bicubic and SR.

    Args:
        predict: an `inference.predictor` of the raw generator.
        hr_rgb: `(h, w, 3)` uint8 HR image.
        out_path: the PNG to write.
        data_cfg: a `DataConfig` (its protocol and scale make the LR).
        crop: side of the shown window, in HR pixels.
        box: `(y, x)` of the window's top-left corner; None picks the most detailed window.
        name: the SR panel's label (the model's name).
        title: the figure's title.
        tile: tiled-inference tile side (0: whole images).
        post: an `inference.PostProcessed` of the same generator: one more panel, the SR
            self-ensembled, back-projected and gated as it says (labelled
            `<name>+xn+bpN+gateF`); None or an empty one: no such panel. Its back-projection
            protocol should be `data_cfg`'s.

    Returns:
        `{label: {"psnr_y": dB, "niqe": score}}` of the whole image for bicubic, the SR and
        (with post-processing) the post-processed SR, and `{"HR": {"niqe": score}}` (NaN: an
        image too small for NIQE's two 96-px blocks).
    """
    s = data_cfg.scale
    lr, hr = data.eval_pair(hr_rgb, data_cfg)
    outputs = {
        "bicubic": protocols.bicubic_up(lr, s),
        name: inference.upscale(predict, lr, tile),
    }
    if post:
        outputs[f"{name}{post.label}"] = post(lr, outputs[name])
    hr_u8 = images.to_uint8(hr)
    as_u8 = {label: images.to_uint8(np.asarray(f)) for label, f in outputs.items()}
    scores = {
        label: {
            "psnr_y": metrics.all_metrics(as_u8[label], hr_u8, np.asarray(f), hr, s)["psnr_y"],
            "niqe": niqe(as_u8[label], s),
        }
        for label, f in outputs.items()
    }
    scores["HR"] = {"niqe": niqe(hr_u8, s)}
    crop = min(crop, *hr_u8.shape[:2]) // s * s
    y, x = box if box is not None else most_detailed_window(hr_u8, crop)
    y, x = y // s * s, x // s * s
    lr_big = np.repeat(np.repeat(images.to_uint8(lr), s, axis=0), s, axis=1)
    window = (slice(y, y + crop), slice(x, x + crop))
    panels = [(lr_big[window], f"LR (x{s}, nearest)")]
    panels += [
        (
            img[window],
            f"{label}: {scores[label]['psnr_y']:.2f} dB, NIQE {scores[label]['niqe']:.2f}",
        )
        for label, img in as_u8.items()
    ]
    panels.append((hr_u8[window], f"HR: NIQE {scores['HR']['niqe']:.2f}"))
    figures.four_panels(
        panels,
        f"{title}  window ({y}, {x}) {crop}x{crop} px; PSNR-Y and NIQE (lower: more natural) "
        f"of the whole image, protocol {data_cfg.protocol!r}",
        out_path,
    )
    return scores
