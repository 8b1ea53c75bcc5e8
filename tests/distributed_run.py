"""Runs a few training steps of a tiny SRGAN under a chosen strategy and saves losses and weights.

Used by tests/test_distribute.py in fresh processes (logical devices and TF_CONFIG must be set
before TensorFlow starts). Usage:
    python tests/distributed_run.py OUT.npz single|mirrored|worker [phase [RUN_DIR MAX_STEPS]]
The trainer's log lines are printed; RUN_DIR (default: a new folder per process) may be shared.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

out, kind = sys.argv[1], sys.argv[2]
phase = sys.argv[3] if len(sys.argv) > 3 else "adversarial"
devices = None
if kind == "mirrored":
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    devices = ["/cpu:0", "/cpu:1"]

from srgan_tf import training  # noqa: E402
from srgan_tf.config import DataConfig, LossConfig, ModelConfig, TrainConfig  # noqa: E402
from srgan_tf.data import datasets  # noqa: E402
from srgan_tf.training import distribute  # noqa: E402

rng = np.random.default_rng(0)
images = datasets.ImageSet()
for i in range(8):
    images.add(f"img{i}.png", rng.integers(0, 256, (80, 90, 3), dtype=np.uint8), keep=True)
split = datasets.Split("all", ".", images, datasets.ImageSet(), datasets.ScanReport())
data = DataConfig(crop_size=64, batch_size=4, seed=1)
model = ModelConfig(n_res_blocks=1, filters=8, d_filters=8)
run_dir = (
    sys.argv[4]
    if len(sys.argv) > 4
    else os.path.join(os.path.dirname(out), f"run_{kind}_{os.getpid()}")
)
max_steps = int(sys.argv[5]) if len(sys.argv) > 5 else 2
train = TrainConfig(
    run_dir=run_dir,
    n_epoch_init=4,  # 2 steps an epoch; max_steps stops the run
    n_epoch=4,
    use_vgg=False,
    max_steps=max_steps,
    save_every=0,
    # g.weights.h5 is written from a weight average with re-estimated BatchNorm statistics:
    # both must come out as on one device too.
    ema_decay=0.5,
    precise_bn_batches=2,
)
import keras  # noqa: E402

keras.utils.set_random_seed(0)
strategy = distribute.make_strategy(devices, cluster_timeout=60)
trainer = training.Trainer(
    [phase],
    model,
    data,
    LossConfig(),
    train,
    split,
    strategy,
    log=lambda *a: print(*a, flush=True),
    progress=False,
)
losses = trainer.run()
if distribute.is_chief():
    from srgan_tf import weights
    from srgan_tf.models import build_generator

    written = build_generator(model.n_res_blocks, model.filters)
    weights.load_weights(written, os.path.join(run_dir, "g.weights.h5"))
    np.savez(
        out,
        replicas=strategy.num_replicas_in_sync,
        step=int(trainer.step),
        **{f"loss_{k}": v for k, v in losses.items()},
        **{f"w{i}": w.numpy() for i, w in enumerate(trainer.g.weights)},
        **{f"written{i}": w for i, w in enumerate(written.get_weights())},
    )
