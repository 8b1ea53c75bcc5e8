"""Loads a script of the repository (data/*.py) as a module, for tests of its functions."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).parent.parent


def load_script(relative_path: str):
    """The module of the script at `ROOT / relative_path`, executed once per call."""
    path = ROOT / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
