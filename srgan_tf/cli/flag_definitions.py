"""The command line's flags, derived from the settings declared in `srgan_tf/config.py`.

One absl flag per `setting(...)` field of the configs, defined inside `define_flags()` (never
at import time): its type from the field's type, its choices and bounds from the field. The
library never reads these: `main.py` turns the parsed values into the frozen configs.
"""

import dataclasses
import textwrap

from absl import flags as absl_flags

from srgan_tf import config
from srgan_tf.modes.registry import MODES, PICTURES

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


# What `python main.py` (or -h, --help) prints: the modes and the flags most commands need.
# `--helpfull` lists every flag; their help texts live beside the settings in config.py.
MAIN_FLAGS = {
    "every mode": ["mode", "data_dir", "checkpoint_dir", "g_weights", "protocol", "verbose"],
    "training": ["cls", "crop_size", "batch_size", "n_epoch_init", "n_epoch", "lr_init",
                 "max_steps", "precision", "val_every", "val_dir", "flagfile"],
    "evaluate, upscale, compare, export": ["input", "output", "split", "tile",
                                           "back_projection", "detail_floor",
                                           "self_ensemble", "overwrite", "export_dir", "format",
                                           "version"],
}  # fmt: skip


def short_help(program: str = "srgan-tf") -> str:
    """The short help: usage, the modes, the main flags with their defaults."""
    define_flags()
    lines = [
        f"usage: {program} --mode=MODE [flags]    ({program} --helpfull: every flag)",
        "",
        "modes:",
        *(f"  {name:<12} {m.summary:<48} -> {m.output}" for name, m in MODES.items()),
    ]
    for group, names in MAIN_FLAGS.items():
        lines += ["", f"main flags ({group}):"]
        for name in names:
            if name == "flagfile":
                lines.append(
                    "  --flagfile=FILE".ljust(32)
                    + " read flags from a file (flags/*.cfg: the study's runs)"
                )
                continue
            flag = absl_flags.FLAGS[name]
            lines += _flag_lines(name, flag, _first_sentence(flag.help))
    lines += ["", f"examples: {program} upscale my_photo.jpg    (= --mode=upscale --input=my_photo.jpg)",
              f"          {program} --mode=evaluate"]  # fmt: skip
    return "\n".join(lines)


def _default(flag) -> str:
    return str(flag.default).lower() if isinstance(flag.default, bool) else str(flag.default)


def _first_sentence(text: str) -> str:
    text = text.split(">: ", 1)[-1] if text.startswith("<") else text
    return (text if len(text) <= 160 else text.split(". ")[0]).rstrip(".")


def _flag_lines(name: str, flag, text: str) -> list[str]:
    """`--name=default` and its text, wrapped under it (never cut)."""
    head = f"  --{name}={_default(flag)}".ljust(32) + " "
    wrapped = textwrap.wrap(text, 100 - len(head)) or [""]
    if len(head) > 33:  # a long default: the text starts on the next line
        return [head.rstrip()] + [" " * 33 + line for line in wrapped]
    return [head + wrapped[0]] + [" " * 33 + line for line in wrapped[1:]]


def full_help(program: str = "srgan-tf") -> str:
    """Every flag with its default and whole help text, grouped by the config it sets."""
    define_flags()
    lines = [f"usage: {program} --mode=MODE [flags]", ""]
    for cls in config.CONFIGS:
        lines.append(f"{cls.__name__}: {(cls.__doc__ or '').strip().splitlines()[0]}")
        for _, name in config.flag_fields(cls):
            flag = absl_flags.FLAGS[name]
            lines += _flag_lines(name, flag, flag.help)
        lines.append("")
    lines.append("  --flagfile=FILE".ljust(32) + " read flags from a file (flags/*.cfg)")
    lines += ["", "flags each mode reads (any other set on the command line is refused):"]
    for name, mode in MODES.items():
        if mode.trains:
            reads = "every flag above except " + " ".join(f"--{f}" for f in sorted(PICTURES))
        else:
            reads = " ".join(f"--{f}" for f in sorted(mode.reads))
        lines += textwrap.wrap(f"{name}: {reads}", 96, initial_indent="  ",
                               subsequent_indent="      ")  # fmt: skip
    return "\n".join(lines)
