"""Tiled inference (srgan_tf/inference/tiling.py): equal to whole-image inference, any input kind."""

import imageio.v3 as iio
import numpy as np
import pytest
from oracles import require
from random_weights import he_scaled_kernels

from srgan_tf import inference
from srgan_tf.inference import PostProcessing
from srgan_tf.models import build_generator


@pytest.fixture(scope="module")
def generator():
    # The 16-block generator (its receptive field, set by the number of convolutions, is what
    # the overlap must cover) with 16 feature maps instead of 64 (the same receptive field for
    # a sixteenth of the trunk's arithmetic), and He-scaled random kernels: a fresh model's
    # outputs are ~1e-4 and would hide any seam.
    return he_scaled_kernels(build_generator(filters=16))


@pytest.fixture(scope="module")
def predict(generator):
    return inference.predictor(generator)


class Counted:
    """A predictor that counts its calls, so a test can show it really tiled."""

    def __init__(self, predict):
        self.predict, self.overlap, self.calls = predict, predict.overlap, 0

    def __call__(self, x):
        self.calls += 1
        return self.predict(x)


def tiled_and_whole(predict, lr, tile):
    """`(tiled, whole)` uint8 outputs; fails unless the tiled one took several tiles."""
    counted = Counted(predict)
    tiled = inference.upscale(counted, lr, tile=tile, to_uint8=True)
    assert counted.calls > 1, f"{lr.shape[:2]} fits one tile of {tile}: nothing was tiled"
    return tiled, inference.upscale(predict, lr, tile=0, to_uint8=True)


def test_tiled_equals_whole_image(predict):
    lr = np.random.default_rng(0).uniform(-1, 1, (101, 87, 3)).astype(np.float32)
    whole = inference.upscale(predict, lr, tile=0)
    tiled = inference.upscale(predict, lr, tile=96, overlap=inference.RECEPTIVE_RADIUS + 4)
    assert tiled.shape == whole.shape == (404, 348, 3)
    assert whole.std() > 0.1  # outputs large enough for the comparison to mean something
    assert np.abs(tiled - whole).max() <= 1e-3


def test_a_progress_bar_counts_the_tiles_and_changes_no_pixel(predict, capsys):
    lr = np.random.default_rng(1).uniform(-1, 1, (100, 70, 3)).astype(np.float32)
    overlap, tile = inference.RECEPTIVE_RADIUS, 96  # cores of 24: 5 x 3 tiles
    quiet = inference.upscale(predict, lr, tile=tile, overlap=overlap)
    assert capsys.readouterr().err == ""
    shown = inference.upscale(predict, lr, tile=tile, overlap=overlap, progress="photo.jpg")
    bar = capsys.readouterr().err
    assert "photo.jpg" in bar and "0/15 " in bar, bar  # the bar counts all 15 tiles
    np.testing.assert_array_equal(shown, quiet)


@pytest.mark.parametrize("protocol", ["paper", "study"])
def test_tiled_equals_whole_image_with_back_projection(generator, protocol):
    """Three steps widen what each output pixel depends on; the predictor's own overlap covers
    it (a real photograph, in 8 tiles of 160 with cores of 50 pixels)."""
    from skimage import data as skimage_data

    lr = skimage_data.chelsea()[::2, ::2][:100, :180].astype(np.float32) / 127.5 - 1.0
    predict = inference.predictor(generator, PostProcessing(back_projection=3, protocol=protocol))
    assert predict.overlap == inference.OVERLAP + 15
    tiled, whole = tiled_and_whole(predict, lr, 160)
    raw = inference.upscale(inference.predictor(generator), lr, tile=0, to_uint8=True)
    assert np.abs(whole.astype(int) - raw.astype(int)).max() > 10  # the steps change pixels
    assert np.abs(tiled.astype(int) - whole.astype(int)).max() <= 1


def test_tiled_equals_whole_image_with_back_projection_and_the_detail_gate(generator):
    """The gate's Gaussian window and its bicubic baseline reach further still; the predictor's
    overlap covers them too, so tiles give the whole-image pixels (a real photograph)."""
    from skimage import data as skimage_data

    from srgan_tf.models.detail_gate import GATE_RADIUS

    lr = skimage_data.coffee()[::2, ::2][:100, :180].astype(np.float32) / 127.5 - 1.0
    # An untrained generator's residual is tens of levels: a floor of its size gates it.
    predict = inference.predictor(generator, PostProcessing(1, 2, 40.0))
    assert predict.overlap == inference.OVERLAP + 10 + GATE_RADIUS
    tiled, whole = tiled_and_whole(predict, lr, 160)
    ungated = inference.upscale(
        inference.predictor(generator, PostProcessing(1, 2)), lr, tile=0, to_uint8=True
    )
    assert np.abs(whole.astype(int) - ungated.astype(int)).max() > 3  # the gate changes pixels
    assert np.abs(tiled.astype(int) - whole.astype(int)).max() <= 1


def test_too_little_overlap_shows_seams(predict):
    """The overlap is what makes tiling exact: with 4 pixels the tiles disagree at their seams."""
    lr = np.random.default_rng(1).uniform(-1, 1, (80, 80, 3)).astype(np.float32)
    whole = inference.upscale(predict, lr, tile=0)
    tiled = inference.upscale(predict, lr, tile=40, overlap=4)
    assert np.abs(tiled - whole).max() > 1e-3


def test_tile_must_leave_a_core(predict):
    with pytest.raises(ValueError, match="no core"):
        inference.upscale(predict, np.zeros((200, 200, 3), np.float32), tile=60, overlap=30)


def test_upscale_file_keeps_gray_alpha_and_reads_16_bit(predict, tmp_path):
    rng = np.random.default_rng(2)
    iio.imwrite(tmp_path / "g.png", rng.integers(0, 256, (12, 10), dtype=np.uint8))
    iio.imwrite(tmp_path / "a.png", rng.integers(0, 256, (12, 10, 4), dtype=np.uint8))
    cv2 = require("cv2")
    cv2.imwrite(str(tmp_path / "d.png"), rng.integers(0, 65536, (12, 10, 3), dtype=np.uint16))
    assert inference.upscale_file(predict, tmp_path / "g.png").shape == (48, 40)
    rgba = inference.upscale_file(predict, tmp_path / "a.png")
    assert rgba.shape == (48, 40, 4)
    src_alpha = iio.imread(tmp_path / "a.png")[..., 3].astype(float)
    assert abs(rgba[..., 3].mean() - src_alpha.mean()) < 10  # alpha upscaled, not dropped
    deep = inference.upscale_file(predict, tmp_path / "d.png")
    assert deep.shape == (48, 40, 3) and deep.dtype == np.uint8
