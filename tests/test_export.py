"""Export (srgan_tf/inference/export.py), checked the way TF Serving, its clients and TFLite see it.

The REST bodies and the gRPC request are the ones docs/serving.md shows, taken from it; they run in a
fresh Python process that imports only TensorFlow, as a server would.
"""

import base64
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from oracles import require
from PIL import Image
from skimage import data as skimage_data

from srgan_tf import inference, pretrained
from srgan_tf.config import DEFAULT_MAX_PIXELS
from srgan_tf.data import images
from srgan_tf.inference import PostProcessing, export
from srgan_tf.models import build_generator

ROOT = Path(__file__).parent.parent
TILE = 96  # small tiles so that small test images are cut into several


@pytest.fixture(scope="module")
def generator():
    """The shipped upscale generator, alone: trained weights, so every output pixel carries the
    input's content (a fresh model's outputs are ~1e-4, all 127 or 128 as uint8, which would
    hide a seam, a shifted tile or a mis-scaled input)."""
    from srgan_tf import weights
    from srgan_tf.modes.defaults import SHIPPED_UPSCALE

    g = build_generator()
    weights.load_weights(g, SHIPPED_UPSCALE)
    return g


@pytest.fixture(scope="module")
def exported(generator, tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    path = export.export_saved_model(generator, root / "srgan", version=3, tile=TILE)
    return path


def _tiled_reference(generator, rgb_u8):
    """What --mode=upscale computes for one uint8 RGB image (tiles of the same size)."""
    lr = rgb_u8.astype(np.float32) / 127.5 - 1.0
    return inference.upscale(inference.predictor(generator), lr, TILE, to_uint8=True)


def _png(array):
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def _jpeg(array, quality, subsampling=-1):
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="JPEG", quality=quality, subsampling=subsampling)
    return buf.getvalue()


def _readme_block(marker):
    """The request block after `<!-- marker -->` in the serving page."""
    text = (ROOT / "docs" / "serving.md").read_text()
    m = re.search(rf"<!-- {marker} -->\n```\w+\n(.*?)```", text, re.S)
    assert m, f"docs/serving.md has no block after <!-- {marker} -->"
    return m.group(1)


def _run_fresh(saved_model, calls, tmp_path):
    """Runs `{name: (signature, {input: array})}` in a new process importing only TensorFlow."""
    np.savez(tmp_path / "inputs.npz", **{
        f"{name}__{sig}__{key}": value for name, (sig, feed) in calls.items()
        for key, value in feed.items()
    })  # fmt: skip
    code = (
        "import sys, numpy as np, tensorflow as tf\n"
        f"m = tf.saved_model.load({str(saved_model)!r})\n"
        f"inputs = np.load({str(tmp_path / 'inputs.npz')!r}, allow_pickle=True)\n"
        "out = {}\n"
        "for k in inputs.files:\n"
        "    name, sig, key = k.split('__')\n"
        "    res = m.signatures[sig](**{key: tf.constant(inputs[k])})\n"
        "    for o, v in res.items():\n"
        "        out[f'{name}__{o}'] = v.numpy()\n"
        f"np.savez({str(tmp_path / 'outputs.npz')!r}, **out)\n"
        "print('modules', sorted(k for k in sys.modules if k.split('.')[0] in ('keras', 'srgan_tf')))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "srgan_tf" not in r.stdout  # (TensorFlow itself imports keras)
    return dict(np.load(tmp_path / "outputs.npz", allow_pickle=True))


def _rest_instances(body, signature):
    """TF Serving's row format for a one-input signature: instances, `{"b64": ...}` decoded."""
    parsed = json.loads(body)
    assert parsed["signature_name"] == signature
    values = [base64.b64decode(v["b64"]) if isinstance(v, dict) else v for v in parsed["instances"]]
    return values


def test_layout_and_signatures_via_saved_model_cli(exported):
    assert exported.name == "3" and (exported / "saved_model.pb").is_file()
    assert not [p for p in exported.parent.iterdir() if p.name.startswith(".")]  # no temp left
    cli = subprocess.run(
        ["saved_model_cli", "show", "--dir", str(exported), "--all"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr[-2000:]
    text = cli.stdout
    for sig in ("serving_default", "encoded", "predict_float"):
        assert f"signature_def['{sig}']" in text
    assert "dtype: DT_UINT8" in text and "shape: (-1, -1, -1, 3)" in text
    assert "dtype: DT_STRING" in text and "png_bytes" in text and "image_bytes" in text
    loaded = tf.saved_model.load(str(exported))
    assert int(loaded.tile) == TILE and int(loaded.max_pixels) == DEFAULT_MAX_PIXELS


def test_readme_requests_give_the_keras_pixels_in_a_tensorflow_only_process(
    generator, exported, tmp_path
):
    # the serving page's photo.jpg: a real JPEG (a crop of scikit-image's chelsea, several tiles of 96).
    (tmp_path / "photo.jpg").write_bytes(_jpeg(skimage_data.chelsea()[60:130, 100:230], 92))
    photo = images.read_image(tmp_path / "photo.jpg")[0]  # what --mode=upscale decodes
    photo_b64 = base64.b64encode((tmp_path / "photo.jpg").read_bytes()).decode()

    # REST, encoded: the serving page's curl body with $(base64 -w0 photo.jpg) substituted.
    curl = _readme_block("rest-encoded")
    # The shell closes the quote, substitutes the file's base64 and reopens it.
    shell = curl.replace("'\"$(base64 -w0 photo.jpg)\"'", photo_b64)
    body = re.search(r"-d '(.*?)'", shell).group(1)
    encoded = np.array(_rest_instances(body, "encoded"), dtype=object)
    # REST, pixels: the serving page's literal body.
    pixels_body = re.search(r"-d '(.*?)'", _readme_block("rest-pixels")).group(1)
    pixels = np.array(_rest_instances(pixels_body, "serving_default"), dtype=np.uint8)
    float_body = re.search(r"-d '(.*?)'", _readme_block("rest-float")).group(1)
    floats = np.array(_rest_instances(float_body, "predict_float"), dtype=np.float32)
    # gRPC: the serving page's PredictRequest, built by running the serving page's code.
    require("tensorflow_serving")
    namespace = {}
    cwd = Path.cwd()
    try:
        import os

        os.chdir(tmp_path)
        exec(_readme_block("grpc"), namespace)
    finally:
        os.chdir(cwd)
    request = namespace["request"]
    assert request.model_spec.signature_name == "encoded"
    grpc_input = tf.make_ndarray(request.inputs["image_bytes"])

    out = _run_fresh(
        exported,
        {
            "rest_encoded": ("encoded", {"image_bytes": encoded}),
            "rest_pixels": ("serving_default", {"images": pixels}),
            "rest_float": ("predict_float", {"lr": floats}),
            "grpc": ("encoded", {"image_bytes": grpc_input}),
        },
        tmp_path,
    )
    expected = _tiled_reference(generator, photo)
    whole = images.to_uint8(generator(photo[None] / 127.5 - 1.0, training=False).numpy()[0])
    assert np.abs(expected.astype(int) - whole.astype(int)).max() <= 1  # tiles = one pass
    assert expected.std() > 30  # pixels with content: a shifted tile or a seam would show
    shifted = np.roll(expected, 1, axis=1)  # the control: one pixel off is far off
    assert np.abs(shifted.astype(int) - expected.astype(int)).max() > 50
    for name in ("rest_encoded", "grpc"):
        png = out[f"{name}__png_bytes"]
        assert png.shape == (1,)
        got = np.asarray(Image.open(io.BytesIO(png[0])))
        assert got.shape == (280, 520, 3)
        assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1, name
    sr_float = out["rest_float__sr"]
    # A 1x2 image: what upscale computes (mirrored up to the generator's least side first).
    expected_float = inference.predictor(generator)(tf.constant(floats)).numpy()
    assert sr_float.shape == (1, 4, 8, 3) and np.abs(sr_float - expected_float).max() < 1e-4
    sr = out["rest_pixels__sr_images"]
    assert sr.shape == (1, 8, 8, 3) and sr.dtype == np.uint8
    assert np.abs(sr[0].astype(int) - _tiled_reference(generator, pixels[0]).astype(int)).max() <= 1


def test_encoded_behaves_as_upscale_for_gray_rgba_16_bit_and_mixed_sizes(
    generator, exported, tmp_path
):
    rng = np.random.default_rng(1)
    files = {
        "rgb.png": rng.integers(0, 256, (30, 41, 3), dtype=np.uint8),
        "gray.png": rng.integers(0, 256, (25, 19), dtype=np.uint8),
        "rgba.png": rng.integers(0, 256, (20, 22, 4), dtype=np.uint8),
        "deep.png": rng.integers(0, 65536, (18, 17, 3), dtype=np.uint16),
    }
    import imageio.v3 as iio

    for name, array in files.items():
        if array.dtype == np.uint16:
            import cv2

            cv2.imwrite(str(tmp_path / name), array[..., ::-1])  # Pillow cannot write 16-bit RGB
        else:
            iio.imwrite(tmp_path / name, array)
    batch = tf.constant([(tmp_path / n).read_bytes() for n in files])
    m = tf.saved_model.load(str(exported))
    pngs = m.signatures["encoded"](image_bytes=batch)["png_bytes"].numpy()
    predict = inference.predictor(generator)
    for name, png in zip(files, pngs):
        got = np.asarray(Image.open(io.BytesIO(png)))
        expected = inference.upscale_file(predict, tmp_path / name, TILE)
        assert got.shape == expected.shape, name
        assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1, name


@pytest.fixture(scope="module")
def demo():
    """The shipped demo generator: a trained model, whose output follows every level of its
    input (the tiny random generator above would hide a decoder that is a few levels off)."""
    from srgan_tf import weights

    g = build_generator()
    weights.load_weights(g, pretrained.path("demo"))
    return g


def test_encoded_decodes_real_jpegs_as_upscale_does(demo, tmp_path):
    """Photographs as JPEG (scikit-image's chelsea at quality 92 with 4:2:0 chroma, at 75 with
    4:4:4, and the grayscale camera): the SavedModel's pixels are --mode=upscale's."""
    files = {
        "chelsea.jpg": (skimage_data.chelsea()[40:121, 80:203], 92, 2),
        "chelsea444.jpg": (skimage_data.chelsea()[100:157, 150:249], 75, 0),
        "camera.jpg": (skimage_data.camera()[200:263, 180:271], 90, -1),
    }
    for name, args in files.items():
        (tmp_path / name).write_bytes(_jpeg(*args))
    # Tiles of 160 (cores of 88 beside the full-size demo's 36 pixels of context): the
    # decoding is what is checked here (the tiling is checked above).
    path = export.export_saved_model(demo, tmp_path / "demo", tile=160)
    m = tf.saved_model.load(str(path))
    batch = tf.constant([(tmp_path / n).read_bytes() for n in files])
    pngs = m.signatures["encoded"](image_bytes=batch)["png_bytes"].numpy()
    predict = inference.predictor(demo)
    for name, png in zip(files, pngs):
        got = np.asarray(Image.open(io.BytesIO(png)))
        expected = inference.upscale_file(predict, tmp_path / name, 160)
        assert got.shape == expected.shape, name
        assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1, name


def test_an_image_over_the_limit_is_refused_naming_it(generator, tmp_path):
    path = export.export_saved_model(generator, tmp_path / "small", max_pixels=1000, tile=TILE)
    m = tf.saved_model.load(str(path))
    big = np.zeros((1, 40, 30, 3), np.uint8)  # 1,200 pixels
    with pytest.raises(tf.errors.InvalidArgumentError, match="max_pixels"):
        m.signatures["serving_default"](images=tf.constant(big))
    for fmt in ("PNG", "JPEG", "BMP", "GIF"):  # every format encoded decodes, by its header
        buf = io.BytesIO()
        Image.fromarray(big[0]).save(buf, format=fmt)
        with pytest.raises(tf.errors.InvalidArgumentError, match="max_pixels"):
            m.signatures["encoded"](image_bytes=tf.constant([buf.getvalue()]))
        buf = io.BytesIO()
        Image.fromarray(big[0, :30, :30]).save(buf, format=fmt)  # 900 pixels: served
        out = m.signatures["encoded"](image_bytes=tf.constant([buf.getvalue()]))["png_bytes"]
        assert np.asarray(Image.open(io.BytesIO(out.numpy()[0]))).shape[:2] == (120, 120), fmt
    # Headers declaring 5000 x 5000, and nothing after them but zeros: the size check answers
    # first, so nothing is decoded (a decoder would fail on the missing pixels instead). A JPEG
    # keeps its body: TensorFlow's header reader needs the whole marker structure.
    for fmt in ("PNG", "JPEG", "BMP", "GIF"):
        buf = io.BytesIO()
        Image.fromarray(big[0, :20, :20]).save(buf, format=fmt)
        lying = _declare(buf.getvalue(), fmt, 5000, 5000)
        if fmt != "JPEG":
            lying = lying[: _header_end(lying, fmt)] + b"\0" * 32
        with pytest.raises(tf.errors.InvalidArgumentError, match="max_pixels"):
            m.signatures["encoded"](image_bytes=tf.constant([lying]))
    ok = m.signatures["serving_default"](images=tf.constant(big[:, :30, :30]))["sr_images"]
    assert ok.shape == (1, 120, 120, 3)


def _header_end(data: bytes, fmt: str) -> int:
    """Where the size fields of `data`'s header end."""
    if fmt == "JPEG":
        return next(i for i in range(2, len(data) - 9)
                    if data[i] == 0xFF and data[i + 1] in (0xC0, 0xC2)) + 9  # fmt: skip
    return {"PNG": 33, "BMP": 54, "GIF": 13}[fmt]


def _declare(data: bytes, fmt: str, h: int, w: int) -> bytes:
    """`data` with its header's height and width replaced (PNG IHDR, JPEG SOF, BMP, GIF)."""
    b = bytearray(data)
    if fmt == "PNG":
        b[16:24] = w.to_bytes(4, "big") + h.to_bytes(4, "big")
    elif fmt == "BMP":
        b[18:26] = w.to_bytes(4, "little") + h.to_bytes(4, "little")
    elif fmt == "GIF":
        b[6:10] = w.to_bytes(2, "little") + h.to_bytes(2, "little")
    else:  # JPEG: the first start-of-frame marker, then length, precision, height, width
        i = next(i for i in range(2, len(b) - 9) if b[i] == 0xFF and b[i + 1] in (0xC0, 0xC2))
        b[i + 5 : i + 9] = h.to_bytes(2, "big") + w.to_bytes(2, "big")
    return bytes(b)


def test_existing_version_is_refused(generator, exported):
    with pytest.raises(FileExistsError, match="another --version"):
        export.export_saved_model(generator, exported.parent, version=3)


def _run_tflite(path, x):
    """The TFLite file's output for the batch `x`, its input resized to `x`'s shape."""
    from ai_edge_litert.interpreter import Interpreter  # LiteRT, tf.lite.Interpreter's successor

    interp = Interpreter(model_path=str(path))
    inp = interp.get_input_details()[0]
    interp.resize_tensor_input(inp["index"], x.shape)
    interp.allocate_tensors()
    interp.set_tensor(inp["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])


@pytest.mark.parametrize("fp16", [False, True])
def test_tflite_matches_keras_within_one_level(generator, tmp_path, fp16):
    path = export.export_tflite(generator, tmp_path / "g.tflite", float16=fp16)
    x = np.random.default_rng(2).uniform(-1, 1, (1, 24, 20, 3)).astype(np.float32)
    y = _run_tflite(path, x)
    expected = generator(x, training=False).numpy()
    assert y.shape == (1, 96, 80, 3)
    assert np.abs(y - expected).max() * 127.5 <= 1.0


@pytest.mark.slow
def test_ensemble_steps_and_gate_are_baked_into_every_signature_and_tflite(generator, tmp_path):
    """Exported with the self-ensemble, consistency steps and the detail gate, the SavedModel
    (each signature) and TFLite give the pixels of the Python path with the same ensemble,
    steps (the paper protocol's downscaler) and gate, and the SavedModel records them. (Fewer
    stages are the same layers: tests/test_self_ensemble.py, test_detail_gate.py and
    test_inference.py.)"""
    floor, passes = 1.5, 2
    photo = skimage_data.astronaut()[100:200, 150:330]  # 2 tiles of 160 (cores of 118)
    post = PostProcessing(self_ensemble=passes, back_projection=2, detail_floor=floor)
    path = export.export_saved_model(generator, tmp_path / "bp", tile=160, post=post)
    m = tf.saved_model.load(str(path))
    assert int(m.back_projection) == 2 and m.back_projection_protocol.numpy() == b"paper"
    assert float(m.detail_floor) == floor and int(m.self_ensemble) == passes
    predict = inference.predictor(generator, post)
    lr = photo.astype(np.float32) / 127.5 - 1.0
    expected = inference.upscale(predict, lr, 160, to_uint8=True)
    raw = _tiled_reference(generator, photo)
    assert np.abs(expected.astype(int) - raw.astype(int)).max() > 10  # the steps change pixels
    got = m.signatures["serving_default"](images=tf.constant(photo[None]))["sr_images"]
    assert np.abs(got.numpy()[0].astype(int) - expected.astype(int)).max() <= 1
    png = m.signatures["encoded"](image_bytes=tf.constant([_png(photo)]))["png_bytes"]
    got = np.asarray(Image.open(io.BytesIO(png.numpy()[0])))
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1
    floats = m.signatures["predict_float"](lr=tf.constant(lr[None]))["sr"].numpy()[0]
    assert np.abs(floats - inference.upscale(predict, lr, 160)).max() < 1e-4

    tflite = export.export_tflite(generator, tmp_path / "bp.tflite", post=post)
    x = lr[None, :24, :20]
    y = _run_tflite(tflite, x)
    assert np.abs(y - predict(tf.constant(x)).numpy()).max() * 127.5 <= 1.0


def _exif(orientation, order):
    """An EXIF APP1 payload in byte order `order` ("II" or "MM") whose first IFD holds a Make
    string (stored at an offset) and then the orientation, as cameras write it."""
    import struct

    e = "<" if order == "II" else ">"
    make = b"Camera\x00"
    head = order.encode() + struct.pack(e + "HI", 42, 8) + struct.pack(e + "H", 2)
    make_entry = struct.pack(e + "HHII", 0x010F, 2, len(make), 8 + 2 + 2 * 12 + 4)
    orientation_entry = struct.pack(e + "HHIHH", 0x0112, 3, 1, orientation, 0)
    return b"Exif\x00\x00" + head + make_entry + orientation_entry + struct.pack(e + "I", 0) + make


def test_encoded_turns_phone_photos_upright_as_upscale_does(tmp_path):
    """Every EXIF orientation (1-8), in both byte orders: the SavedModel's output is
    --mode=upscale's (Pillow's exif_transpose before the generator), shape and pixels."""
    from srgan_reference.random_weights import he_scaled_kernels

    g = he_scaled_kernels(build_generator(1, 8))
    path = export.export_saved_model(g, tmp_path / "exif", tile=TILE)
    encoded = tf.saved_model.load(str(path)).signatures["encoded"]
    predict = inference.predictor(g)
    rgb = skimage_data.chelsea()[40:64, 80:116]  # 24 x 36: a turn shows in the shape
    outputs = {}
    for order in ("II", "MM"):
        for o in range(1, 9):
            buf = io.BytesIO()
            Image.fromarray(rgb).save(buf, format="JPEG", quality=90, exif=_exif(o, order))
            (tmp_path / f"{order}{o}.jpg").write_bytes(buf.getvalue())
            with Image.open(tmp_path / f"{order}{o}.jpg") as im:
                assert im.getexif().get(0x0112) == o  # the file says what the test means
            png = encoded(image_bytes=tf.constant([buf.getvalue()]))["png_bytes"].numpy()[0]
            got = np.asarray(Image.open(io.BytesIO(png)))
            expected = inference.upscale_file(predict, tmp_path / f"{order}{o}.jpg", TILE)
            assert got.shape == expected.shape, (order, o)
            assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1, (order, o)
            outputs[(order, o)] = got
    assert outputs[("II", 1)].shape == (96, 144, 3) and outputs[("II", 6)].shape == (144, 96, 3)
    assert np.abs(outputs[("II", 2)].astype(int) - outputs[("II", 1)]).max() > 10  # turned
