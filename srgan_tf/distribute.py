"""Chooses the tf.distribute strategy and the Keras precision policy for a run.

MultiWorkerMirroredStrategy when `TF_CONFIG` is set, MirroredStrategy over the visible GPUs
when there are several, the default strategy on one device. Every worker builds the same
deterministic global batch; each replica takes its slice (`split_batch`), so a replicated run
sees exactly the data a single-device run sees.
"""

import json
import os

import keras
import tensorflow as tf

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


def make_strategy(devices=None):
    """The strategy for this process.

    Args:
        devices: explicit device names for MirroredStrategy (tests use logical CPUs).
    """
    if os.environ.get("TF_CONFIG") and json.loads(os.environ["TF_CONFIG"]).get("cluster"):
        return tf.distribute.MultiWorkerMirroredStrategy()
    if devices:
        return tf.distribute.MirroredStrategy(devices)
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([g.name for g in gpus])
    return tf.distribute.get_strategy()


def set_precision(precision):
    """Sets the global Keras dtype policy; call before building models.

    Raises:
        ValueError: an unknown precision name.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    keras.mixed_precision.set_global_policy(precision)


def is_chief():
    """True on the worker that writes files (the only process without TF_CONFIG)."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = config.get("task", {})
    return task.get("type", "worker") in ("chief", "worker") and task.get("index", 0) == 0


def split_batch(strategy, batch):
    """Distributes a global batch (a tuple of tensors) as per-replica slices.

    Raises:
        ValueError: a global batch the replicas cannot share evenly.
    """
    n = strategy.num_replicas_in_sync
    size = int(batch[0].shape[0])
    if size % n:
        raise ValueError(f"batch size {size} is not divisible by the {n} replicas")
    if n == 1:
        return batch
    per = size // n

    def value_fn(ctx):
        i = ctx.replica_id_in_sync_group
        return tuple(t[i * per : (i + 1) * per] for t in batch)

    return strategy.experimental_distribute_values_from_function(value_fn)
