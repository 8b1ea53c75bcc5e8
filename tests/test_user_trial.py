"""A new user's mistakes, each ending in one clear line naming the value and what to do (never a
traceback, never work started by accident), driven through main.py as a user types them.

Covered: `--tile=0` for export; a tile too small for validation's own steps and gate; tiles
whose core is so small that context dominates; compare's window outside the image; a missing
`--input` and `~` in a path; a folder given as `--g_weights`; a crop no training image holds;
too few patches for a batch; a training mode whose phases have no epochs; a flag given twice;
`--tile` with `--format=tflite`; a TFLite export over an existing file; `--vgg_weights=imagenet`
without a network; the resume line that spoke of `--g_weights` nobody gave.
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from main_cli import ROOT, run_main_many
from skimage import data as skdata

from srgan_tf.modes.defaults import SHIPPED_UPSCALE


def _one_clear_line(r, *words):
    assert r.returncode == 1, (r.returncode, r.stdout[-1500:], r.stderr[-1500:])
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, r.stderr
    for word in words:
        assert word in errors[0], (word, errors[0])
    return errors[0]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    iio.imwrite(root / "coffee.png", skdata.coffee()[:200, :240])
    iio.imwrite(root / "cat.png", skdata.chelsea()[:200, :240])
    return root


@pytest.mark.slow
def test_refusals_name_the_value_and_the_fix(photos, tmp_path):
    photo = photos / "coffee.png"
    tflite = tmp_path / "exp" / "srgan_fp32.tflite"
    tflite.parent.mkdir()
    tflite.write_bytes(b"an earlier export")
    data = [f"--data_dir={photos}", "--split=none", f"--checkpoint_dir={tmp_path / 'ck'}",
            "--batch_size=2"]  # fmt: skip
    cases = {
        "export_tile_0": (["--mode=export", "--tile=0", f"--export_dir={tmp_path / 'e'}"],
                          ["--tile=0", "always runs in tiles", "at least"]),
        "validation_tile": (["--mode=init", *data, "--val_every=5", f"--val_dir={photos}",
                             "--val_back_projection=10", "--tile=150"],
                            ["validation", "--tile=150", "context"]),
        "tile_trap": (["--mode=upscale", f"--input={photo}", "--tile=103",
                       f"--output={tmp_path / 'o'}"], ["--tile=103", "work of one whole pass",
                                                       "at least 204"]),
        "window": (["--mode=compare", f"--input={photo}", "--window_at=99999,99999",
                    f"--output={tmp_path / 'c'}"], ["--window_at=99999,99999", "240x200"]),
        "missing_input": (["--mode=upscale", f"--input={tmp_path / 'nope.jpg'}"],
                          ["nope.jpg: no such file or folder"]),
        "tilde": (["--mode=upscale", "--input=~/srgan_tf_no_such_photo.jpg"],
                  [str(Path.home() / "srgan_tf_no_such_photo.jpg"), "no such file"]),
        "folder_weights": (["--mode=upscale", f"--input={photo}",
                            f"--g_weights={SHIPPED_UPSCALE.parent}"],
                           ["is a folder", "g.weights.h5"]),
        "crop": (["--mode=init", *data, "--crop_size=4096"], ["smaller than 4096px"]),
        "crop_split": (["--mode=init", f"--checkpoint_dir={tmp_path / 'ck'}",
                        "--crop_size=4096"],  # the sample set, split: test images any size
                       ["no training image is at least 4096 pixels", "smaller --crop_size"]),
        "batch": (["--mode=init", f"--data_dir={photos}", "--split=none", "--batch_size=8",
                   f"--checkpoint_dir={tmp_path / 'ck'}"],
                  ["2 training images x 1 patches each", "= 2 patches", "batch of 8"]),
        "no_epochs": (["--mode=init", *data, "--n_epoch_init=0"],
                      ["--n_epoch_init=0 trains nothing"]),
        "twice": (["--mode=upscale", f"--input={photo}", f"--input={photos / 'cat.png'}"],
                  ["--input is given 2 times", "cat.png"]),
        "tflite_tile": (["--mode=export", "--format=tflite", "--tile=256",
                         f"--export_dir={tmp_path / 'exp'}"], ["--tile", "not --format=tflite"]),
        "tflite_exists": (["--mode=export", "--format=tflite", f"--export_dir={tmp_path / 'exp'}"],
                          [str(tflite), "exists"]),
    }  # fmt: skip
    results = run_main_many([args for args, _ in cases.values()])
    for (name, (_, words)), r in zip(cases.items(), results):
        try:
            _one_clear_line(r, *words)
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from None
    assert tflite.read_bytes() == b"an earlier export"
    assert not (tmp_path / "ck").exists() and not (tmp_path / "e").exists()


@pytest.mark.slow
def test_imagenet_vgg_without_a_network_is_one_line(photos, tmp_path):
    """Keras' download fails (no network, or here an unreachable proxy): one line that says
    what was tried and what to pass instead."""
    dead = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
            "KERAS_HOME": str(tmp_path / "keras")}  # fmt: skip
    r = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--mode=adversarial", f"--data_dir={photos}",
         "--split=none", "--crop_size=128", "--batch_size=2", "--vgg_weights=imagenet",
         f"--g_weights={SHIPPED_UPSCALE}", f"--checkpoint_dir={tmp_path / 'ck'}",
         "--max_steps=1", "--progress=false"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, **dead, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    _one_clear_line(r, "--vgg_weights=imagenet", "--no_vgg")


@pytest.mark.slow
def test_ctrl_c_in_upscale_is_one_line(tmp_path):
    """Ctrl-C while upscale runs: the 'interrupted' line and nothing after it (TensorFlow used
    to report every unfinished tile loop at exit)."""
    big = np.tile(skdata.coffee(), (3, 3, 1))  # 1200 x 1800: many tiles, a minute of work
    iio.imwrite(tmp_path / "big.png", big)
    p = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "--mode=upscale", f"--input={tmp_path / 'big.png'}",
         f"--output={tmp_path / 'out'}", "--tile=256", "--infer_precision=float32"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    # Interrupted while the tiles are computed: once the tile bar shows its first tile.
    chunks = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: p.stderr.read(64), "")))
    reader.start()
    deadline = time.time() + 240
    while time.time() < deadline and not re.search(r" [1-9]\d*/\d+ \[", "".join(chunks)):
        time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=120)
    reader.join(timeout=30)
    err = "".join(chunks)
    assert p.returncode == 130, (p.returncode, err[-2000:])
    assert "interrupted (Ctrl-C)" in err
    assert "never used" not in err and "Traceback" not in err, err[-3000:]
    out = tmp_path / "out"
    assert not (out.exists() and list(out.iterdir()))  # no output, half-written or temporary


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["tl", "paper"])
def test_adversarial_training_logs_no_e0000_lines(photos, tmp_path, kind):
    """TensorFlow's graph optimiser used to log `E0000 ... remapper failed` at every trace of
    the adversarial step (it tried to fuse the discriminator's first conv, bias and LeakyRelu):
    a normal run's log holds no E0000 line."""
    r = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--mode=adversarial", f"--data_dir={photos}",
         "--split=none", "--crop_size=64", "--batch_size=2", "--patches_per_image=2",
         f"--discriminator={kind}", "--no_vgg", "--g_weights=demo", "--max_steps=2",
         f"--checkpoint_dir={tmp_path}", "--progress=false"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    assert "E0000" not in r.stderr + r.stdout, (r.stderr + r.stdout)[-2000:]
