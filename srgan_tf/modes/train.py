"""`--mode=init|adversarial|specialize`: one training run in its run folder."""

import json
from pathlib import Path

from srgan_tf import atomic, datasets, defaults, distribute, run_lock, sample_data, training
from srgan_tf.config import to_dict
from srgan_tf.errors import ConfigError, TrainingError
from srgan_tf.modes.checks import check_resume

PHASES = {"init": ["init"], "adversarial": ["adversarial"], "specialize": ["init", "adversarial"]}


def _check_starting_point(cfg):
    mode, tcfg, root = cfg.app.mode, cfg.train, Path(cfg.app.checkpoint_dir)
    if mode == "specialize" and not cfg.data.cls:
        raise ConfigError("--mode=specialize needs --cls (e.g. --cls=desert, or --cls=general)")
    if mode == "adversarial" and not tcfg.g_weights:
        if not (Path(tcfg.run_dir) / "ckpt" / "checkpoint").exists():
            raise ConfigError(
                f"--mode=adversarial warm-starts the generator: run --mode=init first (it writes "
                f"{root / 'init' / 'g.weights.h5'}) or pass --g_weights=FILE"
            )
    if mode == "specialize" and not tcfg.g_weights:
        raise ConfigError(
            f"--mode=specialize needs a pretrained generator: pass --g_weights=FILE (e.g. the "
            f"official {root / 'g_srgan.npz'}) or train one with --mode=init/adversarial first"
        )


def _strategy(app, batch_size):
    devices = None
    if app.cpu_replicas > 1:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * app.cpu_replicas
        )
        devices = [f"/cpu:{i}" for i in range(app.cpu_replicas)]
    strategy = distribute.make_strategy(devices, app.cluster_timeout)
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise ConfigError(
            f"--batch_size={batch_size} cannot be shared by the {replicas} replicas of this run; "
            f"pass a multiple of {replicas}"
        )
    return strategy


def run(cfg):
    """Trains the phases of `cfg.app.mode`; resumes the run folder when it holds a checkpoint."""
    app, data, tcfg = cfg.app, cfg.data, cfg.train
    _check_starting_point(cfg)
    if app.mode != "init":
        defaults.announce(app.mode, app.checkpoint_dir, app.g_weights)
    strategy = _strategy(app, data.batch_size)
    out = Path(tcfg.run_dir)
    if distribute.is_chief():
        try:
            run_lock.acquire(out)  # before anything is written into the run folder
        except run_lock.RunLocked as e:
            raise TrainingError(str(e)) from None
        check_resume(out, data, tcfg)
    split = datasets.make_split(sample_data.data_root(data), data.cls, data)
    if distribute.is_chief():
        written = {"mode": app.mode, **{k: to_dict(getattr(cfg, k)) for k in
                                        ("model", "data", "loss", "train")}}  # fmt: skip
        atomic.write_text(out / "config.json", json.dumps(written, indent=1))
        split.write_manifest(out / "manifest.json")
    trainer = training.Trainer(PHASES[app.mode], cfg.model, data, cfg.loss, tcfg, split, strategy)
    final = trainer.run()
    where = f"Generator: {out / 'g.weights.h5'}" if trainer.chief else "(the chief writes)"
    print(f"Done at step {int(trainer.step)}: {final}. {where}")
