"""Training in mixed precision: bfloat16 and float16 steps, loss scaling, the float32
gradients."""

from pathlib import Path

import numpy as np
import pytest
from training_setup import DATA, rows, tcfg, trainer

from srgan_tf import data as data_lib
from srgan_tf.config import DataConfig, ModelConfig
from srgan_tf.data import datasets
from srgan_tf.training import task


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_steps(split, tmp_path, precision):
    import keras

    try:
        out = trainer(
            ["init", "adversarial"], split, tcfg(tmp_path, precision=precision, max_steps=3)
        ).run()
        assert all(np.isfinite(v) for v in out.values())
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.slow
def test_bfloat16_init_reaches_the_float32_mse(tmp_path):
    """Same data, seed and steps: the mixed_bfloat16 run ends within a few percent of float32."""
    import keras

    from srgan_tf.data import sample_data

    root = sample_data.sample_dir(tmp_path / "sample")
    data = DataConfig(crop_size=48, batch_size=4, seed=0, brightness_delta=0, contrast_upper=0)
    split = datasets.make_split(root, "", data, log=lambda *_: None)
    model = ModelConfig(n_res_blocks=2, filters=16)
    mse = {}
    try:
        for precision in ("float32", "mixed_bfloat16"):
            t = tcfg(
                tmp_path / precision,
                precision=precision,
                n_epoch_init=100,
                max_steps=150,
                lr_init=1e-3,
                patches_per_image=8,
                save_every=0,
            )
            trainer(["init"], split, t, model=model, data=data).run()
            steps = rows(Path(t.run_dir) / "history_steps.csv")
            mse[precision] = np.mean([float(r["mse"]) for r in steps[-50:]])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    first = float(steps[0]["mse"])
    assert mse["float32"] < 0.75 * first  # it learned something, so the comparison means something
    print("bf16/fp32 MSE over the last 50 steps:", mse)
    assert abs(mse["mixed_bfloat16"] / mse["float32"] - 1) < 0.05, mse


def _init_gradients(split, tmp_path, precision, weights_from=None):
    """One init step's gradients, unscaled by the optimiser's loss scale, and the model."""
    import keras
    import tensorflow as tf

    try:
        tr = trainer(["init"], split, tcfg(tmp_path / precision, precision=precision))
        if weights_from is not None:
            tr.g.set_weights(weights_from)
        lr, hr = next(iter(data_lib.train_dataset(split.train, DATA)))
        _, grads = tr.task.init_gradients(lr, hr)
        opt = tr.opt["g_init"]
        scale = float(opt.dynamic_scale) if hasattr(opt, "dynamic_scale") else 1.0
        return [tf.cast(g, tf.float32).numpy() / scale for g in grads], tr.g.get_weights()
    finally:
        keras.mixed_precision.set_global_policy("float32")


def _close(a, b, tol=0.05):
    """Each gradient within `tol` of its float32 value, relative to its largest entry."""
    return all(np.abs(x - y).max() <= tol * np.abs(y).max() + 1e-12 for x, y in zip(a, b))


def test_float16_loss_scaling_gives_the_float32_gradients(split, tmp_path):
    """float16 carries 11 bits: 5% of each gradient's scale is the tolerance (bfloat16's 8
    bits need no loss scale and are covered by test_bfloat16_init_reaches_the_float32_mse)."""
    ref, w = _init_gradients(split, tmp_path, "float32")
    f16, _ = _init_gradients(split, tmp_path, "mixed_float16", weights_from=w)
    assert _close(f16, ref)


def test_a_broken_loss_scale_fails_the_gradient_check(split, tmp_path, monkeypatch):
    """The check above can fail: a step that forgets to scale the loss hands the optimiser
    gradients the loss scale (32768) too small after unscaling."""
    ref, w = _init_gradients(split, tmp_path, "float32")
    monkeypatch.setattr(task.SRGANTask, "_scaled", staticmethod(lambda opt, loss: loss))
    broken, _ = _init_gradients(split, tmp_path, "mixed_float16", weights_from=w)
    assert not _close(broken, ref)
