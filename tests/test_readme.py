"""Every `srgan-tf` command and the Python snippet of README.md, run as written, in a fresh
folder laid out as the README assumes (a photo, a folder of photos, the official generator's
file name). Training commands get `--max_steps=2` appended (a later flag wins), so they prove the
command works without training for an hour. The commands run as `python -m srgan_tf`, the same
program as the installed `srgan-tf` (tests/test_cli.py).

The first command (`srgan-tf --mode=evaluate`) is run by `test_demo.py`, which also checks its
numbers; here it is only matched against the command that test runs.
"""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from skimage import data as skdata

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(Path(__file__).parent))
from test_demo import README_EVALUATE  # noqa: E402

# Each README command -> the flags this test appends (for speed only), and a file it must write.
COMMANDS = {
    "srgan-tf upscale my_photo.jpg": ([], "results/upscaled/my_photo_x4.png"),
    "srgan-tf upscale my_photo.jpg --g_weights=checkpoints/g_srgan.npz": (
        [],
        "results/upscaled/my_photo_x4.png",
    ),
    "srgan-tf --mode=init --data_dir=my_photos --split=none --crop_size=96 --batch_size=16 "
    "--patches_per_image=64 --init_loss=l1 --checkpoint_dir=runs/mine": (
        ["--max_steps=2"],
        "runs/mine/init/g.weights.h5",
    ),
    "srgan-tf --mode=specialize --cls=texture --g_weights=demo --crop_size=96 "
    "--patches_per_image=16 --n_epoch=0": (
        ["--max_steps=2"],
        "checkpoints/texture/g.weights.h5",
    ),
    "srgan-tf --mode=export --version=1": ([], "export/srgan/1/saved_model.pb"),
}


def readme_commands():
    """The `srgan-tf ...` lines of README's bash blocks, comments stripped and lines continued
    with a backslash joined."""
    text = (ROOT / "README.md").read_text()
    found = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in re.sub(r"\\\n\s*", "", block).splitlines():
            line = line.split("#")[0].strip()
            for part in line.split("&&"):
                part = part.strip()
                if part.startswith("srgan-tf"):
                    found.append(part)
    return found


def test_every_readme_command_is_run_by_a_test():
    commands = readme_commands()
    assert commands[0] == README_EVALUATE  # test_demo.py runs it and checks its numbers
    assert set(commands[1:]) == set(COMMANDS), set(commands[1:]) ^ set(COMMANDS)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A working folder as README's reader has it after the install."""
    from srgan_tf import pretrained, weights
    from srgan_tf.models import build_generator

    root = tmp_path_factory.mktemp("readme")
    (root / "checkpoints").mkdir()
    iio.imwrite(root / "my_photo.jpg", skdata.chelsea()[100:164, 150:230], quality=92)
    photos = root / "my_photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(5):  # fewer photos than a batch: README's command must still train
        y, x = rng.integers(0, 150, 2)
        iio.imwrite(photos / f"photo_{i}.png", skdata.astronaut()[y : y + 110, x : x + 110])
    g = build_generator()
    weights.load_weights(g, pretrained.path("demo"))
    weights.save_tensorlayer_npz(g, root / "checkpoints" / "g_srgan.npz")
    return root


@pytest.mark.slow
@pytest.mark.parametrize("command", list(COMMANDS))
def test_readme_command_runs_as_written(command, sandbox):
    extra, writes = COMMANDS[command]
    argv = shlex.split(command)
    assert argv[0] == "srgan-tf"
    r = subprocess.run(
        [sys.executable, "-m", "srgan_tf", *argv[1:], *extra, "--progress=false"],
        cwd=sandbox,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert (sandbox / writes).is_file(), (writes, r.stdout[-1500:])
    assert "Traceback" not in r.stderr


@pytest.mark.slow
def test_readme_python_snippet_runs_as_written(sandbox):
    """README's Python block, executed in the folder it assumes: it writes the 4x image, and its
    pixels are the command's (one API under both)."""
    code = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    r = subprocess.run([sys.executable, "-c", code], cwd=sandbox, capture_output=True, text=True,
                       timeout=600)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    out = iio.imread(sandbox / "my_photo_x4.png")
    photo = iio.imread(sandbox / "my_photo.jpg")
    assert out.shape == (4 * photo.shape[0], 4 * photo.shape[1], 3)
    assert r.stdout == ""  # quiet


def test_readme_stays_a_users_first_screen_and_a_short_page():
    """README is for users (issue 38: about 120 lines at most, the picture on the first
    screen); history and provenance live in docs/."""
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 125, len(lines)
    first_screen = "\n".join(lines[:25])
    assert "![" in first_screen and "pip install" in first_screen
