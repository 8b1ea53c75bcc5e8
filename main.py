"""srgan-tf command line: `python main.py --mode=init|adversarial|specialize|evaluate|upscale|compare|export`.

Parses the flags once, turns them into frozen configs and dispatches on --mode through a dict;
what each mode does is in `srgan_tf/modes/`. User mistakes (a bad path, an unknown class,
mismatching weights) end with one clear message and exit code 1, not a traceback.
"""

import os
import sys

from absl import app
from absl import flags as absl_flags

from flags import srgan_flags

srgan_flags.define_flags()
FLAGS = absl_flags.FLAGS


def make_configs():
    """The frozen configs of this command, from the parsed flags."""
    from srgan_tf import config, defaults
    from srgan_tf.modes.checks import run_dir

    values = FLAGS.flag_values_dict()
    app_cfg = config.from_flags(config.AppConfig, values)
    data = config.from_flags(config.DataConfig, values)
    g_weights, _ = defaults.default_generator(
        app_cfg.mode, app_cfg.checkpoint_dir, app_cfg.g_weights
    )
    train = config.from_flags(
        config.TrainConfig,
        values,
        run_dir=str(run_dir(app_cfg.mode, app_cfg.checkpoint_dir, data.cls)),
        g_weights=g_weights,
        n_trainable=values["n_trainable"] if app_cfg.mode == "specialize" else 0,
    )
    return config.Configs(
        app=app_cfg,
        model=config.from_flags(config.ModelConfig, values),
        data=data,
        loss=config.from_flags(config.LossConfig, values),
        train=train,
    )


def _modes():
    from srgan_tf.modes import evaluate, export, inference, train

    return {
        "init": train.run,
        "adversarial": train.run,
        "specialize": train.run,
        "evaluate": evaluate.run,
        "upscale": inference.upscale,
        "compare": inference.compare,
        "export": export.run,
    }


def main(argv):
    del argv
    from absl import logging

    # TensorFlow's checkpoint INFO lines drown the progress bars.
    logging.set_verbosity(logging.WARNING)
    from srgan_tf.errors import USER_ERRORS
    from srgan_tf.modes.checks import check_configs

    try:
        cfg = make_configs()
        check_configs(cfg)
        _modes()[cfg.app.mode](cfg)
    except USER_ERRORS as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)


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
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if not any(a in ("--verbose", "--verbose=true", "--verbose=True") for a in sys.argv):
        import_tensorflow_quietly()
    app.run(main)
