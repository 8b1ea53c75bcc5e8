"""Numbers in docs/ that come from commands: they must be what those commands produced."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_performance_table_is_the_rendering_of_the_saved_benchmark_results():
    """`bench/table.py --check`, run as a user runs it: every benchmark's saved result exists
    and names its CPU, and docs/performance.md's table and README's speed sentence are their
    rendering."""
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "table.py"), "--check"],
                       capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
