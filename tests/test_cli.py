"""The command (srgan_tf/cli/): `srgan-tf` on PATH, `python -m srgan_tf` and `python main.py`
are one program; words are read as a user means them or refused; nothing runs by accident."""

import shutil
import subprocess
import sys

import imageio.v3 as iio
import pytest
from main_cli import ROOT, run_main_many
from skimage import data as skdata


def _run(args, cwd):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.mark.parametrize("ask", [[], ["--help"], ["--helpfull"]], ids=["bare", "help", "helpfull"])
def test_three_ways_to_call_it_print_the_same_help(tmp_path, ask):
    entry = shutil.which("srgan-tf")
    assert entry, "srgan-tf is not on PATH: `pip install -e .` installs it"
    outs = [_run([entry, *ask], tmp_path), _run([sys.executable, "-m", "srgan_tf", *ask], tmp_path),
            _run([sys.executable, str(ROOT / "main.py"), *ask], tmp_path)]  # fmt: skip
    assert [r.returncode for r in outs] == [0, 0, 0]
    assert outs[0].stdout == outs[1].stdout  # the installed command and -m: one program
    assert outs[2].stdout == outs[0].stdout.replace("srgan-tf", "python main.py")
    assert "usage: srgan-tf --mode=MODE" in outs[0].stdout
    assert not list(tmp_path.iterdir())  # the help writes nothing


def test_main_py_is_a_thin_entry():
    lines = (ROOT / "main.py").read_text().splitlines()
    assert len(lines) <= 30, len(lines)


@pytest.mark.slow
def test_words_are_read_as_meant_or_refused(tmp_path):
    """`upscale photo.jpg` is --mode=upscale --input=photo.jpg; any other word is refused,
    naming it; flags without --mode print the help and train nothing."""
    photo = tmp_path / "photo.png"
    iio.imwrite(photo, skdata.chelsea()[100:140, 150:200])
    out = tmp_path / "out"
    results = run_main_many(
        [
            ["upscale", str(photo), f"--output={out}", "--progress=false"],
            ["upscale", str(photo), "other.jpg"],
            ["--mode=evaluate", "extra"],
            ["trian", "--data_dir=x"],
            [f"--data_dir={tmp_path}", f"--checkpoint_dir={tmp_path / 'ck'}"],
        ]
    )
    assert results[0].returncode == 0, results[0].stderr[-2000:]
    assert (out / "photo_x4.png").is_file()
    assert iio.imread(out / "photo_x4.png").shape == (160, 200, 3)
    for r, words in zip(results[1:4], (["'other.jpg'"], ["'extra'"], ["'trian'"])):
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
        errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and all(w in errors[0] for w in words), r.stderr
    no_mode = results[4]
    assert no_mode.returncode == 1 and "usage:" in no_mode.stdout
    assert "no --mode" in no_mode.stderr
    assert not (tmp_path / "ck").exists()  # nothing trained by accident


@pytest.mark.slow
def test_a_wheel_carries_the_generators_and_runs_from_any_folder(tmp_path):
    """Built and installed as a user gets it (not editable, the checkout not importable): the
    shipped generators and NIQE's model are in the wheel, the oracles are not; from a folder
    outside the checkout the installed `srgan-tf` upscales a photo to the very bytes the
    checkout's `python main.py` writes, README's Python snippet runs, and export works."""
    import os
    import re
    import zipfile

    wheels = tmp_path / "wheels"
    r = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
              "-w", str(wheels), str(ROOT)], tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = wheels.glob("srgan_tf-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in ("upscale", "demo"):
        assert f"srgan_tf/pretrained/{shipped}/g.weights.h5" in names
    records = [
        p.relative_to(ROOT).as_posix() for p in (ROOT / "srgan_tf" / "pretrained").glob("*/*.json")
    ]
    assert records and set(records) <= set(names), set(records) - set(names)  # config, manifest
    assert "srgan_tf/evaluation/data/niqe_pris_params.npz" in names
    assert not any(n.startswith("srgan_reference/") for n in names)
    site = tmp_path / "site"
    r = _run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
              str(wheel)], tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    entry = site / "bin" / "srgan-tf"  # the console script, as pip writes it
    assert entry.is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = subprocess.run([sys.executable, "-c", "import srgan_tf; print(srgan_tf.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, env=env)  # fmt: skip
    assert probe.stdout.startswith(str(site)), probe.stdout + probe.stderr

    photo = skdata.chelsea()[40:120, 100:200]  # 80 x 100, a real photo's texture
    iio.imwrite(elsewhere / "photo.png", photo)
    iio.imwrite(tmp_path / "photo.png", photo)
    r = subprocess.run([sys.executable, str(entry), "--mode=upscale", "--input=photo.png",
                        "--output=out", "--progress=false"], capture_output=True, text=True,
                       timeout=600, cwd=elsewhere, env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    r = _run([sys.executable, str(ROOT / "main.py"), "--mode=upscale",
              f"--input={tmp_path / 'photo.png'}", f"--output={tmp_path / 'out'}",
              "--progress=false"], ROOT)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    installed = (elsewhere / "out" / "photo_x4.png").read_bytes()
    assert installed == (tmp_path / "out" / "photo_x4.png").read_bytes()

    snippet = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    iio.imwrite(elsewhere / "my_photo.jpg", photo)
    r = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True,
                       timeout=300, cwd=elsewhere, env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    assert iio.imread(elsewhere / "my_photo_x4.png").shape == (320, 400, 3)

    r = subprocess.run([sys.executable, str(entry), "--mode=export", "--format=tflite",
                        "--export_dir=exp"], capture_output=True, text=True, timeout=600,
                       cwd=elsewhere, env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    assert (elsewhere / "exp" / "srgan_fp32.tflite").is_file()


def test_help_into_a_reader_that_stops_early_ends_quietly(tmp_path):
    """`srgan-tf --helpfull | head -1`: the reader has closed the pipe (here before the first
    write, so that every write fails); no BrokenPipeError traceback, exit 0."""
    import os

    read, write = os.pipe()
    os.close(read)
    try:
        r = subprocess.run([sys.executable, "-m", "srgan_tf", "--helpfull"], cwd=tmp_path,
                           stdout=write, stderr=subprocess.PIPE, text=True, timeout=60)  # fmt: skip
    finally:
        os.close(write)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "BrokenPipe" not in r.stderr, r.stderr
