"""Ctrl-C (srgan_tf/training/interrupt.py) and the files a run writes (srgan_tf/atomic.py)."""

import os
import select
import signal
import subprocess
import sys
import time

from srgan_tf import atomic
from srgan_tf.training.interrupt import ABORT_STATUS

# A step that stays inside TensorFlow's C++ runtime for minutes: no Python bytecode runs in the
# main thread until it returns, which is what a real training step looks like to a signal.
BUSY_STEP = """
import tensorflow as tf
from srgan_tf.training.interrupt import StopRequest

@tf.function
def step():
    x = tf.random.uniform((256, 256))
    body = lambda i, x: (i + 1, tf.tanh(tf.matmul(x, x)))
    return tf.while_loop(lambda i, x: i < 10**6, body, (0, x))[1]  # x: not pruned

with StopRequest().armed():
    step.get_concrete_function()
    print("armed", flush=True)
    step()
    print("the step ended", flush=True)
"""


def _wait_for(proc, text, timeout):
    """Reads the child's stdout (raw, so nothing waits in a buffer select cannot see) until
    `text` appears; returns what was read, or fails after `timeout` seconds."""
    fd, seen, deadline = proc.stdout.fileno(), b"", time.monotonic() + timeout
    while text.encode() not in seen:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(left, 0))
        chunk = os.read(fd, 65536) if ready else b""
        assert chunk, f"no {text!r} within {timeout} s; the child said {seen.decode()!r}"
        seen += chunk
    return seen.decode()


def test_a_second_ctrl_c_inside_a_long_step_aborts_at_once():
    proc = subprocess.Popen([sys.executable, "-u", "-c", BUSY_STEP], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    try:
        said = _wait_for(proc, "armed", 120)
        time.sleep(1.0)  # inside the step now
        proc.send_signal(signal.SIGINT)
        said += _wait_for(proc, "stopping after this step", 10)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        assert time.monotonic() - t0 < 10
    finally:
        proc.kill()
    said += out.decode()
    assert proc.returncode == ABORT_STATUS, err.decode()[-2000:]
    assert "aborted" in said and "the step ended" not in said


def test_written_files_get_the_mode_the_umask_gives(tmp_path):
    previous = os.umask(0o027)
    try:
        atomic.write_text(tmp_path / "a.txt", "x")
        with atomic.atomic_path(tmp_path / "b.json") as tmp:
            tmp.write_text("{}")
    finally:
        os.umask(previous)
    for name in ("a.txt", "b.json"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.json"]  # no temporaries


def _ctrl_c_as_in_a_terminal():
    """Runs in the child before it starts: SIGINT back to its default disposition. A runner that
    starts the suite in the background (`cmd &` in a script) passes SIGINT on as ignored, and
    Python then installs no KeyboardInterrupt handler at all, so the child would never see it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_outside_training_ends_in_one_line_not_a_traceback(tmp_path):
    """Ctrl-C while evaluate scores images (no training loop to catch it): one line on stderr,
    exit status 130, no traceback."""
    import imageio.v3 as iio
    import numpy as np

    data = tmp_path / "photos"
    data.mkdir()
    rng = np.random.default_rng(0)
    for i in range(40):
        iio.imwrite(data / f"{i}.png", rng.integers(0, 256, (256, 256, 3), dtype=np.uint8))
    from srgan_tf import weights
    from srgan_tf.models import build_generator

    g = tmp_path / "g.weights.h5"
    weights.save_weights(build_generator(1, 8), g)
    main = os.path.join(os.path.dirname(__file__), "..", "main.py")
    proc = subprocess.Popen(
        [sys.executable, "-u", main, "--mode=evaluate", "--split=none", f"--data_dir={data}",
         f"--checkpoint_dir={tmp_path / 'none'}", f"--g_weights={g}", "--n_res_blocks=1",
         "--filters=8", f"--output={tmp_path / 'ev'}", "--progress=false"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
        preexec_fn=_ctrl_c_as_in_a_terminal,
    )  # fmt: skip
    try:
        _wait_for(proc, "Evaluating", 120)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    err = err.decode()
    assert proc.returncode == ABORT_STATUS, err[-2000:]
    assert "Traceback" not in err and "interrupted (Ctrl-C) during --mode=evaluate" in err, err
