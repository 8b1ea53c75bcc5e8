"""Image files in and out of `--mode=upscale`: which files a run reads, where each output goes,
and one file super-resolved as the user gave it (grayscale stays grayscale, alpha kept)."""

import os
from pathlib import Path

import numpy as np

from srgan_tf.config import DEFAULT_TILE, IMAGE_FORMATS
from srgan_tf.data import images
from srgan_tf.inference.tiling import Predictor, upscale


def upscale_file(
    predict: Predictor,
    path: str | os.PathLike,
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
    alpha = None
    if "rgba" in conversions:
        raw = np.asarray(iio.imread(path))
        alpha = images.to_rgb8(raw[..., -1])[0][..., :1]
    gray = "grayscale" in conversions
    sr = upscale(predict, rgb, tile, to_uint8=True, progress=Path(path).name if progress else "",
                 alpha=alpha, gray=gray)  # fmt: skip
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
