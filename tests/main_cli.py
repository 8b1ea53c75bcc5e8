"""Runs `main.py` the way a user does: a fresh Python process, this checkout on the path."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def run_main(*args, timeout=300, env=None):
    """`python main.py ARGS` -> the `CompletedProcess` (text stdout and stderr captured);
    `env` adds variables (TF_CONFIG, ...) to this process's environment."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


# One process, many commands: main.py is imported once (TensorFlow's start-up is most of a
# refused command's time) and each command runs as absl would run it, flags reset to their
# defaults in between. For commands that stop before any real work: user mistakes.
_MANY = r"""
import contextlib, io, json, sys, traceback
sys.argv = ["main.py"]
import main
from absl import app
results = []
for args in json.loads(sys.stdin.read()):
    out, err, code = io.StringIO(), io.StringIO(), 0
    main.FLAGS.unparse_flags()
    sys.argv = ["main.py", *args]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            app.run(main.main, argv=["main.py", *args])
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 99
    results.append({"returncode": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
print("\n" + json.dumps(results))
"""


def run_main_many(commands, timeout=600):
    """Each command of `commands` (lists of arguments) through main.py in one fresh process;
    returns one `CompletedProcess`-like object per command, in order."""
    import json
    from types import SimpleNamespace

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", _MANY], input=json.dumps(commands), cwd=ROOT,
                       capture_output=True, text=True, timeout=timeout, env=env)  # fmt: skip
    if r.returncode != 0:
        raise RuntimeError(f"the command runner itself failed:\n{r.stderr[-3000:]}")
    return [SimpleNamespace(**x) for x in json.loads(r.stdout.strip().splitlines()[-1])]
