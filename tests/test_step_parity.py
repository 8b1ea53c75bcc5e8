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


def _port_steps(tmp_path, files, batches, perturb=None):
    """The port's compiled steps, from the same files, with SGD in place of Adam.

    `perturb`: a numpy Generator; every starting weight then moves by one float32 rounding
    (a random relative change of +-2**-24), which measures how far this computation carries
    float noise (see `_noise`)."""
    import keras

    from srgan_tf.training.task import SRGANTask

    train = TrainConfig(run_dir=str(tmp_path / "run"), g_weights=str(files["g"]),
                        d_weights=str(files["d"]), vgg_weights=str(files["vgg"]), n_epoch=1,
                        n_epoch_init=1)  # fmt: skip
    data = DataConfig(crop_size=SIZE, batch_size=2)
    task = SRGANTask(["init", "adversarial"], ModelConfig(), data, LossConfig(), train)
    task.warm_start(log=lambda *_: None)
    if perturb is not None:
        for var in task.g.weights + task.d.weights:
            sign = perturb.choice([-1.0, 1.0], var.shape).astype(np.float32)
            var.assign(var.numpy() * (1 + sign * np.float32(2**-24)))
    for name in task.opt:  # before the first call: the steps read the optimisers when traced
        task.opt[name] = keras.optimizers.SGD(LR)
        task.opt[name].build(task.d.trainable_variables if name == "d" else task.g_vars)
    out = []
    for i, (lr, hr) in enumerate(batches):
        step = task.step_function("init" if i < STEPS else "adversarial")
        out.append({k: float(v) for k, v in step((tf.constant(lr), tf.constant(hr))).items()})
    return task, out


ROUNDING = 2.0**-23  # float32's relative spacing at 1: the floor of any float32 tolerance
# How many times this computation's own float noise the port may differ from the reference.
# The noise is measured in the test itself (`_noise`), so it follows the CPU's kernels: on an
# Intel Xeon with AMX, with oneDNN on, with oneDNN off, and on one thread, the port-reference
# differences were at most 1.0x to 2.5x the larger of two perturbed runs' noise.
NOISE_FACTOR = 4


def _noise(port, perturbed, reference):
    """Per loss, the largest relative change that one rounding of every starting weight makes
    over the six steps (two perturbed runs), floored at a few roundings."""
    noise = {}
    for key in reference[-1]:
        changes = [abs(p[key] - q[key]) / abs(r[key]) for run in perturbed
                   for p, q, r in zip(port, run, reference) if key in r]  # fmt: skip
        noise[key] = max(changes + [4 * ROUNDING])
    return noise


def _reference_models(rng):
    """tensorlayer's G, D (128 px) and VGG19 (pool4 of a random pool5 network)."""
    g = tl_reference.randomize(tl_reference.get_G(name="step_parity_g"), rng)
    d = tl_reference.randomize(tl_reference.get_D((None, SIZE, SIZE, 3), name="step_parity_d"), rng)
    full = tl_reference.randomize(tl_reference.tl_vgg("vgg19", "pool5"), rng)
    vgg = tl_reference.tl_vgg("vgg19", "pool4")
    for w, src in zip(vgg.all_weights, full.all_weights):
        w.assign(src)
    return g, d, full, vgg


@pytest.mark.slow
def test_three_init_and_three_adversarial_steps_match_the_reference(tmp_path):
    from test_parity import _write_vgg19_npy

    rng = np.random.default_rng(21)
    g, d, full, vgg = _reference_models(rng)
    files = {"g": tmp_path / "g.h5", "d": tmp_path / "d.h5", "vgg": tmp_path / "vgg19.npy"}
    g.save_weights(str(files["g"])), d.save_weights(str(files["d"]))
    _write_vgg19_npy(full, files["vgg"], rng)
    batches = []
    for _ in range(2 * STEPS):
        hr = rng.uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32)
        lr = tf.image.resize(hr, (SIZE // 4, SIZE // 4), "bicubic").numpy()
        batches.append((lr, hr))

    task, port = _port_steps(tmp_path / "port", files, batches)
    # The noise floor: the same steps from weights one rounding away. BatchNorm over the
    # discriminator's 2x2 maps amplifies it (up to ~1e-3 relative on its losses by step 6).
    noisy = [_port_steps(tmp_path / f"noise{i}", files, batches, np.random.default_rng(i))
             for i in (1, 2)]  # fmt: skip
    reference = _reference_steps(g, d, vgg, batches)

    noise = _noise(port, [run for _, run in noisy], reference)
    for i, (p, r) in enumerate(zip(port, reference)):
        assert set(r) <= set(p), (i, set(r) - set(p))
        for key in r:
            tolerance = NOISE_FACTOR * noise[key]
            assert p[key] == pytest.approx(r[key], rel=tolerance), (i, key, p, r, noise[key])
    lr, hr = batches[0][0], batches[-1][1]
    g.eval(), d.eval()
    outputs = {"g": lambda m: m(lr, training=False), "d": lambda m: m(hr, training=False)}
    reference_out = {"g": g(lr).numpy(), "d": d(hr).numpy()}
    for name, run in outputs.items():
        port_out = run(getattr(task, name)).numpy()
        noise_out = max(np.abs(run(getattr(t, name)).numpy() - port_out).max() for t, _ in noisy)
        tolerance = NOISE_FACTOR * max(noise_out, 4 * ROUNDING)
        np.testing.assert_allclose(port_out, reference_out[name], rtol=0, atol=tolerance)
        # The steps moved both models well beyond that tolerance: the comparison is not of two
        # untouched copies of the files (the discriminator's noise can reach 2e-3 of logits
        # that the steps move by about 0.4, hence 10x, not more).
        moved = np.abs(run(_from_files(name, files)).numpy() - reference_out[name]).max()
        assert moved > 10 * tolerance, (name, moved, tolerance)


def _from_files(name, files):
    """A fresh port model with the weights the steps started from."""
    from srgan_tf import weights
    from srgan_tf.models import build_discriminator, build_generator

    model = build_generator() if name == "g" else build_discriminator("tl", SIZE)
    weights.load_weights(model, files[name])
    return model
