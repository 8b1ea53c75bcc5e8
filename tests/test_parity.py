"""Numerical parity with tensorlayer 2.2.5 itself, through every tensorlayer weight format.

The reference models are built with tensorlayer's own layers (tests/tl_reference.py), given
random weights, saved by tensorlayer (or as tensorlayer wrote them), loaded into the Keras port
with `srgan_tf.weights.load_weights`, and compared on random inputs of odd, non-square sizes.
"""

import h5py
import numpy as np
import pytest
import tensorflow as tf
from oracles import require

from srgan_tf import weights
from srgan_tf.models import build_discriminator, build_generator, build_vgg

tl_reference = require("tl_reference")

G_TOL = 1e-4  # max abs difference, generator outputs and VGG features
D_RTOL = 1e-4  # relative, discriminator logits


@pytest.fixture(scope="module")
def tl_g():
    return tl_reference.randomize(tl_reference.tl_generator(), np.random.default_rng(1))


@pytest.fixture(scope="module")
def lr_batch():
    return np.random.default_rng(2).uniform(-1, 1, (2, 13, 19, 3)).astype(np.float32)


def _tl_forward(model, x, train):
    model.train() if train else model.eval()
    return model(x).numpy()


def _save_tl(model, path, fmt):
    if fmt == "list_npz":
        tl_reference.save_tl_list_npz(model, path)
    elif fmt == "h5":
        model.save_weights(str(path))  # tensorlayer's own HDF5 writer
    elif fmt == "npz_dict":
        model.save_weights(str(path), format="npz_dict")  # tensorlayer's own npz_dict writer


G_FORMATS = [("list_npz", "g_srgan.npz"), ("h5", "g.h5"), ("npz_dict", "g.npz")]


@pytest.mark.parametrize("fmt,filename", G_FORMATS)
def test_generator_parity_every_format(tl_g, lr_batch, tmp_path, fmt, filename):
    path = tmp_path / filename
    _save_tl(tl_g, path, fmt)
    g = build_generator()
    weights.load_weights(g, path)
    expected = _tl_forward(tl_g, lr_batch, train=False)
    got = g(lr_batch, training=False).numpy()
    assert got.shape == (2, 52, 76, 3)
    assert np.abs(got - expected).max() <= G_TOL


def test_generator_parity_training_mode_and_moving_stats(tl_g, lr_batch, tmp_path):
    path = tmp_path / "g.h5"
    _save_tl(tl_g, path, "h5")
    g = build_generator()
    weights.load_weights(g, path)
    before = [w.numpy() for w in tl_g.all_weights]
    expected = _tl_forward(tl_g, lr_batch, train=True)  # batch statistics, updates moving stats
    got = g(lr_batch, training=True).numpy()
    assert np.abs(got - expected).max() <= G_TOL
    # The moving statistics move the same way (momentum 0.9 = tensorlayer's decay 0.9).
    tl_after = {w.name: w.numpy() for w in tl_g.all_weights}
    keras_after = dict(weights.reference_variables(g))
    tl_names = [w.name for w in tl_g.all_weights]
    for (label, var), tl_name in zip(weights.reference_variables(g), tl_names):
        if "moving" in label:
            np.testing.assert_allclose(var.numpy(), tl_after[tl_name], atol=1e-5, err_msg=label)
    assert keras_after  # mapping is non-empty
    for w, value in zip(tl_g.all_weights, before):  # restore for other tests
        w.assign(value)


def test_generator_tensorlayer_npz_round_trip(tl_g, lr_batch, tmp_path):
    """Weights exported by the port load back into tensorlayer and give the same output."""
    g = build_generator()
    weights.load_weights(g, _saved(tl_g, tmp_path))
    out_path = tmp_path / "export.npz"
    weights.save_tensorlayer_npz(g, out_path)
    tl_g2 = tl_reference.tl_generator()
    tl_reference.tl.files.load_and_assign_npz(str(out_path), tl_g2)
    np.testing.assert_allclose(
        _tl_forward(tl_g2, lr_batch, False), _tl_forward(tl_g, lr_batch, False), atol=1e-6
    )


def _saved(tl_model, tmp_path):
    path = tmp_path / "ref.npz"
    tl_reference.save_tl_list_npz(tl_model, path)
    return path


def test_old_tensorlayer_h5_with_4d_batchnorm_params(tl_g, lr_batch, tmp_path):
    """tensorlayer 2.0 stored BatchNorm parameters as (1, 1, 1, C); its loader squeezed them."""
    path = tmp_path / "g_old.h5"
    _save_tl(tl_g, path, "h5")
    with h5py.File(path, "r+") as f:
        for layer in f.attrs["layer_names"]:
            layer = layer.decode() if isinstance(layer, bytes) else layer
            group = f[layer]
            for w_name in group.attrs.get("weight_names", []):
                w_name = w_name.decode() if isinstance(w_name, bytes) else w_name
                if "batchnorm" in layer:
                    value = np.asarray(group[w_name])
                    del group[w_name]
                    group.create_dataset(w_name, data=value.reshape(1, 1, 1, -1))
    g = build_generator()
    weights.load_weights(g, path)
    expected = _tl_forward(tl_g, lr_batch, train=False)
    assert np.abs(g(lr_batch, training=False).numpy() - expected).max() <= G_TOL


@pytest.fixture(scope="module")
def tl_d():
    return tl_reference.randomize(
        tl_reference.tl_discriminator((None, 384, 384, 3)), np.random.default_rng(3)
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "fmt,filename", [("list_npz", "d.npz"), ("h5", "d.h5"), ("npz_dict", "d2.npz")]
)
@pytest.mark.parametrize("train", [False, True])
def test_discriminator_parity(tl_d, tmp_path, fmt, filename, train):
    x = np.random.default_rng(4).uniform(-1, 1, (2, 384, 384, 3)).astype(np.float32)
    path = tmp_path / filename
    _save_tl(tl_d, path, fmt)
    d = build_discriminator("tl", input_size=384)
    weights.load_weights(d, path)
    before = [w.numpy() for w in tl_d.all_weights]
    expected = _tl_forward(tl_d, x, train)
    got = d(x, training=train).numpy()
    for w, value in zip(tl_d.all_weights, before):
        w.assign(value)
    assert got.shape == (2, 1)
    np.testing.assert_allclose(got, expected, rtol=D_RTOL, atol=1e-6)


def _vgg_dict(tl_vgg):
    """{layer: [W, b]} from a tensorlayer VGG, named like the published files."""
    names = [lay.name for lay in tl_vgg.all_layers[0].layers if lay.all_weights]
    values = [w.numpy() for w in tl_vgg.all_weights]
    return {n: [values[2 * i], values[2 * i + 1]] for i, n in enumerate(names)}


def _write_vgg19_npy(tl_vgg, path, rng):
    d = _vgg_dict(tl_vgg)
    # The published file carries the fully connected layers too (sorted after conv5_4).
    d["fc6"] = [rng.normal(size=(8, 4)).astype(np.float32), np.zeros(4, np.float32)]
    np.save(path, d, allow_pickle=True)


def _write_vgg16_npz(tl_vgg, path, rng):
    d = {}
    for layer, (w, b) in _vgg_dict(tl_vgg).items():
        d[f"{layer}_W"], d[f"{layer}_b"] = w, b
    d["fc8_W"] = rng.normal(size=(8, 4)).astype(np.float32)
    keys = list(d)
    rng.shuffle(keys)  # member order carries no meaning in this file; the loader must sort
    np.savez(path, **{k: d[k] for k in keys})


def _write_keras_legacy_h5(tl_vgg, path, name):
    """Keras' ImageNet "notop" layout, written by Keras' own legacy HDF5 writer."""
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    app = {"vgg19": keras.applications.VGG19, "vgg16": keras.applications.VGG16}[name]
    km = app(weights=None, include_top=False, input_shape=(None, None, 3))
    conv_layers = [lay for lay in km.layers if lay.weights]
    values = [w.numpy() for w in tl_vgg.all_weights]
    for i, lay in enumerate(conv_layers[: len(values) // 2]):
        lay.set_weights([values[2 * i], values[2 * i + 1]])
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, km)


@pytest.mark.parametrize(
    "name,end_with", [("vgg19", "pool4"), ("vgg16", "conv3_2"), ("vgg19", "pool5")]
)
@pytest.mark.parametrize("fmt", ["npy", "npz", "keras_h5", "tl_h5"])
def test_vgg_parity_every_format(tmp_path, name, end_with, fmt):
    rng = np.random.default_rng(5)
    full = tl_reference.randomize(tl_reference.tl_vgg(name, "pool5"), rng)
    tl_v = tl_reference.tl_vgg(name, end_with)
    for w, src in zip(tl_v.all_weights, full.all_weights):
        w.assign(src)
    path = (
        tmp_path
        / {
            "npy": "vgg19.npy",
            "npz": "vgg16_weights.npz",
            "keras_h5": "notop.h5",
            "tl_h5": "vgg.h5",
        }[fmt]
    )
    if fmt == "npy":
        _write_vgg19_npy(full, path, rng)
    elif fmt == "npz":
        _write_vgg16_npz(full, path, rng)
    elif fmt == "keras_h5":
        _write_keras_legacy_h5(full, path, name)
    else:
        full.save_weights(str(path))
    v = build_vgg(name, end_with)
    weights.load_weights(v, path)
    x = rng.uniform(0, 1, (2, 37, 45, 3)).astype(np.float32)
    tl_v.eval()
    expected = tl_v(x).numpy()
    got = v(x).numpy()
    assert got.shape == expected.shape
    scale = max(1.0, np.abs(expected).max())
    assert np.abs(got - expected).max() <= G_TOL * scale


def test_vgg_bgr_option_is_the_caffe_order(tmp_path):
    """channel_order="bgr" equals feeding the reference the channel-swapped image minus BGR mean."""
    rng = np.random.default_rng(6)
    full = tl_reference.randomize(tl_reference.tl_vgg("vgg19", "conv1_2"), rng)
    path = tmp_path / "vgg.h5"
    full.save_weights(str(path))
    v = build_vgg("vgg19", "conv1_2", channel_order="bgr")
    weights.load_weights(v, path)
    x = rng.uniform(0, 1, (1, 9, 11, 3)).astype(np.float32)
    # tensorlayer subtracts the RGB mean in place; feed it the BGR image shifted so that the
    # subtraction lands on the BGR mean.
    rgb_mean = np.array([123.68, 116.779, 103.939], np.float32)
    shifted = (x[..., ::-1] * 255 - rgb_mean[::-1] + rgb_mean) / 255
    full.eval()
    expected = full(shifted.astype(np.float32)).numpy()
    got = v(x).numpy()
    assert np.abs(got - expected).max() <= G_TOL * max(1.0, np.abs(expected).max())


def test_losses_match_tensorlayer_cost():
    from srgan_tf import losses

    tl = tl_reference.tl
    rng = np.random.default_rng(7)
    a = rng.uniform(-1, 1, (3, 8, 6, 3)).astype(np.float32)
    b = rng.uniform(-1, 1, (3, 8, 6, 3)).astype(np.float32)
    np.testing.assert_allclose(
        losses.mse(a, b).numpy(), tl.cost.mean_squared_error(a, b, is_mean=True).numpy(), rtol=1e-6
    )
    logits = rng.normal(0, 3, (5, 1)).astype(np.float32)
    for label in (0.0, 1.0):
        target = tf.fill(logits.shape, label)
        np.testing.assert_allclose(
            losses.sigmoid_ce(logits, label).numpy(),
            tl.cost.sigmoid_cross_entropy(logits, target).numpy(),
            rtol=1e-6,
        )
