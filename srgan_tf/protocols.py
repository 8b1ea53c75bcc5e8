"""The LR protocols: how a low-resolution image is made from a high-resolution one, and back.

Shared maths, in a neutral place: the data pipeline degrades with them, the models'
back-projection and detail gate are built from their kernels, evaluation scores under them.

- `study`: TensorFlow's plain bicubic x4 (no antialiasing), unquantised, as the study and the
  tensorlayer reference make their LR.
- `paper`: MATLAB `imresize` bicubic x4 (antialiased), quantised to uint8, as SR papers make
  theirs (and as real photographs are: optics and sensors low-pass before sampling).

Besides the `tf.image` forms that the data pipeline and evaluation use, each downscaler (and
TensorFlow's bicubic upscale) is written here as a fixed convolution (`down_kernel`,
`up_kernel`): the same numbers (tested to 1e-6), built only from convolutions, padding and
depth-to-space, so that back-projection runs unchanged in Keras, inside a SavedModel and in
TFLite, whose builtins have no antialiased or bicubic resize.
"""

import numpy as np
import tensorflow as tf

from srgan_tf.config import post_processing_problem

DESCRIPTIONS = {
    "study": "LR = TensorFlow's bicubic x4 (no antialiasing), unquantised, as the study",
    "paper": "LR = MATLAB imresize bicubic x4 (antialiased), uint8, as SR papers",
}


def check(protocol: str) -> str:
    """`protocol`, or a ValueError naming the valid ones."""
    problem = post_processing_problem(protocol=protocol)
    if problem:
        raise ValueError(problem)
    return protocol


def bicubic_downscale(hr: tf.Tensor, scale: int, antialias: bool = False) -> tf.Tensor:
    """Bicubic downscale of `(h, w, 3)` or `(b, h, w, 3)` floats by `scale` (h, w multiples of it)."""
    batched = hr.shape.rank == 4
    x = hr if batched else hr[None]
    size = tf.shape(x)[1:3] // scale
    lr = tf.image.resize(x, size, method="bicubic", antialias=antialias)
    return lr if batched else lr[0]


def symmetric_pad(x: tf.Tensor, pad: int | tuple, after: int | tuple | None = None) -> tf.Tensor:
    """`(b, h, w, c)` mirrored by `pad` pixels before and `after` (default: `pad`) after, on h
    and w, edge pixels repeated ('symmetric', MATLAB's and `tf.pad(mode="SYMMETRIC")`'s rule),
    for any size: where a pad exceeds a side (a 1x2 photo) the mirroring repeats, as MATLAB's
    `imresize` indexes (`mod(i, 2n)`), where `tf.pad` would refuse. `pad` and `after` are ints
    or `(y, x)` pairs, Python or tensors. A gather of indices, so it also runs inside a
    SavedModel and in TFLite's builtins."""
    before = pad if isinstance(pad, (tuple, list)) else (pad, pad)
    after = before if after is None else after
    after = after if isinstance(after, (tuple, list)) else (after, after)
    for axis, b, a in ((1, before[0], after[0]), (2, before[1], after[1])):
        n = tf.shape(x)[axis]
        i = tf.math.floormod(tf.range(-b, n + a), 2 * n)
        x = tf.gather(x, tf.where(i < n, i, 2 * n - 1 - i), axis=axis)
    return x


def matlab_downscale(hr: tf.Tensor, scale: int) -> tf.Tensor:
    """MATLAB `imresize(hr, 1/scale, 'bicubic')` of `(h, w, 3)` or `(b, h, w, 3)` floats.

    The antialiased Keys cubic (a = -0.5) stretched by `scale`, as TensorFlow's antialiased
    bicubic computes it; MATLAB mirrors the image at its borders ('symmetric') where
    TensorFlow renormalises the truncated kernel, so the image is mirrored by two LR pixels
    first and those are cropped after (the kernel reaches 2 * scale HR pixels out).
    """
    batched = hr.shape.rank == 4
    x = hr if batched else hr[None]
    pad = 2 * scale
    x = symmetric_pad(x, pad)
    size = tf.shape(x)[1:3] // scale
    lr = tf.image.resize(x, size, method="bicubic", antialias=True)[:, 2:-2, 2:-2]
    return lr if batched else lr[0]


def quantize(x_pm1: tf.Tensor) -> tf.Tensor:
    """Rounds a [-1, 1] image to the 256 levels of a uint8 image (clipping first, as saving does)."""
    return tf.round((tf.clip_by_value(x_pm1, -1.0, 1.0) + 1.0) * 127.5) / 127.5 - 1.0


def downscale(hr: tf.Tensor, scale: int, protocol: str) -> tf.Tensor:
    """The protocol's downscaler, unquantised (what back-projection compares with the LR)."""
    if check(protocol) == "study":
        return bicubic_downscale(hr, scale)
    return matlab_downscale(hr, scale)


def degrade(hr: tf.Tensor, scale: int, protocol: str) -> tf.Tensor:
    """The LR of an HR image under a protocol (see the module docstring)."""
    lr = downscale(hr, scale, protocol)
    return quantize(lr) if protocol == "paper" else lr


def bicubic_up(lr: np.ndarray, scale: int) -> np.ndarray:
    """The bicubic baseline: `(h, w, 3)` [-1, 1] floats upscaled by `scale`, clipped to [-1, 1]."""
    up = tf.image.resize(lr[None], [lr.shape[0] * scale, lr.shape[1] * scale], method="bicubic")[0]
    return np.clip(up.numpy(), -1.0, 1.0)


def keys_cubic(t: np.ndarray, a: float = -0.5) -> np.ndarray:
    """Keys' cubic convolution kernel (a = -0.5: MATLAB's and TensorFlow's bicubic)."""
    t = np.abs(np.asarray(t, np.float64))
    inner = (a + 2) * t**3 - (a + 3) * t**2 + 1
    outer = a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a
    return np.where(t <= 1, inner, np.where(t < 2, outer, 0.0))


def down_kernel(protocol: str, scale: int) -> tuple[np.ndarray, int]:
    """`(taps, pad)`: the 1-D taps of the protocol's downscaler as a stride-`scale` convolution
    (applied separably), and the mirror padding it needs on each side.

    An LR pixel i sits at HR coordinate `scale * i + (scale - 1) / 2` (half-pixel centres).
    study: the plain cubic at the 4 nearest HR pixels; paper: the cubic stretched by `scale`
    (antialiasing) over `4 * scale` HR pixels, which reaches `1.5 * scale` pixels outside the
    LR pixel's own block, mirrored at image borders as MATLAB does.
    """
    centre = (scale - 1) / 2
    if check(protocol) == "study":
        return keys_cubic(np.arange(scale) - centre), 0
    pad = 3 * scale // 2
    offsets = np.arange(-pad, scale + pad) - centre
    return keys_cubic(offsets / scale) / scale, pad


def up_kernel(scale: int) -> tuple[np.ndarray, int]:
    """`(taps, pad)`: TensorFlow's bicubic upscale by `scale` as `scale` phases of 5 LR taps,
    `taps[k]` for output pixel `scale * i + k` over LR pixels i-2..i+2; zero padding of 2,
    with the weights of out-of-image taps renormalised away, as TensorFlow's Keys cubic does."""
    taps = np.zeros((scale, 5))
    for k in range(scale):
        x = (k + 0.5) / scale - 0.5  # the output pixel's position in LR pixels, from i
        taps[k] = keys_cubic(np.arange(-2, 3) - x)
    return taps, 2
