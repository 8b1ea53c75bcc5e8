"""One training process per run folder: an exclusive `flock` on `RUN_DIR/.lock`.

Two processes training into one folder would interleave checkpoints and history rows. The
lock is held for the life of the process (the kernel drops it when the process dies, however
it dies), so a killed run never leaves a stale lock behind; the `.lock` file itself is removed
when the process exits normally (an error included), so a finished or refused run leaves only
its results.
"""

import atexit
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class RunLocked(RuntimeError):
    """Another live process holds the run folder."""


_held = {}  # path -> open file: the lock lives as long as the file stays open


def acquire(run_dir: str | Path) -> Iterator[None]:
    """Locks `run_dir` for this process (idempotent).

    Raises:
        RunLocked: another process holds it; the message names the folder and its pid.
    """
    path = (Path(run_dir) / ".lock").resolve()
    if path in _held:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    f = open(path, "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        owner = f.read().strip() or "unknown"
        f.close()
        raise RunLocked(
            f"{run_dir} is in use by another training process (pid {owner}); wait for it, stop "
            f"it, or pass another --checkpoint_dir"
        ) from None
    f.truncate(0)
    f.write(str(os.getpid()))
    f.flush()
    _held[path] = f


@atexit.register
def release_all() -> None:
    """Removes this process's lock files, then releases the locks (unlinked first, so no other
    process can take a lock on a file about to disappear)."""
    for path, f in list(_held.items()):
        path.unlink(missing_ok=True)
        f.close()
        del _held[path]
