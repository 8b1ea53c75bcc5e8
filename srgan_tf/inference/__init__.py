"""Running a trained generator on images of any size, and exporting it for serving.

- `post_settings.py`: `PostProcessing`, the settings of what wraps and follows the generator, as
  one value (its Keras layers: `srgan_tf/models/post_stages.py`).
- `tiling_core.py`: the tiling core, `Tiler` (trunk in tiles, tail and steps in strips), shared
  with the SavedModel's graph, and the tile sizes (`auto_tile`, the rules on `--tile`).
- `upscaling.py`: the predictor and `upscale`: an image array in bounded memory, equal to a
  whole-image pass (eager, around the tiling core).
- `files.py`: which files upscale reads and writes, and one file upscaled as the user gave it.
- `beside_raw.py`: the post-processed output beside a raw one (evaluate's extra column,
  compare's extra panel).
- `orientation.py`: a JPEG's EXIF orientation read and applied in a graph (the SavedModel).
- `export.py`: a SavedModel for TF Serving (tiled in its graph), or a TFLite file.

The names below load their module on first use, so reading a command's settings (which needs
`PostProcessing`) does not start TensorFlow.
"""

import importlib

_WHERE = {
    "NONE": "post_settings",
    "PostProcessing": "post_settings",
    "PostProcessed": "beside_raw",
    "Tiler": "tiling_core",
    "context_for": "tiling_core",
    **{name: "upscaling" for name in ("Predictor", "predictor", "tile_count", "upscale")},
    **{name: "files" for name in ("OUTPUT_FORMATS", "input_files", "output_paths", "upscale_file",
                                  "upscale_image")},
}  # fmt: skip

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
