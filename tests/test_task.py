"""The training task (srgan_tf/training/task.py) and the snapshot (srgan_tf/training/snapshot.py), each on its own."""

import random

import keras
import numpy as np
import tensorflow as tf

from srgan_tf.config import DataConfig, LossConfig, ModelConfig, TrainConfig
from srgan_tf.training.snapshot import GeneratorSnapshot
from srgan_tf.training.task import SRGANTask

MODEL = ModelConfig(n_res_blocks=1, filters=8, d_filters=8)
DATA = DataConfig(crop_size=64, batch_size=2, seed=0)


def _task(tmp_path, **train):
    t = TrainConfig(run_dir=str(tmp_path), use_vgg=False, **train)
    return SRGANTask(["init", "adversarial"], MODEL, DATA, LossConfig(), t)


def test_building_a_task_leaves_process_wide_state_alone(tmp_path):
    keras.mixed_precision.set_global_policy("float32")
    tf.random.set_seed(123)
    np.random.seed(5)
    random.seed(7)
    before = (tf.random.uniform([3]).numpy(), np.random.random(), random.random())
    tf.random.set_seed(123)
    np.random.seed(5)
    random.seed(7)
    task = _task(tmp_path, precision="mixed_bfloat16")
    after = (tf.random.uniform([3]).numpy(), np.random.random(), random.random())
    assert keras.mixed_precision.global_policy().name == "float32"
    assert task.g.layers[1].dtype_policy.name == "mixed_bfloat16"  # the models keep theirs
    np.testing.assert_array_equal(before[0], after[0])
    assert before[1:] == after[1:]


def test_the_seed_alone_fixes_initial_weights(tmp_path):
    a, b = _task(tmp_path / "a"), _task(tmp_path / "b")
    for x, y in zip(a.g.weights + a.d.weights, b.g.weights + b.d.weights):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    other = SRGANTask(["init"], MODEL, DataConfig(crop_size=64, batch_size=2, seed=1),
                      LossConfig(), TrainConfig(run_dir=str(tmp_path / "c"), use_vgg=False))  # fmt: skip
    assert not np.array_equal(a.g.weights[0].numpy(), other.g.weights[0].numpy())


def test_a_task_trains_without_the_loop(tmp_path):
    task = _task(tmp_path)
    lr = tf.random.uniform((2, 16, 16, 3), -1, 1)
    hr = tf.random.uniform((2, 64, 64, 3), -1, 1)
    before = task.g.weights[0].numpy().copy()
    out = task.step_function("adversarial")((lr, hr))
    assert {"g_loss", "d_loss", "mse"} <= set(out) and np.isfinite(float(out["g_loss"]))
    assert not np.array_equal(before, task.g.weights[0].numpy())
    # The counters and the checkpoint are the loop's (progress.py, saver.py), not the task's.
    assert not hasattr(task, "step") and not hasattr(task, "ckpt")
    assert set(task.checkpointables()) == {
        "generator", "g_init_optimizer", "g_optimizer", "d_optimizer", "discriminator"
    }  # fmt: skip


def test_snapshot_is_the_training_generator_or_its_average(tmp_path):
    shape = MODEL.n_res_blocks, MODEL.filters
    plain = _task(tmp_path / "p")
    assert GeneratorSnapshot(plain.g, *shape).to_write() is plain.g
    copy = GeneratorSnapshot(plain.g, *shape).to_validate()
    assert copy is not plain.g
    for x, y in zip(copy.weights, plain.g.weights):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    averaged = _task(tmp_path / "e", ema_decay=0.5)
    averaged.ema.reset()
    for v in averaged.g.weights:
        v.assign(v + 1.0)  # the live weights move; the average has not been updated
    written = GeneratorSnapshot(averaged.g, *shape, averaged.ema).to_write()
    assert written is not averaged.g
    np.testing.assert_allclose(written.weights[0].numpy() + 1.0, averaged.g.weights[0].numpy())
