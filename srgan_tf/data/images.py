"""Reads any user image into 8-bit RGB, or says plainly why it cannot; writes images atomically.

Grayscale becomes RGB, alpha is dropped, 16-bit is scaled to 8-bit. A file that is not an image,
or a truncated or corrupt one, raises `BadImage` with the reason so callers can skip and count it.
"""

import os
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from srgan_tf import atomic
from srgan_tf.config import PNG_LEVEL

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


class BadImage(ValueError):
    """An image that cannot be used; `kind` is "not_image" or "corrupt"."""

    def __init__(self, path: str | os.PathLike, kind: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.kind, self.reason = kind, reason


def is_image_name(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def to_rgb8(array: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Converts a decoded image array to `(h, w, 3)` uint8.

    Returns:
        `(rgb, conversions)` where `conversions` lists what was done: "grayscale", "rgba",
        "16-bit".
    """
    conversions = []
    a = np.asarray(array)
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    if a.dtype == np.uint16 or (a.dtype.kind in "ui" and a.max(initial=0) > 255):
        a = np.round(a.astype(np.float64) / 257.0).clip(0, 255).astype(np.uint8)
        conversions.append("16-bit")
    elif a.dtype.kind == "f":
        a = np.round(np.clip(a, 0.0, 1.0) * 255.0).astype(np.uint8)
    else:
        a = a.astype(np.uint8)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=-1)
        conversions.append("grayscale")
    elif a.ndim == 3 and a.shape[-1] == 2:  # gray + alpha
        a = np.repeat(a[..., :1], 3, axis=-1)
        conversions.append("rgba")
    elif a.ndim == 3 and a.shape[-1] == 4:
        a = a[..., :3]
        conversions.append("rgba")
    if a.ndim != 3 or a.shape[-1] != 3:
        raise ValueError(f"unsupported image shape {array.shape}")
    return np.ascontiguousarray(a), conversions


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


EXIF_ORIENTATION = 0x0112


def _exif_rotated(path):
    """The pixels as a phone meant them (EXIF orientation applied), or None when the file has
    no orientation other than 'upright'."""
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        if im.getexif().get(EXIF_ORIENTATION, 1) in (0, 1):
            return None
        return np.asarray(ImageOps.exif_transpose(im))


# The leading bytes of every format the readers here take (PNG, JPEG, GIF, BMP, TIFF, WebP).
_SIGNATURES = (_PNG_SIGNATURE, b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00",
               b"MM\x00*")  # fmt: skip


def _looks_like_an_image(head: bytes) -> bool:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    return any(head.startswith(sig) for sig in _SIGNATURES)


def _decode(path):
    with open(path, "rb") as f:
        head = f.read(25)
    if head[:3] == b"\xff\xd8\xff":  # JPEG: phone photos store their rotation in EXIF
        rotated = _exif_rotated(path)
        if rotated is not None:
            return rotated
    # Pillow (imageio's PNG reader) keeps only the high byte of 16-bit RGB PNGs; TensorFlow's
    # decoder keeps all 16 bits. Byte 24 is the IHDR bit depth.
    if head[:8] == _PNG_SIGNATURE and len(head) == 25 and head[24] == 16:
        import tensorflow as tf

        return tf.io.decode_png(Path(path).read_bytes(), dtype=tf.uint16).numpy()
    return iio.imread(path)


def read_image(path: str | os.PathLike) -> tuple[np.ndarray, list[str]]:
    """Reads an image file as `(h, w, 3)` uint8 RGB.

    Returns:
        `(rgb, conversions)`, see `to_rgb8`.

    Raises:
        BadImage: not an image file, or a truncated / corrupt one.
    """
    path = Path(path)
    if not is_image_name(path):
        raise BadImage(path, "not_image", f"not an image file (extension {path.suffix!r})")
    with open(path, "rb") as f:
        head = f.read(16)
    if not _looks_like_an_image(head):
        # Checked before decoding: imageio's message for a text file named .png is several
        # lines of plugin advice that has nothing to do with the file.
        raise BadImage(path, "corrupt", "not an image: its first bytes match no image format")
    try:
        array = _decode(path)
    except Exception as e:  # the decoders raise many types for truncated data
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise BadImage(path, "corrupt", f"cannot decode ({type(e).__name__}: {first})") from None
    if array.ndim == 4:  # multi-frame (GIF-like TIFF): the first frame
        array = array[0]
    try:
        return to_rgb8(array)
    except ValueError as e:
        raise BadImage(path, "corrupt", str(e)) from None


def write_image(path: str | os.PathLike, rgb: np.ndarray, fast: bool = False) -> None:
    """Writes an RGB uint8 image (format from the suffix) atomically: no half-written file.

    PNG at `config.PNG_LEVEL` (chosen by its rule), or with `fast` at zlib level 1: the same
    pixels sooner in files about a quarter larger (for the many images evaluate writes).
    """
    ext = Path(path).suffix.lower()
    options = {"quality": 95} if ext in (".jpg", ".jpeg", ".webp") else {}
    if ext == ".png":
        options["compress_level"] = 1 if fast else PNG_LEVEL
    with atomic.atomic_path(path) as tmp:
        iio.imwrite(tmp, np.asarray(rgb, dtype=np.uint8), extension=ext, **options)


def to_uint8(image_pm1: np.ndarray) -> np.ndarray:
    """[-1, 1] floats to uint8, rounding as the reference's `(x + 1) * 127.5` with clipping."""
    return np.clip(np.round((np.asarray(image_pm1) + 1.0) * 127.5), 0, 255).astype(np.uint8)
