"""Image quality metrics: the study's MSE on [-1, 1] images, and PSNR / SSIM as SR papers report
them (on RGB and on the BT.601 luma Y, with `scale` border pixels cropped).

SSIM is TensorFlow's (Gaussian window 11, sigma 1.5, K1 0.01, K2 0.03): the same definition as
`skimage.metrics.structural_similarity(gaussian_weights=True, use_sample_covariance=False)`.
"""

import numpy as np
import tensorflow as tf

from srgan_tf.config import SSIM_WINDOW


def rgb_to_y(rgb_u8: np.ndarray) -> np.ndarray:
    """BT.601 luma in [16, 235] of a uint8 RGB image (MATLAB's `rgb2ycbcr` Y), as float64."""
    x = np.asarray(rgb_u8, np.float64)
    return 16.0 + (65.481 * x[..., 0] + 128.553 * x[..., 1] + 24.966 * x[..., 2]) / 255.0


def crop_border(x: np.ndarray, border: int) -> np.ndarray:
    return x[border:-border, border:-border] if border else x


def psnr(a: np.ndarray, b: np.ndarray, data_range: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB (inf for identical images)."""
    mse = np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(data_range**2 / mse))


def ssim(a: np.ndarray, b: np.ndarray, data_range: float = 255.0) -> float:
    """Mean SSIM of `(h, w)` or `(h, w, c)` images (channels averaged)."""
    a = np.asarray(a, np.float32)
    b = np.asarray(b, np.float32)
    if a.ndim == 2:
        a, b = a[..., None], b[..., None]
    ssim_map = tf.image.ssim(a, b, max_val=data_range, filter_size=SSIM_WINDOW)
    return float(tf.reduce_mean(ssim_map).numpy())


def all_metrics(
    sr_u8: np.ndarray, hr_u8: np.ndarray, sr_pm1: np.ndarray, hr_pm1: np.ndarray, border: int
) -> dict[str, float]:
    """Every metric of one SR image against its HR.

    Args:
        sr_u8, hr_u8: uint8 RGB images of the same size.
        sr_pm1, hr_pm1: the same images as floats in [-1, 1] (the study's MSE uses these; the
            SR values are the generator's unrounded output).
        border: pixels cropped on each side for PSNR / SSIM (the scale, by convention).

    Returns:
        A dict: mse, one_minus_ssim, psnr_rgb, ssim_rgb, psnr_y, ssim_y, and colour_offset:
        the largest difference between an RGB channel's mean and the HR's, in levels of 255
        (a colour cast; bicubic stays within a level).
    """
    s, h = crop_border(sr_u8, border), crop_border(hr_u8, border)
    sy, hy = rgb_to_y(s), rgb_to_y(h)
    ssim_rgb = ssim(s, h)
    return {
        "mse": float(
            np.mean((np.asarray(sr_pm1, np.float64) - np.asarray(hr_pm1, np.float64)) ** 2)
        ),
        "one_minus_ssim": 1.0 - ssim_rgb,
        "psnr_rgb": psnr(s, h),
        "ssim_rgb": ssim_rgb,
        "psnr_y": psnr(sy, hy),
        "ssim_y": ssim(sy, hy),
        "colour_offset": colour_offset(s, h),
    }


def colour_offset(a_u8: np.ndarray, b_u8: np.ndarray) -> float:
    """Largest |mean(a_c) - mean(b_c)| over the RGB channels, in levels of 255."""
    a = np.asarray(a_u8, np.float64).reshape(-1, 3).mean(axis=0)
    b = np.asarray(b_u8, np.float64).reshape(-1, 3).mean(axis=0)
    return float(np.abs(a - b).max())


BICUBIC = "bicubic"  # the baseline's name in every results table


def best_model(results: dict, metric: str, cls: str, include_bicubic: bool = False) -> str:
    """The model with the best `metric` on `cls` in a `{metric: {cls: {model: value}}}` table."""
    row = {m: v for m, v in results[metric][cls].items() if include_bicubic or m != BICUBIC}
    pick = min if metric in LOWER_IS_BETTER else max
    return pick(row, key=row.get)


# Lower is better for these; higher for the others.
LOWER_IS_BETTER = {"mse", "one_minus_ssim", "colour_offset", "niqe"}
