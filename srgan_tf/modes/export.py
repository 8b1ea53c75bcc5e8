"""`--mode=export`: a SavedModel for TF Serving, or a TFLite file."""

from srgan_tf.config import Configs
from srgan_tf.errors import ConfigError
from srgan_tf.inference import export as export_lib
from srgan_tf.modes.checks import tflite_target
from srgan_tf.modes.inference import load_generator


def run(cfg: Configs) -> None:
    app, exp = cfg.app, cfg.export
    fmt = app.format or "saved_model"  # one of saved_model, tflite (modes/checks.py)
    g = load_generator(cfg)
    print(cfg.post.note())
    if fmt == "tflite":
        target = export_lib.export_tflite(g, tflite_target(cfg), exp.tflite_fp16, cfg.post)
        print(
            f"TFLite model written to {target} ({target.stat().st_size / 2**20:.1f} MB): input "
            f"(1, h, w, 3) float32 in [-1, 1] of any size (resize the input, then allocate)"
        )
        return
    try:
        target = export_lib.export_saved_model(
            g,
            exp.export_dir,
            exp.version,
            app.tile,
            exp.max_pixels,
            cfg.post,
        )
    except ValueError as e:
        raise ConfigError(f"--tile={app.tile}: {e}") from None
    print(
        f"SavedModel written to {target} (signatures: serving_default, encoded, predict_float; "
        f"tiles of {app.tile} px, at most {exp.max_pixels:,} pixels per image)"
    )
