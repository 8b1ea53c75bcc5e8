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


def test_the_default_max_pixels_is_its_rule_applied_to_the_committed_measurement():
    """docs/serving.md's rule on bench/results/serving_memory.json gives the default."""
    import importlib.util
    import json

    from srgan_tf.config import DEFAULT_MAX_PIXELS

    spec = importlib.util.spec_from_file_location("table", ROOT / "bench" / "table.py")
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        table = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(table)
    finally:
        sys.path.remove(str(ROOT / "bench"))
    fit = json.loads((ROOT / "bench" / "results" / "serving_memory.json").read_text())["fit"]
    assert DEFAULT_MAX_PIXELS == table._rule_megapixels(fit) * 1_000_000


def test_auto_tile_memory_and_png_level_are_their_committed_measurements():
    """`tiling_core.TILE_MEMORY` is bench/tile_memory.py's fit and `config.PNG_LEVEL` the level
    bench/png_level.py's rule chose, as saved in bench/results/ (no constant drifts from the
    measurement docs/performance.md reports)."""
    import json

    from srgan_tf.config import PNG_LEVEL
    from srgan_tf.inference import tiling_core

    results = ROOT / "bench" / "results"
    fit = json.loads((results / "tile_memory.json").read_text())["fit"]
    for precision, (fixed, per_pixel) in tiling_core.TILE_MEMORY.items():
        assert abs(fixed - fit[precision]["fixed_gb"]) < 0.005, precision
        assert abs(per_pixel - fit[precision]["bytes_per_pixel"]) < 1.0, precision
    assert PNG_LEVEL == json.loads((results / "png_level.json").read_text())["chosen"]
