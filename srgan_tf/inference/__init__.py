"""Running a trained generator on images of any size, and exporting it for serving.

- `tiling.py`: tiled inference in bounded memory, equal to a whole-image pass; image files.
- `post_processed.py`: the post-processed output beside a raw one (evaluate, compare).
- `orientation.py`: a JPEG's EXIF orientation read and applied in a graph (the SavedModel).
- `export.py`: a SavedModel for TF Serving (tiled in its graph), or a TFLite file.
"""

from srgan_tf.inference.post_processed import PostProcessed
from srgan_tf.inference.tiling import (
    DEFAULT_TILE,
    OUTPUT_FORMATS,
    OVERLAP,
    RECEPTIVE_RADIUS,
    Predictor,
    input_files,
    output_paths,
    overlap_for,
    predictor,
    upscale,
    upscale_file,
)

__all__ = [
    "DEFAULT_TILE",
    "OUTPUT_FORMATS",
    "OVERLAP",
    "overlap_for",
    "RECEPTIVE_RADIUS",
    "PostProcessed",
    "Predictor",
    "input_files",
    "output_paths",
    "predictor",
    "upscale",
    "upscale_file",
]
