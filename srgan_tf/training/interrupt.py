"""Ctrl-C during training: finish the current step, then save and return (`StopRequest`)."""

import contextlib
import signal
import threading


class StopRequest:
    """Set by the first Ctrl-C (SIGINT) while `armed()`; a second Ctrl-C interrupts at once.

    Signals can be handled only in the main thread; elsewhere nothing is installed.
    """

    def __init__(self, log=print):
        self.log = log
        self.requested = False

    def __bool__(self):
        return self.requested

    @contextlib.contextmanager
    def armed(self):
        if threading.current_thread() is not threading.main_thread():
            yield self
            return

        def request_stop(signum, frame):
            self.requested = True
            # Python runs handlers only between bytecodes, so inside a long TensorFlow step
            # a Python handler would wait for the step to end. The default action ends the
            # process at once; every file a run writes is atomic, so the last save stays.
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            self.log(
                "\nCtrl-C: stopping after this step and saving (Ctrl-C again aborts at once; "
                "the last save stays)"
            )

        previous = signal.signal(signal.SIGINT, request_stop)
        try:
            yield self
        finally:
            if signal.getsignal(signal.SIGINT) in (request_stop, signal.SIG_DFL):
                signal.signal(signal.SIGINT, previous)
