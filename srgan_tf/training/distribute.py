"""Chooses the tf.distribute strategy and the Keras precision policy for a run.

MultiWorkerMirroredStrategy when `TF_CONFIG` is set, MirroredStrategy over the visible GPUs
when there are several, the default strategy on one device. Every worker builds the same
deterministic global batch; each replica takes its slice (`split_batch`), so a replicated run
sees exactly the data a single-device run sees.
"""

import json
import os
import subprocess
import sys

import keras
import tensorflow as tf

from srgan_tf.config import CLUSTER_TIMEOUT, PRECISIONS


def tf_config() -> tuple[dict, str, int]:
    """`(cluster, task type, task index)` of this process from `TF_CONFIG` (`{}`, "worker", 0
    without one)."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = config.get("task", {})
    return config.get("cluster") or {}, task.get("type", "worker"), int(task.get("index", 0))


def task_name() -> str:
    """`worker_1`, `chief_0`, ...: this process's name in its cluster."""
    _, kind, index = tf_config()
    return f"{kind}_{index}"


def make_strategy(
    devices: list[str] | None = None, cluster_timeout: float = CLUSTER_TIMEOUT
) -> tf.distribute.Strategy:
    """The strategy for this process.

    Args:
        devices: explicit device names for MirroredStrategy (tests use logical CPUs).
        cluster_timeout: with `TF_CONFIG`, seconds to wait for every worker; past them the
            process ends with a message naming the cluster (exit code 1), not a hang.
    """
    if tf_config()[0]:
        return _multi_worker(cluster_timeout)
    if devices:
        return tf.distribute.MirroredStrategy(devices)
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([g.name for g in gpus])
    return tf.distribute.get_strategy()


# Runs beside a worker while its cluster forms: stdin closing means "up" (or the worker
# died); silence for the whole timeout means "stuck", so it reports and ends the worker.
_WATCHDOG = """
import os, select, signal, sys
pid, timeout, message = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
if not select.select([sys.stdin], [], [], timeout)[0]:
    sys.stderr.write(message)
    sys.stderr.flush()
    os.kill(pid, signal.SIGKILL)
"""


def _multi_worker(timeout):
    """MultiWorkerMirroredStrategy once every worker has joined, or a clear error and exit.

    TensorFlow waits for missing peers forever, inside C++ code that holds the GIL and ignores
    SIGTERM: no Python thread or signal handler can act, so a watchdog process reports the
    problem and kills the worker (exit status -9) after `timeout` seconds.
    """
    cluster, kind, index = tf_config()
    peers = ", ".join(
        f"{job}:{i}={addr}" for job, addrs in cluster.items() for i, addr in enumerate(addrs)
    )
    message = (
        f"error: the cluster did not come up within {timeout} s. This process is {kind}:{index} "
        f"of TF_CONFIG's cluster ({peers}); start every one of them with its own task index, "
        f"or check the addresses (--cluster_timeout sets the wait).\n"
    )
    watchdog = subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(timeout), message],
        stdin=subprocess.PIPE,
    )
    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        # A barrier: an all-reduce completes only when every worker is up.
        strategy.reduce("SUM", strategy.run(lambda: tf.constant(1.0)), axis=None)
    finally:
        watchdog.stdin.close()
        watchdog.wait()
    return strategy


def set_precision(precision: str) -> None:
    """Sets the global Keras dtype policy; call before building models.

    Raises:
        ValueError: an unknown precision name.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    keras.mixed_precision.set_global_policy(precision)


def is_chief() -> bool:
    """True on the one process that writes files: the `chief` task in a cluster that has one,
    else worker 0 (and a process without TF_CONFIG)."""
    cluster, kind, index = tf_config()
    if "chief" in cluster:
        return kind == "chief" and index == 0
    return kind == "worker" and index == 0


def batch_problem(batch_size: int, replicas: int) -> str | None:
    """Why `replicas` cannot share a global batch of `batch_size` evenly, or None: the one
    owner of this rule (the gate, the strategy's setup and `split_batch` ask it)."""
    if replicas <= 1 or batch_size % replicas == 0:  # (0: the --cpu_replicas default, none)
        return None
    return (f"--batch_size={batch_size} cannot be shared by the {replicas} replicas of this "
            f"run; pass a multiple of {replicas}")  # fmt: skip


def split_batch(strategy: tf.distribute.Strategy, batch: tuple) -> object:
    """Distributes a global batch (a tuple of tensors) as per-replica slices.

    Raises:
        ValueError: a global batch the replicas cannot share evenly.
    """
    n = strategy.num_replicas_in_sync
    size = int(batch[0].shape[0])
    problem = batch_problem(size, n)
    if problem:
        raise ValueError(problem)
    if n == 1:
        return batch
    per = size // n

    def value_fn(ctx):
        i = ctx.replica_id_in_sync_group
        return tuple(t[i * per : (i + 1) * per] for t in batch)

    return strategy.experimental_distribute_values_from_function(value_fn)
