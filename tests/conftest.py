"""Shared pytest setup: quiet TensorFlow logs, deterministic seeds (markers and warning
filters are in pytest.ini)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow's oneDNN kernels, on by default only on some CPUs (those with AVX-512): the
# TensorLayerX oracle computes channels_first, and only oneDNN has an NCHW convolution on CPU.
# Set before anything imports TensorFlow; subprocesses the tests start inherit it.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

import json  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402


def _tensorlayerx_backend_file():
    """TensorLayerX's import writes `~/.tl/tl_backend.json` when `~/.tl` is missing, with a
    check-then-create that races: on a fresh machine two pytest-xdist workers importing it at
    once fail with FileExistsError, or read the file before it is written. Written here first,
    atomically, by whichever worker comes first (the content TensorLayerX itself writes)."""
    home = Path(os.path.expanduser("~"))
    folder = (home if os.access(home, os.W_OK) else Path("/tmp")) / ".tl"
    path = folder / "tl_backend.json"
    if path.is_file():
        return
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".part") as f:
        json.dump({"backend": "tensorflow"}, f)
    os.replace(f.name, path)


_tensorlayerx_backend_file()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="module")
def split():
    """The training tests' data: 4 random 70x80 images to train on, none held out."""
    from srgan_tf.data import datasets

    rng = np.random.default_rng(0)
    s = datasets.ImageSet()
    for i in range(4):
        s.add(f"img{i}.png", rng.integers(0, 256, (70, 80, 3), dtype=np.uint8), keep=True)
    return datasets.Split("all", ".", s, datasets.ImageSet(), datasets.ScanReport())
