"""`--mode=export`: a SavedModel for TF Serving, or a TFLite file (the API's
`Upscaler.export`)."""

from srgan_tf.api import Upscaler
from srgan_tf.config import Configs
from srgan_tf.inference.export import planned_tile
from srgan_tf.modes.inference import load_generator


def run(cfg: Configs) -> None:
    app, exp = cfg.app, cfg.export
    tflite = app.format == "tflite"  # else saved_model (modes/checks.py)
    precision = cfg.inference.infer_precision
    upscaler = Upscaler(load_generator(cfg), cfg.post, precision, app.tile, app.g_weights)
    print(cfg.post.note())
    target = upscaler.export(exp.export_dir, exp.version, exp.max_pixels, tflite,
                             exp.tflite_fp16, precision)  # fmt: skip
    if tflite:
        print(
            f"TFLite model written to {target} ({target.stat().st_size / 2**20:.1f} MB): input "
            f"(1, h, w, 3) float32 in [-1, 1] of any size (resize the input, then allocate)"
        )
        return
    print(
        f"SavedModel written to {target} (signatures: serving_default, encoded, predict_float; "
        f"tiles of {planned_tile(app.tile)} px, at most "
        f"{exp.max_pixels:,} pixels per image)"
    )
