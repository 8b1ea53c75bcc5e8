"""Tiled inference (srgan_tf/inference/tiling_core.py, upscaling.py): equal to whole-image inference, any
input kind."""

import imageio.v3 as iio
import numpy as np
import pytest
from oracles import require

from srgan_reference.random_weights import he_scaled_kernels
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


def tiled_and_whole(predict, lr, tile):
    """`(tiled, whole)` uint8 outputs; fails unless the tiled one took several tiles."""
    h, w = lr.shape[:2]
    n = inference.tile_count(h, w, tile, predict.context)
    assert n > 1, f"{lr.shape[:2]} fits one tile of {tile}: nothing was tiled"
    tiled = inference.upscale(predict, lr, tile=tile, to_uint8=True)
    return tiled, inference.upscale(predict, lr, tile=0, to_uint8=True)


def test_tiled_equals_whole_image(predict):
    lr = np.random.default_rng(0).uniform(-1, 1, (101, 100, 3)).astype(np.float32)
    assert predict.context == 36  # the trunk's 34 input pixels and the tail's 2
    whole = inference.upscale(predict, lr, tile=0)
    tiled = inference.upscale(predict, lr, tile=96)  # cores of 24: 5 x 5 tiles
    assert inference.tile_count(101, 100, 96, predict.context) == 25
    assert tiled.shape == whole.shape == (404, 400, 3)
    assert whole.std() > 0.1  # outputs large enough for the comparison to mean something
    assert np.abs(tiled - whole).max() <= 1e-3


@pytest.mark.parametrize(
    "post",
    [PostProcessing(), PostProcessing(self_ensemble=1, back_projection=2, detail_floor=40.0)],
)
def test_strips_of_the_tail_and_of_the_steps_equal_whole_image(generator, post):
    """Tail strips of a few rows (with 2 rows of context) and strips of the steps and the gate
    (with their 15) inside tiles give the whole-image pixels."""
    from srgan_tf.inference.tiling_core import Tiler

    lr = np.random.default_rng(3).uniform(-1, 1, (90, 130, 3)).astype(np.float32)
    predict = inference.predictor(generator, post)
    predict.tiler = Tiler(generator, post, strip_pixels=8 * 100, post_strip_pixels=8 * 150)
    whole = inference.upscale(predict, lr, tile=0)
    for tile in (2 * predict.context + 30, 256):  # several tiles; one tile of the whole image
        tiled = inference.upscale(predict, lr, tile=tile)
        assert np.abs(tiled - whole).max() <= 1e-3, tile


def test_tiny_and_thin_images_tile_as_they_pass_whole(predict):
    """Sides below the least side are mirrored up before the tiles, as in the whole pass."""
    rng = np.random.default_rng(4)
    for shape in [(1, 1, 3), (3, 40, 3), (200, 5, 3)]:
        lr = rng.uniform(-1, 1, shape).astype(np.float32)
        tiled = inference.upscale(predict, lr, tile=96)
        assert tiled.shape == (4 * shape[0], 4 * shape[1], 3)
        assert np.abs(tiled - inference.upscale(predict, lr, tile=0)).max() <= 1e-3, shape


def test_the_reach_is_the_receptive_field():
    """One input pixel changed moves output pixels up to the generator's reach and no further
    (measured on a generator of 2 blocks: reach 6 + 2); `reach_of` says the same unbuilt."""
    from srgan_tf.models import trunk_tail

    g = he_scaled_kernels(build_generator(n_res_blocks=2, filters=16), seed=1)
    reach = trunk_tail.split(g).reach
    assert reach == trunk_tail.reach_of(2) == trunk_tail.Reach(6, 2)
    assert trunk_tail.split(build_generator(filters=8)).reach == trunk_tail.reach_of(16)
    lr = np.random.default_rng(5).uniform(-1, 1, (1, 41, 41, 3)).astype(np.float32)
    poked = lr.copy()
    poked[0, 20, 20] += 1.0
    moved = np.abs(g(poked).numpy() - g(lr).numpy()).max(axis=(0, 3)) > 1e-6
    rows = np.flatnonzero(moved.any(axis=1))
    # LR pixel 20 is output rows 80..83; the reach in LR pixels is 4x that many output rows.
    assert rows.min() >= 4 * (20 - reach.total) and rows.max() <= 4 * (21 + reach.total) - 1
    assert rows.min() < 4 * (20 - reach.total + 1)  # and it does reach that far


def test_a_progress_bar_counts_the_tiles_and_changes_no_pixel(predict, capsys):
    lr = np.random.default_rng(1).uniform(-1, 1, (100, 110, 3)).astype(np.float32)
    tile = 96  # cores of 24: 5 x 5 tiles
    quiet = inference.upscale(predict, lr, tile=tile)
    assert capsys.readouterr().err == ""
    shown = inference.upscale(predict, lr, tile=tile, progress="photo.jpg")
    bar = capsys.readouterr().err
    assert "photo.jpg" in bar and "0/25 " in bar, bar  # the bar counts all 25 tiles
    np.testing.assert_array_equal(shown, quiet)


@pytest.mark.parametrize("protocol", ["paper", "study"])
def test_tiled_equals_whole_image_with_back_projection(generator, protocol):
    """Three steps widen what each output pixel depends on; the predictor's own context covers
    it (a real photograph, in tiles of 140 with cores of 38 pixels)."""
    from skimage import data as skimage_data

    lr = skimage_data.chelsea()[::2, ::2][:100, :180].astype(np.float32) / 127.5 - 1.0
    predict = inference.predictor(generator, PostProcessing(back_projection=3, protocol=protocol))
    assert predict.context == 36 + 15
    tiled, whole = tiled_and_whole(predict, lr, 140)
    raw = inference.upscale(inference.predictor(generator), lr, tile=0, to_uint8=True)
    assert np.abs(whole.astype(int) - raw.astype(int)).max() > 10  # the steps change pixels
    assert np.abs(tiled.astype(int) - whole.astype(int)).max() <= 1


def test_tiled_equals_whole_image_with_back_projection_and_the_detail_gate(generator):
    """The gate's Gaussian window and its bicubic baseline reach further still; the predictor's
    context covers them too, so tiles give the whole-image pixels (a real photograph)."""
    from skimage import data as skimage_data

    from srgan_tf.models.detail_gate import GATE_RADIUS

    lr = skimage_data.coffee()[::2, ::2][:100, :180].astype(np.float32) / 127.5 - 1.0
    # An untrained generator's residual is tens of levels: a floor of its size gates it.
    predict = inference.predictor(
        generator, PostProcessing(self_ensemble=1, back_projection=2, detail_floor=40.0)
    )
    assert predict.context == 36 + 10 + GATE_RADIUS
    tiled, whole = tiled_and_whole(predict, lr, 140)
    ungated = inference.upscale(
        inference.predictor(generator, PostProcessing(self_ensemble=1, back_projection=2)),
        lr,
        tile=0,
        to_uint8=True,
    )
    assert np.abs(whole.astype(int) - ungated.astype(int)).max() > 3  # the gate changes pixels
    assert np.abs(tiled.astype(int) - whole.astype(int)).max() <= 1


def test_tile_must_leave_a_core(predict):
    with pytest.raises(ValueError, match="leaves no core.*at least 144"):
        inference.upscale(predict, np.zeros((200, 200, 3), np.float32), tile=60)


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
