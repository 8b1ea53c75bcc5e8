"""Super-resolves images of any size with bounded memory: tiled inference with overlap.

Whole-image float32 inference needs about 11.7 KB of RAM per input pixel (a 2040x1356 input
would need about 32 GB). Tiles that overlap their neighbours by at least the generator's
receptive field (about 36 input pixels, and 5 more per back-projection step) give the
whole-image result, with no seams: every output pixel sees exactly the input it would see in
one pass, and image borders stay borders.
"""

import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tqdm import tqdm

from srgan_tf.config import DEFAULT_TILE, IMAGE_FORMATS
from srgan_tf.data import images
from srgan_tf.inference.post_processing import NONE, PostProcessing

RECEPTIVE_RADIUS = 36  # input pixels: 35 3x3 convs at LR, one at 2x (half an LR pixel)
OVERLAP = RECEPTIVE_RADIUS + 4  # context kept around each tile's core


def overlap_for(post: PostProcessing = NONE) -> int:
    """Input pixels of context each tile keeps: the generator's, and what the steps and the
    gate after it reach (the self-ensemble reaches no further)."""
    return OVERLAP + post.margin


class Predictor:
    """A traced `(1, h, w, 3) -> (1, 4h, 4w, 3)` function that never retraces for new sizes: the
    generator wrapped and followed as `post` says; `overlap` is the context its tiles need (the
    receptive field grows with each step and with the gate)."""

    def __init__(self, generator: keras.Model, post: PostProcessing = NONE):
        self.post = post
        self.model = post.model(generator)
        self.overlap = overlap_for(post)
        spec = tf.TensorSpec([None, None, None, 3], tf.float32)
        self._fn = tf.function(lambda x: self.model(x, training=False), input_signature=[spec])

    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        return self._fn(x)


def predictor(generator: keras.Model, post: PostProcessing = NONE) -> Predictor:
    """A `Predictor` of the generator (see there)."""
    return Predictor(generator, post)


def _starts(length, core):
    return list(range(0, length, core))


def upscale(
    predict: Predictor,
    lr: np.ndarray,
    scale: int = 4,
    tile: int = DEFAULT_TILE,
    overlap: int | None = None,
    to_uint8: bool = False,
    progress: str = "",
) -> np.ndarray:
    """Super-resolves one image.

    Args:
        predict: a function from `predictor` (or any `(1, h, w, 3) -> (1, sh, sw, 3)` callable).
        lr: `(h, w, 3)` float32 in [-1, 1].
        scale: the generator's factor.
        tile: input tile side including the overlap on each side; 0 for one whole pass.
        overlap: context pixels around each tile's core (at least the receptive radius for an
            exact result; default: the predictor's own, else `OVERLAP`).
        to_uint8: return uint8 pixels (a quarter of the memory of float32 for big outputs).
        progress: when given, a progress bar of the tiles with this label (on stderr, cleared
            when done): a large photo through the self-ensemble takes minutes.

    Returns:
        `(scale*h, scale*w, 3)` float32 in [-1, 1], or uint8.

    Raises:
        ValueError: a tile too small for its overlap.
    """
    if overlap is None:
        overlap = getattr(predict, "overlap", OVERLAP)
    h, w = lr.shape[:2]
    out_dtype = np.uint8 if to_uint8 else np.float32
    if not tile or (h <= tile and w <= tile):
        sr = predict(tf.constant(lr[None], tf.float32))[0].numpy()
        return images.to_uint8(sr) if to_uint8 else sr
    core = tile - 2 * overlap
    if core <= 0:
        raise ValueError(f"tile {tile} leaves no core after an overlap of {overlap} on each side")
    out = np.empty((h * scale, w * scale, 3), out_dtype)
    corners = [(y, x) for y in _starts(h, core) for x in _starts(w, core)]
    for y, x in tqdm(corners, desc=progress, unit="tile", leave=False, disable=not progress):
        y0, x0 = max(0, y - overlap), max(0, x - overlap)
        y1, x1 = min(h, y + core + overlap), min(w, x + core + overlap)
        sr = predict(tf.constant(lr[None, y0:y1, x0:x1], tf.float32))[0].numpy()
        cy, cx = (y - y0) * scale, (x - x0) * scale
        ch, cw = (min(h, y + core) - y) * scale, (min(w, x + core) - x) * scale
        piece = sr[cy : cy + ch, cx : cx + cw]
        out[y * scale : y * scale + ch, x * scale : x * scale + cw] = (
            images.to_uint8(piece) if to_uint8 else piece
        )
    return out


def upscale_file(
    predict: Predictor,
    path: str | os.PathLike,
    scale: int = 4,
    tile: int = DEFAULT_TILE,
    progress: bool = False,
) -> np.ndarray:
    """Super-resolves an image file, keeping what the user gave: grayscale stays grayscale and
    alpha is upscaled (bicubic) and kept. 16-bit inputs come out 8-bit. With `progress`, a bar
    of the file's tiles (labelled with its name) while it runs.

    Returns:
        The uint8 output image, `(H, W)`, `(H, W, 3)` or `(H, W, 4)`.

    Raises:
        images.BadImage: unreadable files.
    """
    import imageio.v3 as iio

    rgb, conversions = images.read_image(path)
    lr = rgb.astype(np.float32) / 127.5 - 1.0
    sr = upscale(
        predict, lr, scale, tile, to_uint8=True, progress=Path(path).name if progress else ""
    )
    if "grayscale" in conversions and "rgba" not in conversions:
        return np.round(sr.astype(np.float32).mean(axis=-1)).astype(np.uint8)
    if "rgba" in conversions:
        raw = np.asarray(iio.imread(path))
        alpha, _ = images.to_rgb8(raw[..., -1])
        a = tf.image.resize(
            alpha[None, ..., :1].astype(np.float32), sr.shape[:2], method="bicubic"
        )[0]
        a = np.clip(np.round(a.numpy()), 0, 255).astype(np.uint8)
        if "grayscale" in conversions:
            sr = np.round(sr.astype(np.float32).mean(axis=-1, keepdims=True)).astype(np.uint8)
        return np.concatenate([sr, a], axis=-1)
    return sr


OUTPUT_FORMATS = IMAGE_FORMATS


def input_files(src: str | os.PathLike, out: str | os.PathLike) -> list[Path]:
    """The files `--mode=upscale` reads: `src` itself, or every file under the folder `src`
    except those under `out` (an output folder inside the input folder holds this program's
    own outputs, which a second run must never upscale again), sorted."""
    src, out = Path(src), Path(out).absolute()
    if not src.is_dir():
        return [src]
    return sorted(p for p in src.rglob("*") if p.is_file() and not p.absolute().is_relative_to(out))


def output_paths(files, src, out, scale=4, fmt="png"):
    """Where each upscaled file goes: the input tree mirrored under `out`, `<stem>_x4.<fmt>`.

    Two inputs that would share an output (`a.jpg` and `a.png` in one folder) both keep their
    extension in the name instead (`a_jpg_x4.png`, `a_png_x4.png`): no output overwrites another.

    Args:
        files: input paths (under `src` when `src` is a folder).
        src: the file or folder the user gave.
        out: the output folder.
        scale, fmt: the factor and the output format (one of OUTPUT_FORMATS).

    Returns:
        `{input path: output path}`.
    """
    if fmt not in OUTPUT_FORMATS:
        raise ValueError(f"output format must be one of {OUTPUT_FORMATS}, got {fmt!r}")
    src, out = Path(src), Path(out)

    def target(path, keep_ext):
        rel = path.relative_to(src).parent if src.is_dir() else Path()
        ext = f"_{path.suffix.lower().lstrip('.')}" if keep_ext else ""
        return out / rel / f"{path.stem}{ext}_x{scale}.{fmt}"

    plain = [target(Path(p), False) for p in files]
    shared = {t for t in plain if plain.count(t) > 1}
    return {Path(p): target(Path(p), t in shared) for p, t in zip(files, plain)}
