"""User-facing errors: each names the value or path received and what was expected.

`main.py` turns them into one line on stderr and exit code 1; anything else is a bug and keeps
its traceback.
"""


class ConfigError(ValueError):
    """Settings that cannot work together (a bad --scale, a crop the scale cannot divide, a
    batch the replicas cannot share, a resumed run whose data settings changed)."""
