"""Images in and out of `--mode=upscale` and the API: which files a run reads, where each output
goes, and one image (an array or a file) super-resolved as the user gave it (grayscale stays
grayscale, alpha kept)."""

import os
from pathlib import Path

import numpy as np

from srgan_tf.config import DEFAULT_TILE, IMAGE_FORMATS
from srgan_tf.data import images
from srgan_tf.inference.tiling import Predictor, upscale


def upscale_image(
    predict: Predictor, array: np.ndarray, tile: int = DEFAULT_TILE, progress: str = ""
) -> np.ndarray:
    """Super-resolves an image array as a user has it, keeping its layout: gray `(h, w)` stays
    gray, an alpha channel (RGBA, gray + alpha) is upscaled (bicubic) and kept, 16-bit comes
    out 8-bit. Returns the uint8 output, `(4h, 4w)`, `(4h, 4w, 3)` or `(4h, 4w, 4)`.

    Raises:
        ValueError: an array that is no image (its shape named).
    """
    rgb, conversions = images.to_rgb8(array)
    alpha = None
    if "rgba" in conversions:
        alpha = images.to_rgb8(np.asarray(array)[..., -1])[0][..., :1]
    return _upscale(predict, rgb, conversions, alpha, tile, progress)


def upscale_file(
    predict: Predictor,
    path: str | os.PathLike,
    tile: int = DEFAULT_TILE,
    progress: bool = False,
) -> np.ndarray:
    """Super-resolves an image file, keeping what the user gave (`upscale_image`); phone
    photos are turned upright by their EXIF orientation first. With `progress`, a bar of the
    file's tiles (labelled with its name) while it runs.

    Raises:
        images.BadImage: unreadable files.
    """
    import imageio.v3 as iio

    rgb, conversions = images.read_image(path)
    alpha = None
    if "rgba" in conversions:
        raw = np.asarray(iio.imread(path))
        alpha = images.to_rgb8(raw[..., -1])[0][..., :1]
    return _upscale(predict, rgb, conversions, alpha, tile, Path(path).name if progress else "")


def _upscale(predict, rgb, conversions, alpha, tile, progress):
    gray = "grayscale" in conversions
    sr = upscale(predict, rgb, tile, to_uint8=True, progress=progress, alpha=alpha, gray=gray)
    return sr[..., 0] if gray and alpha is None else sr


OUTPUT_FORMATS = IMAGE_FORMATS


def input_files(src: str | os.PathLike, out: str | os.PathLike) -> list[Path]:
    """The files `--mode=upscale` reads: `src` itself, or every file under the folder `src`
    except those under `out` (an output folder inside the input folder holds this program's
    own outputs, which a second run must never upscale again), sorted."""
    src, out = Path(src), Path(out).absolute()
    if not src.is_dir():
        return [src]
    return sorted(p for p in src.rglob("*") if p.is_file() and not p.absolute().is_relative_to(out))


def output_paths(
    files: list, src: str | os.PathLike, out: str | os.PathLike, scale: int = 4, fmt: str = "png"
) -> dict[Path, Path]:
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
