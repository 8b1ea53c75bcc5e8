"""Training through main.py: modes, refusals in one line, kills and Ctrl-C, busy run folders."""

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
from training_setup import ROOT, TINY, _tree, landscape, rows, tcfg, trainer

from srgan_tf import weights
from srgan_tf.models import build_generator
from srgan_tf.training import run_lock


@pytest.mark.slow
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


@pytest.mark.slow
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
        (["--mode=upscale", f"--g_weights={g}"], "--mode=upscale needs --input"),
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
    # Other modes refuse training flags (tests/test_registry.py): upscale, compare and export
    # get the generator's size, evaluate that and its data.
    pictures = ["--n_res_blocks=1", "--filters=8", "--progress=false"]
    flags = {"--mode=upscale": pictures, "--mode=compare": pictures, "--mode=export": pictures,
             "--mode=evaluate": [*pictures, f"--data_dir={data}", "--n_test=1"]}  # fmt: skip
    commands = [[*flags.get(args[0], base), f"--checkpoint_dir={ck}", *args]
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
    assert "fewer than one batch of 8" in r.stderr and "lower --batch_size" in r.stderr
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


@pytest.mark.slow
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
