"""Faults and odd inputs, driven through `main.py` and the default SavedModel as a user meets
them: each ends in one clear line or the right result, never a traceback, never a half-written
file, never a program reading its own outputs.

Covered: images of 1 and 2 pixels a side (upscale, compare, every SavedModel signature,
TFLite); `--output` inside and equal to `--input`; an empty input folder; outputs kept on a
rerun; unusable checkpoint folders; a disk that fills while a checkpoint is written (a tmpfs,
when the test runs as root), then the resume; `--version`; a seeded set of mutated image files
through `encoded`; the docs' request bodies against the default export; the end-of-run lines;
`--helpfull`.
"""

import base64
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from main_cli import run_main, run_main_many
from PIL import Image

ROOT = Path(__file__).parent.parent
TINY_SIZES = [(1, 1), (1, 2), (2, 1), (2, 2), (2, 5), (3, 3)]
TINY_MODEL = ["--n_res_blocks=1", "--filters=8", "--d_filters=8", "--progress=false"]


def _one_clear_line(r, *words):
    """Exit 1, no traceback, one `error:` line on stderr that names every one of `words`."""
    assert r.returncode == 1, (r.returncode, r.stdout[-1500:], r.stderr[-1500:])
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, r.stderr
    for word in words:
        assert word in errors[0], (word, errors[0])
    return errors[0]


def _png(array):
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def _tiny_folder(root):
    """A folder of tiny images (one flat colour each) and one ordinary small photo crop."""
    root.mkdir(parents=True)
    colours = {}
    for i, (h, w) in enumerate(TINY_SIZES):
        colour = np.array([37 * i % 256, 200 - 20 * i, 90 + 15 * i], np.uint8)
        iio.imwrite(root / f"tiny_{h}x{w}.png", np.broadcast_to(colour, (h, w, 3)).copy())
        colours[f"tiny_{h}x{w}"] = colour
    from skimage import data as skdata

    iio.imwrite(root / "photo.png", skdata.chelsea()[100:124, 150:170])
    return colours


# --- upscale ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_upscale_gives_tiny_images_their_4x_output_and_never_reads_its_own(tmp_path):
    src = tmp_path / "in"
    colours = _tiny_folder(src)
    out = src / "out"  # inside the input folder
    args = ["--mode=upscale", f"--input={src}", f"--output={out}", "--progress=false"]
    first = run_main(*args)
    assert first.returncode == 0 and "Traceback" not in first.stderr, first.stderr[-3000:]
    assert "7 images upscaled" in first.stdout, first.stdout
    for (h, w), stem in zip(TINY_SIZES, colours):
        sr = iio.imread(out / f"{stem}_x4.png")
        assert sr.shape == (4 * h, 4 * w, 3), stem
        # A flat colour stays that colour: mirrored up to the generator's least input, a tiny
        # image is a flat field, and the steps hold the output to its input.
        assert np.abs(sr.astype(int) - colours[stem].astype(int)).max() <= 2, (stem, sr[0, 0])
    assert iio.imread(out / "photo_x4.png").shape == (96, 80, 3)
    stamp = {p: p.stat().st_mtime_ns for p in out.iterdir()}

    # Rerun (as after Ctrl-C): complete outputs are kept, none of them is read as an input.
    second = run_main(*args)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "7 of 7 outputs exist" in second.stdout and "7 kept" in second.stdout, second.stdout
    assert {p: p.stat().st_mtime_ns for p in out.iterdir()} == stamp
    assert not list(tmp_path.rglob("*_x4_x4*"))
    # --overwrite redoes them all, still without reading the outputs.
    third = run_main(*args, "--overwrite")
    assert "7 images upscaled" in third.stdout, third.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in stamp)


@pytest.mark.slow
def test_upscale_refusals_write_nothing(tmp_path):
    src, empty = tmp_path / "in", tmp_path / "empty"
    _tiny_folder(src)
    empty.mkdir()
    refused = run_main_many(
        [
            ["--mode=upscale", f"--input={empty}", f"--output={tmp_path / 'o1'}"],
            ["--mode=upscale", f"--input={src}", f"--output={src}"],
            ["--mode=compare", f"--input={src / 'tiny_3x3.png'}", f"--output={tmp_path / 'o2'}"],
        ]
    )
    _one_clear_line(refused[0], str(empty), "no files")
    _one_clear_line(refused[1], "--output", "--input folder itself")
    _one_clear_line(refused[2], "3x3", "20x20", "--mode=upscale")
    # A missing official file says where it is published.
    (missing,) = run_main_many([["--mode=upscale", f"--input={src}",
                                 f"--g_weights={tmp_path / 'g_srgan.npz'}"]])  # fmt: skip
    _one_clear_line(missing, "g_srgan.npz: no such file", "tensorlayer/srgan release 1.2.0")
    for r in [*refused, missing]:
        assert "Generator:" not in r.stdout  # refused before any model was loaded
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()
    assert sorted(p.name for p in src.iterdir()) == sorted(
        [f"tiny_{h}x{w}.png" for h, w in TINY_SIZES] + ["photo.png"]
    )


@pytest.mark.slow
def test_evaluate_names_what_it_skipped(tmp_path):
    src = tmp_path / "set"
    _tiny_folder(src)
    (src / "notes.txt").write_text("not an image")
    r = run_main(
        "--mode=evaluate", "--split=none", f"--data_dir={src}", "--checkpoint_dir=none",
        "--g_weights=demo",
        f"--output={tmp_path / 'ev'}", *TINY_MODEL[-1:],
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    line = next(x for x in r.stdout.splitlines() if "images used from" in x)
    assert "1 images used" in line and "7 skipped" in line, line
    assert "tiny_1x1.png (smaller than 20px)" in line and "notes.txt" in line, line


# --- training --------------------------------------------------------------------------------


def _photos(root, n=4, side=48):
    root.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        iio.imwrite(root / f"p{i}.png", rng.integers(0, 256, (side, side, 3), dtype=np.uint8))
    return root


def _train_args(data, ck, steps):
    return ["--mode=init", *TINY_MODEL, f"--data_dir={data}", "--split=none", "--crop_size=32",
            "--batch_size=2", "--patches_per_image=4", f"--checkpoint_dir={ck}",
            f"--max_steps={steps}", "--save_every=2"]  # fmt: skip


def test_unusable_checkpoint_folders_are_refused_before_any_work(tmp_path):
    data = _photos(tmp_path / "photos")
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    refused = run_main_many(
        [_train_args(data, a_file, 2), _train_args(data, "/proc/srgan_runs", 2)]
    )
    _one_clear_line(refused[0], "--checkpoint_dir", "is a file, not a folder")
    _one_clear_line(refused[1], "--checkpoint_dir", "cannot write in /proc")
    assert a_file.read_text() == "" and not Path("/proc/srgan_runs").exists()


@pytest.mark.slow
def test_end_of_run_lines_say_what_happened(tmp_path):
    data, ck = _photos(tmp_path / "photos"), tmp_path / "ck"
    done = run_main(*_train_args(data, ck, 2))
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"Done at step 2; its batch's losses: mse=[\d.e-]+ \(one batch", done.stdout)
    again = run_main(*_train_args(data, ck, 2))
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Nothing to train" in again.stdout and "Done at" not in again.stdout, again.stdout
    assert not (ck / "init" / ".lock").exists()  # the lock goes with the process


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_disk_that_fills_during_a_checkpoint_loses_nothing(tmp_path):
    data, disk = _photos(tmp_path / "photos"), tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(disk)],
                             capture_output=True, text=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"this machine cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        ck = disk / "ck"
        first = run_main(*_train_args(data, ck, 2))
        assert first.returncode == 0, first.stderr[-2000:]
        # Fill the disk but for a few kilobytes: the next checkpoint cannot be written.
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        (disk / "filler").write_bytes(b"\0" * max(0, free - 8192))
        full = run_main(*_train_args(data, ck, 6))
        line = _one_clear_line(full, "step 2")
        assert "full" in line or "space" in line, line
        assert not list(ck.rglob("*_temp*")) and not list(ck.rglob(".*.tmp*"))
        assert not (ck / "init" / ".lock").exists()
        # Space freed: the same command resumes from step 2 and finishes.
        (disk / "filler").unlink()
        resumed = run_main(*_train_args(data, ck, 6))
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        assert "Done at step 6" in resumed.stdout, resumed.stdout
        assert "step 2" in resumed.stdout or "step 2" in resumed.stderr  # resumed, not restarted
    finally:
        subprocess.run(["umount", str(disk)], check=False)


# --- export and serving ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_export(tmp_path_factory):
    """`python main.py --mode=export` with every default: the shipped generator and the
    post-processing upscale runs."""
    root = tmp_path_factory.mktemp("export")
    r = run_main("--mode=export", f"--export_dir={root / 'srgan'}", "--version=1",
                 "--progress=false", timeout=900)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    return root / "srgan" / "1"


def test_export_versions_must_be_positive_integers(tmp_path):
    refused = run_main_many(
        [["--mode=export", f"--export_dir={tmp_path / 'e'}", f"--version={v}"] for v in (-1, 0)]
    )
    for r in refused:
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
        assert "--version" in r.stderr and "positive integer" in r.stderr, r.stderr
    assert not (tmp_path / "e").exists()


@pytest.mark.slow
def test_default_export_serves_tiny_images_in_every_signature(default_export):
    import tensorflow as tf

    m = tf.saved_model.load(str(default_export))
    for h, w in TINY_SIZES:
        pixels = np.full((1, h, w, 3), 120, np.uint8)
        sr = m.signatures["serving_default"](images=tf.constant(pixels))["sr_images"].numpy()
        assert sr.shape == (1, 4 * h, 4 * w, 3) and np.abs(sr.astype(int) - 120).max() <= 2
        lr = tf.constant(pixels / 127.5 - 1.0, tf.float32)
        assert m.signatures["predict_float"](lr=lr)["sr"].shape == (1, 4 * h, 4 * w, 3)
        png = m.signatures["encoded"](image_bytes=tf.constant([_png(pixels[0])]))["png_bytes"]
        assert np.asarray(Image.open(io.BytesIO(png.numpy()[0]))).shape == (4 * h, 4 * w, 3)


@pytest.mark.slow
def test_docs_request_bodies_run_against_the_default_export(default_export, tmp_path):
    """docs/serving.md's REST bodies (its 1x2 and 2x2 examples) and its gRPC request, in a
    fresh TensorFlow-only process, give the shapes the page promises and upscale's pixels."""
    from skimage import data as skimage_data
    from test_export import _jpeg, _readme_block, _rest_instances, _run_fresh

    from srgan_tf import inference, weights
    from srgan_tf.data import images
    from srgan_tf.models import build_generator
    from srgan_tf.modes import defaults
    from srgan_tf.modes.trained_through import trained_through

    (tmp_path / "photo.jpg").write_bytes(_jpeg(skimage_data.chelsea()[60:100, 100:150], 92))
    photo_b64 = base64.b64encode((tmp_path / "photo.jpg").read_bytes()).decode()
    shell = _readme_block("rest-encoded").replace("'\"$(base64 -w0 photo.jpg)\"'", photo_b64)
    bodies = {
        "encoded": re.search(r"-d '(.*?)'", shell).group(1),
        "serving_default": re.search(r"-d '(.*?)'", _readme_block("rest-pixels")).group(1),
        "predict_float": re.search(r"-d '(.*?)'", _readme_block("rest-float")).group(1),
    }
    encoded = np.array(_rest_instances(bodies["encoded"], "encoded"), dtype=object)
    pixels = np.array(_rest_instances(bodies["serving_default"], "serving_default"), np.uint8)
    floats = np.array(_rest_instances(bodies["predict_float"], "predict_float"), np.float32)
    out = _run_fresh(
        default_export,
        {
            "rest_encoded": ("encoded", {"image_bytes": encoded}),
            "rest_pixels": ("serving_default", {"images": pixels}),
            "rest_float": ("predict_float", {"lr": floats}),
        },
        tmp_path,
    )
    assert out["rest_pixels__sr_images"].shape == (1, 8, 8, 3)
    assert out["rest_float__sr"].shape == (1, 4, 8, 3)
    # upscale's own pixels for the photo: the shipped generator as upscale runs it.
    g = build_generator()
    weights.load_weights(g, defaults.SHIPPED_UPSCALE)
    trained = trained_through(str(defaults.SHIPPED_UPSCALE))
    predict = inference.predictor(g, defaults.post_processing("upscale", trained=trained))
    photo = images.read_image(tmp_path / "photo.jpg")[0]
    expected = inference.upscale(predict, photo / 127.5 - 1.0, to_uint8=True)
    got = np.asarray(Image.open(io.BytesIO(out["rest_encoded__png_bytes"][0])))
    assert got.shape == (160, 200, 3)
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1


@pytest.mark.slow
def test_mutated_image_files_get_invalid_argument_and_nothing_else(default_export):
    """400 seeded mutations of a PNG and a JPEG (bit flips, truncations, spliced bytes, blown-up
    header fields) through `encoded`: a PNG back, or InvalidArgument with a readable message."""
    import tensorflow as tf

    m = tf.saved_model.load(str(default_export))
    encoded = m.signatures["encoded"]
    rng = np.random.default_rng(33)
    img = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
    seeds = [_png(img), iio.imwrite("<bytes>", img, extension=".jpg")]
    outcomes = {"ok": 0, "invalid": 0}
    for i in range(400):
        b = bytearray(seeds[i % 2])
        kind = i // 2 % 4
        if kind == 0:
            for _ in range(rng.integers(1, 8)):
                b[rng.integers(len(b))] ^= 1 << int(rng.integers(8))
        elif kind == 1:
            b = b[: rng.integers(0, len(b))]
        elif kind == 2:
            j = rng.integers(len(b))
            b[j:j] = rng.bytes(int(rng.integers(1, 40)))
        else:
            j = rng.integers(8, 30)
            b[j : j + 4] = b"\x7f\xff\xff\xff"
        try:
            png = encoded(image_bytes=tf.constant([bytes(b)]))["png_bytes"].numpy()[0]
            Image.open(io.BytesIO(png)).verify()
            outcomes["ok"] += 1
        except tf.errors.InvalidArgumentError as e:
            assert e.message.strip(), i
            outcomes["invalid"] += 1
    assert outcomes["ok"] > 0 and outcomes["invalid"] > 0, outcomes
    with pytest.raises(tf.errors.InvalidArgumentError, match="too short to be an image"):
        encoded(image_bytes=tf.constant([b"\x89PNG"]))


@pytest.mark.slow
def test_tflite_export_is_quiet_and_serves_tiny_images(tmp_path):
    r = run_main("--mode=export", "--format=tflite", f"--export_dir={tmp_path}",
                 "--progress=false", timeout=900)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(r.stdout.splitlines()) <= 6 and "Captures" not in r.stdout, r.stdout
    from ai_edge_litert.interpreter import Interpreter

    (path,) = tmp_path.glob("*.tflite")
    for h, w in ((1, 1), (1, 2), (3, 2)):
        interp = Interpreter(model_path=str(path))
        inp = interp.get_input_details()[0]
        interp.resize_tensor_input(inp["index"], (1, h, w, 3))
        interp.allocate_tensors()
        interp.set_tensor(inp["index"], np.zeros((1, h, w, 3), np.float32))
        interp.invoke()
        sr = interp.get_tensor(interp.get_output_details()[0]["index"])
        assert sr.shape == (1, 4 * h, 4 * w, 3) and np.abs(sr).max() * 127.5 <= 2  # flat stays flat


# --- help ------------------------------------------------------------------------------------


def test_help_lists_every_flag_and_exits_zero():
    full = subprocess.run([sys.executable, str(ROOT / "main.py"), "--helpfull"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert full.returncode == 0, full.stderr
    for name in ("detail_floor", "self_ensemble", "overwrite", "tflite_fp16", "version"):
        assert f"--{name}=" in full.stdout, name
    short = subprocess.run([sys.executable, str(ROOT / "main.py")], capture_output=True,
                           text=True, timeout=120)  # fmt: skip
    assert short.returncode == 0
    assert "--detail_floor=" in short.stdout and "tflite" in short.stdout.split("--format=")[1]


# --- the maths under the tiny-image fixes ----------------------------------------------------


@pytest.mark.parametrize("h,w", [(1, 1), (1, 2), (2, 3), (5, 4), (12, 7)])
@pytest.mark.parametrize("before,after", [(1, 1), (6, 6), (3, 9), ((0, 5), (7, 2))])
def test_symmetric_pad_is_numpys_symmetric_pad_at_any_size(h, w, before, after):
    """numpy's 'symmetric' mode, which repeats the mirroring past the image as MATLAB does,
    is the oracle; where the pad fits, `tf.pad(mode="SYMMETRIC")` agrees too."""
    import tensorflow as tf

    from srgan_tf.protocols import symmetric_pad

    x = np.random.default_rng(h * 10 + w).normal(size=(2, h, w, 3)).astype(np.float32)
    b = before if isinstance(before, tuple) else (before, before)
    a = after if isinstance(after, tuple) else (after, after)
    want = np.pad(x, ((0, 0), (b[0], a[0]), (b[1], a[1]), (0, 0)), mode="symmetric")
    np.testing.assert_array_equal(symmetric_pad(tf.constant(x), before, after).numpy(), want)


def test_min_side_leaves_ordinary_images_alone_and_mirrors_tiny_ones():
    import tensorflow as tf

    from srgan_tf.models.min_side import MIN_SIDE, MinSideCrop, MinSidePad

    big = tf.random.normal([1, MIN_SIDE, MIN_SIDE + 3, 3])
    assert MinSidePad()(big).shape == big.shape
    tiny = tf.constant(np.full((1, 1, 2, 3), 0.25, np.float32))
    padded = MinSidePad()(tiny)
    assert padded.shape == (1, MIN_SIDE, MIN_SIDE, 3) and np.all(padded.numpy() == 0.25)
    marked = np.zeros((1, 4 * MIN_SIDE, 4 * MIN_SIDE, 3), np.float32)
    top, left = (MIN_SIDE - 1) // 2, (MIN_SIDE - 2) // 2
    marked[:, 4 * top : 4 * top + 4, 4 * left : 4 * left + 8] = 1.0  # where the image sits
    cropped = MinSideCrop(4)([tiny, tf.constant(marked)]).numpy()
    assert cropped.shape == (1, 4, 8, 3) and np.all(cropped == 1.0)
    # The static shapes Keras infers agree with the computed ones, small sides included.
    assert MinSidePad().compute_output_shape((1, 1, 2, 3)) == (1, MIN_SIDE, MIN_SIDE, 3)
    assert MinSidePad().compute_output_shape((None, None, 40, 3)) == (None, None, 40, 3)
    shapes = ((1, 1, 2, 3), (1, 4 * MIN_SIDE, 4 * MIN_SIDE, 3))
    assert MinSideCrop(4).compute_output_shape(shapes) == (1, 4, 8, 3)
