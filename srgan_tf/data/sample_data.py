"""The built-in sample set: real photos that scikit-image ships, laid out as one folder per class.

Used whenever no data folder is given, so every mode runs on a fresh machine with no downloads.
Three small classes stand in for the landscape classes (the study's matrix needs several):
`photo` (everyday photos), `science` (microscopy, astronomy, retina) and `texture`
(grayscale textures, converted to RGB like any grayscale input).
"""

import os
from collections.abc import Callable
from pathlib import Path

from srgan_tf.config import DataConfig

SAMPLE_CLASSES = {
    "photo": ["astronaut", "coffee", "chelsea", "clock", "rocket", "stereo_motorcycle"],
    "science": ["hubble_deep_field", "retina", "immunohistochemistry", "cell", "moon"],
    "texture": ["grass", "gravel", "brick", "camera", "colorwheel"],
}
_VERSION = "2"  # 2: `cat` was the same picture as `chelsea`; `clock` replaces it


def default_root() -> Path:
    """Where the sample set is written: `$SRGAN_TF_DATA_HOME` or `~/.cache/srgan_tf`."""
    home = os.environ.get("SRGAN_TF_DATA_HOME") or Path.home() / ".cache" / "srgan_tf"
    return Path(home) / "sample_data"


def sample_dir(root: str | os.PathLike | None = None) -> Path:
    """Writes the sample set once (PNG, one folder per class) and returns its folder."""
    from skimage import data

    from srgan_tf.data import images

    root = Path(root) if root else default_root()
    stamp = root / ".complete"
    if stamp.exists() and stamp.read_text() == _VERSION:
        return root
    if stamp.exists():  # an older sample set written by us: replace it, stale files included
        for cls in root.iterdir():
            if cls.is_dir():
                for old in cls.glob("*.png"):
                    old.unlink()
        stamp.unlink()
    for cls, names in SAMPLE_CLASSES.items():
        for name in names:
            array = getattr(data, name)()
            if isinstance(array, tuple):  # stereo_motorcycle: (left, right, disparity)
                array = array[0]
            # Grayscale photos stay grayscale on disk: the loader converts them like user files.
            images.write_image(root / cls / f"{name}.png", array)
    stamp.write_text(_VERSION)
    return root


def data_root(data_cfg: DataConfig, log: Callable[..., None] = print) -> Path:
    """`--data_dir`, or the sample set (written on first use) when none is given."""
    if data_cfg.data_dir:
        return Path(data_cfg.data_dir)
    root = sample_dir()
    log(f"No --data_dir: using the built-in sample set at {root}")
    return root
