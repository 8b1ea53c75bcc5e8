"""Ctrl-C during training: finish the current step, then save and return (`StopRequest`).

A Python signal handler runs only between bytecodes of the main thread, so inside a long
TensorFlow step it would wait for the step to end, and so would a second Ctrl-C meant to abort.
Instead the interpreter's C-level handler writes each signal to a pipe (`signal.set_wakeup_fd`)
at once, whichever thread is busy, and a watcher thread acts on it: the first Ctrl-C asks the
loop to stop after this step; the second ends the process at once (exit status 130). Every file
a run writes is atomic, so the last save stays whole either way.
"""

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator

ABORT_STATUS = 130  # what shells report for a process ended by Ctrl-C (128 + SIGINT)


class StopRequest:
    """Set by the first Ctrl-C (SIGINT) while `armed()`; a second Ctrl-C aborts at once.

    Signals can be handled only in the main thread; elsewhere nothing is installed.
    """

    def __init__(self, log: Callable[..., None] = print) -> None:
        self.log = log
        self.requested = False

    def __bool__(self) -> bool:
        return self.requested

    def _press(self, count) -> None:
        if count == 1:
            self.requested = True
            self.log(
                "\nCtrl-C: stopping after this step and saving (Ctrl-C again aborts at once; "
                "the last save stays)"
            )
        else:
            self.log("\nCtrl-C again: aborted; rerun the same command to resume from the last save")
            os._exit(ABORT_STATUS)

    @contextlib.contextmanager
    def armed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)

        def watch() -> None:
            count = 0
            while byte := os.read(read_fd, 1):  # empty once the pipe is closed
                if byte[0] == signal.SIGINT:
                    count += 1
                    self._press(count)

        # The C handler writes to the wakeup fd only for signals with a Python handler.
        previous = signal.signal(signal.SIGINT, lambda signum, frame: None)
        previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        watcher = threading.Thread(target=watch, name="ctrl-c", daemon=True)
        watcher.start()
        try:
            yield self
        finally:
            signal.set_wakeup_fd(previous_fd)
            signal.signal(signal.SIGINT, previous)
            os.close(write_fd)
            watcher.join(timeout=5)
            os.close(read_fd)
