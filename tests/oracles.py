"""`require`: an oracle may be missing on a developer's machine, never under CI."""

import importlib
import os

import pytest


def require(module):
    """`pytest.importorskip(module)`, except that under CI (`CI=true`) a module that does not
    import is a failure: an oracle that silently vanished would turn its claims green."""
    if os.environ.get("CI", "").lower() in ("true", "1"):
        return importlib.import_module(module)
    return pytest.importorskip(module)
