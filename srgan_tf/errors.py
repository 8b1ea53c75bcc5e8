"""The user-facing errors: each names the value or path received and what was expected.

`main.py` prints any of `USER_ERRORS` as one line on stderr and exits 1; anything else is a bug
and keeps its traceback. The modules that raise them re-export their own (`datasets.DataError`,
`weights.WeightFileError`, `training.TrainingError`), so either name works.
"""


class ConfigError(ValueError):
    """Settings that cannot work: a bad flag value or combination, a mode missing what it
    needs (no --input, no generator to evaluate), a resumed run whose data settings changed."""


class DataError(ValueError):
    """A data folder or class that cannot be used; the message names the path and class."""


class WeightFileError(ValueError):
    """A weight file that cannot be read, or does not fit the model. The model is unchanged."""


class TrainingError(RuntimeError):
    """A run that cannot start or must stop (missing VGG weights, a busy run folder, a NaN
    loss); the message says why and what was kept."""


USER_ERRORS = (ConfigError, DataError, WeightFileError, TrainingError, FileExistsError)
