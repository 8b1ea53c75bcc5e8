"""Exports a trained generator as a SavedModel that TF Serving loads (`DIR/<version>/`).

Signatures:
- `serving_default`: `images` uint8 `(batch, h, w, 3)`, any h and w -> `sr_images` uint8
  `(batch, 4h, 4w, 3)`.
- `predict_float`: `lr` float32 in [-1, 1] -> `sr` float32 in [-1, 1].
"""

import os
import shutil
from pathlib import Path

import tensorflow as tf


class _Serving(tf.Module):
    def __init__(self, generator):
        super().__init__()
        self.generator = generator

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")])
    def serve_uint8(self, images):
        x = tf.cast(images, tf.float32) / 127.5 - 1.0
        y = self.generator(x, training=False)
        y = tf.clip_by_value(tf.round((tf.cast(y, tf.float32) + 1.0) * 127.5), 0.0, 255.0)
        return {"sr_images": tf.cast(y, tf.uint8)}

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32, name="lr")])
    def serve_float(self, lr):
        return {"sr": tf.cast(self.generator(lr, training=False), tf.float32)}


def export_saved_model(generator, export_dir, version=1):
    """Writes the SavedModel to `export_dir/version` atomically (TF Serving never sees half).

    Raises:
        FileExistsError: that version exists already.
    """
    target = Path(export_dir) / str(int(version))
    if target.exists():
        raise FileExistsError(f"{target} exists; pass another --version")
    tmp = Path(export_dir) / f".tmp-{version}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    module = _Serving(generator)
    signatures = {"serving_default": module.serve_uint8, "predict_float": module.serve_float}
    try:
        tf.saved_model.save(module, str(tmp), signatures=signatures)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
