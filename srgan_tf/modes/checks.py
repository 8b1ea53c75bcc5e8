"""Settings that cannot work, refused in one line before anything is built or written."""

import json
from pathlib import Path

from srgan_tf.config import PROTOCOLS
from srgan_tf.errors import ConfigError

TRAINING_MODES = ("init", "adversarial", "specialize")


def check_configs(cfg):
    """Raises `ConfigError` for a scale, crop, validation protocol or `n_trainable` that cannot
    work."""
    from srgan_tf import transfer
    from srgan_tf.models import build_generator

    mode, data, train = cfg.app.mode, cfg.data, cfg.train
    if data.scale != 4:
        raise ConfigError(
            f"--scale={data.scale}: the SRGAN generator is 4x (two x2 pixel shuffles); only "
            f"--scale=4 is supported"
        )
    if mode in TRAINING_MODES and data.crop_size % data.scale:
        raise ConfigError(
            f"--crop_size={data.crop_size} is not divisible by --scale={data.scale}; use e.g. "
            f"{data.crop_size - data.crop_size % data.scale}"
        )
    if mode in TRAINING_MODES and data.saturation_min > data.saturation_max:
        raise ConfigError(
            f"--saturation_min={data.saturation_min} is above --saturation_max="
            f"{data.saturation_max}; the factor is drawn from [min, max]"
        )
    if mode in TRAINING_MODES:
        bad = [p for p in train.val_protocol_list if p not in PROTOCOLS]
        if bad:
            raise ConfigError(
                f"--val_protocols={train.val_protocols}: unknown protocol {bad[0]!r}; use a "
                f"comma-separated list of {', '.join(PROTOCOLS)}"
            )
    if mode == "specialize":
        n = len(transfer.weighted_layers(build_generator(cfg.model.n_res_blocks, 4)))
        if not 1 <= train.n_trainable <= n:
            raise ConfigError(
                f"--n_trainable={train.n_trainable}: the generator has {n} layers with weights; "
                f"pass 1 (the study: the last layer) to {n}"
            )


def check_resume(run, data, train):
    """A run folder resumes only with the data settings that fix its batches."""
    old = Path(run) / "config.json"
    if not (Path(run) / "ckpt" / "checkpoint").exists() or not old.is_file():
        return
    before = json.loads(old.read_text())
    now = {"data": {"batch_size": data.batch_size, "seed": data.seed},
           "train": {"patches_per_image": train.patches_per_image}}  # fmt: skip
    changed = [
        f"--{key}={value} (the checkpoint's run used {before[group][key]})"
        for group, values in now.items()
        for key, value in values.items()
        if key in before.get(group, {}) and before[group][key] != value
    ]
    if changed:
        raise ConfigError(
            f"{run} holds a run that cannot resume with {', '.join(changed)}: the position in "
            f"its epoch would point at other batches. Resume with the run's values, or start a "
            f"new --checkpoint_dir warm-started with --g_weights={Path(run) / 'g.weights.h5'}"
        )


def run_dir(mode, checkpoint_dir, cls):
    """init -> checkpoints/init, adversarial -> checkpoints/srgan, specialize -> checkpoints/<cls>."""
    sub = {"init": "init", "adversarial": "srgan"}.get(mode, cls.lower() or "all")
    return Path(checkpoint_dir) / sub
