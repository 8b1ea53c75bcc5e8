"""main.py's command-line flags, derived from the settings declared in `srgan_tf/config.py`.

One absl flag per `setting(...)` field of the configs, defined inside `define_flags()` (never
at import time): its type from the field's type, its choices and bounds from the field. The
library never reads these: `main.py` turns the parsed values into the frozen configs.
"""

import dataclasses

from absl import flags as absl_flags

from srgan_tf import config

_DEFINE = {int: absl_flags.DEFINE_integer, float: absl_flags.DEFINE_float,
           bool: absl_flags.DEFINE_boolean, str: absl_flags.DEFINE_string}  # fmt: skip


def define_flags():
    """Defines every config setting's flag on absl's global FLAGS (idempotent)."""
    if "mode" in absl_flags.FLAGS:
        return
    for cls in config.CONFIGS:
        for field, name in config.flag_fields(cls):
            meta = field.metadata
            default = meta.get("flag_default", field.default)
            if meta.get("invert"):
                default = not field.default
            if meta["choices"]:
                absl_flags.DEFINE_enum(name, default, meta["choices"], meta["help"])
                continue
            bounds = {k: meta[b] for k, b in (("lower_bound", "lower"), ("upper_bound", "upper"))
                      if meta[b] is not None}  # fmt: skip
            _DEFINE[field.type](name, default, meta["help"], **bounds)


def modes():
    """The values --mode takes."""
    mode = next(f for f in dataclasses.fields(config.AppConfig) if f.name == "mode")
    return tuple(mode.metadata["choices"])
