"""Exports a trained generator for serving: a SavedModel for TF Serving, or a TFLite file.

The SavedModel tiles every request inside its graph with the tiling core that `upscale` runs
(`srgan_tf/inference/tiling_core.py`), so a photo of any size is served in bounded memory (about that
of one tile's trunk and one strip of its tail) and the output equals a whole-image pass.
Signatures:

- `serving_default`: `images` uint8 `(batch, h, w, 3)` -> `sr_images` uint8 `(batch, 4h, 4w, 3)`.
- `encoded`: `image_bytes` string `(batch,)`, PNG or JPEG files (in TF Serving's REST API the
  `{"b64": ...}` form), each of its own size -> `png_bytes` string `(batch,)`, PNG files.
  Grayscale stays grayscale, alpha is upscaled (bicubic) and kept, 16-bit PNGs come out 8-bit,
  as `--mode=upscale` does.
- `predict_float`: `lr` float32 in [-1, 1] -> `sr` float32 in [-1, 1].

An image larger than `max_pixels` (fixed at export) is refused with an `InvalidArgument` error
naming the limit. Every signature computes what `--mode=upscale` does: the generator
self-ensembled over `self_ensemble` orientations, then `back_projection` steps (the paper
protocol's downscaler) and the detail gate (`detail_floor`). The tile side, the limit and those
settings are kept in the SavedModel as records for whoever serves it (`tile`, `max_pixels`,
`self_ensemble`, `back_projection`, `back_projection_protocol`, `detail_floor`): the graph reads
`max_pixels` from its variable, but the tile plan and the stages are fixed when the graph is
traced, so assigning the other variables changes nothing but the record.
"""

import contextlib
import io
import os
import shutil
from pathlib import Path

import keras
import tensorflow as tf

from srgan_tf.config import DEFAULT_MAX_PIXELS, DEFAULT_TILE
from srgan_tf.inference import orientation, tiling_core
from srgan_tf.inference.post_settings import NONE, PostProcessing

MIN_IMAGE_BYTES = 25  # the header bytes `encoded` reads: PNG's signature and IHDR size and depth


def planned_tile(tile: int) -> int:
    """The tile side a SavedModel is exported with: `tile`, or for -1 (sized for each image
    elsewhere) `DEFAULT_TILE`: one traced graph serves every request size, so its plan is fixed."""
    return DEFAULT_TILE if tile < 0 else tile


class _Serving(tf.Module):
    def __init__(self, generator, tile, max_pixels, post: PostProcessing = NONE) -> None:
        super().__init__()
        self.tiler = tiling_core.Tiler(generator, post)
        tile = planned_tile(tile)
        if problem := tiling_core.tile_problem(tile, self.tiler.context, whole=False):
            raise ValueError(problem)
        # Tracked, so the SavedModel keeps the weights the tiler's functions read.
        self.generator, self.stages = generator, list(self.tiler.stages)
        self.tile = tf.Variable(tile, trainable=False, dtype=tf.int32, name="tile")
        self.max_pixels = tf.Variable(
            max_pixels, trainable=False, dtype=tf.int64, name="max_pixels"
        )
        # What it computes, kept in the SavedModel for whoever serves it.
        self.back_projection = tf.Variable(
            post.back_projection, trainable=False, dtype=tf.int32, name="back_projection"
        )
        self.back_projection_protocol = tf.Variable(
            post.protocol, trainable=False, dtype=tf.string, name="back_projection_protocol"
        )
        self.detail_floor = tf.Variable(
            post.detail_floor, trainable=False, dtype=tf.float32, name="detail_floor"
        )
        self.self_ensemble = tf.Variable(
            post.self_ensemble, trainable=False, dtype=tf.int32, name="self_ensemble"
        )
        self._tile = tile

    def _check_size(self, h, w) -> tf.Operation:
        pixels = tf.cast(h, tf.int64) * tf.cast(w, tf.int64)
        return tf.debugging.assert_less_equal(
            pixels,
            self.max_pixels,
            message="input image too large: its height x width exceeds max_pixels, the limit "
            "this SavedModel was exported with (--max_pixels)",
            summarize=1,
        )

    def _tiled(self, x, out_dtype, **finish):
        """`(h, w, 3)` uint8 or float32 in [-1, 1] -> `(4h, 4w, c)`: the tiling core, in the
        graph, after the size check (nothing of the image is computed before it passes)."""
        ok = self._check_size(tf.shape(x)[0], tf.shape(x)[1])
        with tf.control_dependencies([ok]):
            x = tf.identity(x)
        return self.tiler(x, self._tile, out_dtype, **finish)

    def _each(self, batch, out_dtype):
        """The batch's images one at a time (a bounded peak); a batch of one without `map_fn`,
        whose stacking would copy the output once more."""

        def one(im):
            return self._tiled(im, out_dtype)

        def every():
            spec = tf.TensorSpec([None, None, 3], out_dtype)
            return tf.map_fn(one, batch, fn_output_signature=spec, parallel_iterations=1)

        return tf.cond(tf.shape(batch)[0] == 1, lambda: one(batch[0])[None], every)

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")])
    def serve_uint8(self, images):
        return {"sr_images": self._each(images, tf.uint8)}  # uint8 in: cast a tile at a time

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32, name="lr")])
    def serve_float(self, lr):
        return {"sr": self._each(lr, tf.float32)}

    def _decode(self, data):
        """One PNG/JPEG file -> `(h, w, c)` uint8, c in 1..4; 16-bit PNGs rounded to 8 bits, JPEGs
        decoded with the accurate IDCT and turned upright by their EXIF orientation."""
        is_png16 = tf.logical_and(
            tf.strings.substr(data, 0, 8) == b"\x89PNG\r\n\x1a\n",
            tf.strings.substr(data, 24, 1) == b"\x10",
        )

        def png16():
            wide = tf.cast(tf.io.decode_png(data, dtype=tf.uint16), tf.float32)
            return tf.cast(tf.clip_by_value(tf.round(wide / 257.0), 0.0, 255.0), tf.uint8)

        def jpeg():
            # The accurate integer IDCT, as libjpeg's default (Pillow, imageio, so
            # `--mode=upscale`); TensorFlow's default fast one is up to 5 levels away. Then the
            # EXIF orientation, as upscale applies it: a phone photo comes out upright.
            pixels = tf.io.decode_jpeg(data, channels=0, dct_method="INTEGER_ACCURATE")
            return orientation.apply_orientation(pixels, orientation.exif_orientation(data))

        def other():
            return tf.io.decode_image(data, dtype=tf.uint8, expand_animations=False)

        is_jpeg = tf.strings.substr(data, 0, 3) == b"\xff\xd8\xff"
        return tf.cond(is_png16, png16, lambda: tf.cond(is_jpeg, jpeg, other))

    def _declared_size(self, data):
        """Height and width from the file's header, before any pixel is decoded: PNG (IHDR),
        JPEG (its frame header), BMP (its info header; a negative height is a top-down BMP)
        and GIF (its logical screen). Other bytes declare nothing: `decode_image` refuses them.
        """
        is_png = tf.strings.substr(data, 0, 8) == b"\x89PNG\r\n\x1a\n"
        is_jpeg = tf.strings.substr(data, 0, 3) == b"\xff\xd8\xff"
        is_bmp = tf.strings.substr(data, 0, 2) == b"BM"
        is_gif = tf.strings.substr(data, 0, 4) == b"GIF8"

        def png():
            wh = tf.io.decode_raw(tf.strings.substr(data, 16, 8), tf.int32, little_endian=False)
            return tf.stack([wh[1], wh[0]])

        def bmp():
            wh = tf.io.decode_raw(tf.strings.substr(data, 18, 8), tf.int32, little_endian=True)
            return tf.stack([tf.abs(wh[1]), wh[0]])

        def gif():
            wh = tf.io.decode_raw(tf.strings.substr(data, 6, 4), tf.uint16, little_endian=True)
            return tf.cast(tf.stack([wh[1], wh[0]]), tf.int32)

        return tf.case(
            [(is_png, png), (is_jpeg, lambda: tf.io.extract_jpeg_shape(data)[:2]),
             (is_bmp, bmp), (is_gif, gif)],
            default=lambda: tf.zeros([2], tf.int32),
        )  # fmt: skip

    def _encoded_one(self, data):
        # Every header peek below reads the first 25 bytes; no PNG or JPEG file is shorter. Any
        # op that reads `data` waits for this check, so a short request gets this message.
        n = tf.strings.length(data)
        short = tf.debugging.assert_greater_equal(
            n,
            MIN_IMAGE_BYTES,
            message=f"image_bytes: too short to be an image file (a PNG or JPEG file has at "
            f"least {MIN_IMAGE_BYTES} bytes)",
            summarize=1,
        )
        with tf.control_dependencies([short]):
            data = tf.identity(data)
        hw = self._declared_size(data)
        # The decoder waits for the size check: an oversized file is refused, never decoded.
        with tf.control_dependencies([self._check_size(hw[0], hw[1])]):
            img = self._decode(tf.identity(data))
        c = tf.shape(img)[-1]
        rgb = tf.cond(c < 3, lambda: tf.image.grayscale_to_rgb(img[..., :1]), lambda: img[..., :3])
        # Gray stays gray (the mean of the three SR channels) and alpha is upscaled (bicubic),
        # as upscale does, both inside the tiles: no full-size float copy of either.
        gray = c < 3
        has_alpha = tf.logical_or(tf.equal(c, 2), tf.equal(c, 4))

        def with_alpha():
            return tf.io.encode_png(self._tiled(rgb, tf.uint8, alpha=img[..., -1:], gray=gray))

        def without():
            return tf.io.encode_png(self._tiled(rgb, tf.uint8, gray=gray))

        return tf.cond(has_alpha, with_alpha, without)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="image_bytes")])
    def serve_encoded(self, image_bytes):
        def every():
            spec = tf.TensorSpec([], tf.string)
            return tf.map_fn(self._encoded_one, image_bytes, fn_output_signature=spec,
                             parallel_iterations=1)  # fmt: skip

        # A batch of one outside map_fn: its while loop would hold the output's tiles apart.
        one = tf.shape(image_bytes)[0] == 1
        return {"png_bytes": tf.cond(one, lambda: self._encoded_one(image_bytes[0])[None], every)}


def export_saved_model(
    generator: keras.Model,
    export_dir: str | os.PathLike,
    version: int = 1,
    tile: int = DEFAULT_TILE,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    post: PostProcessing = NONE,
) -> Path:
    """Writes the SavedModel to `export_dir/version` atomically (TF Serving never sees half).

    Args:
        generator: the Keras generator.
        export_dir: the model's folder; versions are its subfolders.
        version: the version number.
        tile: input tile side, context included, fixed in the graph.
        max_pixels: the largest input (height x width) a request may send.
        post: what wraps and follows the generator (upscale's: the paper protocol's steps),
            baked into every signature and kept in the SavedModel (`self_ensemble`,
            `back_projection`, `back_projection_protocol`, `detail_floor`).

    Raises:
        FileExistsError: that version exists already.
        ValueError: a tile too small for its context.
    """
    target = Path(export_dir) / str(int(version))
    if target.exists():
        raise FileExistsError(f"{target} exists; pass another --version")
    tmp = Path(export_dir) / f".tmp-{version}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    module = _Serving(generator, tile, max_pixels, post)
    signatures = {
        "serving_default": module.serve_uint8,
        "encoded": module.serve_encoded,
        "predict_float": module.serve_float,
    }
    try:
        tf.saved_model.save(module, str(tmp), signatures=signatures)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def export_tflite(
    generator: keras.Model,
    path: str | os.PathLike,
    float16: bool = False,
    post: PostProcessing = NONE,
) -> Path:
    """Writes a TFLite generator: input `(n, h, w, 3)` float32 in [-1, 1] of any size (resize
    the interpreter's input before allocating), output `(n, 4h, 4w, 3)` in [-1, 1].

    Args:
        generator: the Keras generator.
        path: the `.tflite` file.
        float16: store the weights as float16 (half the file; computed in float32).
        post: what wraps and follows the generator, built from TFLite's builtin ops.
    """
    generator = post.model(generator)
    # from_keras_model freezes the weights into the file; converting a traced function here
    # kept them as resource variables that the interpreter reads uninitialised (NaN output).
    converter = tf.lite.TFLiteConverter.from_keras_model(generator)
    if float16:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    # Keras prints its intermediate SavedModel's signature ("Saved artifact at ...", about 50
    # lines of "Captures"): noise to someone who asked for a .tflite file.
    with contextlib.redirect_stdout(io.StringIO()):
        data = converter.convert()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path
