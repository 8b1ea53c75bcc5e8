"""main.py's evaluate, upscale and export modes end to end, as a user runs them."""

import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from main_cli import run_main as cli
from main_cli import run_main_many

from srgan_tf import weights
from srgan_tf.models import build_generator

ROOT = Path(__file__).parent.parent
TINY = ["--n_res_blocks=1", "--filters=8", "--progress=false"]


@pytest.mark.slow
def test_upscale_evaluate_export(tmp_path):
    g = tmp_path / "ck" / "general" / "g.weights.h5"
    weights.save_weights(build_generator(1, 8), g)
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    iio.imwrite(photos / "a.png", rng.integers(0, 256, (30, 20, 3), dtype=np.uint8))
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    r = cli(
        "--mode=upscale",
        f"--input={photos}",
        f"--output={tmp_path / 'up'}",
        f"--g_weights={g}",
        *TINY,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert iio.imread(tmp_path / "up" / "a_x4.png").shape == (120, 80, 3)
    assert "1 images upscaled" in r.stdout and "broken.jpg" in r.stderr

    data = tmp_path / "data"
    for cls in ("sea", "beach"):
        (data / cls).mkdir(parents=True)
        for i in range(2):
            iio.imwrite(data / cls / f"{i}.png", rng.integers(0, 256, (32, 36, 3), dtype=np.uint8))
    r = cli(
        "--mode=evaluate",
        f"--data_dir={data}",
        f"--checkpoint_dir={tmp_path / 'ck'}",
        f"--output={tmp_path / 'ev'}",
        *TINY,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "ev" / "matrix_mse.csv").read_text().startswith("class,bicubic,general")

    r = cli(
        "--mode=export",
        f"--export_dir={tmp_path / 'export'}",
        "--version=2",
        f"--g_weights={g}",
        *TINY,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "export" / "2" / "saved_model.pb").is_file()
    import tensorflow as tf

    from srgan_tf.modes import defaults

    m = tf.saved_model.load(str(tmp_path / "export" / "2"))  # serving gets upscale's defaults
    assert (int(m.self_ensemble), int(m.back_projection), float(m.detail_floor)) == (
        defaults.UPSCALE_SELF_ENSEMBLE, defaults.UPSCALE_BACK_PROJECTION,
        defaults.UPSCALE_DETAIL_FLOOR,
    )  # fmt: skip
    again, empty = run_main_many([
        ["--mode=export", f"--export_dir={tmp_path / 'export'}", "--version=2",
         f"--g_weights={g}", *TINY],
        ["--mode=evaluate", f"--data_dir={data}", f"--checkpoint_dir={tmp_path / 'empty'}",
         *TINY],
    ])  # fmt: skip
    assert again.returncode == 1 and "another --version" in again.stderr
    assert "Traceback" not in again.stderr
    assert empty.returncode == 1 and "no generators" in empty.stderr


def test_study_flagfiles_parse_into_configs():
    """Each flagfile in flags/ parses, and command-line flags after it override it."""
    code = (
        "import sys; sys.argv = ['main.py', '--flagfile=flags/{f}', '--cls=desert', '--n_epoch=7']\n"
        "import main; main.FLAGS(sys.argv)\n"
        "from srgan_tf.cli.configs import make_configs\n"
        "c, _ = make_configs(main.FLAGS.flag_values_dict()); m, d, l, t = c.model, c.data, c.loss, c.train\n"
        "print(main.FLAGS.mode, d.batch_size, d.crop_size, t.n_epoch, t.lr_init, d.cls)\n"
        "print('tensorflow' in sys.modules)\n"
    )
    seen = {}
    for f in ("div2k_init.cfg", "div2k_adversarial.cfg", "specialize.cfg"):
        r = subprocess.run(
            [sys.executable, "-c", code.format(f=f)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr[-2000:]
        seen[f] = r.stdout.split()
    # Reading flags into configs never starts TensorFlow (seconds): a mistake is told at once.
    assert all(words[-1] == "False" for words in seen.values()), seen
    assert seen["div2k_init.cfg"][:3] == ["init", "8", "384"]
    assert seen["div2k_adversarial.cfg"][0] == "adversarial"
    assert seen["specialize.cfg"][0] == "specialize" and seen["specialize.cfg"][3] == "7"
    assert seen["specialize.cfg"][5] == "desert"


@pytest.mark.slow
def test_study_script_runs_every_stage(tmp_path):
    """flags/study.sh end to end on the sample set with a tiny model: init, adversarial,
    specialisation of the adversarial generator per class, then the model-by-class matrix."""
    from srgan_tf.data import sample_data

    data = sample_data.sample_dir()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DIV2K": str(data),
        "LANDSCAPES": str(data),
        "CLASSES": "texture",  # one class: the loop is bash's, each pass the same command
        "CKPT": str(tmp_path / "ck"),
        "OUT": str(tmp_path / "out"),
    }
    # Flags every step reads go after the script; the training steps' own in TRAIN_FLAGS (the
    # evaluation step would refuse them by name).
    env["TRAIN_FLAGS"] = ("--d_filters=4 --crop_size=64 --batch_size=2 --patches_per_image=1 "
                          "--n_epoch_init=1 --n_epoch=1 --no_vgg")  # fmt: skip
    r = subprocess.run(
        ["bash", str(ROOT / "flags" / "study.sh"), *TINY],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    for run in ("init", "srgan", "texture"):
        for name in ("g.weights.h5", "config.json", "manifest.json"):
            assert (tmp_path / "ck" / run / name).is_file(), (run, name)
    # adversarial starts from the finished init run, specialize from the adversarial one
    assert "Generator warm-started from " + str(tmp_path / "ck" / "init") in r.stdout
    assert "Generator warm-started from " + str(tmp_path / "ck" / "srgan") in r.stdout
    header = (tmp_path / "out" / "matrix_psnr_y.csv").read_text().splitlines()[0]
    assert header == "class,bicubic,init,srgan,texture"


def test_a_missing_oracle_fails_under_ci_and_skips_elsewhere(monkeypatch):
    import pytest
    from oracles import require

    monkeypatch.setenv("CI", "true")
    with pytest.raises(ImportError):
        require("an_oracle_that_does_not_exist")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        require("an_oracle_that_does_not_exist")


def test_specialize_flagfile_is_the_studys_setup():
    """The study specialised the official TensorLayer 1 generator with a VGG16 loss network cut
    at pool4 (its learning.py: vgg16(pretrained=True, end_with='pool4'), g_srgan.npz)."""
    code = (
        "import sys; sys.argv = ['main.py', '--flagfile=flags/specialize.cfg', '--cls=desert']\n"
        "import main; main.FLAGS(sys.argv)\n"
        "from srgan_tf.cli.configs import make_configs\n"
        "c, _ = make_configs(main.FLAGS.flag_values_dict()); m, d, l, t = c.model, c.data, c.loss, c.train\n"
        "print(m.vgg_name, m.vgg_end_with, t.vgg_weights, main.FLAGS.g_weights, t.n_trainable)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == [
        "vgg16", "pool4", "checkpoints/vgg16_weights.npz", "checkpoints/g_srgan.npz", "1"
    ]  # fmt: skip


def test_upscale_mirrors_the_tree_never_collides_and_honours_exif(tmp_path):
    from PIL import Image

    g = tmp_path / "ck" / "general" / "g.weights.h5"
    weights.save_weights(build_generator(1, 8), g)
    photos = tmp_path / "photos"
    (photos / "trip").mkdir(parents=True)
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (12, 20, 3), dtype=np.uint8)
    iio.imwrite(photos / "a.png", pixels)
    iio.imwrite(photos / "a.jpg", pixels)  # same stem, same folder
    iio.imwrite(photos / "trip" / "a.png", pixels)  # same name, another folder
    # A phone photo stored landscape with "rotate 90 CW" in EXIF (orientation 6): portrait.
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(pixels).save(photos / "trip" / "phone.jpg", exif=exif, quality=95)
    r = cli("--mode=upscale", f"--input={photos}", f"--output={tmp_path / 'up'}",
            f"--g_weights={g}", "--format=webp", *TINY)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    up = tmp_path / "up"
    written = sorted(str(p.relative_to(up)) for p in up.rglob("*") if p.is_file())
    assert written == ["a_jpg_x4.webp", "a_png_x4.webp", "trip/a_x4.webp", "trip/phone_x4.webp"]
    assert iio.imread(up / "trip" / "phone_x4.webp").shape[:2] == (80, 48)  # rotated upright
    assert "4 images upscaled" in r.stdout


def test_startup_is_quiet_unless_verbose(tmp_path):
    r = cli("--mode=upscale", f"--input={tmp_path / 'none'}")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        f"error: --input={tmp_path / 'none'}: no such file or folder"
    ]
    r = cli("--mode=upscale", f"--input={tmp_path / 'none'}", "--verbose")
    assert len(r.stderr.strip().splitlines()) > 1  # TensorFlow's own start-up lines


@pytest.mark.slow
def test_export_tflite_and_format_mistakes(tmp_path):
    g = tmp_path / "ck" / "general" / "g.weights.h5"
    weights.save_weights(build_generator(1, 8), g)
    r = cli("--mode=export", "--format=tflite", "--tflite_fp16", f"--g_weights={g}",
            f"--export_dir={tmp_path / 'ex'}", *TINY)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "ex" / "srgan_fp16.tflite").stat().st_size > 1000
    refused = run_main_many([
        ["--mode=export", "--format=webp", f"--g_weights={g}", *TINY],
        ["--mode=upscale", "--format=tflite", f"--input={g}", f"--g_weights={g}", *TINY],
        ["--mode=export", "--tile=40", f"--g_weights={g}", f"--export_dir={tmp_path / 'e2'}",
         *TINY],
    ])  # fmt: skip
    said = ("saved_model or tflite, not --format=webp", "not --format=tflite", "--tile=40")
    for r, words in zip(refused, said):
        assert r.returncode == 1 and words in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "e2").exists()
