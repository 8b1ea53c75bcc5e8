"""What the training tests share: tiny configs, a trainer, the CLI's tiny flags and small
image folders (the 4-image `split` fixture is in conftest.py)."""

import csv
from pathlib import Path

import numpy as np

from srgan_tf import training
from srgan_tf.config import DataConfig, LossConfig, ModelConfig, TrainConfig

ROOT = Path(__file__).parent.parent
MODEL = ModelConfig(n_res_blocks=1, filters=8, d_filters=8)
LOSS = LossConfig()
DATA = DataConfig(crop_size=64, batch_size=2, seed=0)
TINY = [
    "--n_res_blocks=1",
    "--filters=8",
    "--d_filters=8",
    "--crop_size=64",
    "--batch_size=2",
    "--no_vgg",
    "--progress=false",
]


def tcfg(tmp_path, **kw):
    base = dict(
        run_dir=str(tmp_path / "run"),
        n_epoch_init=1,
        n_epoch=1,
        use_vgg=False,
        save_every=1,
    )
    return TrainConfig(**{**base, **kw})


def trainer(phases, split, t, loss=LOSS, model=MODEL, data=DATA, logs=None):
    log = logs.append if logs is not None else (lambda *_: None)
    return training.Trainer(phases, model, data, loss, t, split, log=log, progress=False)


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def landscape(tmp_path):
    import imageio.v3 as iio

    root = tmp_path / "landscapes"
    root.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        for suffix in ("", " (3)"):
            iio.imwrite(
                root / f"{i:08d}{suffix}.png", rng.integers(0, 256, (70, 70, 3), dtype=np.uint8)
            )
    return root


def _val_folder(tmp_path):
    import imageio.v3 as iio

    val = tmp_path / "val"
    val.mkdir()
    rng = np.random.default_rng(5)
    for i in range(2):
        iio.imwrite(val / f"v{i}.png", rng.integers(0, 256, (40, 36, 3), dtype=np.uint8))
    (val / "notes.txt").write_text("not an image")
    return val


def _tree(root):
    """`{relative path: bytes}` of every file under `root` (None when it does not exist)."""
    if not root.exists():
        return None
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }
