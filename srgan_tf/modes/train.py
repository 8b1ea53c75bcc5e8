"""`--mode=init|adversarial|specialize`: one training run in its run folder."""

import json
from pathlib import Path

from srgan_tf import atomic, training
from srgan_tf.config import Configs, to_dict
from srgan_tf.data import datasets, sample_data
from srgan_tf.errors import ConfigError, TrainingError
from srgan_tf.modes.checks import check_resume
from srgan_tf.modes.registry import MODES
from srgan_tf.training import distribute, run_lock

PHASES = {name: list(m.phases) for name, m in MODES.items() if m.trains}


def _strategy(dist, batch_size):
    devices = None
    if dist.cpu_replicas > 1:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * dist.cpu_replicas
        )
        devices = [f"/cpu:{i}" for i in range(dist.cpu_replicas)]
    strategy = distribute.make_strategy(devices, dist.cluster_timeout)
    if problem := distribute.batch_problem(batch_size, strategy.num_replicas_in_sync):
        raise ConfigError(problem)
    return strategy


def run(cfg: Configs) -> None:
    """Trains the phases of `cfg.app.mode`; resumes the run folder when it holds a checkpoint.

    The settings and inputs have passed `modes/checks.py`; the data is split before the run
    folder is locked or written, so a folder that cannot train leaves nothing behind.
    """
    app, data, tcfg = cfg.app, cfg.data, cfg.train
    strategy = _strategy(cfg.distribute, data.batch_size)
    out = Path(tcfg.run_dir)
    split = datasets.make_split(sample_data.data_root(data), data.cls, data)
    if distribute.is_chief():
        check_resume(out, data, tcfg)
    # Built before the folder is touched: a split too small for one batch is refused here.
    trainer = training.Trainer(
        PHASES[app.mode], cfg.model, data, cfg.loss, tcfg, split, strategy,
        progress=app.progress, tile=app.tile,
    )  # fmt: skip
    if distribute.is_chief():
        try:
            run_lock.acquire(out)  # the one lock of the run folder, before anything is written
        except run_lock.RunLocked as e:
            raise TrainingError(str(e)) from None
        check_resume(out, data, tcfg)  # again: another process may have written it meanwhile
        written = {"mode": app.mode, **{k: to_dict(getattr(cfg, k)) for k in
                                        ("model", "data", "loss", "train")}}  # fmt: skip
        atomic.write_text(out / "config.json", json.dumps(written, indent=1))
        split.write_manifest(out / "manifest.json")
    final = trainer.run()
    if trainer.interrupted:
        return  # the loop said where it saved and how to resume
    where = f"Generator: {out / 'g.weights.h5'}" if trainer.chief else "(the chief writes)"
    if not final:
        print(f"Nothing to train: {out} finished at step {int(trainer.step)} already. {where}")
        return
    losses = ", ".join(f"{k}={v:.5g}" for k, v in final.items())
    print(f"Done at step {int(trainer.step)}; its batch's losses: {losses} (one batch; the epoch "
          f"lines give each epoch's means). {where}")  # fmt: skip
