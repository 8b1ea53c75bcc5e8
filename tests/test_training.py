"""Training modes on tiny data (srgan_tf/training/loop.py, transfer.py, history.py, main.py)."""

import csv
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from main_cli import run_main as cli
from main_cli import run_main_many

from srgan_tf import data as data_lib
from srgan_tf import inference, training, weights
from srgan_tf.config import DataConfig, LossConfig, ModelConfig, TrainConfig
from srgan_tf.data import datasets
from srgan_tf.evaluation import figures
from srgan_tf.inference import PostProcessing
from srgan_tf.models import build_generator, build_vgg
from srgan_tf.training import loop, run_lock, task, transfer, validation

ROOT = Path(__file__).parent.parent
MODEL = ModelConfig(n_res_blocks=1, filters=8, d_filters=8)
LOSS = LossConfig()
DATA = DataConfig(crop_size=64, batch_size=2, seed=0)


@pytest.fixture(scope="module")
def split():
    rng = np.random.default_rng(0)
    s = datasets.ImageSet()
    for i in range(4):
        s.add(f"img{i}.png", rng.integers(0, 256, (70, 80, 3), dtype=np.uint8), keep=True)
    return datasets.Split("all", ".", s, datasets.ImageSet(), datasets.ScanReport())


def tcfg(tmp_path, **kw):
    base = dict(
        run_dir=str(tmp_path / "run"),
        n_epoch_init=1,
        n_epoch=1,
        use_vgg=False,
        save_every=1,
    )
    return TrainConfig(**{**base, **kw})


def trainer(phases, split, t, loss=LOSS, model=MODEL, data=DATA, logs=None):
    log = logs.append if logs is not None else (lambda *_: None)
    return training.Trainer(phases, model, data, loss, t, split, log=log, progress=False)


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


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
    }
    assert len(list((run / "samples").glob("*.png"))) == 3
    assert list((run / "tb").iterdir())
    steps = rows(run / "history_steps.csv")
    assert [int(r["step"]) for r in steps] == list(range(1, 7))
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
    with pytest.raises(training.TrainingError, match="checkpoints/.*--no_vgg"):
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
    with pytest.raises(ValueError, match="n_trainable must be between 1 and"):
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


def test_a_second_process_cannot_train_into_a_busy_run_folder(split, tmp_path):
    t = tcfg(tmp_path, max_steps=1)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from srgan_tf.training import run_lock; run_lock.acquire(sys.argv[1]); "
            "print('held', flush=True); time.sleep(60)",
            t.run_dir,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(run_lock.RunLocked, match=rf"in use by .* \(pid {holder.pid}\)"):
            run_lock.acquire(t.run_dir)
        assert not (Path(t.run_dir) / "ckpt").exists()
    finally:
        holder.kill()
        holder.wait()
    # The kernel drops the lock with its holder, however it died: no stale lock.
    run_lock.acquire(t.run_dir)
    tr = trainer(["init"], split, t)
    tr.run()
    assert int(tr.step) == 1


def test_a_new_patch_size_does_not_retrace_the_step(split, tmp_path):
    import tensorflow as tf

    tr = trainer(["init"], split, tcfg(tmp_path))
    step = tr.step_function("init")
    for batch, side in [(2, 8), (2, 12), (3, 5)]:
        lr = tf.random.uniform((batch, side, side, 3), -1, 1)
        hr = tf.random.uniform((batch, 4 * side, 4 * side, 3), -1, 1)
        assert np.isfinite(float(step((lr, hr))["mse"]))
    assert step.experimental_get_tracing_count() == 1


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


TINY = [
    "--n_res_blocks=1",
    "--filters=8",
    "--d_filters=8",
    "--crop_size=64",
    "--batch_size=2",
    "--no_vgg",
    "--progress=false",
]


def landscape(tmp_path):
    import imageio.v3 as iio

    root = tmp_path / "landscapes"
    root.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        for suffix in ("", " (3)"):
            iio.imwrite(
                root / f"{i:08d}{suffix}.png", rng.integers(0, 256, (70, 70, 3), dtype=np.uint8)
            )
    return root


def test_cli_modes_and_clear_errors(tmp_path):
    """Mistakes are refused in one line naming the bad value; `specialize --n_epoch=0` trains
    the MSE phase only (no discriminator, any crop size) on a landscape class. (init ->
    adversarial -> specialize -> evaluate through the CLI: tests/test_main.py, study.sh.)"""
    data = landscape(tmp_path)
    ck = tmp_path / "ck"
    g = tmp_path / "g.weights.h5"
    weights.save_weights(build_generator(1, 8), g)
    common = [*TINY, f"--data_dir={data}", f"--checkpoint_dir={ck}", "--n_test=1", "--max_steps=2"]
    refused = run_main_many([
        ["--mode=specialize", "--cls=tundra", f"--g_weights={g}", *common],
        ["--mode=init", *TINY, f"--data_dir={tmp_path / 'missing'}", f"--checkpoint_dir={ck}"],
        ["--mode=specialize", "--cls=desert", f"--g_weights={data / '00000000.png'}", *common],
        ["--mode=adversarial", f"--g_weights={g}", *common, "--crop_size=48"],  # tl's D: x64
    ])  # fmt: skip
    for r, said in zip(refused, ("Valid names", "missing", "00000000.png", "--crop_size=48")):
        assert r.returncode == 1 and said in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not ck.exists()  # nothing written by a refused command
    r = cli("--mode=specialize", "--cls=desert", "--n_epoch=0", *common, "--crop_size=48",
            f"--g_weights={g}")  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    run = ck / "desert"
    assert (run / "g.weights.h5").is_file() and not (run / "d.weights.h5").exists()
    assert (run / "manifest.json").is_file() and (run / "config.json").is_file()


def test_sigkill_at_any_moment_resumes_from_a_valid_checkpoint(tmp_path):
    data = landscape(tmp_path)
    ck = tmp_path / "ck"
    args = [
        "--mode=init",
        *TINY,
        f"--data_dir={data}",
        f"--checkpoint_dir={ck}",
        "--n_test=0",
        "--n_epoch_init=200",
        "--save_every=1",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    state = ck / "init" / "ckpt" / "checkpoint"
    for delay in (0.0, 0.7, 1.9):  # kill soon after the first save, at varied moments
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 120
        while not state.exists() and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    r = cli(*args, "--max_steps=0", "--n_epoch_init=0")  # resume only: restore must succeed
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Resuming from step" in r.stdout


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


def _val_folder(tmp_path):
    import imageio.v3 as iio

    val = tmp_path / "val"
    val.mkdir()
    rng = np.random.default_rng(5)
    for i in range(2):
        iio.imwrite(val / f"v{i}.png", rng.integers(0, 256, (40, 36, 3), dtype=np.uint8))
    (val / "notes.txt").write_text("not an image")
    return val


def test_validation_every_n_steps_writes_history_best_and_plot(split, tmp_path, monkeypatch):
    val = _val_folder(tmp_path)
    logs, plotted = [], []
    draw = figures.plot_validation
    monkeypatch.setattr(
        figures, "plot_validation", lambda rows, *a: plotted.append(rows) or draw(rows, *a)
    )
    t = tcfg(
        tmp_path, n_epoch_init=3, val_every=2, val_dir=str(val), save_every=0,
        val_protocols="paper,study", val_best="mean",
    )  # fmt: skip
    tr = trainer(["init"], split, t, logs=logs, data=dataclasses.replace(DATA, protocol="study"))
    tr.run()
    run = Path(t.run_dir)
    table = rows(run / "history_steps.csv")
    validated = [r for r in table if r["val_psnr_y"]]
    assert [int(r["step"]) for r in validated] == [0, 2, 4, 6]
    for r in validated:  # the first protocol leads; the worst image is no better than a mean
        assert r["val_psnr_y_gain"] == r["val_paper_psnr_y_gain"]
        means = float(r["val_paper_psnr_y_gain"]), float(r["val_study_psnr_y_gain"])
        assert float(r["val_min_psnr_y_gain"]) <= min(means) + 1e-4
        assert float(r["val_mean_psnr_y_gain"]) == pytest.approx(np.mean(means), abs=2e-5)
    lines = [x for x in logs if x.startswith("validation at step")]
    assert len(lines) == 4
    # Each line's best is the guarded best of the rows so far, and g_best exists iff one passed.
    for i, line in enumerate(lines):
        best = validation.best_of(validated[: i + 1], key="mean_psnr_y_gain")
        if best is None:
            assert "no step yet has every image above bicubic" in line
        else:
            assert f"best {best[0]:+.3f} dB (mean of the protocols) at step {best[1]}" in line
    found = validation.best_of(validated, key="mean_psnr_y_gain")
    assert (run / "g_best.weights.h5").is_file() == (found is not None)
    state = json.loads((run / "validation.json").read_text())
    assert state["definition"]["best"] == "mean" and state["definition"]["crop"] == 0
    assert (run / "plots" / "validation.png").is_file()
    # Each curve is drawn once its validation's row is written: the last one ends at step 6.
    drawn = [[int(r["step"]) for r in rows if r["val_psnr_y"]] for rows in plotted]
    assert drawn == [[0], [0, 2], [0, 2, 4], [0, 2, 4, 6]]
    # The numbers are evaluate's metrics on the same images: rescore the last snapshot under
    # each protocol on its own.
    g = build_generator(MODEL.n_res_blocks, MODEL.filters)
    weights.load_weights(g, run / "g.weights.h5")
    for protocol in ("paper", "study"):
        cfg = dataclasses.replace(DATA, protocol=protocol)
        again = validation.Validator(val, cfg, log=lambda *_: None)(g)
        assert again["psnr_y_gain"] == pytest.approx(
            float(validated[-1][f"val_{protocol}_psnr_y_gain"]), abs=1e-4
        )
        if protocol == "paper":
            assert again["max_colour_offset"] == pytest.approx(
                float(validated[-1]["val_max_colour_offset"]), abs=1e-4
            )


def test_the_best_step_passes_the_guards_and_counts_from_the_definitions_start():
    def row(step, gain, worst, colour):
        return {"step": str(step), "val_psnr_y_gain": str(gain),
                "val_min_psnr_y_gain": str(worst), "val_max_colour_offset": str(colour)}  # fmt: skip

    table = [
        {"step": "0", "val_psnr_y_gain": "9.0", "val_min_psnr_y_gain": "", "val_max_colour_offset": ""},
        row(1, 1.0, 0.2, 0.5),
        row(2, 3.0, -0.1, 0.5),  # one image below bicubic
        row(3, 2.5, 0.1, 1.2),  # a colour cast
        row(4, 1.5, 0.1, 0.9),
        {"step": "5", "val_psnr_y_gain": ""},  # a step without validation
        row(6, 1.2, 0.3, 0.1),
    ]  # fmt: skip
    assert validation.best_of(table) == (1.5, 4)
    assert validation.best_of(table, since=5) == (1.2, 6)
    assert validation.best_of(table[:4]) == (1.0, 1)
    assert validation.best_of(table[2:4]) is None
    # By another column (e.g. the mean over protocols), with the same guards.
    for r, mean in zip(table[1:5], (2.0, 9.0, 9.0, 0.5)):
        r["val_mean_psnr_y_gain"] = str(mean)
    assert validation.best_of(table, key="mean_psnr_y_gain") == (2.0, 1)
    # A bar below bicubic (the stress images'): step 2's worst image (-0.1) must be above it.
    assert validation.best_of(table, key="mean_psnr_y_gain", min_gain=-0.2) == (9.0, 2)
    assert validation.best_of(table, key="mean_psnr_y_gain", min_gain=-0.1) == (2.0, 1)


def test_validation_changed_on_resume_restarts_the_best(split, tmp_path):
    val = _val_folder(tmp_path)
    logs = []
    t = tcfg(tmp_path, n_epoch_init=10, max_steps=4, val_every=2, val_dir=str(val), save_every=0)
    trainer(["init"], split, t, logs=logs).run()
    state = json.loads((Path(t.run_dir) / "validation.json").read_text())
    assert state == {"definition": {"val_dir": str(val), "crop": 0, "protocols": ["study"]},
                     "since_step": 0}  # fmt: skip
    trainer(["init"], split, dataclasses.replace(t, max_steps=6), logs=logs).run()
    assert not any("Validation changed" in x for x in logs)  # same definition: no restart
    trainer(["init"], split, dataclasses.replace(t, max_steps=10, val_crop=32), logs=logs).run()
    changed = [x for x in logs if "Validation changed" in x]
    assert len(changed) == 1 and "from step 6 on" in changed[0]
    state = json.loads((Path(t.run_dir) / "validation.json").read_text())
    assert state["definition"]["crop"] == 32 and state["since_step"] == 6
    # The new definition is scored at once at the resume step (6 has two rows), then every 2.
    table = rows(Path(t.run_dir) / "history_steps.csv")
    assert [int(r["step"]) for r in table if r["val_psnr_y"]] == [0, 2, 4, 6, 6, 8, 10]
    best = [x for x in logs if x.startswith("validation at step")][-1]
    assert validation.best_of(table, 6) == validation.best_of(table[-5:], 6)
    assert ("dB at step" in best) == (validation.best_of(table, 6) is not None)


def test_validation_is_off_by_default(split, tmp_path):
    tr = trainer(["init"], split, tcfg(tmp_path / "off", max_steps=1))
    assert tr.validator is None
    tr.run()
    assert not (Path(tr.run_dir) / "g_best.weights.h5").exists()


def _tree(root):
    """`{relative path: bytes}` of every file under `root` (None when it does not exist)."""
    if not root.exists():
        return None
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.mark.slow
def test_user_mistakes_end_in_one_clear_line(tmp_path):
    """Each mistake: exit code 1, one message naming the value, no traceback, and the
    checkpoint folder exactly as it was: absent for a new one, byte for byte for a run that
    already holds a checkpoint."""
    data = landscape(tmp_path)
    base = [*TINY, f"--data_dir={data}", "--n_test=1", "--max_steps=1"]
    g = tmp_path / "g.weights.h5"
    weights.save_weights(build_generator(1, 8), g)
    png = tmp_path / "photo.png"
    iio.imwrite(png, np.zeros((40, 40, 3), np.uint8))
    text_png = tmp_path / "notes.png"
    text_png.write_text("these are my notes, not a picture\n" * 20)
    # An existing run folder, to be left byte for byte as it is by every mistake below.
    existing = tmp_path / "existing"
    r = cli(*base, f"--checkpoint_dir={existing}", "--mode=init")
    assert r.returncode == 0, r.stderr[-1500:]
    cases = [
        (["--mode=init", "--crop_size=66"], "--crop_size=66 is not divisible by 4 (the generator is 4x)"),
        (["--mode=specialize", "--cls=desert", f"--g_weights={g}", "--n_trainable=0"],
         "--n_trainable=0: the generator has"),
        (["--mode=specialize", "--cls=desert", f"--g_weights={g}", "--n_trainable=99"],
         "--n_trainable=99"),
        (["--mode=init", "--cpu_replicas=2", "--batch_size=3"],
         "--batch_size=3 cannot be shared by the 2 replicas"),
        (["--mode=specialize", f"--g_weights={g}"], "needs --cls"),
        (["--mode=upscale", f"--g_weights={g}"], "--input must be an image file or a folder"),
        (["--mode=evaluate", "--protocol=paper", f"--checkpoint_dir={tmp_path / 'none'}"],
         "no generators to evaluate"),
        (["--mode=init", "--val_protocols=paper,bicubic"], "unknown protocol 'bicubic'"),
        (["--mode=init", "--val_every=10"], "--val_every=10 needs --val_dir"),
        (["--mode=init", "--val_self_ensemble=3"], "--val_self_ensemble=3: must be one of"),
        (["--mode=init", "--loss_back_projection=2", "--train_lr=mixed"],
         "--train_lr=mixed gives each patch its own"),
        (["--mode=adversarial", f"--g_weights={g}", "--crop_size=96"],
         "--crop_size=96 does not fit --discriminator=tl"),
        (["--mode=init", "--batch_size=-2"], "--batch_size=-2"),
        (["--mode=init", "--batch_size=0"], "--batch_size=0"),
        (["--mode=init", "--n_epoch_init=-3"], "--n_epoch_init=-3"),
        (["--mode=upscale", f"--input={png}", f"--g_weights={g}", "--tile=5"],
         "--tile=5 leaves no core"),
        (["--mode=upscale", f"--input={png}", "--tile=100000"], "--tile=100000"),
        (["--mode=export", f"--g_weights={g}", "--export_dir=/proc/x"],
         "--export_dir=/proc/x: cannot write in /proc"),
        (["--mode=evaluate", f"--g_weights={png}"], "not a weight file"),
        (["--mode=specialize", "--cls=dessert", f"--g_weights={g}"], "class 'dessert' has no images"),
        (["--mode=upscale", f"--input={text_png}", f"--g_weights={g}"],
         "not an image: its first bytes match no image format"),
    ]  # fmt: skip
    before = _tree(existing)
    # upscale, compare and export refuse training flags (tests/test_registry.py): they get the
    # generator's size only.
    pictures = ["--n_res_blocks=1", "--filters=8", "--progress=false"]
    commands = [[*(pictures if args[0] in ("--mode=upscale", "--mode=compare", "--mode=export")
                   else base), f"--checkpoint_dir={ck}", *args]
                for i, (args, _) in enumerate(cases) for ck in (tmp_path / f"ck{i}", existing)]  # fmt: skip
    results = run_main_many(commands)
    for (args, expected), pair in zip(cases, zip(results[::2], results[1::2])):
        for r in pair:
            assert r.returncode == 1, (args, r.stderr[-1500:])
            assert expected in r.stderr and "Traceback" not in r.stderr, (args, r.stderr[-1500:])
            # One message, not a screenful: absl's refusals add one line pointing at --helpfull.
            assert len(r.stderr.strip().splitlines()) <= 2, (args, r.stderr)
            assert "pip install" not in r.stderr
    for i, (args, _) in enumerate(cases):
        assert not (tmp_path / f"ck{i}").exists(), args
    assert _tree(existing) == before


@pytest.mark.slow
def test_every_problem_of_a_command_is_reported_at_once(tmp_path):
    """specialize on a small folder, with a crop the discriminator cannot take and no VGG
    file: all three in one message (one run, not three), each saying what to do."""
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    for i in range(3):
        iio.imwrite(tiny / f"{i}.png", np.zeros((70, 70, 3), np.uint8))
    g = tmp_path / "g.weights.h5"
    weights.save_weights(build_generator(1, 8), g)
    r = cli(
        "--mode=specialize", "--cls=general", f"--data_dir={tiny}", "--n_res_blocks=1",
        "--filters=8", "--crop_size=60", "--batch_size=8", f"--g_weights={g}",
        f"--checkpoint_dir={tmp_path / 'ck'}", f"--vgg_weights={tmp_path / 'vgg19.npy'}",
    )  # fmt: skip
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-1500:]
    assert "3 problems" in r.stderr, r.stderr
    assert "does not fit --discriminator=tl" in r.stderr
    assert "no batch of 8" in r.stderr and "lower --batch_size" in r.stderr
    assert "vgg19.npy" in r.stderr and "--no_vgg" in r.stderr and "docs/weights.md" in r.stderr
    assert not (tmp_path / "ck").exists()


def test_python_main_alone_prints_help_and_trains_nothing(tmp_path):
    for args in ([], ["-h"], ["--help"]):
        r = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
            cwd=tmp_path, timeout=120,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr[-1500:]
        for mode in ("init", "adversarial", "specialize", "evaluate", "upscale", "export"):
            assert f"  {mode} " in r.stdout, (args, r.stdout)
        assert "--batch_size=8" in r.stdout and "--helpfull" in r.stdout
        assert list(tmp_path.iterdir()) == []  # no checkpoints/, no results/


@pytest.mark.slow
def test_resume_with_other_batches_is_refused_and_config_waits_for_the_lock(tmp_path):
    from srgan_tf.training import run_lock

    data = landscape(tmp_path)
    ck = tmp_path / "ck"
    base = [*TINY, f"--data_dir={data}", "--n_test=1", f"--checkpoint_dir={ck}", "--mode=init"]
    assert cli(*base, "--max_steps=1").returncode == 0
    config = (ck / "init" / "config.json").read_text()
    changes = (("--batch_size=4", "2"), ("--patches_per_image=2", "1"), ("--seed=5", "0"))
    refused = run_main_many([[*base, "--max_steps=2", change] for change, _ in changes])
    for r, (change, used) in zip(refused, changes):
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-1500:]
        assert f"{change} (the checkpoint's run used {used})" in r.stderr
    assert (ck / "init" / "config.json").read_text() == config  # untouched
    # A run folder locked by another process: refused before config.json is rewritten.
    run_lock.acquire(ck / "init")
    try:
        r = cli(*base, "--max_steps=2", "--lr_init=3e-4")
        assert r.returncode == 1 and "in use by another training process" in r.stderr
        assert (ck / "init" / "config.json").read_text() == config
    finally:
        run_lock._held.pop((ck / "init" / ".lock").resolve()).close()
    r = cli(*base, "--max_steps=2")
    assert r.returncode == 0 and "Resuming from step 1" in r.stdout, r.stderr[-1500:]


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


def test_ctrl_c_saves_says_where_exits_0_and_resumes(tmp_path):
    data = landscape(tmp_path)
    ck = tmp_path / "ck"
    args = ["--mode=init", *TINY, f"--data_dir={data}", f"--checkpoint_dir={ck}", "--n_test=0",
            "--n_epoch_init=10000", "--save_every=0", "--save_secs=0"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    steps = ck / "init" / "history_steps.csv"
    deadline = time.time() + 120
    while (not steps.exists() or len(rows(steps)) < 3) and time.time() < deadline:
        time.sleep(0.1)
    assert not (ck / "init" / "ckpt").exists()  # nothing was due: only Ctrl-C saves
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    match = re.search(r"Interrupted at step (\d+): saved (\S+) and (\S+)\. Rerun", out)
    assert match, out[-2000:]
    assert "Done at" not in out  # the interruption is the run's last word
    assert Path(match.group(3)).is_file() and match.group(2).endswith(f"ckpt-{match.group(1)}")
    r = cli(*args, f"--max_steps={int(match.group(1)) + 1}")
    assert r.returncode == 0 and f"Resuming from step {match.group(1)}" in r.stdout


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


def test_validation_reads_several_folders_and_records_its_bar(tmp_path):
    import imageio.v3 as iio

    first = _val_folder(tmp_path)
    second = tmp_path / "stress" / "dark"
    second.mkdir(parents=True)
    iio.imwrite(second / "d.png", np.full((40, 40, 3), 30, np.uint8))
    logs = []
    v = validation.Validator(f"{first},{tmp_path / 'stress'}", DataConfig(), min_gain=-0.1,
                             log=logs.append)  # fmt: skip
    assert [p.name for p, _, _ in v.pairs["study"]] == ["v0.png", "v1.png", "d.png"]
    assert "3 images used" in logs[0] and "1 skipped" in logs[0]
    assert v.definition["min_gain"] == -0.1  # a changed bar restarts the best on resume


def test_validation_with_back_projection_scores_what_upscale_ships(tmp_path):
    """With N steps the validator scores the generator followed by N back-projection steps
    under each protocol (the predictor upscale uses), against the same bicubic baseline, and
    records N in its definition (a changed N restarts the best on resume)."""
    val = _val_folder(tmp_path)
    g = build_generator(MODEL.n_res_blocks, MODEL.filters)
    cfg = dataclasses.replace(DATA, protocol="paper")
    quiet = {"log": lambda *_: None}
    raw = validation.Validator(val, cfg, **quiet)
    bp = validation.Validator(val, cfg, post=PostProcessing(1, 2), **quiet)
    assert "back_projection" not in raw.definition and bp.definition["back_projection"] == 2
    np.testing.assert_array_equal(raw.bicubic["paper"], bp.bicubic["paper"])
    predict = inference.predictor(g, PostProcessing(back_projection=2))
    expected = bp._score(lambda lr: inference.upscale(predict, lr, cfg.scale, bp.tile), "paper")
    scores = bp(g)
    assert scores["psnr_y"] == pytest.approx(expected[:, 0].mean(), abs=1e-9)
    # An untrained generator is far from its LR; back-projection pulls it toward bicubic's.
    assert scores["psnr_y_gain"] > raw(g)["psnr_y_gain"]
    gated = validation.Validator(val, cfg, post=PostProcessing(1, 2, 1.5), **quiet)
    assert gated.definition["detail_floor"] == 1.5 and "detail_floor" not in bp.definition
    predict = inference.predictor(g, PostProcessing(back_projection=2, detail_floor=1.5))
    expected = gated._score(lambda lr: inference.upscale(predict, lr, cfg.scale, 0), "paper")
    assert gated(g)["psnr_y"] == pytest.approx(expected[:, 0].mean(), abs=1e-9)
    # And self-ensembled before them, as upscale ships it (recorded: a change restarts the best).
    shipped = validation.Validator(val, cfg, post=PostProcessing(4, 2, 1.5), **quiet)
    assert shipped.definition["self_ensemble"] == 4 and "self_ensemble" not in gated.definition
    predict = inference.predictor(g, PostProcessing(4, 2, 1.5))
    expected = shipped._score(lambda lr: inference.upscale(predict, lr, cfg.scale, 0), "paper")
    assert shipped(g)["psnr_y"] == pytest.approx(expected[:, 0].mean(), abs=1e-9)
    assert abs(shipped(g)["psnr_y"] - gated(g)["psnr_y"]) > 1e-6  # the passes change the score


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
