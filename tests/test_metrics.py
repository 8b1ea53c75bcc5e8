"""Metrics (srgan_tf/evaluation/metrics.py) against scikit-image on the same arrays."""

import numpy as np
import pytest
from skimage import data as skdata
from skimage.color import rgb2ycbcr
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from srgan_tf.evaluation import metrics


@pytest.fixture(scope="module")
def pair():
    hr = skdata.astronaut()[100:260, 120:300]
    rng = np.random.default_rng(0)
    sr = np.clip(hr.astype(int) + rng.integers(-20, 21, hr.shape), 0, 255).astype(np.uint8)
    return sr, hr


def test_psnr_and_ssim_agree_with_skimage(pair):
    sr, hr = pair
    assert abs(metrics.psnr(sr, hr) - peak_signal_noise_ratio(hr, sr, data_range=255)) < 1e-3
    ref = structural_similarity(
        hr,
        sr,
        channel_axis=-1,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=255,
    )
    assert abs(metrics.ssim(sr, hr) - ref) < 1e-3


def test_y_channel_matches_skimage_ycbcr(pair):
    sr, hr = pair
    np.testing.assert_allclose(metrics.rgb_to_y(hr), rgb2ycbcr(hr)[..., 0], atol=1e-6)
    y_sr, y_hr = rgb2ycbcr(sr)[..., 0], rgb2ycbcr(hr)[..., 0]
    m = metrics.all_metrics(sr, hr, sr / 127.5 - 1, hr / 127.5 - 1, border=4)
    ref_psnr = peak_signal_noise_ratio(y_hr[4:-4, 4:-4], y_sr[4:-4, 4:-4], data_range=255)
    ref_ssim = structural_similarity(
        y_hr[4:-4, 4:-4],
        y_sr[4:-4, 4:-4],
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=255,
    )
    assert abs(m["psnr_y"] - ref_psnr) < 1e-3
    assert abs(m["ssim_y"] - ref_ssim) < 1e-3
    assert abs(m["one_minus_ssim"] - (1 - m["ssim_rgb"])) < 1e-12
    np.testing.assert_allclose(m["mse"], np.mean((sr / 127.5 - hr / 127.5) ** 2), rtol=1e-9)


def test_identical_images():
    x = skdata.coffee()[:64, :64]
    assert metrics.psnr(x, x) == float("inf")
    assert abs(metrics.ssim(x, x) - 1.0) < 1e-6


def test_colour_offset_is_the_largest_channel_mean_difference(pair):
    sr, hr = pair
    shifted = np.clip(hr.astype(int) + [0, 6, 0], 0, 255).astype(np.uint8)  # a green cast
    expected = np.abs(shifted.astype(float).mean(axis=(0, 1)) - hr.mean(axis=(0, 1))).max()
    assert metrics.colour_offset(shifted, hr) == pytest.approx(expected)
    assert 5.0 < metrics.colour_offset(shifted, hr) <= 6.0
    assert metrics.colour_offset(hr, hr) == 0.0
    m = metrics.all_metrics(shifted, hr, shifted / 127.5 - 1, hr / 127.5 - 1, border=4)
    assert m["colour_offset"] == pytest.approx(
        metrics.colour_offset(shifted[4:-4, 4:-4], hr[4:-4, 4:-4])
    )
