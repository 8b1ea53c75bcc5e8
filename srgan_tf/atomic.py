"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path` with the same suffixes (writers such as Keras,
    imageio and matplotlib pick the format from them); on success it replaces `path`, on
    failure it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix="".join(path.suffixes), dir=path.parent
    )
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_text(path, text):
    with atomic_path(path) as tmp:
        tmp.write_text(text)
