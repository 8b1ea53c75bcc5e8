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
