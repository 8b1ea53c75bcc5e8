"""Running a trained generator on images of any size, and exporting it for serving.

- `post_processing.py`: `PostProcessing`, what wraps and follows the generator, as one value.
- `tiling.py`: tiled inference in bounded memory, equal to a whole-image pass; image files.
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
    **{
        name: "tiling"
        for name in (
            "DEFAULT_TILE", "OUTPUT_FORMATS", "OVERLAP", "RECEPTIVE_RADIUS", "Predictor",
            "input_files", "output_paths", "overlap_for", "predictor", "upscale", "upscale_file",
        )
    },
}  # fmt: skip

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
