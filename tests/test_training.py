"""The trainer on tiny data (srgan_tf/training/loop.py, task.py, transfer.py, history.py)."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from training_setup import DATA, LOSS, rows, tcfg, trainer

from srgan_tf import training, weights
from srgan_tf.config import LossConfig
from srgan_tf.models import build_generator, build_vgg
from srgan_tf.training import loop, transfer


def test_init_then_adversarial_writes_everything(split, tmp_path):
    t = tcfg(tmp_path, n_epoch_init=2, n_epoch=1, sample_every=1)
    tr = trainer(["init", "adversarial"], split, t)
    last = tr.run()
    assert int(tr.step) == 2 * 2 + 2
    assert set(last) >= {"mse", "adv", "g_loss", "d_loss"}
    run = Path(t.run_dir)
    for name in ["g.weights.h5", "d.weights.h5", "history_steps.csv", "history_epochs.csv"]:
        assert (run / name).is_file(), name
    assert {p.name for p in (run / "plots").iterdir()} == {
        "generator_init_loss.png",
        "generator_adversarial_loss.png",
        "discriminator_loss.png",
        "discriminator_accuracy.png",
    }
    assert len(list((run / "samples").glob("*.png"))) == 3
    assert list((run / "tb").iterdir())
    steps = rows(run / "history_steps.csv")
    assert [int(r["step"]) for r in steps] == list(range(1, 7))
    for r in steps[4:]:  # the adversarial steps: the discriminator's accuracy, 0..1 in 1/4s
        for key in ("d_acc_real", "d_acc_fake"):
            assert float(r[key]) * 4 in range(5), (key, r[key])  # a batch of 4 patches
    epochs = rows(run / "history_epochs.csv")
    assert [(r["phase"], r["epoch"]) for r in epochs] == [
        ("init", "0"),
        ("init", "1"),
        ("adversarial", "0"),
    ]
    g = build_generator(1, 8)
    weights.load_weights(g, run / "g.weights.h5")  # the exported generator loads


def test_vgg_term_uses_the_given_weights(split, tmp_path):
    vgg = build_vgg("vgg19", "pool4")
    path = tmp_path / "vgg.npz"
    weights.save_tensorlayer_npz(vgg, path)
    t = tcfg(tmp_path, use_vgg=True, vgg_weights=str(path), max_steps=1)
    tr = trainer(["adversarial"], split, t)
    out = tr.run()
    assert out["vgg"] > 0
    np.testing.assert_allclose(out["g_loss"], out["mse"] + out["vgg"] + out["adv"], rtol=1e-5)


def test_missing_vgg_weights_say_where_to_put_them(split, tmp_path):
    t = tcfg(tmp_path, use_vgg=True, vgg_weights=str(tmp_path / "vgg19.npy"))
    with pytest.raises(
        training.TrainingError, match="VGG weights not found at .*vgg19.npy.*--no_vgg"
    ):
        trainer(["adversarial"], split, t)


def test_no_vgg_is_said_in_the_log(split, tmp_path):
    logs = []
    trainer(["adversarial"], split, tcfg(tmp_path, max_steps=1), logs=logs).run()
    assert any("VGG term disabled" in line for line in logs)


def test_specialize_trains_only_the_tail_bit_for_bit(split, tmp_path):
    pre = build_generator(1, 8)
    src = tmp_path / "pretrained.weights.h5"
    weights.save_weights(pre, src)
    t = tcfg(tmp_path, g_weights=str(src), n_trainable=1, max_steps=3)
    tr = trainer(["init", "adversarial"], split, t)
    tail = {v.path for v in tr.g.get_layer("generator_conv_out").weights}
    tr.run()
    after = {v.path: v.numpy() for v in tr.g.weights}
    for v in pre.weights:
        if v.path in tail:
            assert not np.array_equal(after[v.path], v.numpy()), v.path
        else:
            np.testing.assert_array_equal(after[v.path], v.numpy(), err_msg=v.path)


def test_tail_layers_and_bounds():
    g = build_generator(1, 8)
    assert [layer.name for layer in transfer.tail_layers(g, 3)] == [
        "generator_up1_conv",
        "generator_up2_conv",
        "generator_conv_out",
    ]
    with pytest.raises(ValueError, match="--n_trainable=.*layers with weights"):
        transfer.tail_layers(g, 99)


def test_resume_continues_to_max_steps_without_duplicate_rows(split, tmp_path):
    logs = []
    t = tcfg(tmp_path, n_epoch_init=5, max_steps=3, save_every=1)
    trainer(["init"], split, t, logs=logs).run()
    t2 = dataclasses.replace(t, max_steps=7)
    tr = trainer(["init"], split, t2, logs=logs)
    tr.run()
    assert int(tr.step) == 7
    assert any(line.startswith("Resuming from step 3 (") for line in logs)
    steps = [int(r["step"]) for r in rows(Path(t.run_dir) / "history_steps.csv")]
    assert steps == list(range(1, 8))


def test_resumed_run_equals_uninterrupted_run(split, tmp_path):
    """Mid-epoch resume replays the same batches: same weights as a run that never stopped."""
    straight = trainer(["init"], split, tcfg(tmp_path / "a", n_epoch_init=2, save_every=0))
    straight.run()
    t = tcfg(tmp_path / "b", n_epoch_init=2, save_every=1, max_steps=1)
    trainer(["init"], split, t).run()
    resumed = trainer(["init"], split, dataclasses.replace(t, max_steps=0))
    resumed.run()
    for a, b in zip(straight.g.weights, resumed.g.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(split, tmp_path):
    t = tcfg(tmp_path, max_steps=1)
    trainer(["adversarial"], split, t).run()
    ckpt_dir = Path(t.run_dir) / "ckpt"
    good = sorted(p.name for p in ckpt_dir.iterdir())
    bad = trainer(
        ["adversarial"],
        split,
        dataclasses.replace(t, max_steps=5),
        loss=LossConfig(mse_weight=float("nan")),
    )
    with pytest.raises(
        training.TrainingError, match=r"g_loss.*not finite.*last good checkpoint is .*ckpt-1"
    ):
        bad.run()
    assert sorted(p.name for p in ckpt_dir.iterdir()) == good


def test_a_new_patch_size_does_not_retrace_the_step(split, tmp_path):
    import tensorflow as tf

    tr = trainer(["init"], split, tcfg(tmp_path))
    step = tr.step_function("init")
    for batch, side in [(2, 8), (2, 12), (3, 5)]:
        lr = tf.random.uniform((batch, side, side, 3), -1, 1)
        hr = tf.random.uniform((batch, 4 * side, 4 * side, 3), -1, 1)
        assert np.isfinite(float(step((lr, hr))["mse"]))
    assert step.experimental_get_tracing_count() == 1


def _l1_np(sr, hr):
    return np.abs(sr - hr).mean()


def _log_mse_np(sr, hr):
    # ln(per-patch MSE + floor), averaged: the floor is a tenth of a grey level in [-1, 1].
    mse = ((sr - hr) ** 2).reshape(len(sr), -1).mean(axis=1)
    return np.log(mse + (0.1 / 127.5) ** 2).mean()


@pytest.mark.parametrize("name", ["l1", "log_mse"])
def test_init_loss_option_reports_both_and_descends_its_own_gradient(split, tmp_path, name):
    """Adam's first step moves each weight by about lr against the sign of its gradient, so
    the step shows which loss was differentiated: the chosen loss's signs, not the MSE's."""
    import tensorflow as tf

    from srgan_tf import data

    def chosen(sr, hr):  # the oracle, written out in TensorFlow for its gradient
        if name == "l1":
            return tf.reduce_mean(tf.abs(sr - hr))
        per_patch = tf.reduce_mean(tf.square(sr - hr), axis=[1, 2, 3])
        return tf.reduce_mean(tf.math.log(per_patch + (0.1 / 127.5) ** 2))

    t = tcfg(tmp_path, lr_init=1e-3)
    tr = trainer(["init"], split, t, loss=dataclasses.replace(LOSS, init_loss=name))
    lr, hr = next(iter(data.train_dataset(split.train, DATA)))
    before = [v.numpy() for v in tr.task.g_vars]
    with tf.GradientTape(persistent=True) as tape:
        sr = tr.g(lr, training=True)
        loss = chosen(sr, hr)
        mse = tf.reduce_mean(tf.square(sr - hr))
    g_loss, g_mse = tape.gradient(loss, tr.task.g_vars), tape.gradient(mse, tr.task.g_vars)
    # The tape's forward pass moved the BatchNorm statistics; the step must see the same ones.
    out = tr.step_function("init")((lr, hr))
    # Oracle for the reported values: numpy on the same forward pass.
    sr_np, hr_np = sr.numpy().astype(np.float64), hr.numpy().astype(np.float64)
    reference = {"l1": _l1_np, "log_mse": _log_mse_np}[name]
    np.testing.assert_allclose(float(out[name]), reference(sr_np, hr_np), rtol=1e-4)
    np.testing.assert_allclose(float(out["mse"]), ((sr_np - hr_np) ** 2).mean(), rtol=1e-4)
    follows = disputed = 0
    for v, b, gl, gm in zip(tr.task.g_vars, before, g_loss, g_mse):
        step, gl, gm = v.numpy() - b, gl.numpy(), gm.numpy()
        # Weights whose two gradients point opposite ways, both clearly above Adam's epsilon:
        # there the step's direction names the loss.
        split_ = (np.sign(gl) != np.sign(gm)) & (np.abs(gl) > 1e-6) & (np.abs(gm) > 1e-6)
        follows += np.sum(np.sign(step[split_]) == -np.sign(gl[split_]))
        disputed += split_.sum()
    assert disputed > 100
    assert follows / disputed > 0.98


def test_init_loss_after_the_shipped_post_processing(split, tmp_path):
    """--loss_back_projection=2 --loss_detail_floor=1.5: the init phase's loss and gradients
    are those of the MSE of the generator followed by upscale's steps and gate (fresh layers
    here, the oracle), not of the generator alone."""
    import tensorflow as tf

    from srgan_tf import data
    from srgan_tf.models.back_projection import BackProjection
    from srgan_tf.models.detail_gate import DetailGate

    paper = dataclasses.replace(DATA, protocol="paper")
    loss = dataclasses.replace(LOSS, loss_back_projection=2, loss_detail_floor=1.5)
    tr = trainer(["init"], split, tcfg(tmp_path), loss=loss, data=paper)
    lr, hr = next(iter(data.train_dataset(split.train, paper)))
    out, grads = tr.task.init_gradients(lr, hr)
    steps, gate = BackProjection(2, "paper"), DetailGate(1.5)
    with tf.GradientTape(persistent=True) as tape:
        sr = tr.g(lr, training=True)
        shipped = gate([lr, steps([lr, sr])])
        mse = tf.reduce_mean(tf.square(shipped - hr))
        raw = tf.reduce_mean(tf.square(sr - hr))
    np.testing.assert_allclose(float(out["mse"]), float(mse), rtol=1e-5)
    expected = tape.gradient(mse, tr.task.g_vars)
    alone = tape.gradient(raw, tr.task.g_vars)
    scale = max(float(tf.reduce_max(tf.abs(g))) for g in expected)
    assert max(float(tf.reduce_max(tf.abs(a - b))) for a, b in zip(grads, expected)) < 1e-4 * scale
    assert max(float(tf.reduce_max(tf.abs(a - b))) for a, b in zip(grads, alone)) > 1e-2 * scale


def test_saves_follow_steps_and_time_not_epochs(split, tmp_path, monkeypatch):
    """Tiny epochs (2 steps) no longer save at every epoch end: only every save_every steps,
    every save_secs seconds, and at the end."""

    def recorded(tr):
        saves, real = [], tr.manager.save
        tr.manager.save = lambda **kw: saves.append(kw["checkpoint_number"]) or real(**kw)
        return saves

    tr = trainer(["init"], split, tcfg(tmp_path / "a", n_epoch_init=6, save_every=5, save_secs=0))
    saves = recorded(tr)
    tr.run()
    assert saves == [5, 10, 12]
    tr = trainer(["init"], split, tcfg(tmp_path / "b", n_epoch_init=4, save_every=0, save_secs=30))
    saves = recorded(tr)
    # A clock on which every training step takes 12 s: saves 30 s apart fall on steps 3 and 6.
    monkeypatch.setattr(loop.time, "time", lambda: 12.0 * int(tr.step))
    tr.saver.saved_at = 0.0
    tr.run()
    assert saves == [3, 6, 8]


def test_every_loss_the_step_returns_reaches_the_history(split, tmp_path):
    """A loss no fixed column names (`log_mse`) gets its own column in both CSV files, and
    the column survives a resume."""
    loss = dataclasses.replace(LOSS, init_loss="log_mse")
    t = tcfg(tmp_path, max_steps=3, n_epoch_init=5)  # 2 steps an epoch
    trainer(["init"], split, t, loss=loss).run()
    steps = rows(tmp_path / "run" / "history_steps.csv")
    assert [r["step"] for r in steps] == ["1", "2", "3"]
    assert all(np.isfinite(float(r["log_mse"])) for r in steps)
    epochs = rows(tmp_path / "run" / "history_epochs.csv")
    assert epochs and all(r["log_mse"] for r in epochs)
    trainer(["init"], split, dataclasses.replace(t, max_steps=5), loss=loss).run()
    steps = rows(tmp_path / "run" / "history_steps.csv")
    assert [r["step"] for r in steps] == ["1", "2", "3", "4", "5"]
    assert all(r["log_mse"] for r in steps)
