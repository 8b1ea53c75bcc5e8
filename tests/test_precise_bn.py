"""Precise BatchNorm statistics (srgan_tf/training/precise_bn.py) and g.weights.h5 written with them."""

import dataclasses

import keras
import numpy as np
import pytest
from training_setup import DATA, MODEL, tcfg, trainer

from srgan_tf import data, weights
from srgan_tf.models import build_generator
from srgan_tf.models.layers import FusedBatchNormalization
from srgan_tf.training import precise_bn
from srgan_tf.training.snapshot import PRECISE_BN_EPOCH


def one_bn(layer_cls):
    model = keras.Sequential([keras.Input((None, None, 3)), layer_cls(momentum=0.9, epsilon=1e-5)])
    bn = model.layers[0]
    bn.moving_mean.assign([5.0, -5.0, 9.0])  # garbage that must not survive
    bn.moving_variance.assign([100.0, 0.1, 7.0])
    return model, bn


def batches(rng, n=5):
    # Batches with clearly different means and spreads, as crops of different images have.
    return [
        (rng.normal(rng.uniform(-1, 1, 3), rng.uniform(0.1, 2, 3), (2, 6, 7, 3))).astype(np.float32)
        for _ in range(n)
    ]


@pytest.mark.parametrize("layer_cls", [keras.layers.BatchNormalization, FusedBatchNormalization])
def test_statistics_are_the_mean_of_the_batch_statistics(layer_cls, rng):
    model, bn = one_bn(layer_cls)
    xs = batches(rng)
    assert precise_bn.recalibrate(model, xs) == len(xs)
    # Oracle: numpy's per-batch mean and biased variance over (batch, h, w), averaged.
    want_mean = np.mean([x.mean((0, 1, 2)) for x in xs], axis=0)
    want_var = np.mean([x.var((0, 1, 2)) for x in xs], axis=0)
    np.testing.assert_allclose(bn.moving_mean.numpy(), want_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), want_var, rtol=1e-5)
    assert bn.momentum == 0.9  # restored
    # The reference's decay-0.9 moving average of the same batches is far from the exact mean.
    model2, bn2 = one_bn(layer_cls)
    for x in xs:
        model2(x, training=True)
    assert np.abs(bn2.moving_mean.numpy() - want_mean).max() > 0.1


def test_deep_model_ignores_the_old_statistics_and_the_batch_order(rng):
    g = build_generator(n_res_blocks=2, filters=8)
    xs = [np.tanh(x) for x in batches(rng, 6)]
    precise_bn.recalibrate(g, xs)
    first = precise_bn.statistics(g)
    assert len(first) == 2 * 2 + 1
    for layer in precise_bn.batch_norm_layers(g):
        layer.moving_mean.assign(layer.moving_mean + 3.0)
    precise_bn.recalibrate(g, xs[::-1])
    for name, (mean, var) in precise_bn.statistics(g).items():
        np.testing.assert_allclose(mean, first[name][0], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(var, first[name][1], rtol=1e-4, atol=1e-6)


def test_frozen_layers_keep_their_statistics_and_errors_change_nothing(rng):
    g = build_generator(n_res_blocks=2, filters=8)
    frozen = g.get_layer("generator_res0_bn1")
    frozen.trainable = False
    before = frozen.moving_mean.numpy(), precise_bn.statistics(g)
    precise_bn.recalibrate(g, batches(rng, 2))
    np.testing.assert_array_equal(frozen.moving_mean.numpy(), before[0])
    assert "generator_res0_bn1" not in precise_bn.statistics(g)

    snapshot = precise_bn.statistics(g)
    with pytest.raises(ValueError, match="at least one batch"):
        precise_bn.recalibrate(g, [])

    def failing():
        yield batches(rng, 1)[0]
        raise OSError("disk gone")

    with pytest.raises(OSError):
        precise_bn.recalibrate(g, failing())
    for name, (mean, var) in precise_bn.statistics(g).items():
        np.testing.assert_array_equal(mean, snapshot[name][0])
        np.testing.assert_array_equal(var, snapshot[name][1])
    assert all(layer.momentum == 0.9 for layer in precise_bn.batch_norm_layers(g))


def test_trainer_writes_precise_statistics_and_checkpoints_keep_the_moving_ones(split, tmp_path):  # noqa: F811
    plain = trainer(["init"], split, tcfg(tmp_path / "a", n_epoch_init=2))
    plain.run()
    precise = trainer(["init"], split, tcfg(tmp_path / "b", n_epoch_init=2, precise_bn_batches=3))
    precise.run()

    def loaded(path):
        g = build_generator(MODEL.n_res_blocks, MODEL.filters)
        weights.load_weights(g, path)
        return g

    a = loaded(tmp_path / "a" / "run" / "g.weights.h5")
    b = loaded(tmp_path / "b" / "run" / "g.weights.h5")
    # The training itself is unchanged: same kernels, same moving statistics in the live model.
    for va, vb in zip(plain.g.weights, precise.g.weights):
        np.testing.assert_array_equal(va.numpy(), vb.numpy())
    for la, lb in zip(a.layers, b.layers):
        if not isinstance(la, keras.layers.BatchNormalization):
            for wa, wb in zip(la.get_weights(), lb.get_weights()):
                np.testing.assert_array_equal(wa, wb)
    # The written statistics are the exact mean over 3 fixed batches (2 per epoch of 4 images).
    lrs = [
        lr
        for epoch in (PRECISE_BN_EPOCH, PRECISE_BN_EPOCH + 1)
        for lr, _ in data.train_dataset(split.train, DATA, epoch, 1)
    ][:3]
    precise_bn.recalibrate(a, lrs)
    want, got = precise_bn.statistics(a), precise_bn.statistics(b)
    moving = precise_bn.statistics(plain.g)
    for name in want:
        np.testing.assert_allclose(got[name][0], want[name][0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got[name][1], want[name][1], rtol=1e-5, atol=1e-7)
        assert not np.allclose(got[name][0], moving[name][0])


def test_specialize_tail_only_writes_the_warm_start_statistics(split, tmp_path):  # noqa: F811
    """With only the last layer trained, every BatchNorm is frozen: nothing to re-estimate."""
    src = build_generator(MODEL.n_res_blocks, MODEL.filters)
    weights.save_weights(src, tmp_path / "src.weights.h5")
    t = tcfg(tmp_path, g_weights=str(tmp_path / "src.weights.h5"), n_trainable=1)
    trainer(["init"], split, dataclasses.replace(t, precise_bn_batches=2)).run()
    out = build_generator(MODEL.n_res_blocks, MODEL.filters)
    weights.load_weights(out, tmp_path / "run" / "g.weights.h5")
    for la, lb in zip(src.layers, out.layers):
        if isinstance(la, keras.layers.BatchNormalization):
            for wa, wb in zip(la.get_weights(), lb.get_weights()):
                np.testing.assert_array_equal(wa, wb)
