"""The command line: `srgan-tf --mode=MODE [flags]` (also `python -m srgan_tf`, and
`python main.py` in a checkout); alone, or without a mode, it prints the short help.

Parses the flags once, turns them into frozen configs (`configs.py`), passes them through the
one gate (`srgan_tf/modes/checks.py`) and dispatches on --mode through the registry
(`srgan_tf/modes/registry.py`). User mistakes (a bad path, an unknown class, mismatching
weights) end with one clear `error:` line and exit code 1, not a traceback; Ctrl-C exits 130.
A mode may also be the first word (`srgan-tf upscale photo.jpg`, as tools with subcommands
read it); any other word is refused, naming it.
"""

import errno
import os
import sys

from absl import app
from absl import flags as absl_flags

from srgan_tf.cli import flag_definitions
from srgan_tf.modes import registry

flag_definitions.define_flags()
FLAGS = absl_flags.FLAGS

# Given twice, these mean "both" to a user, and absl would keep the last one silently. (Other
# flags given twice are overrides, as after a --flagfile: the later one wins, as documented.)
ONE_VALUE = ("input",)
# The modes whose one positional word after the mode is their --input: those that read it.
TAKES_INPUT = tuple(name for name, m in registry.MODES.items() if "input" in m.reads)


def repeated_flags(argv: list[str]) -> list[str]:
    """One line per flag of `ONE_VALUE` given more than once on the command line."""
    seen = {}
    for arg in argv[1:]:
        if arg.startswith("--") and "=" in arg:
            name, value = arg[2:].split("=", 1)
            if name in ONE_VALUE:
                seen.setdefault(name, []).append(value)
    return [
        f"--{name} is given {len(values)} times ({', '.join(values)}); it takes one value "
        f"(a folder holds many images)"
        for name, values in seen.items()
        if len(values) > 1
    ]


def read_words(words: list[str]) -> str | None:
    """Takes the positional words as a user means them: a mode first (unless --mode is set),
    then, for upscale and compare, the input. Returns why not, or None."""
    modes = flag_definitions.modes()
    words = list(words)
    if words and words[0] in modes and not FLAGS["mode"].present:
        FLAGS.mode = words.pop(0)
        FLAGS["mode"].present = 1
    if words and FLAGS.mode in TAKES_INPUT and len(words) == 1 and not FLAGS["input"].present:
        FLAGS.input = words.pop()
        FLAGS["input"].present = 1
    if not words:
        return None
    return (
        f"unexpected word{'s' if len(words) > 1 else ''} {' '.join(map(repr, words))} on the "
        f"command line: flags are written --name=value, a mode may come first (one of "
        f"{', '.join(modes)}) and, for upscale and compare, one input after it, e.g. "
        f"`srgan-tf upscale photo.jpg` or `--mode=upscale --input=photo.jpg`"
    )


def _runner(mode: str):
    """The function that runs `mode`, from the registry's `module:function`."""
    import importlib

    from srgan_tf.modes.registry import MODES

    module, function = MODES[mode].runner.split(":")
    return getattr(importlib.import_module(f"srgan_tf.modes.{module}"), function)


def given_flags() -> set[str]:
    """The flags set on the command line (or in a --flagfile)."""
    return {name for name in FLAGS if FLAGS[name].present}


def main(argv: list[str]) -> None:
    """absl's main: `argv` holds the positional words left after the flags."""
    from srgan_tf.errors import USER_ERRORS, ConfigError

    try:
        if problem := read_words(argv[1:]):
            raise ConfigError(problem)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    if not FLAGS["mode"].present:  # no command trains by accident
        print(flag_definitions.short_help(_program()))
        print("\nerror: no --mode: say what to run (above)", file=sys.stderr)
        sys.exit(1)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if not FLAGS.verbose:
        import_tensorflow_quietly()
    from absl import logging

    from srgan_tf.cli.configs import make_configs
    from srgan_tf.modes.checks import check_configs
    from srgan_tf.training.interrupt import ABORT_STATUS

    # TensorFlow's checkpoint INFO lines drown the progress bars.
    logging.set_verbosity(logging.WARNING)
    try:
        if repeated := repeated_flags(sys.argv):
            raise ConfigError("; ".join(repeated))
        cfg, choice = make_configs(FLAGS.flag_values_dict())
        check_configs(cfg, given_flags())
        if choice.why and cfg.app.mode != "evaluate" and (cfg.app.mode != "init" or choice.path):
            print(choice.why, file=sys.stderr if choice.loud else sys.stdout)
        _runner(cfg.app.mode)(cfg)
    except USER_ERRORS as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except OSError as e:
        if e.errno != errno.ENOSPC:
            raise
        # Every file is written atomically: what exists is whole, and a run resumes.
        print(
            f"error: no space left on the disk writing {e.filename or 'a file'}: nothing was "
            f"left half-written; free space and rerun the same command (training resumes from "
            f"its last complete checkpoint)",
            file=sys.stderr,
        )
        sys.exit(1)
    except KeyboardInterrupt:
        # Training catches Ctrl-C itself (it saves first); anywhere else (start-up, evaluate,
        # upscale) every file is written atomically, so what exists is whole.
        print(
            f"interrupted (Ctrl-C) during --mode={FLAGS.mode}: every file written so far is "
            f"complete; rerun the command to start again",
            file=sys.stderr,
        )
        # Ended at once: the interpreter's teardown would let TensorFlow report, at length, each
        # loop of the tiling core that the interrupt left unfinished ("Object was never used").
        sys.stdout.flush(), sys.stderr.flush()
        os._exit(ABORT_STATUS)


def import_tensorflow_quietly() -> None:
    """Imports TensorFlow with its C++ start-up lines (oneDNN notes, "could not find cuda
    drivers", cuInit errors on a machine without a GPU) sent to /dev/null: they read as errors
    to a newcomer. They go to the process's stderr directly, past TF_CPP_MIN_LOG_LEVEL, so the
    file descriptor itself is redirected while TensorFlow loads and probes its devices."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(2)
    os.dup2(devnull, 2)
    try:
        import keras  # noqa: F401
        import tensorflow as tf

        tf.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _program() -> str:
    """How the user called the program: `python main.py` in a checkout, else `srgan-tf`."""
    name = os.path.basename(sys.argv[0])
    return f"python {name}" if name.endswith(".py") and name != "__main__.py" else "srgan-tf"


def _print_help(text: str) -> None:
    """Prints the help and exits 0, also when its reader stops early (`srgan-tf | head`)."""
    try:
        print(text, flush=True)
    except BrokenPipeError:  # the standard library's recipe: no traceback at exit either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)


def run(argv: list[str] | None = None) -> None:
    """The console entry point (`srgan-tf`, `python -m srgan_tf`, `python main.py`)."""
    argv = sys.argv if argv is None else argv
    if "--helpfull" in argv or "-helpfull" in argv:
        _print_help(flag_definitions.full_help(_program()))
    if len(argv) == 1 or any(a in ("-h", "--help", "-help", "--helpshort") for a in argv):
        # A bare command must not start a 100-epoch run; absl's own --help would list only
        # the entry file's flags (none), and -h is not a flag to it.
        _print_help(flag_definitions.short_help(_program()))
    app.run(main, argv=argv)
