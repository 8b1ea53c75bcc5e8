"""Numerical parity with TensorLayerX 0.5.8, the second oracle: tensorlayer/srgan's current
`srgan.py` models (channels_first, TensorFlow backend), saved by TensorLayerX's own
`save_weights(..., format='npz_dict')` and loaded into the Keras port (tests/tlx_reference.py)."""

import numpy as np
import pytest
from oracles import require

from srgan_tf import weights
from srgan_tf.models import build_discriminator, build_generator

tlx_reference = require("tlx_reference")

TOL = 1e-4  # max abs difference of generator images; relative for discriminator logits


def _images(shape, seed):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def _oracle(model, x_nhwc, seed):
    """A TensorLayerX model built on `x_nhwc` (given to it NCHW), with random weights."""
    built = tlx_reference.build(model, tlx_reference.to_nchw(x_nhwc))
    return tlx_reference.randomize(built, np.random.default_rng(seed))


@pytest.fixture(scope="module")
def x_lr():
    return _images((2, 13, 19, 3), 2)


@pytest.fixture(scope="module")
def x_hr():
    return _images((2, 128, 128, 3), 4)


@pytest.fixture(scope="module")
def tlx_g(x_lr):
    return _oracle(tlx_reference.SRGAN_g(), x_lr, 1)


@pytest.fixture(scope="module")
def tlx_d(x_hr):
    return _oracle(tlx_reference.SRGAN_d(), x_hr, 3)


def test_tensorlayerx_generator_file_gives_tensorlayerx_images(tlx_g, x_lr, tmp_path):
    path = tmp_path / "g.npz"
    tlx_g.save_weights(str(path), format="npz_dict")
    g = build_generator()
    weights.load_weights(g, path)
    tlx_g.set_eval()
    expected = tlx_reference.to_nhwc(tlx_g(tlx_reference.to_nchw(x_lr)).numpy())
    got = g(x_lr, training=False).numpy()
    assert got.shape == expected.shape == (2, 52, 76, 3)
    assert np.abs(got - expected).max() <= TOL


def test_tensorlayerx_discriminator_file_gives_tensorlayerx_logits(tlx_d, x_hr, tmp_path):
    path = tmp_path / "d.npz"
    tlx_d.save_weights(str(path), format="npz_dict")
    d = build_discriminator("tl", input_size=128)
    weights.load_weights(d, path)
    tlx_d.set_eval()
    expected = tlx_d(tlx_reference.to_nchw(x_hr)).numpy()
    got = d(x_hr, training=False).numpy()
    np.testing.assert_allclose(got, expected, rtol=TOL, atol=1e-6)
    # The (C, H, W) flatten order is what the load maps: without it the logits are wrong.
    arrays = weights.read_arrays(path)
    assert weights.is_tensorlayerx(arrays)


def test_tensorlayerx_discriminator_file_into_another_discriminator_is_refused(tlx_d, tmp_path):
    path = tmp_path / "d.npz"
    tlx_d.save_weights(str(path), format="npz_dict")
    d = build_discriminator("paper", input_size=128)
    before = [w.numpy() for w in d.weights]
    with pytest.raises(weights.WeightFileError, match="SRGAN_d maps onto --discriminator=tl"):
        weights.load_weights(d, path)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, d.weights))


def test_kernels_of_a_channels_first_backend_are_refused_by_name(tlx_g, tmp_path):
    """A TensorLayerX file saved with the PyTorch/Paddle backend: (out, in, kh, kw) kernels."""
    path = tmp_path / "g_torch.npz"
    tlx_g.save_weights(str(tmp_path / "g.npz"), format="npz_dict")
    members = dict(np.load(tmp_path / "g.npz", allow_pickle=True))
    torch_like = {
        k: np.transpose(v, (3, 2, 0, 1)) if v.ndim == 4 else v for k, v in members.items()
    }
    np.savez(path, **torch_like)
    g = build_generator()
    before = [w.numpy() for w in g.weights]
    with pytest.raises(weights.WeightFileError, match="PyTorch, Paddle or MindSpore"):
        weights.load_weights(g, path)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, g.weights))
