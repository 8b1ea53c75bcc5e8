"""The generator weight average (srgan_tf/training/weight_average.py) and g.weights.h5 written from it."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf
from training_setup import MODEL, tcfg, trainer

from srgan_tf import training, weights
from srgan_tf.models import build_generator
from srgan_tf.training.weight_average import WeightAverage


def test_average_follows_the_recursion(rng):
    a = tf.Variable(rng.normal(size=(3, 2)).astype(np.float32))
    b = tf.Variable(rng.normal(size=(4,)).astype(np.float32))
    ema = WeightAverage([a, b], decay=0.9)
    want = [a.numpy().astype(np.float64), b.numpy().astype(np.float64)]
    for _ in range(5):
        a.assign(rng.normal(size=(3, 2)).astype(np.float32))
        b.assign(rng.normal(size=(4,)).astype(np.float32))
        ema.update()
        want = [0.9 * w + 0.1 * v.numpy() for w, v in zip(want, (a, b))]
    for got, w in zip(ema.values(), want):
        np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-6)
    ema.reset()
    np.testing.assert_array_equal(ema.values()[0], a.numpy())


@pytest.mark.parametrize("decay", [-0.1, 1.0])
def test_decay_outside_zero_one_is_refused(decay):
    with pytest.raises(ValueError, match="decay must be in"):
        WeightAverage([tf.Variable(1.0)], decay)


def loaded(path):
    g = build_generator(MODEL.n_res_blocks, MODEL.filters)
    weights.load_weights(g, path)
    return g.get_weights()


def test_written_generator_is_the_average_and_survives_a_resume(split, tmp_path):  # noqa: F811
    t = tcfg(tmp_path, n_epoch_init=2, ema_decay=0.5)
    out = tmp_path / "run" / "g.weights.h5"
    first = trainer(["init"], split, dataclasses.replace(t, max_steps=1))
    first.run()
    w1 = loaded(out)
    live1 = first.g.get_weights()
    second = trainer(["init"], split, dataclasses.replace(t, max_steps=2))
    second.run()  # resumes at step 1: the average must come back from the checkpoint
    assert int(second.step) == 2
    w2, live2 = loaded(out), second.g.get_weights()
    changed = 0
    for a1, a2, v2, v1 in zip(w1, w2, live2, live1):
        np.testing.assert_allclose(a2, 0.5 * a1 + 0.5 * v2, rtol=1e-5, atol=1e-7)
        changed += not np.array_equal(v1, v2)
    assert changed > 0  # the step moved the weights, so the check above had something to check
    # The live model (and so its checkpoint) is the plain last weights, not the average.
    assert any(not np.allclose(a, v) for a, v in zip(w2, live2))


def test_resuming_a_run_without_an_average_with_one_is_a_clear_error(split, tmp_path):  # noqa: F811
    t = tcfg(tmp_path, max_steps=1)
    trainer(["init"], split, t).run()
    with pytest.raises(training.TrainingError, match="other settings.*--ema_decay.*--g_weights="):
        trainer(["init"], split, dataclasses.replace(t, max_steps=2, ema_decay=0.9)).run()
