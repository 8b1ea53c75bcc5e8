"""Images in, training batches and evaluation pairs out (the LR protocols they degrade with are
shared maths: `srgan_tf/protocols.py`).

- `images.py`: reads any user image into 8-bit RGB (or says why not); writes atomically.
- `datasets.py`: finds a folder's images and classes and splits them as the study did.
- `pipeline.py`: the `tf.data` training pipeline (crops, flips, colour, brightness, contrast,
  LR) and the deterministic evaluation pairs.
- `sample_data.py`: the built-in sample set (scikit-image's photos), written on first use.
"""

from srgan_tf.data.pipeline import (
    augment,
    colour_jitter,
    eval_pair,
    eval_pairs,
    steps_per_epoch,
    train_dataset,
)

__all__ = [
    "augment",
    "colour_jitter",
    "eval_pair",
    "eval_pairs",
    "steps_per_epoch",
    "train_dataset",
]
