"""Images in and out of `--mode=upscale` and the API: which files a run reads, where each output
goes, and one image (an array or a file) super-resolved as the user gave it (grayscale stays
grayscale, alpha kept)."""

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from srgan_tf.config import AUTO_TILE, IMAGE_FORMATS
from srgan_tf.data import images
from srgan_tf.inference.upscaling import Predictor, upscale


def upscale_image(
    predict: Predictor, array: np.ndarray, tile: int = AUTO_TILE, progress: str = ""
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
    tile: int = AUTO_TILE,
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


def upscale_tree(
    upscale_one: Callable[[Path, bool], np.ndarray],
    src: str | os.PathLike,
    output: str | os.PathLike,
    fmt: str = "png",
    overwrite: bool = False,
    progress: bool = False,
    on_skip: Callable[[str], object] | None = None,
) -> tuple[list[Path], list[Path], dict[str, str]]:
    """`upscale_one(path, progress)` of a file, or of every file of a folder's tree, written
    into `output` (`output_paths`); outputs that exist already are kept unless `overwrite`.
    Unreadable files (and out-of-memory ones) are skipped and named to `on_skip`; every output
    is written atomically. Returns `(written, kept, skipped: {path: reason})`."""
    import tensorflow as tf
    from tqdm import tqdm

    src, output = Path(src), Path(output)
    inputs = input_files(src, output)
    targets = output_paths(inputs, src, output, 4, fmt)
    todo = [p for p in inputs if overwrite or not targets[p].is_file()]
    written, kept, skipped = [], [targets[p] for p in inputs if p not in todo], {}
    # The next photo is computed while the previous one is encoded and written, on one thread
    # beside it (zlib and TensorFlow release the GIL); at most one output waits, so the memory
    # is that of two outputs, not of the folder.
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending = None
        for path in tqdm(todo, desc="upscale", unit="image", disable=not progress):
            try:
                sr = upscale_one(path, progress)
            except images.BadImage as e:
                skipped[str(path)] = e.reason
                on_skip and on_skip(f"skipped {e}")
                continue
            except tf.errors.ResourceExhaustedError:
                skipped[str(path)] = "out of memory; try a smaller tile"
                on_skip and on_skip(f"skipped {path}: out of memory; try a smaller --tile")
                continue
            if fmt == "jpg" and sr.ndim == 3 and sr.shape[-1] == 4:
                sr = sr[..., :3]  # JPEG has no alpha channel
            if pending is not None:
                pending.result()  # (a write's error, a full disk, surfaces here)
            pending = writer.submit(images.write_image, targets[path], sr)
            written.append(targets[path])
        if pending is not None:
            pending.result()
    return written, kept, skipped
