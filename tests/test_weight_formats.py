"""Every format rule of `srgan_tf/weights/formats.py` against its closest look-alike from another
library or version, each file written by its library's own writer: a future rule that lets one
format shadow another fails here (as TensorLayer 2's `batchnorm2d_N` once read as TensorLayerX).
"""

import h5py
import numpy as np
import pytest
import tensorflow as tf
from oracles import require

from srgan_tf import weights
from srgan_tf.models import build_discriminator, build_generator
from srgan_tf.weights import formats

tl_reference = require("srgan_reference.tl_reference")
tlx_reference = require("srgan_reference.tlx_reference")

D_SIZE = 128
_names = iter(f"formats_{i}" for i in range(1000))


def _hr(seed=4):
    return np.random.default_rng(seed).uniform(-1, 1, (2, D_SIZE, D_SIZE, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def tl_d():
    model = tl_reference.get_D((None, D_SIZE, D_SIZE, 3), name=next(_names))
    return tl_reference.randomize(model, np.random.default_rng(3))


@pytest.fixture(scope="module")
def tlx_d():
    built = tlx_reference.build(tlx_reference.SRGAN_d(), tlx_reference.to_nchw(_hr()))
    return tlx_reference.randomize(built, np.random.default_rng(3))


@pytest.fixture(scope="module")
def tl_g():
    return tl_reference.randomize(tl_reference.get_G(name=next(_names)), np.random.default_rng(1))


def _tl_logits(model, x):
    model.eval()
    return model(x).numpy()


def _tlx_logits(model, x):
    model.set_eval()
    return model(tf.constant(tlx_reference.to_nchw(x))).numpy()


def _unchanged(model, before):
    return all(np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights))


def test_npz_dict_of_tensorlayer_2_and_of_tensorlayerx_are_told_apart(tl_d, tlx_d, tmp_path):
    """Both write `batchnorm2d_N`; the dense layer's name (`dense_N` / `linear_N`) tells."""
    tl_path, tlx_path = tmp_path / "tl_d.npz", tmp_path / "tlx_d.npz"
    tl_d.save_weights(str(tl_path), format="npz_dict")
    tlx_d.save_weights(str(tlx_path), format="npz_dict")
    tl_file, tlx_file = formats.read(tl_path), formats.read(tlx_path)
    assert any(k.startswith("batchnorm2d_") for k, _ in tl_file.arrays)
    assert any(k.startswith("batchnorm2d_") for k, _ in tlx_file.arrays)
    assert (tl_file.format, tl_file.library) == ("npz_dict", "tensorlayer")
    assert (tlx_file.format, tlx_file.library) == ("npz_dict", "tensorlayerx")


def test_tensorlayer_2_batchnorm_layer_file_is_still_tensorlayers(tmp_path):
    """The other TensorLayer 2 BatchNorm class (`BatchNorm`, named `batchnorm_N`)."""
    from tensorlayer.layers import BatchNorm, Dense, Flatten, Input
    from tensorlayer.models import Model

    nin = Input([None, 4, 4, 3])
    model = Model(nin, Dense(n_units=1)(Flatten()(BatchNorm()(nin))), name=next(_names))
    path = tmp_path / "bn.npz"
    model.save_weights(str(path), format="npz_dict")
    assert formats.read(path).library == "tensorlayer"


@pytest.mark.parametrize("writer", ["tensorlayer", "tensorlayerx"])
def test_a_list_npz_discriminator_is_refused_until_the_library_is_named(
    tl_d, tlx_d, tmp_path, writer
):
    """The list format is the same bytes from every library: the two readings are named, and
    each choice gives its library's logits."""
    model = tl_d if writer == "tensorlayer" else tlx_d
    path = tmp_path / "d.npz"
    tl_reference.save_list_npz(model, path)  # tl.files.save_npz's and tlx.files.save_npz's bytes
    assert formats.read(path).library is None
    d = build_discriminator("tl", input_size=D_SIZE)
    before = [w.numpy() for w in d.weights]
    with pytest.raises(weights.WeightFileError) as e:
        weights.load_weights(d, path)
    for words in ("(H, W, C)", "(C, H, W)", "--d_weights_library=tensorlayer",
                  "--d_weights_library=tensorlayerx", "library=", "left unchanged"):  # fmt: skip
        assert words in str(e.value)
    assert _unchanged(d, before)
    x = _hr(5)
    expected = _tl_logits(model, x) if writer == "tensorlayer" else _tlx_logits(model, x)
    weights.load_weights(d, path, library=writer)
    np.testing.assert_allclose(d(x, training=False).numpy(), expected, rtol=1e-4, atol=1e-6)


def test_a_list_npz_discriminator_with_a_one_pixel_map_needs_no_choice(tmp_path):
    """At 64 pixels the map before the flatten is 1x1: both orders are the same."""
    model = tl_reference.randomize(
        tl_reference.get_D((None, 64, 64, 3), name=next(_names)), np.random.default_rng(8)
    )
    path = tmp_path / "d64.npz"
    tl_reference.save_list_npz(model, path)
    d = build_discriminator("tl", input_size=64)
    weights.load_weights(d, path)
    x = np.random.default_rng(9).uniform(-1, 1, (2, 64, 64, 3)).astype(np.float32)
    np.testing.assert_allclose(
        d(x, training=False).numpy(), _tl_logits(model, x), rtol=1e-4, atol=1e-6
    )


def test_a_generator_is_the_same_in_every_reading(tl_g, tmp_path):
    path = tmp_path / "g.npz"
    tl_reference.save_list_npz(tl_g, path)
    outs = []
    for library in (None, "tensorlayer", "tensorlayerx"):
        g = build_generator()
        weights.load_weights(g, path, library=library)
        outs.append([w.numpy() for w in g.weights])
    for other in outs[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(outs[0], other))


def test_a_choice_the_file_contradicts_is_refused(tlx_d, tmp_path):
    path = tmp_path / "d.npz"
    tlx_d.save_weights(str(path), format="npz_dict")
    d = build_discriminator("tl", input_size=D_SIZE)
    before = [w.numpy() for w in d.weights]
    with pytest.raises(weights.WeightFileError, match=r"linear_\d+"):
        weights.load_weights(d, path, library="tensorlayer")
    assert _unchanged(d, before)


def test_npz_dict_with_renamed_layers_says_nothing_and_is_refused(tl_d, tmp_path):
    """Layers named by hand (`ho/dense`, as TensorLayer 1 named them) carry no library name."""
    src, path = tmp_path / "d.npz", tmp_path / "renamed.npz"
    tl_d.save_weights(str(src), format="npz_dict")
    members = dict(np.load(src))
    np.savez(path, **{k.replace("dense_", "ho/dense").replace("conv2d_", "h/c"): v
                      for k, v in members.items()})  # fmt: skip
    assert formats.read(path).library is None
    with pytest.raises(weights.WeightFileError, match="does not say"):
        weights.load_weights(build_discriminator("tl", input_size=D_SIZE), path)


def test_tensorlayer_2_hdf5_keras_legacy_hdf5_and_keras_native_are_told_apart(tl_g, tmp_path):
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    tl_path, legacy_path, native_path = (tmp_path / n for n in ("g.h5", "l.h5", "n.weights.h5"))
    tl_g.save_weights(str(tl_path))
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with h5py.File(legacy_path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    g = build_generator(n_res_blocks=1, filters=8)
    weights.save_weights(g, native_path)
    assert formats.read(tl_path).format == "TensorLayer 2 HDF5"
    assert formats.read(tl_path).library == "tensorlayer"
    assert formats.read(legacy_path).format == "Keras legacy HDF5"
    assert formats.read(native_path).format == "Keras .weights.h5"


def test_tensorlayerx_hdf5_is_refused_by_name_not_misread(tmp_path):
    """TensorLayerX's HDF5 keeps variables by name only (no order): refused with the reason."""
    x = np.zeros((1, 8, 8, 3), np.float32)
    g = tlx_reference.build(tlx_reference.SRGAN_g(), tlx_reference.to_nchw(x))
    path = tmp_path / "g.h5"
    g.save_weights(str(path), format="hdf5")  # TensorLayerX's own writer
    model = build_generator()
    before = [w.numpy() for w in model.weights]
    with pytest.raises(weights.WeightFileError, match="TensorLayerX HDF5.*npz_dict"):
        weights.load_weights(model, path)
    assert _unchanged(model, before)


def test_tensorlayerx_discriminator_into_the_papers_discriminator_is_refused(tlx_d, tmp_path):
    path = tmp_path / "d.npz"
    tlx_d.save_weights(str(path), format="npz_dict")
    d = build_discriminator("paper", input_size=D_SIZE)
    before = [w.numpy() for w in d.weights]
    with pytest.raises(weights.WeightFileError, match="SRGAN_d maps onto --discriminator=tl"):
        weights.load_weights(d, path)
    assert _unchanged(d, before)


def test_kernels_of_a_channels_first_backend_are_refused_by_name(tmp_path):
    """A TensorLayerX file saved with the PyTorch/Paddle backend: (out, in, kh, kw) kernels,
    the look-alike of a TensorFlow-backend file with the same names."""
    x = np.zeros((1, 8, 8, 3), np.float32)
    g = tlx_reference.build(tlx_reference.SRGAN_g(), tlx_reference.to_nchw(x))
    g.save_weights(str(tmp_path / "g.npz"), format="npz_dict")
    members = dict(np.load(tmp_path / "g.npz", allow_pickle=True))
    torch_like = {
        k: np.transpose(v, (3, 2, 0, 1)) if v.ndim == 4 else v for k, v in members.items()
    }
    path = tmp_path / "g_torch.npz"
    np.savez(path, **torch_like)
    model = build_generator()
    before = [w.numpy() for w in model.weights]
    with pytest.raises(weights.WeightFileError, match="PyTorch, Paddle or MindSpore"):
        weights.load_weights(model, path)
    assert _unchanged(model, before)
