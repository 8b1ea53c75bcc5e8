"""The detail gate (srgan_tf/models/detail_gate.py) against a numpy/scipy oracle, and what it
must do to any input: drop a residual weaker than its floor, keep a strong one, never push a
pixel farther from bicubic than the generator put it."""

import numpy as np
import pytest
import tensorflow as tf
from scipy.ndimage import gaussian_filter
from skimage import data as skdata

from srgan_tf import protocols
from srgan_tf.inference import PostProcessing
from srgan_tf.models.detail_gate import DetailGate
from srgan_tf.models.generator import build_generator
from srgan_tf.models.post_stages import margin, post_processed


def oracle(lr, sr, floor, sigma=1.0):
    """The gate written out with scipy: bicubic by tf.image.resize, a mirrored Gaussian."""
    base = protocols.bicubic_up(lr, 4)
    d = sr - base
    energy = gaussian_filter(((d * 127.5) ** 2).mean(-1), sigma, mode="reflect", truncate=3.0)
    w = np.maximum(0.0, 1.0 - floor**2 / np.maximum(energy, 1e-12))[..., None]
    return np.clip(base + w * d, -1.0, 1.0)


def photo_lr(name="chelsea", size=48):
    hr = getattr(skdata, name)()[: size * 4, : size * 4].astype(np.float32) / 127.5 - 1.0
    return protocols.degrade(tf.constant(hr), 4, "paper").numpy()


def test_matches_the_scipy_oracle_on_a_photo_with_textured_and_faint_residuals():
    lr = photo_lr()
    base = protocols.bicubic_up(lr, 4)
    rng = np.random.default_rng(0)
    # Residuals of every strength: faint noise on the left, strong on the right.
    strength = np.linspace(0.2, 8.0, base.shape[1])[None, :, None] / 127.5
    sr = np.clip(base + strength * rng.standard_normal(base.shape), -1, 1).astype(np.float32)
    for floor in (0.5, 1.5, 3.0):
        got = DetailGate(floor)([lr[None], sr[None]]).numpy()[0]
        np.testing.assert_allclose(got, oracle(lr, sr, floor), atol=2e-6)


@pytest.mark.parametrize("name", ["chelsea", "coffee", "rocket"])
def test_drops_a_faint_residual_keeps_a_strong_one_and_never_adds(name):
    """On any photo: a residual of 0.5 levels RMS under a floor of 1.5 vanishes; one of 20
    levels passes nearly whole; no pixel ends farther from bicubic than the input put it."""
    lr = photo_lr(name)
    base = protocols.bicubic_up(lr, 4)
    rng = np.random.default_rng(1)
    gate = DetailGate(1.5)
    for rms, kept in ((0.5, (0.0, 1e-4)), (20.0, (0.97, 1.0))):
        noise = rng.standard_normal(base.shape).astype(np.float32) * rms / 127.5
        sr = np.clip(base + noise, -1, 1)
        out = gate([lr[None], sr[None]]).numpy()[0]
        inner = (slice(8, -8), slice(8, -8))
        moved, given = np.abs(out - base)[inner], np.abs(sr - base)[inner]
        assert np.all(moved <= given + 1e-6)
        share = moved.sum() / given.sum()
        assert kept[0] - 1e-6 <= share <= kept[1], (rms, share)


def test_floor_must_be_positive_and_off_is_the_model_itself():
    with pytest.raises(ValueError, match="> 0 grey levels"):
        DetailGate(0.0)
    g = build_generator(1, 8)
    lr = np.random.default_rng(0).uniform(-1, 1, (1, 16, 18, 3)).astype(np.float32)
    np.testing.assert_array_equal(post_processed(g, 0, 0.0)(lr).numpy(), g(lr).numpy())
    with pytest.raises(ValueError, match="detail floor"):
        post_processed(g, 0, -1.0)
    assert (
        PostProcessing(self_ensemble=1, back_projection=2, detail_floor=1.5).label == "+bp2+gate1.5"
        and PostProcessing().label == ""
    )
    assert PostProcessing(self_ensemble=1, back_projection=2).label == "+bp2"
    assert margin(2, 1.5) > margin(2) > margin(0) == 0


def test_the_gated_model_shares_the_generators_weights_and_serialises(tmp_path):
    import keras

    g = build_generator(1, 8)
    model = post_processed(g, 1, 1.5, "paper")
    lr = photo_lr(size=16)[None]
    expected = DetailGate(1.5)([lr, post_processed(g, 1)(lr)]).numpy()
    np.testing.assert_allclose(model(lr).numpy(), expected, atol=1e-6)
    path = tmp_path / "gated.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    np.testing.assert_allclose(again(lr).numpy(), expected, atol=1e-6)
