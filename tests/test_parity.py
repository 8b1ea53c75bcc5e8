"""Numerical parity with the reference libraries, through every weight format they write.

One matrix: {TensorLayer 1 list `.npz`, TensorLayer 2 `.h5`, TensorLayer 2 `npz_dict`,
TensorLayerX `npz_dict`} x {generator, discriminator}. Every cell's file is written by its own
library's writer (the list format as `tl.files.save_npz` wrote it before numpy 2, and read back
by tensorlayer's own loader to prove it), loaded into the Keras port with
`srgan_tf.weights.load_weights`, and compared with that library's own outputs on the same
input: generator images to 1e-4 absolute, discriminator logits to 1e-4 relative. The oracles
are tensorlayer/srgan's own model code (srgan_reference/tl_reference.py, srgan_reference/tlx_reference.py). Plus
the VGG files, and tensorlayer's losses.
"""

import h5py
import numpy as np
import pytest
import tensorflow as tf
from oracles import require

from srgan_tf import weights
from srgan_tf.models import build_discriminator, build_generator, build_vgg

tl_reference = require("srgan_reference.tl_reference")
tlx_reference = require("srgan_reference.tlx_reference")

G_TOL = 1e-4  # max abs difference, generator outputs and VGG features
D_RTOL = 1e-4  # relative, discriminator logits
D_SIZE = 128  # the discriminator's input: a 2x2 map before the flatten, so its order matters

FORMATS = ["tl1_list_npz", "tl2_h5", "tl2_npz_dict", "tlx_npz_dict"]
_names = iter(f"model_{i}" for i in range(1000))  # tensorlayer refuses a model name twice


def _images(shape, seed):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


@pytest.fixture(scope="module")
def lr_batch():
    return _images((2, 13, 19, 3), 2)


@pytest.fixture(scope="module")
def hr_batch():
    return _images((2, D_SIZE, D_SIZE, 3), 4)


class Oracle:
    """A reference model, its library's writer and its library's forward pass (NHWC in/out)."""

    def __init__(self, library, model):
        self.library, self.model = library, model

    def save(self, path, fmt):
        if fmt == "tl1_list_npz":
            tl_reference.save_list_npz(self.model, path)
        elif fmt == "tl2_h5":
            self.model.save_weights(str(path))  # tensorlayer 2's own HDF5 writer
        else:
            self.model.save_weights(str(path), format="npz_dict")  # the library's own writer

    def forward(self, x, train=False):
        if self.library == "tensorlayerx":
            self.model.set_train() if train else self.model.set_eval()
            y = self.model(tf.constant(tlx_reference.to_nchw(x))).numpy()
            return tlx_reference.to_nhwc(y) if y.ndim == 4 else y
        self.model.train() if train else self.model.eval()
        return self.model(x).numpy()

    def snapshot(self):
        return [w.numpy() for w in self.model.all_weights]

    def restore(self, values):
        for w, v in zip(self.model.all_weights, values):
            w.assign(v)


def _tl(model_fn, seed):
    return Oracle("tensorlayer", tl_reference.randomize(model_fn(), np.random.default_rng(seed)))


def _tlx(model, x_nhwc, seed):
    built = tlx_reference.build(model, tlx_reference.to_nchw(x_nhwc))
    return Oracle("tensorlayerx", tlx_reference.randomize(built, np.random.default_rng(seed)))


@pytest.fixture(scope="module")
def oracles(lr_batch, hr_batch):
    """`{(library, "g" | "d"): Oracle}`, each built once."""
    return {
        ("tensorlayer", "g"): _tl(lambda: tl_reference.get_G(name=next(_names)), 1),
        ("tensorlayer", "d"): _tl(
            lambda: tl_reference.get_D((None, D_SIZE, D_SIZE, 3), name=next(_names)), 3
        ),
        ("tensorlayerx", "g"): _tlx(tlx_reference.SRGAN_g(), lr_batch, 1),
        ("tensorlayerx", "d"): _tlx(tlx_reference.SRGAN_d(), hr_batch, 3),
    }


def _library(fmt):
    return "tensorlayerx" if fmt.startswith("tlx") else "tensorlayer"


@pytest.mark.parametrize("fmt", FORMATS)
def test_generator_gives_the_writing_librarys_images(oracles, lr_batch, tmp_path, fmt):
    oracle = oracles[(_library(fmt), "g")]
    path = tmp_path / f"g_{fmt}.{'h5' if fmt.endswith('h5') else 'npz'}"
    oracle.save(path, fmt)
    g = build_generator()
    weights.load_weights(g, path)
    got = g(lr_batch, training=False).numpy()
    expected = oracle.forward(lr_batch)
    assert got.shape == expected.shape == (2, 52, 76, 3)
    assert np.abs(got - expected).max() <= G_TOL


@pytest.mark.parametrize("fmt", FORMATS)
def test_discriminator_gives_the_writing_librarys_logits(oracles, hr_batch, tmp_path, fmt):
    oracle = oracles[(_library(fmt), "d")]
    path = tmp_path / f"d_{fmt}.{'h5' if fmt.endswith('h5') else 'npz'}"
    oracle.save(path, fmt)
    d = build_discriminator("tl", input_size=D_SIZE)
    # The list format does not say which library wrote it: the caller says (see
    # test_weight_formats.py for the refusal without it).
    library = oracle.library if fmt == "tl1_list_npz" else None
    weights.load_weights(d, path, library=library)
    got = d(hr_batch, training=False).numpy()
    expected = oracle.forward(hr_batch)
    assert got.shape == expected.shape == (2, 1)
    np.testing.assert_allclose(got, expected, rtol=D_RTOL, atol=1e-6)


def test_the_list_format_is_tensorlayers_own(oracles, lr_batch, tmp_path):
    """tensorlayer's own loader reads the list file written here into a fresh reference model,
    which then gives the first model's images: the file is in tensorlayer's format."""
    path = tmp_path / "g_srgan.npz"
    oracles[("tensorlayer", "g")].save(path, "tl1_list_npz")
    fresh = Oracle("tensorlayer", tl_reference.get_G(name=next(_names)))
    tl_reference.tl.files.load_and_assign_npz(str(path), fresh.model)
    np.testing.assert_array_equal(
        fresh.forward(lr_batch), oracles[("tensorlayer", "g")].forward(lr_batch)
    )


@pytest.mark.parametrize("part", ["g", "d"])
def test_training_mode_and_moving_statistics(oracles, lr_batch, hr_batch, tmp_path, part):
    """Batch statistics in training mode, and the moving statistics they update (momentum 0.9,
    tensorlayer's decay), match tensorlayer's."""
    oracle = oracles[("tensorlayer", part)]
    x = lr_batch if part == "g" else hr_batch
    path = tmp_path / f"{part}.h5"
    oracle.save(path, "tl2_h5")
    model = build_generator() if part == "g" else build_discriminator("tl", input_size=D_SIZE)
    weights.load_weights(model, path)
    before = oracle.snapshot()
    try:
        expected = oracle.forward(x, train=True)
        got = model(x, training=True).numpy()
        after = {w.name: w.numpy() for w in oracle.model.all_weights}
        names = [w.name for w in oracle.model.all_weights]
    finally:
        oracle.restore(before)
    if part == "g":
        assert np.abs(got - expected).max() <= G_TOL
    else:
        np.testing.assert_allclose(got, expected, rtol=D_RTOL, atol=1e-6)
    pairs = list(zip(weights.reference_variables(model), names))
    moving = [(label, var, name) for (label, var), name in pairs if "moving" in label]
    assert len(moving) == 2 * (33 if part == "g" else 10)  # BatchNorm layers x 2
    for label, var, name in moving:
        np.testing.assert_allclose(var.numpy(), after[name], atol=1e-5, err_msg=label)


def test_the_port_writes_tensorlayers_list_format(oracles, lr_batch, tmp_path):
    """Weights exported by the port load back into tensorlayer and give the same output."""
    oracle = oracles[("tensorlayer", "g")]
    src = tmp_path / "ref.h5"
    oracle.save(src, "tl2_h5")
    g = build_generator()
    weights.load_weights(g, src)
    out_path = tmp_path / "export.npz"
    weights.save_tensorlayer_npz(g, out_path)
    back = Oracle("tensorlayer", tl_reference.get_G(name=next(_names)))
    tl_reference.tl.files.load_and_assign_npz(str(out_path), back.model)
    np.testing.assert_allclose(back.forward(lr_batch), oracle.forward(lr_batch), atol=1e-6)


def test_old_tensorlayer_h5_with_4d_batchnorm_params(oracles, lr_batch, tmp_path):
    """tensorlayer 2.0 stored BatchNorm parameters as (1, 1, 1, C); its loader squeezed them."""
    oracle = oracles[("tensorlayer", "g")]
    path = tmp_path / "g_old.h5"
    oracle.save(path, "tl2_h5")
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
    expected = oracle.forward(lr_batch)
    assert np.abs(g(lr_batch, training=False).numpy() - expected).max() <= G_TOL


@pytest.mark.slow
def test_discriminator_at_the_studys_384_pixels(tmp_path):
    """The study's patch size: a 6x6x512 map before the dense layer."""
    oracle = _tl(lambda: tl_reference.get_D((None, 384, 384, 3), name=next(_names)), 5)
    x = _images((2, 384, 384, 3), 6)
    path = tmp_path / "d.h5"
    oracle.save(path, "tl2_h5")
    d = build_discriminator("tl", input_size=384)
    weights.load_weights(d, path)
    np.testing.assert_allclose(
        d(x, training=False).numpy(), oracle.forward(x), rtol=D_RTOL, atol=1e-6
    )


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


VGG_FILES = {"npy": "vgg19.npy", "npz": "vgg16_weights.npz", "keras_h5": "notop.h5",
             "tl_h5": "vgg.h5", "tl_npz_dict": "vgg_dict.npz"}  # fmt: skip


@pytest.mark.parametrize(
    "name,end_with", [("vgg19", "pool4"), ("vgg16", "conv3_2"), ("vgg19", "pool5")]
)
@pytest.mark.parametrize("fmt", list(VGG_FILES))
def test_vgg_parity_every_format(tmp_path, name, end_with, fmt):
    rng = np.random.default_rng(5)
    full = tl_reference.randomize(tl_reference.tl_vgg(name, "pool5"), rng)
    tl_v = tl_reference.tl_vgg(name, end_with)
    for w, src in zip(tl_v.all_weights, full.all_weights):
        w.assign(src)
    path = tmp_path / VGG_FILES[fmt]
    if fmt == "npy":
        _write_vgg19_npy(full, path, rng)
    elif fmt == "npz":
        _write_vgg16_npz(full, path, rng)
    elif fmt == "keras_h5":
        _write_keras_legacy_h5(full, path, name)
    elif fmt == "tl_h5":
        full.save_weights(str(path))
    else:
        full.save_weights(str(path), format="npz_dict")
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
    from srgan_tf.training import losses

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
            tf.reduce_mean(losses.per_example_sigmoid_ce(logits, label)).numpy(),
            tl.cost.sigmoid_cross_entropy(logits, target).numpy(),
            rtol=1e-6,
        )
    # The discriminator's accuracy: the sign of each logit, as numpy counts it.
    fake = rng.normal(0, 3, (5, 1)).astype(np.float32)
    accuracy = losses.discriminator_accuracy(logits, fake)
    np.testing.assert_array_equal(accuracy["d_acc_real"].numpy(), (logits > 0)[:, 0])
    np.testing.assert_array_equal(accuracy["d_acc_fake"].numpy(), (fake < 0)[:, 0])
