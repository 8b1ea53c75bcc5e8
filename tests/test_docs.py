"""Numbers in docs/ that come from commands: they must be what those commands produced."""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _load(name):
    """bench/<name>.py, imported by path (bench/table.py imports its sibling `common` as a
    script would, so that one is registered under its plain name)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_performance_table_is_the_rendering_of_the_saved_benchmark_results():
    _load("common")
    table = _load("table")
    results = table.load()
    missing = set(table.COMMANDS) - set(results)
    assert not missing, (
        f"no saved results for {sorted(missing)}: run the commands in bench/table.py"
    )
    for name, r in results.items():
        assert r["machine"]["cpu"], f"bench/results/{name}.json does not name its CPU"
    doc = (ROOT / "docs" / "performance.md").read_text()
    assert table.BEGIN in doc and table.END in doc
    assert table.replace(doc, table.render(results)) == doc, "run python bench/table.py"
    readme = (ROOT / "README.md").read_text()
    assert table.replace(readme, table.summary(results), table.SUMMARY) == readme
