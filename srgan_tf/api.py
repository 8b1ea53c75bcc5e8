"""The Python API: one object that knows its generator and settings, one method that takes an
image array and returns its 4x upscale.

    from srgan_tf.api import Upscaler

    up = Upscaler.from_pretrained("upscale")      # or "demo", "perceptual", a weight file
    big = up.upscale(photo)                        # uint8 (h, w[, c]) -> (4h, 4w[, c])

It is what `srgan-tf upscale` and `srgan-tf export` run (`srgan_tf/modes/`), so a notebook gets
the command's defaults by construction: the same weight detection (any tensorlayer or Keras
format), the same post-processing rule (the shipped generator's record, else upscale's
defaults), the same precision rule (bfloat16 where the CPU computes it natively) and the same
tiling core. Errors are exceptions carrying the command's messages; nothing is printed unless
`progress` asks for a bar.
"""

import dataclasses
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from srgan_tf import pretrained
from srgan_tf.config import AUTO_TILE, DEFAULT_MAX_PIXELS, PHOTO_PROTOCOL
from srgan_tf.errors import ConfigError, WeightFileError
from srgan_tf.inference.post_settings import NONE, PostProcessing


@dataclasses.dataclass(frozen=True)
class Report:
    """What `Upscaler.upscale_path` did: the files written, kept (their outputs existed) and
    skipped (unreadable: `{path: reason}`)."""

    written: list[Path]
    kept: list[Path]
    skipped: dict[str, str]


class Upscaler:
    """A generator with its post-processing, precision and tile: `upscale(image)`.

    Build it with `from_pretrained`; the constructor takes a built Keras generator for callers
    that have one (its weights are read at each call).
    """

    def __init__(
        self,
        generator,
        post: PostProcessing = NONE,
        precision: str = "float32",
        tile: int = AUTO_TILE,
        source: str = "",
    ) -> None:
        from srgan_tf import inference

        self.generator, self.post, self.precision, self.tile = generator, post, precision, tile
        self.source = source  # the weight file it was loaded from ("" when given built)
        self._predict = inference.predictor(generator, post)

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str = "upscale",
        *,
        self_ensemble: int = -1,
        back_projection: int = -1,
        detail_floor: float = -1.0,
        precision: str = "auto",
        tile: int = AUTO_TILE,
        n_res_blocks: int = 16,
        filters: int = 64,
    ) -> "Upscaler":
        """A shipped generator by name (`pretrained.available()`: "upscale", "demo", ...) or any
        weight file (tensorlayer's npz/h5, TensorLayerX's, Keras'), ready to upscale.

        Args:
            name_or_path: the generator.
            self_ensemble, back_projection, detail_floor: as the command's flags; -1 (unset)
                takes what the generator was trained through (its `config.json`), else
                upscale's defaults (docs/upscale.md).
            precision: "auto" (bfloat16 where the CPU computes it natively), "float32" or
                "bfloat16".
            tile: input tile side, context included; -1 (the default): sized by the memory
                budget for each image (`tiling_core.auto_tile`); 0: whole images.
            n_res_blocks, filters: the generator's size, for weight files of other sizes.

        Raises:
            WeightFileError: a missing or unreadable file, a folder, weights of another model
                (the message names the path and both shapes).
            ConfigError: a setting out of range.
        """
        from srgan_tf import weights
        from srgan_tf.config import ModelConfig
        from srgan_tf.inference import precision as precisions
        from srgan_tf.models import build_generator
        from srgan_tf.modes import defaults
        from srgan_tf.modes.checks import generator_file_problems
        from srgan_tf.modes.trained_through import trained_through

        path = pretrained.resolve(str(name_or_path))
        model = ModelConfig(n_res_blocks=n_res_blocks, filters=filters)
        if problems := generator_file_problems(path, model, flag="generator"):
            raise WeightFileError("; ".join(problems))
        try:
            post = defaults.post_processing("upscale", self_ensemble, back_projection, detail_floor,
                                            trained_through(path), PHOTO_PROTOCOL)  # fmt: skip
        except ValueError as e:
            raise ConfigError(str(e)) from None
        resolved = precisions.resolve(precision, "upscale")
        with precisions.building(resolved):
            g = build_generator(n_res_blocks, filters)
        weights.load_weights(g, path, log=lambda *_: None)
        return cls(g, post, resolved, tile, path)

    def upscale(self, image: np.ndarray, progress: bool | str = False) -> np.ndarray:
        """The 4x upscale of one image array, any size.

        Args:
            image: uint8 (or 16-bit) `(h, w)` gray, `(h, w, 3)` RGB, `(h, w, 4)` RGBA or
                `(h, w, 2)` gray with alpha.
            progress: a bar of the tiles on stderr (a string labels it).

        Returns:
            uint8 of the same layout, 4 times as large: gray stays gray, alpha is upscaled
            (bicubic) and kept, 16-bit comes out 8-bit.

        Raises:
            ValueError: an array that is no image (its shape and dtype named).
        """
        from srgan_tf import inference

        array = np.asarray(image)
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (1, 2, 3, 4)):
            raise ValueError(
                f"an image is (h, w) or (h, w, 1|2|3|4), got an array of shape {array.shape}"
            )
        if array.dtype.kind not in "uib" and array.dtype.kind != "f":
            raise ValueError(f"an image holds numbers, got dtype {array.dtype}")
        label = progress if isinstance(progress, str) else ("image" if progress else "")
        return inference.upscale_image(self._predict, array, self.tile, label)

    def upscale_batch(self, images: Iterable[np.ndarray]) -> list[np.ndarray]:
        """`upscale` of each image (they may differ in size and layout)."""
        return [self.upscale(x) for x in images]

    def upscale_file(self, path: str | os.PathLike, progress: bool = False) -> np.ndarray:
        """The 4x upscale of an image file (phone photos turned upright by their EXIF
        orientation), as `upscale` returns it.

        Raises:
            images.BadImage: a missing, unreadable or non-image file (named).
        """
        from srgan_tf import inference

        return inference.upscale_file(self._predict, path, self.tile, progress)

    def upscale_path(
        self,
        src: str | os.PathLike,
        output: str | os.PathLike,
        fmt: str = "png",
        overwrite: bool = False,
        progress: bool = False,
        on_skip: Callable[[str], object] | None = None,
    ) -> Report:
        """Upscales a file, or every file of a folder's tree, into `output` (the tree mirrored,
        `<name>_x4.<fmt>`); outputs that exist already are kept unless `overwrite`, so a run
        stopped half-way goes on where it stopped. Unreadable files are skipped, named to
        `on_skip` and in the report; every output is written atomically. This program's own
        outputs are never read as inputs (an `output` inside `src` is left out).
        """
        from srgan_tf.inference import files

        written, kept, skipped = files.upscale_tree(
            self.upscale_file, src, output, fmt, overwrite, progress, on_skip
        )
        return Report(written, kept, skipped)

    def export(
        self,
        export_dir: str | os.PathLike,
        version: int = 1,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        tflite: bool = False,
        float16: bool = False,
        precision: str = "float32",
    ) -> Path:
        """A SavedModel that TF Serving loads (`export_dir/version`, tiled in its graph with
        this upscaler's tile, post-processing and `max_pixels`), or with `tflite` a TFLite file
        (`export_dir/srgan_fp32.tflite`, `_fp16` with `float16` weights). Both compute what
        `upscale` computes, in `precision` (float32 by default, as `srgan-tf export`).

        Raises:
            FileExistsError: that version (or file) exists already.
            ConfigError: a tile too small for the post-processing's context, or 0.
        """
        from srgan_tf.inference import export as export_lib
        from srgan_tf.inference import precision as precisions
        from srgan_tf.models import build_generator

        generator = self.generator
        if precision != self.precision:  # the same weights, built in the export's precision
            with precisions.building(precision):
                generator = build_generator(*_size(self.generator))
            generator.set_weights(self.generator.get_weights())
        if tflite:
            target = Path(export_dir) / f"srgan_{'fp16' if float16 else 'fp32'}.tflite"
            if target.exists():
                raise FileExistsError(f"{target} exists; remove it or pass another export_dir")
            return export_lib.export_tflite(generator, target, float16, self.post)
        try:  # (a SavedModel's plan is fixed: tile -1 exports `export_lib.planned_tile(-1)`)
            return export_lib.export_saved_model(
                generator, export_dir, version, self.tile, max_pixels, self.post
            )
        except ValueError as e:
            raise ConfigError(str(e)) from None

    def __repr__(self) -> str:
        return (f"Upscaler({self.source or 'a built generator'}, {self.precision}, "
                f"tile={self.tile}, post={self.post.label or 'none'})")  # fmt: skip


def _size(generator) -> tuple[int, int]:
    """`(n_res_blocks, filters)` of a `build_generator` model, from its layers."""
    blocks = sum(1 for layer in generator.layers
                 if layer.name.startswith("generator_res") and layer.name.endswith("_add"))  # fmt: skip
    filters = generator.get_layer("generator_conv_in").filters
    return blocks, filters
