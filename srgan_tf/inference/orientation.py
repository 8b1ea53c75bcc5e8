"""A JPEG's EXIF orientation, read and applied inside a TensorFlow graph (the SavedModel's
`encoded` signature), so a served phone photo comes out as `--mode=upscale` gives it: upright.

Cameras store the sensor's pixels and say in EXIF tag 0x0112 how to turn them (1 upright, 2-8
the seven other symmetries of the rectangle). `upscale` applies it with Pillow's
`ImageOps.exif_transpose` (srgan_tf/data/images.py); TensorFlow's JPEG decoder ignores it. This
module finds the first `Exif\\0\\0` APP1 payload, reads the TIFF header's byte order and the first
IFD's entries, and applies the tag's transform with `tf.image` ops before the generator runs.
Anything it cannot parse counts as upright, as Pillow does.
"""

import tensorflow as tf

ORIENTATION_TAG = 0x0112
_EXIF = b"Exif\x00\x00"
_MAX_ENTRIES = 64  # IFD0 entries read; the orientation tag sits among the first dozen in practice
_PAD = b"\x00" * (10 + 12 * _MAX_ENTRIES)


def _bytes(s, pos, n):
    """`n` bytes of `s` from `pos` as int32 (the caller pads `s` so they exist)."""
    return tf.cast(tf.io.decode_raw(tf.strings.substr(s, pos, n), tf.uint8), tf.int32)


def _word(b, little):
    """Unsigned 16-bit values of byte pairs `(..., 2)` in the file's byte order."""
    return tf.where(little, b[..., 0] + 256 * b[..., 1], 256 * b[..., 0] + b[..., 1])


def exif_orientation(data: tf.Tensor) -> tf.Tensor:
    """The EXIF orientation (1-8) of one encoded JPEG, a scalar string; 1 when it has none."""
    parts = tf.strings.split(data, sep=_EXIF, maxsplit=1)
    found = tf.size(parts) > 1
    tiff = parts[-1]  # from the TIFF header on
    length = tf.strings.length(tiff)
    padded = tf.strings.join([tiff, _PAD])
    head = _bytes(padded, 0, 8)
    little = tf.reduce_all(head[:4] == [0x49, 0x49, 0x2A, 0x00])
    big = tf.reduce_all(head[:4] == [0x4D, 0x4D, 0x00, 0x2A])
    offset = tf.where(
        little,
        head[4] + 256 * (head[5] + 256 * (head[6] + 256 * head[7])),
        head[7] + 256 * (head[6] + 256 * (head[5] + 256 * head[4])),
    )
    valid = found & (little | big) & (offset >= 8) & (offset + 2 <= length)
    offset = tf.where(valid, offset, 0)
    count = _word(tf.reshape(_bytes(padded, offset, 2), [2]), little)
    entries = tf.reshape(_bytes(padded, offset + 2, 12 * _MAX_ENTRIES), [_MAX_ENTRIES, 12])
    tags = _word(entries[:, 0:2], little)
    values = _word(entries[:, 8:10], little)  # a SHORT sits in the value field's first 2 bytes
    inside = tf.range(_MAX_ENTRIES) < tf.minimum(count, (length - offset - 2) // 12)
    hits = tf.where(inside & (tags == ORIENTATION_TAG))[:, 0]
    value = tf.cond(tf.size(hits) > 0, lambda: tf.gather(values, hits[0]), lambda: 1)
    ok = valid & (value >= 1) & (value <= 8)
    return tf.where(ok, value, 1)


def apply_orientation(image: tf.Tensor, orientation: tf.Tensor) -> tf.Tensor:
    """`(h, w, c)` pixels turned as EXIF orientation `orientation` says (Pillow's
    `exif_transpose`): 2 mirror, 3 half turn, 4 flip, 5 transpose, 6 a quarter turn clockwise,
    7 transverse, 8 a quarter turn anticlockwise."""

    def transpose(x):
        return tf.transpose(x, [1, 0, 2])

    branches = [
        lambda: image,
        lambda: image,
        lambda: tf.image.flip_left_right(image),
        lambda: tf.image.rot90(image, 2),
        lambda: tf.image.flip_up_down(image),
        lambda: transpose(image),
        lambda: tf.image.rot90(image, 3),
        lambda: tf.image.rot90(transpose(image), 2),
        lambda: tf.image.rot90(image, 1),
    ]
    return tf.switch_case(tf.clip_by_value(orientation, 0, 8), branches)
