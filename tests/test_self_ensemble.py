"""The self-ensemble (srgan_tf/models/self_ensemble.py) against an oracle written with numpy's
own flips and transposes, on real photographs."""

import numpy as np
import pytest
from skimage import data as skimage_data

from srgan_reference.random_weights import he_scaled_kernels
from srgan_tf.inference import PostProcessing
from srgan_tf.models import build_generator, self_ensemble
from srgan_tf.models.post_stages import post_processed


def _lr(name, h, w, step=4):
    photo = getattr(skimage_data, name)()
    if photo.ndim == 2:
        photo = np.repeat(photo[..., None], 3, axis=-1)
    return (photo[::step, ::step][:h, :w].astype(np.float32) / 127.5 - 1.0)[None]


def _numpy_orientations(n):
    """The first n symmetries of the square as (to, back) numpy functions on (1, h, w, 3)."""
    ident = (lambda x: x, lambda y: y)
    mirror = (lambda x: x[:, :, ::-1], lambda y: y[:, :, ::-1])
    flip = (lambda x: x[:, ::-1], lambda y: y[:, ::-1])
    rot180 = (lambda x: x[:, ::-1, ::-1], lambda y: y[:, ::-1, ::-1])
    plain = [ident, mirror, flip, rot180]

    def transposed(to, back):
        return (lambda x: to(x.transpose(0, 2, 1, 3)), lambda y: back(y).transpose(0, 2, 1, 3))

    return (plain + [transposed(*o) for o in plain])[:n]


def _he_scaled(n_blocks, filters):
    import keras

    keras.utils.set_random_seed(0)
    return he_scaled_kernels(build_generator(n_blocks, filters))


@pytest.fixture(scope="module")
def generator():
    return _he_scaled(2, 16)


@pytest.mark.parametrize("n", [2, 4, 8])
def test_is_the_mean_of_the_turned_back_outputs_on_non_square_photos(generator, n):
    lr = _lr("chelsea", 23, 31)  # odd, unequal sides: a wrong axis cannot hide
    model = self_ensemble.self_ensembled(generator, n)
    outs = []
    for to, back in _numpy_orientations(n):
        outs.append(back(generator(np.ascontiguousarray(to(lr))).numpy()))
    expected = np.mean(outs, axis=0)
    got = model(lr).numpy()
    assert got.shape == (1, 92, 124, 3)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    single = generator(lr).numpy()
    assert np.abs(got - single).max() > 0.05  # the orientations disagree: the mean is not one


def test_every_transform_is_undone_by_its_inverse():
    x = np.arange(2 * 3 * 5 * 3, dtype=np.float32).reshape(2, 3, 5, 3)
    seen = set()
    for t in self_ensemble.TRANSFORMS:
        turned = np.asarray(self_ensemble.forward(x, t))
        seen.add(turned.tobytes())
        np.testing.assert_array_equal(np.asarray(self_ensemble.inverse(turned, t)), x)
    assert len(seen) == 8  # the eight symmetries, each once


def test_one_pass_is_the_generator_itself_and_bad_sizes_are_refused(generator):
    assert self_ensemble.self_ensembled(generator, 1) is generator
    # Off: the generator's own pixels (a tiny input is mirrored first: tests/test_faults.py).
    off = post_processed(generator, 0, 0.0, "paper", 1)
    x = np.random.default_rng(4).uniform(-1, 1, (1, 17, 23, 3)).astype(np.float32)
    np.testing.assert_array_equal(off(x).numpy(), generator(x).numpy())
    for bad in (0, 3, 16):
        with pytest.raises(ValueError, match=r"one of \(1, 2, 4, 8\)"):
            self_ensemble.self_ensembled(generator, bad)
    assert (
        PostProcessing(self_ensemble=4, back_projection=2, detail_floor=1.5).label
        == "+x4+bp2+gate1.5"
        and PostProcessing(self_ensemble=8).label == "+x8"
    )


def test_comes_before_the_steps_and_shares_the_generators_weights(generator):
    """`post_processed(..., self_ensemble=n)` is the ensemble's output followed by the steps
    (not the steps inside each pass), with the generator's own weights."""
    from srgan_tf.models.back_projection import BackProjection

    lr = _lr("coffee", 20, 28)
    model = post_processed(generator, 2, 0.0, "paper", 4)
    ensembled = self_ensemble.self_ensembled(generator, 4)(lr)
    expected = BackProjection(2, "paper")([lr, ensembled]).numpy()
    np.testing.assert_allclose(model(lr).numpy(), expected, atol=1e-5)
    assert {id(w) for w in model.weights} == {id(w) for w in generator.weights}


def test_tiled_equals_whole_image():
    """Flipped and transposed tiles are the turned image's tiles: with the ensemble of 8 before
    two steps, tiles of 140 give the whole-image pixels (a real photograph, non-square tiles)."""
    from test_inference import tiled_and_whole

    from srgan_tf import inference

    generator = _he_scaled(1, 8)
    lr = _lr("coffee", 80, 170, step=2)[0]
    predict = inference.predictor(generator, PostProcessing(self_ensemble=8, back_projection=2))
    assert (
        predict.context
        == inference.predictor(
            generator, PostProcessing(self_ensemble=1, back_projection=2)
        ).context
    )
    tiled, whole = tiled_and_whole(predict, lr, 140)
    single = inference.upscale(
        inference.predictor(generator, PostProcessing(self_ensemble=1, back_projection=2)),
        lr,
        tile=0,
        to_uint8=True,
    )
    assert np.abs(whole.astype(int) - single.astype(int)).max() > 3  # the ensemble changes pixels
    assert np.abs(tiled.astype(int) - whole.astype(int)).max() <= 1
