"""Whole training steps held against the reference: tensorlayer/srgan's `train.py` loop bodies.

From the same tensorlayer-written weights (generator, the `tl` discriminator at 128 px, VGG19)
and the same batches, 3 init steps then 3 adversarial steps of the port's compiled steps
(`SRGANTask.step_function`) agree with the reference's loop bodies run on tensorlayer 2.2.5's
own models: the losses step by step, the generator's output and the discriminator's logits
after. Both sides' optimisers are plain SGD, so an update is the learning rate times the
gradient (Adam's first steps are close to lr * sign(gradient) and would amplify float noise).
A change to a loss weight, the update order or which variables a phase trains shows here.

The reference's loop bodies (TensorLayer 2 `train.py`), statement for statement:

    init:  fake = G(lr); mse = mean_squared_error(fake, hr, is_mean=True); update G by mse
    adv:   fake = G(lr); logits_fake = D(fake); logits_real = D(hr)
           feature_fake = VGG((fake + 1) / 2); feature_real = VGG((hr + 1) / 2)
           d_loss = sce(logits_real, 1) + sce(logits_fake, 0)
           g_loss = mse(fake, hr) + 2e-6 * mse(feature_fake, feature_real)
                    + 1e-3 * sce(logits_fake, 1)
           update G by g_loss, then D by d_loss (both gradients from the same forward pass)
"""

import numpy as np
import pytest
import tensorflow as tf
from oracles import require

from srgan_tf.config import DataConfig, LossConfig, ModelConfig, TrainConfig

tl_reference = require("srgan_reference.tl_reference")
LR = 1e-3  # SGD's learning rate on both sides: every step moves the losses, none saturates D
SIZE = 128  # HR patch side: the tl discriminator's flatten sees a 2x2 map
STEPS = 3


def _reference_steps(g, d, vgg, batches):
    """The reference loop bodies on tensorlayer's models; the losses of every step."""
    import tensorlayer as tl

    def sgd(grads, variables):
        for grad, var in zip(grads, variables):
            var.assign_sub(LR * grad)

    def mse(a, b):
        return tl.cost.mean_squared_error(a, b, is_mean=True)

    def sce(logits, value):
        return tl.cost.sigmoid_cross_entropy(logits, tf.fill(tf.shape(logits), value))

    g.train(), d.train(), vgg.eval()
    out = []
    for lr, hr in batches[:STEPS]:
        with tf.GradientTape() as tape:
            loss = mse(g(lr), hr)
        sgd(tape.gradient(loss, g.trainable_weights), g.trainable_weights)
        out.append({"mse": float(loss)})
    for lr, hr in batches[STEPS:]:
        with tf.GradientTape(persistent=True) as tape:
            fake = g(lr)
            logits_fake, logits_real = d(fake), d(hr)
            feature_fake, feature_real = vgg((fake + 1) / 2.0), vgg((hr + 1) / 2.0)
            d_real, d_fake = sce(logits_real, 1.0), sce(logits_fake, 0.0)
            d_loss = d_real + d_fake
            adv = 1e-3 * sce(logits_fake, 1.0)
            mse_loss = mse(fake, hr)
            vgg_loss = 2e-6 * mse(feature_fake, feature_real)
            g_loss = mse_loss + vgg_loss + adv
        sgd(tape.gradient(g_loss, g.trainable_weights), g.trainable_weights)
        sgd(tape.gradient(d_loss, d.trainable_weights), d.trainable_weights)
        del tape
        out.append({"mse": float(mse_loss), "vgg": float(vgg_loss), "adv": float(adv),
                    "g_loss": float(g_loss), "d_real": float(d_real), "d_fake": float(d_fake),
                    "d_loss": float(d_loss)})  # fmt: skip
    return out


def _port_steps(tmp_path, files, batches):
    """The port's compiled steps, from the same files, with SGD in place of Adam."""
    import keras

    from srgan_tf.training.task import SRGANTask

    train = TrainConfig(run_dir=str(tmp_path / "run"), g_weights=str(files["g"]),
                        d_weights=str(files["d"]), vgg_weights=str(files["vgg"]), n_epoch=1,
                        n_epoch_init=1)  # fmt: skip
    data = DataConfig(crop_size=SIZE, batch_size=2)
    task = SRGANTask(["init", "adversarial"], ModelConfig(), data, LossConfig(), train)
    task.warm_start(log=lambda *_: None)
    for name in task.opt:  # before the first call: the steps read the optimisers when traced
        task.opt[name] = keras.optimizers.SGD(LR)
        task.opt[name].build(task.d.trainable_variables if name == "d" else task.g_vars)
    out = []
    for i, (lr, hr) in enumerate(batches):
        step = task.step_function("init" if i < STEPS else "adversarial")
        out.append({k: float(v) for k, v in step((tf.constant(lr), tf.constant(hr))).items()})
    return task, out


@pytest.mark.slow
def test_three_init_and_three_adversarial_steps_match_the_reference(tmp_path):
    from test_parity import _write_vgg19_npy

    rng = np.random.default_rng(21)
    g = tl_reference.randomize(tl_reference.get_G(name="step_parity_g"), rng)
    d = tl_reference.randomize(tl_reference.get_D((None, SIZE, SIZE, 3), name="step_parity_d"), rng)
    full = tl_reference.randomize(tl_reference.tl_vgg("vgg19", "pool5"), rng)
    vgg = tl_reference.tl_vgg("vgg19", "pool4")
    for w, src in zip(vgg.all_weights, full.all_weights):
        w.assign(src)
    files = {"g": tmp_path / "g.h5", "d": tmp_path / "d.h5", "vgg": tmp_path / "vgg19.npy"}
    g.save_weights(str(files["g"])), d.save_weights(str(files["d"]))
    _write_vgg19_npy(full, files["vgg"], rng)
    batches = []
    for _ in range(2 * STEPS):
        hr = rng.uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32)
        lr = tf.image.resize(hr, (SIZE // 4, SIZE // 4), "bicubic").numpy()
        batches.append((lr, hr))

    task, port = _port_steps(tmp_path, files, batches)
    reference = _reference_steps(g, d, vgg, batches)

    for i, (p, r) in enumerate(zip(port, reference)):
        assert set(r) <= set(p), (i, set(r) - set(p))
        for key in ("mse", "vgg", "g_loss"):
            if key in r:
                assert p[key] == pytest.approx(r[key], rel=1e-5, abs=1e-9), (i, key, p, r)
        for key in ("adv", "d_real", "d_fake", "d_loss"):
            if key in r:  # BatchNorm scale gradients over 2x2 maps carry float noise
                tolerance = 0.005 if i == len(port) - 1 else 0.05
                assert p[key] == pytest.approx(r[key], rel=tolerance), (i, key, p, r)
    lr, hr = batches[0][0], batches[-1][1]
    g.eval(), d.eval()
    np.testing.assert_allclose(task.g(lr, training=False).numpy(), g(lr).numpy(), atol=2e-6)
    np.testing.assert_allclose(
        task.d(hr, training=False).numpy(), d(hr).numpy(), rtol=3e-4, atol=1e-5
    )
    # The steps moved both models far beyond those tolerances: the comparison is not of two
    # untouched copies of the files.
    from srgan_tf import weights
    from srgan_tf.models import build_discriminator, build_generator

    g0, d0 = build_generator(), build_discriminator("tl", SIZE)
    weights.load_weights(g0, files["g"]), weights.load_weights(d0, files["d"])
    assert np.abs(g0(lr, training=False).numpy() - g(lr).numpy()).max() > 100 * 2e-6
    assert np.abs(d0(hr, training=False).numpy() - d(hr).numpy()).max() > 0.01
