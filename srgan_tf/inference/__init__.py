"""Running a trained generator on images of any size, and exporting it for serving.

- `post_processing.py`: `PostProcessing`, what wraps and follows the generator, as one value.
- `tiles.py`: the tiling core (trunk in tiles, tail and steps in strips), shared with the SavedModel.
- `tiling.py`: the predictor and `upscale`: an image in bounded memory, equal to a whole-image pass.
- `files.py`: which files upscale reads and writes, and one file upscaled as the user gave it.
- `post_processed.py`: the post-processed output beside a raw one (evaluate, compare).
- `orientation.py`: a JPEG's EXIF orientation read and applied in a graph (the SavedModel).
- `export.py`: a SavedModel for TF Serving (tiled in its graph), or a TFLite file.

The names below load their module on first use, so reading a command's settings (which needs
`PostProcessing`) does not start TensorFlow.
"""

import importlib

_WHERE = {
    "NONE": "post_processing",
    "PostProcessing": "post_processing",
    "PostProcessed": "post_processed",
    "Tiler": "tiles",
    "context_for": "tiles",
    **{name: "tiling" for name in ("Predictor", "predictor", "tile_count", "upscale")},
    **{name: "files" for name in ("OUTPUT_FORMATS", "input_files", "output_paths", "upscale_file",
                                  "upscale_image")},
}  # fmt: skip

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
