"""srgan-tf command line: `python main.py --mode=MODE [flags]` (`python main.py` alone: a short help).

Parses the flags once, turns them into frozen configs, passes them through the one gate
(`srgan_tf/modes/checks.py`) and dispatches on --mode; what each mode does is in
`srgan_tf/modes/`. User mistakes (a bad path, an unknown class, mismatching weights) end with
one clear message and exit code 1, not a traceback.
"""

import dataclasses
import errno
import os
import sys

from absl import app
from absl import flags as absl_flags

from flags import srgan_flags

srgan_flags.define_flags()
FLAGS = absl_flags.FLAGS


def make_configs():
    """The frozen configs of this command, from the parsed flags, and the sentence naming the
    generator it starts from (the default rule runs here, once)."""
    from srgan_tf import config
    from srgan_tf.inference import precision
    from srgan_tf.modes import defaults
    from srgan_tf.modes.registry import TRAINING_MODES, run_dir
    from srgan_tf.modes.trained_through import trained_through

    values = FLAGS.flag_values_dict()
    app_cfg = config.from_flags(config.AppConfig, values)
    infer = config.from_flags(config.InferenceConfig, values)
    data = config.from_flags(config.DataConfig, values)
    choice = defaults.default_generator(
        app_cfg.mode, app_cfg.checkpoint_dir, app_cfg.g_weights, data.protocol
    )
    if app_cfg.mode != "evaluate":
        app_cfg = dataclasses.replace(app_cfg, g_weights=choice.path)
    # The post-processing the generator of this command was trained through, if any
    # (evaluate, which may score several, gives each its own: modes/evaluate.py).
    gets_own = app_cfg.mode not in (*TRAINING_MODES, "evaluate") and app_cfg.g_weights
    trained = trained_through(app_cfg.g_weights) if gets_own else None
    # upscale and export post-process photographs (the paper protocol's downscaler); evaluate
    # and compare the LR of the evaluation's protocol.
    photo = app_cfg.mode in defaults.PICTURE_MODES
    try:
        post = defaults.post_processing(
            app_cfg.mode, infer.self_ensemble, infer.back_projection, infer.detail_floor,
            trained, defaults.PHOTO_PROTOCOL if photo else data.protocol,
        )  # fmt: skip
    except ValueError:
        post = None  # a value out of range: the gate names it (modes/checks.py)
    infer = dataclasses.replace(
        infer, infer_precision=precision.resolve(infer.infer_precision, app_cfg.mode)
    )
    train = config.from_flags(
        config.TrainConfig,
        values,
        run_dir=str(run_dir(app_cfg.mode, app_cfg.checkpoint_dir, data.cls)),
        g_weights=choice.path if app_cfg.mode in TRAINING_MODES else "",
        n_trainable=values["n_trainable"] if app_cfg.mode == "specialize" else 0,
    )
    cfg = config.Configs(
        app=app_cfg,
        model=config.from_flags(config.ModelConfig, values),
        data=data,
        loss=config.from_flags(config.LossConfig, values),
        train=train,
        inference=infer,
        export=config.from_flags(config.ExportConfig, values),
        compare=config.from_flags(config.CompareConfig, values),
        distribute=config.from_flags(config.DistributeConfig, values),
        post=post,
    )
    return cfg, choice


def _runner(mode):
    """The function that runs `mode`, from the registry's `module:function`."""
    import importlib

    from srgan_tf.modes.registry import MODES

    module, function = MODES[mode].runner.split(":")
    return getattr(importlib.import_module(f"srgan_tf.modes.{module}"), function)


def given_flags():
    """The flags set on the command line (or in a --flagfile)."""
    return {name for name in FLAGS if FLAGS[name].present}


# Given twice, these mean "both" to a user, and absl would keep the last one silently. (Other
# flags given twice are overrides, as after a --flagfile: the later one wins, as documented.)
ONE_VALUE = ("input",)


def repeated_flags(argv):
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


def main(argv):
    del argv
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if not FLAGS.verbose:
        import_tensorflow_quietly()
    from absl import logging

    # TensorFlow's checkpoint INFO lines drown the progress bars.
    logging.set_verbosity(logging.WARNING)
    from srgan_tf.errors import USER_ERRORS
    from srgan_tf.modes.checks import check_configs
    from srgan_tf.training.interrupt import ABORT_STATUS

    try:
        if repeated := repeated_flags(sys.argv):
            from srgan_tf.errors import ConfigError

            raise ConfigError("; ".join(repeated))
        cfg, choice = make_configs()
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


def import_tensorflow_quietly():
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


if __name__ == "__main__":
    if "--helpfull" in sys.argv or "-helpfull" in sys.argv:
        print(srgan_flags.full_help(os.path.basename(sys.argv[0])))
        sys.exit(0)
    if len(sys.argv) == 1 or any(a in ("-h", "--help", "-help", "--helpshort") for a in sys.argv):
        # A bare `python main.py` must not start a 100-epoch run; absl's own --help would list
        # only this file's flags (none) and -h is not a flag to it.
        print(srgan_flags.short_help(os.path.basename(sys.argv[0])))
        sys.exit(0)
    app.run(main)
