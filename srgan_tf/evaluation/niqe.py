"""NIQE, the no-reference naturalness score (Mittal, Soundararajan and Bovik, "Making a
'completely blind' image quality analyzer", IEEE SPL 2013), computed as the authors' MATLAB
release computes it (`computequality.m`), on the luma as perceptual-SR tables report it.

NIQE fits a multivariate Gaussian to statistics of an image's locally normalised luminance
(MSCN coefficients and their neighbour products, at two scales, per 96x96 block) and returns
its distance from the Gaussian of a corpus of pristine photographs. Lower is more natural.
It needs no reference image, so it rewards natural-looking texture whether or not the texture
is the right one: read it beside PSNR/SSIM, which measure fidelity to the ground truth.

The pristine model (`data/niqe_pris_params.npz`: the release's `mu_prisparam`,
`cov_prisparam` and its 7x7 Gaussian window) is the file BasicSR 1.4.2 ships
(`basicsr/metrics/niqe_pris_params.npz`, Apache-2.0); its values are the MATLAB release's
(LIVE, UT Austin; see `data/NIQE_PARAMS.md`).

As BasicSR does, and as its docstring's MATLAB value is computed: the luma is MATLAB's
`rgb2ycbcr` Y of the uint8 RGB image, rounded to integers, `border` pixels cropped on each
side, then cut to whole 96x96 blocks from the top left.
"""

import functools
import importlib.resources

import numpy as np
from scipy import ndimage
from scipy.special import gamma

from srgan_tf.config import NIQE_BLOCK
from srgan_tf.evaluation.metrics import crop_border, rgb_to_y

BLOCK = NIQE_BLOCK  # the release's recommended block side (its pristine model was fitted with it)
# The AGGD shape grid of `estimateaggdparam.m` (0.2:0.001:10) and its moment ratios.
_SHAPES = 0.2 + 0.001 * np.arange(9801)
_RATIOS = gamma(2 / _SHAPES) ** 2 / (gamma(1 / _SHAPES) * gamma(3 / _SHAPES))
# circshift offsets of `computefeature.m` (rows, columns): horizontal, vertical, two diagonals.
_SHIFTS = ((0, 1), (1, 0), (1, 1), (-1, 1))


@functools.cache
def _pristine() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pristine model: mean (36,), covariance (36, 36) and the 7x7 Gaussian window."""
    ref = importlib.resources.files("srgan_tf.evaluation") / "data" / "niqe_pris_params.npz"
    with ref.open("rb") as f, np.load(f) as params:
        return (
            params["mu_pris_param"].ravel(),
            params["cov_pris_param"],
            params["gaussian_window"],
        )


def niqe(rgb_u8: np.ndarray, border: int = 0) -> float:
    """NIQE of a uint8 image (`(h, w, 3)` RGB or `(h, w)` gray), lower is more natural.

    Args:
        rgb_u8: the image, uint8 (or integer-valued floats in [0, 255]).
        border: pixels cropped on each side first (the scale, as PSNR crops, or 0).

    Returns:
        The score; NaN if fewer than two 96x96 blocks fit after the crop, or fewer than two
        blocks have texture (a flat block has no MSCN statistics).
    """
    x = np.asarray(rgb_u8)
    y = rgb_to_y(x) if x.ndim == 3 else x.astype(np.float64)
    return niqe_luma(np.round(crop_border(y, border)))


def niqe_luma(y: np.ndarray) -> float:
    """NIQE of a `(h, w)` luma in [0, 255] as given (no rounding, no crop)."""
    rows, cols = y.shape[0] // BLOCK, y.shape[1] // BLOCK
    if rows * cols < 2:
        return float("nan")
    y = np.asarray(y, np.float64)[: rows * BLOCK, : cols * BLOCK]
    mu_pris, cov_pris, window = _pristine()
    features = []
    for scale in (1, 2):
        features.append(_block_features(_mscn(y, window), rows, cols, BLOCK // scale))
        if scale == 1:
            y = _half(y)
    features = np.concatenate(features, axis=1)
    complete = features[~np.isnan(features).any(axis=1)]
    if len(complete) < 2:  # flat almost everywhere: no covariance to fit (MATLAB: NaN)
        return float("nan")
    mu = np.nanmean(features, axis=0)
    cov = np.cov(complete, rowvar=False)
    diff = mu_pris - mu
    return float(np.sqrt(diff @ np.linalg.pinv((cov_pris + cov) / 2) @ diff))


def _mscn(y: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Mean-subtracted contrast-normalised coefficients (`imfilter(..., 'replicate')`)."""
    mu = ndimage.correlate(y, window, mode="nearest")
    sigma = np.sqrt(np.abs(ndimage.correlate(y * y, window, mode="nearest") - mu * mu))
    return (y - mu) / (sigma + 1)


def _half(y: np.ndarray) -> np.ndarray:
    """MATLAB `imresize(y, 0.5)`: antialiased bicubic, mirrored borders (the paper protocol's
    kernel at scale 2, as `protocols.down_kernel` writes it), in float64."""
    from srgan_tf.protocols import down_kernel  # imports TensorFlow; NIQE itself does not

    taps, pad = down_kernel("paper", 2)
    for axis in (0, 1):
        x = np.pad(y, [(pad, pad) if a == axis else (0, 0) for a in (0, 1)], mode="symmetric")
        n = y.shape[axis] // 2
        y = sum(t * np.take(x, np.arange(k, k + 2 * n, 2), axis=axis) for k, t in enumerate(taps))
    return y


def _block_features(mscn: np.ndarray, rows: int, cols: int, side: int) -> np.ndarray:
    """`(rows * cols, 18)`: `computefeature.m`'s features of every block."""
    blocks = mscn.reshape(rows, side, cols, side).swapaxes(1, 2).reshape(-1, side, side)
    alpha, left, right = _aggd(blocks.reshape(len(blocks), -1))
    columns = [alpha, (left + right) / 2]
    for shift in _SHIFTS:
        pairs = blocks * np.roll(blocks, shift, axis=(1, 2))
        alpha, left, right = _aggd(pairs.reshape(len(blocks), -1))
        mean = (right - left) * gamma(2 / alpha) / gamma(1 / alpha)
        columns += [alpha, mean, left, right]
    return np.stack(columns, axis=1)


def _aggd(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`estimateaggdparam.m` per row of `x`: the shape alpha and the left and right scales of
    an asymmetric generalised Gaussian, by moment matching on the shape grid.

    As MATLAB's `min` (and numpy's `argmin`) do, a row whose ratio is not finite (a flat block:
    no negative or no positive values) gets the grid's first shape, 0.2, and NaN scales."""
    with np.errstate(invalid="ignore", divide="ignore"):
        left = np.sqrt((x**2 * (x < 0)).sum(1) / (x < 0).sum(1))
        right = np.sqrt((x**2 * (x > 0)).sum(1) / (x > 0).sum(1))
        g = left / right
        rhat = np.abs(x).mean(1) ** 2 / (x**2).mean(1)
        ratio = rhat * (g**3 + 1) * (g + 1) / (g**2 + 1) ** 2
    alpha = _SHAPES[_nearest(ratio)]
    scale = np.sqrt(gamma(1 / alpha) / gamma(3 / alpha))
    return alpha, left * scale, right * scale


def _nearest(ratio: np.ndarray) -> np.ndarray:
    """The index of the grid ratio nearest each value, the first on a tie (`argmin` of the
    squared difference; the ratios increase with the shape, so a binary search finds it)."""
    finite = np.isfinite(ratio)
    r = np.where(finite, ratio, 0.0)
    hi = np.clip(np.searchsorted(_RATIOS, r), 1, len(_RATIOS) - 1)
    lo = hi - 1
    pick = np.where((_RATIOS[lo] - r) ** 2 <= (_RATIOS[hi] - r) ** 2, lo, hi)
    return np.where(finite, pick, 0)
