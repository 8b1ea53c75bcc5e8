"""An independent numpy port of MATLAB's `imresize(x, 1/scale, 'bicubic')` (the test oracle).

Written from MATLAB's algorithm (`contributions` in imresize.m), not from srgan_tf: the cubic
kernel (a = -0.5) widened by the scale when shrinking (antialiasing), weights normalised per
output pixel, indices outside the image mirrored ('symmetric'), rows then columns.
"""

import numpy as np


def _cubic(x):
    ax = np.abs(x)
    ax2, ax3 = ax**2, ax**3
    return (1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1) + (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * (
        (ax > 1) & (ax <= 2)
    )


def _contributions(in_len, out_len, scale):
    kernel_width = 4.0
    if scale < 1:  # shrinking: antialias by stretching the kernel
        kernel_width /= scale
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)  # 1-based input coordinate of each output centre
    left = np.floor(u - kernel_width / 2)
    p = int(np.ceil(kernel_width)) + 2
    idx = left[:, None] + np.arange(p)[None, :]  # 1-based
    dist = u[:, None] - idx
    w = scale * _cubic(scale * dist) if scale < 1 else _cubic(dist)
    w /= w.sum(axis=1, keepdims=True)
    # 'symmetric' mirroring of out-of-range 1-based indices
    aux = np.concatenate([np.arange(1, in_len + 1), np.arange(in_len, 0, -1)])
    idx = aux[np.mod(idx.astype(np.int64) - 1, aux.size)] - 1  # 0-based
    return w, idx


def imresize_down(x, scale_factor):
    """MATLAB imresize(x, 1/scale_factor, 'bicubic') of an `(h, w[, c])` float array."""
    x = np.asarray(x, np.float64)
    s = 1.0 / scale_factor
    h, w = x.shape[:2]
    oh, ow = int(np.ceil(h * s)), int(np.ceil(w * s))
    wr, ir = _contributions(h, oh, s)
    x = np.einsum("ok,ok...->o...", wr, x[ir])
    wc, ic = _contributions(w, ow, s)
    x = np.einsum("ok,aok...->ao...", wc, x[:, ic])
    return x
