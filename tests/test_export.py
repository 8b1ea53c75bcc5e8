"""SavedModel export (srgan_tf/export.py), checked the way TF Serving and its clients see it."""

import json
import subprocess
import sys

import numpy as np
import pytest
from oracles import require

from srgan_tf import export, images
from srgan_tf.models import build_generator


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    g = build_generator(1, 8)
    path = export.export_saved_model(g, root / "srgan", version=3)
    return g, path


def test_layout_and_signatures_via_saved_model_cli(exported):
    _, path = exported
    assert path.name == "3" and (path / "saved_model.pb").is_file()
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp left
    cli = subprocess.run(
        ["saved_model_cli", "show", "--dir", str(path), "--all"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr[-2000:]
    text = cli.stdout
    assert "signature_def['serving_default']" in text and "signature_def['predict_float']" in text
    assert "dtype: DT_UINT8" in text and "shape: (-1, -1, -1, 3)" in text


def test_fresh_process_with_only_tensorflow_gets_the_same_pixels(exported, tmp_path):
    g, path = exported
    x = np.random.default_rng(0).integers(0, 256, (2, 9, 13, 3), dtype=np.uint8)
    np.save(tmp_path / "x.npy", x)
    code = (
        "import sys, numpy as np, tensorflow as tf\n"
        f"m = tf.saved_model.load({str(path)!r})\n"
        f"x = np.load({str(tmp_path / 'x.npy')!r})\n"
        "y = m.signatures['serving_default'](images=tf.constant(x))['sr_images'].numpy()\n"
        f"np.save({str(tmp_path / 'y.npy')!r}, y)\n"
        "print('modules', sorted(k for k in sys.modules if k.split('.')[0] in ('keras', 'srgan_tf')))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "srgan_tf" not in r.stdout
    y = np.load(tmp_path / "y.npy")
    expected = images.to_uint8(g(x.astype(np.float32) / 127.5 - 1.0, training=False).numpy())
    assert y.shape == (2, 36, 52, 3) and y.dtype == np.uint8
    assert np.abs(y.astype(int) - expected.astype(int)).max() <= 1


def test_predict_request_for_tf_serving(exported):
    require("tensorflow_serving")
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    x = np.zeros((1, 5, 6, 3), np.uint8)
    req = predict_pb2.PredictRequest()
    req.model_spec.name = "srgan"
    req.model_spec.signature_name = "serving_default"
    req.inputs["images"].CopyFrom(tf.make_tensor_proto(x))
    parsed = predict_pb2.PredictRequest.FromString(req.SerializeToString())
    assert tf.make_ndarray(parsed.inputs["images"]).shape == (1, 5, 6, 3)
    # The same body the REST API takes (README shows it).
    body = json.dumps({"signature_name": "serving_default", "instances": x.tolist()})
    assert json.loads(body)["instances"][0][0][0] == [0, 0, 0]


def test_existing_version_is_refused(exported):
    g, path = exported
    with pytest.raises(FileExistsError, match="another --version"):
        export.export_saved_model(g, path.parent, version=3)
