"""NIQE (srgan_tf/evaluation/niqe.py) against an independent implementation, BasicSR 1.4.2's,
and against what NIQE is for: natural photographs score lower than their degraded copies.

The MATLAB release's own value that BasicSR's docstring records (5.72957338 on BasicSR's
`tests/data/baboon.png`) cannot be reproduced here: that file is not in BasicSR's source
distribution nor in any package of PyPI, Debian or npm (Debian's `opencv-doc` has a
different baboon, a 512x512 JPEG). BasicSR's code reproduced it to 3e-6 (its docstring:
5.7295763); this module reproduces BasicSR's code run in MATLAB's double precision to 1e-3
on the images below (see tests/basicsr_oracle.py for why double).
"""

import numpy as np
import pytest
import skimage.data
from oracles import require

from srgan_tf.evaluation.metrics import rgb_to_y
from srgan_tf.evaluation.niqe import BLOCK, niqe, niqe_luma

require("torch")  # BasicSR's MATLAB imresize is written in PyTorch
import basicsr_oracle  # noqa: E402

# Both sides compute the same algorithm in float64, summing in different orders. Such noise
# can move one block's AGGD shape by one step of the 0.001 grid, which moves a score by about
# 1e-4; nothing short of a different formula moves it by 1e-3. (The bar is 0.01.)
TOLERANCE = 1e-3


def _photos():
    """Photographs of kinds NIQE meets: colour and gray, textured and smooth (sky, black
    backdrops), sizes that are and are not multiples of the 96-px block."""
    rng = np.random.default_rng(0)
    astronaut, coffee = skimage.data.astronaut(), skimage.data.coffee()
    noisy = np.clip(coffee + rng.normal(0, 12, coffee.shape), 0, 255).astype(np.uint8)
    return {
        "astronaut 512x512": astronaut,
        "coffee 400x600": coffee,
        "chelsea 300x451": skimage.data.chelsea(),
        "rocket 427x640 (sky)": skimage.data.rocket(),
        "camera 512x512 gray": skimage.data.camera(),
        "brick 512x512 gray": skimage.data.brick(),
        "grass 512x512 gray": skimage.data.grass(),
        "gravel 512x512 gray": skimage.data.gravel(),
        "astronaut crop 197x389": astronaut[13:210, 50:439],
        "coffee crop 96x192": coffee[100:196, 200:392],
        "coffee with noise": noisy,
        "motorcycle left 370x500": skimage.data.stereo_motorcycle()[0],
        "hubble 872x1000": skimage.data.hubble_deep_field(),
    }


PHOTOS = _photos()


@pytest.mark.parametrize("name", list(PHOTOS))
def test_equals_basicsr_in_double_precision(name):
    image = PHOTOS[name]
    assert niqe(image) == pytest.approx(basicsr_oracle.niqe(image), abs=TOLERANCE)


def test_border_is_cropped_before_the_blocks():
    image = PHOTOS["astronaut 512x512"]
    ours = niqe(image, border=4)
    assert ours == pytest.approx(basicsr_oracle.niqe(image, border=4), abs=TOLERANCE)
    assert ours == niqe_luma(np.round(rgb_to_y(image))[4:-4, 4:-4])
    assert abs(ours - niqe(image)) > TOLERANCE  # the crop moves the blocks


def test_too_small_for_two_blocks_is_nan():
    image = PHOTOS["coffee 400x600"]
    assert np.isnan(niqe(image[:BLOCK, : BLOCK + 95]))  # one block
    assert np.isnan(niqe(image[: BLOCK - 1, :400]))
    assert np.isfinite(niqe(image[:BLOCK, : 2 * BLOCK]))
    assert np.isnan(niqe(image[: 2 * BLOCK, : 2 * BLOCK], border=1))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # BasicSR's means of empty blocks
def test_flat_blocks_follow_matlab_not_crash():
    """A flat block has no negative (or positive) MSCN values: its AGGD scales are NaN and its
    shape the grid's first, 0.2, as MATLAB's `min` over NaNs gives; such rows drop out of the
    covariance. Half flat, half textured: finite and equal to the oracle's."""
    image = PHOTOS["astronaut 512x512"].copy()
    image[:, :256] = (40, 90, 200)
    assert np.isfinite(niqe(image))
    assert niqe(image) == pytest.approx(basicsr_oracle.niqe(image), abs=TOLERANCE)
    assert np.isnan(niqe(np.full((200, 300, 3), 128, np.uint8)))  # nothing to fit


@pytest.mark.parametrize("name", ["astronaut 512x512", "coffee 400x600", "chelsea 300x451",
                                  "motorcycle left 370x500", "gravel 512x512 gray"])  # fmt: skip
def test_degraded_copies_score_less_natural(name):
    """What NIQE measures: a photograph 4x downscaled and bicubic-upscaled back (what an SR
    model starts from), or blurred, scores higher (less natural) than the photograph."""
    import tensorflow as tf

    image = PHOTOS[name]
    x = tf.constant(image if image.ndim == 3 else image[..., None], tf.float32)[None]
    h, w = x.shape[1] // 4 * 4, x.shape[2] // 4 * 4
    small = tf.image.resize(x[:, :h, :w], (h // 4, w // 4), "area")
    up = tf.image.resize(small, (h, w), "bicubic")
    up = np.clip(np.round(up[0].numpy()), 0, 255).astype(np.uint8)
    up = up if image.ndim == 3 else up[..., 0]
    assert niqe(up) > niqe(image[:h, :w]) + 1.0
