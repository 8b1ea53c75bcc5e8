"""The tiling core (srgan_tf/inference/tiling_core.py) against one whole-image pass, to float noise:
over grids of several rows and columns of tiles, with several tail strips and several post
strips inside each tile, odd and prime sizes, every self-ensemble orientation; and a negative
control per context (the trunk's, the tail's, the steps', the gate's): one pixel less than
what the part reaches must fail the same comparison, so each context is shown to be enough.

Tolerance: tiled and whole compute the same sums in other orders, so they differ by float32
noise. Each comparison measures that noise on its own computation: the whole pass's change when
every input pixel moves by one float32 rounding (`_noise`), times `NOISE_FACTOR`. The controls'
differences are 5x to 10^5x that tolerance, the exact ones within a quarter of it (measured on
an Intel Xeon with AMX with oneDNN on, off and on one thread).

The controls run on a generator of one residual block (trunk reach 4, tail 2) with He-scaled
random kernels: the 16-block generator's farthest trunk pixel moves its output by far less than
float noise (34 convolutions deep), so one pixel short of 34 cannot show there; the reach is
measured by the same code for both (`trunk_tail.split`, tested against the receptive field in
tests/test_inference.py). The shipped generator's real weights run the grids at full size.
"""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from srgan_reference.random_weights import he_scaled_kernels
from srgan_tf import pretrained, weights
from srgan_tf.inference import PostProcessing, tiling_core
from srgan_tf.models import build_generator, trunk_tail

ROUNDING = 2.0**-24  # one float32 rounding, relative
NOISE_FACTOR = 4
SMALL_STRIPS = {"strip_pixels": 1, "post_strip_pixels": 1}  # strips of MIN_STRIP_ROWS (8) rows
SHIPPED = pretrained.path("upscale")


@pytest.fixture(scope="module")
def small():
    return he_scaled_kernels(build_generator(n_res_blocks=1, filters=16), seed=2)


@pytest.fixture(scope="module")
def image():
    """83 x 97 (primes): the last row and column of tiles are narrower than the others."""
    return np.random.default_rng(0).uniform(-1, 1, (83, 97, 3)).astype(np.float32)


def _whole(generator, post, lr):
    return post.model(generator)(lr[None], training=False)[0].numpy()


def _tolerance(generator, post, lr):
    """`NOISE_FACTOR` x the largest change of the whole pass when every input pixel moves by
    one float32 rounding (and at least a few roundings of the output's scale)."""
    sign = np.random.default_rng(1).choice([-1.0, 1.0], lr.shape).astype(np.float32)
    nudged = lr * (1 + sign * np.float32(ROUNDING))
    noise = np.abs(_whole(generator, post, nudged) - _whole(generator, post, lr)).max()
    return NOISE_FACTOR * max(float(noise), 4 * ROUNDING)


def _tiled(generator, post, lr, tile, strips=SMALL_STRIPS, reach=None):
    tiler = tiling_core.Tiler(generator, post, **strips)
    if reach is not None:  # the tail strips' reach only (the tile context stays as built)
        tiler.reach = reach
    return np.asarray(tiler(tf.constant(lr), tile)), tiler


def _core_rows(tiler, lr, tile):
    """Rows and columns of tiles the image takes, and the core's side."""
    core = int(tiling_core.grid(lr.shape[0], tile, tiler.context))
    return -(-lr.shape[0] // core), -(-lr.shape[1] // int(tiling_core.grid(lr.shape[1], tile,
                                                                   tiler.context))), core  # fmt: skip


CASES = {
    "generator": PostProcessing(),
    "1 step, paper": PostProcessing(
        self_ensemble=1, back_projection=1, detail_floor=0.0, protocol="paper"
    ),
    "2 steps, paper": PostProcessing(
        self_ensemble=1, back_projection=2, detail_floor=0.0, protocol="paper"
    ),
    "2 steps, study": PostProcessing(
        self_ensemble=1, back_projection=2, detail_floor=0.0, protocol="study"
    ),
    "gate": PostProcessing(self_ensemble=1, back_projection=0, detail_floor=1.5),
    "2 steps and gate": PostProcessing(self_ensemble=1, back_projection=2, detail_floor=1.5),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_grid_of_tiles_with_several_strips_each_equals_one_pass(small, image, name):
    post = CASES[name]
    probe = tiling_core.Tiler(small, post)
    tile = 2 * probe.context + 17  # cores of 17 rows: 3 strips of at most 8 rows each
    out, tiler = _tiled(small, post, image, tile)
    rows, cols, core = _core_rows(tiler, image, tile)
    assert rows >= 3 and cols >= 3 and core > 2 * tiling_core.MIN_STRIP_ROWS, (rows, cols, core)
    whole = _whole(small, post, image)
    assert whole.std() > 0.1  # content large enough for a seam to show
    tolerance = _tolerance(small, post, image)
    np.testing.assert_allclose(out, whole, rtol=0, atol=tolerance)


def test_every_self_ensemble_orientation_on_non_square_tiles(small, image):
    """The 8 orientations (transposed ones included) of tiles that are not square (the image's
    last row and column of tiles), with the steps and the gate after them."""
    post = PostProcessing(self_ensemble=8, back_projection=2, detail_floor=1.5)
    tile = 2 * tiling_core.Tiler(small, post).context + 17
    out, _ = _tiled(small, post, image[:, :47], tile)
    whole = _whole(small, post, image[:, :47])
    np.testing.assert_allclose(out, whole, rtol=0, atol=_tolerance(small, post, image[:, :47]))


def test_one_pixel_less_trunk_context_fails(small, image, monkeypatch):
    """The tile context is the reach of every part together; one pixel less leaves the core's
    edge pixels short of input."""
    post = PostProcessing()
    full = trunk_tail.split(small).reach
    tile = 2 * full.total + 17
    tolerance = _tolerance(small, post, image)
    exact, _ = _tiled(small, post, image, tile)
    np.testing.assert_allclose(exact, _whole(small, post, image), rtol=0, atol=tolerance)
    split = trunk_tail.split
    short = trunk_tail.Reach(full.trunk - 1, full.tail)
    monkeypatch.setattr(trunk_tail, "split", lambda g: dataclasses.replace(split(g), reach=short))
    seams, tiler = _tiled(small, post, image, tile)
    assert tiler.context == full.total - 1
    assert np.abs(seams - _whole(small, post, image)).max() > 2 * tolerance


def test_one_pixel_less_tail_context_fails(small, image):
    """The tail's strips keep its reach (2 input pixels: its 3x3 convolutions at 1x and 2x,
    1.5, rounded up) above and below; 1 is not enough."""
    post = PostProcessing()
    full = trunk_tail.split(small).reach
    assert full.tail == 2
    tile = 2 * full.total + 17
    short, _ = _tiled(small, post, image, tile, reach=trunk_tail.Reach(full.trunk, 1))
    tolerance = _tolerance(small, post, image)
    assert np.abs(short - _whole(small, post, image)).max() > 2 * tolerance


# What the steps and the gate reach, in input pixels, as the comparison finds it below; the
# margins `post.margin` keep (5 a step, 5 for the gate) have the rest as slack on purpose
# (rounding of partial pixels, and kernels of other sizes), which the test reports.
TRUE_REACH = {"1 step, paper": 4, "2 steps, paper": 6, "2 steps, study": 4, "gate": 2}


@pytest.mark.parametrize("name", list(TRUE_REACH))
def test_the_steps_and_the_gate_need_their_reach_and_one_pixel_less_fails(
    small, image, name, monkeypatch
):
    """With the post margin set to the part's true reach, tiles (several rows, several post
    strips a tile) equal one pass; one pixel less, they do not. `post.margin` covers the true
    reach (its slack is stated here)."""
    post = CASES[name]
    reach = TRUE_REACH[name]
    assert post.margin >= reach, (post.margin, reach)
    shipped_margin = post.margin
    whole = _whole(small, post, image)
    tolerance = _tolerance(small, post, image)
    errors = {}
    for margin in (reach, reach - 1):
        monkeypatch.setattr(PostProcessing, "margin", property(lambda self, m=margin: m))
        tile = 2 * (trunk_tail.split(small).reach.total + margin) + 17
        out, _ = _tiled(small, post, image, tile)
        errors[margin] = np.abs(out - whole).max()
    assert errors[reach] <= tolerance, (errors, tolerance)
    assert errors[reach - 1] > 2 * tolerance, (errors, tolerance)
    print(f"{name}: margin {shipped_margin}, true reach {reach}, slack {shipped_margin - reach}")


@pytest.mark.skipif(not SHIPPED.is_file(), reason="the shipped generator is not in this checkout")
def test_the_shipped_generator_tiles_to_one_pass_with_its_steps_and_gate():
    """Real weights (the shipped upscale generator, as upscale runs it: 2 steps and the gate) on
    a photograph, in a grid of tiles with several strips each."""
    from skimage import data as skimage_data

    g = build_generator()
    weights.load_weights(g, SHIPPED)
    post = PostProcessing(self_ensemble=1, back_projection=2, detail_floor=1.5)
    lr = skimage_data.coffee()[:302:2, :346:2].astype(np.float32) / 127.5 - 1.0  # 151 x 173
    tile = 2 * tiling_core.Tiler(g, post).context + 40  # cores of 40 rows: 5 strips each
    out, tiler = _tiled(g, post, lr, tile)
    rows, cols, _ = _core_rows(tiler, lr, tile)
    assert rows >= 3 and cols >= 3
    whole = _whole(g, post, lr)
    np.testing.assert_allclose(out, whole, rtol=0, atol=_tolerance(g, post, lr))


def test_no_tile_is_larger_than_asked(small, image):
    """`tile` bounds memory: every input the trunk runs on is at most `tile` pixels a side
    (the core and its context), and the tiles that reach the image's edge are the only
    smaller ones."""
    post = PostProcessing(self_ensemble=1, back_projection=2, detail_floor=1.5)
    tiler = tiling_core.Tiler(small, post, **SMALL_STRIPS)
    tile = 2 * tiler.context + 17
    seen = []
    trunk = tiler._trunk
    tiler._trunk = lambda x: seen.append(tuple(x.shape[1:3])) or trunk(x)
    tiler(tf.constant(image), tile)
    assert max(max(s) for s in seen) == tile, sorted(set(seen))
    rows, cols, _ = _core_rows(tiler, image, tile)
    assert len(seen) == rows * cols


def test_uint8_input_is_the_same_image_as_its_floats(small):
    """The tiler converts uint8 input a tile at a time: the same pixels as converting the whole
    image first (x / 127.5 - 1), to float noise."""
    u8 = np.random.default_rng(4).integers(0, 256, (61, 47, 3), dtype=np.uint8)
    post = PostProcessing(self_ensemble=1, back_projection=2, detail_floor=1.5)
    tiler = tiling_core.Tiler(small, post, **SMALL_STRIPS)
    tile = 2 * tiler.context + 17
    from_u8 = np.asarray(tiler(tf.constant(u8), tile))
    floats = u8.astype(np.float32) / 127.5 - 1.0
    from_float = np.asarray(tiler(tf.constant(floats), tile))
    np.testing.assert_allclose(from_u8, from_float, rtol=0, atol=_tolerance(small, post, floats))
    assert np.abs(from_float - _whole(small, post, floats)).max() <= _tolerance(small, post, floats)


def test_auto_tiles_take_a_photo_that_fits_whole_and_cut_one_that_does_not(small, monkeypatch):
    """`--tile=-1`: a photo whose trunk fits the memory budget beside its output is one tile
    (no context recomputed); with a budget too small for it, the largest square tiles the
    budget allows, and the same pixels."""
    from srgan_tf import config, inference

    post = PostProcessing(self_ensemble=1, back_projection=2, detail_floor=1.5)
    fixed, per_pixel = tiling_core.TILE_MEMORY["float32"]
    assert tiling_core.auto_tile(100, 130, "float32") == 130  # fits: the whole image
    # The budget shrunk to what a 100 x 100 tile takes beside a 120 x 150 image's outputs: the
    # image is cut into tiles of exactly 100 (above the least tile, so a slip in the memory
    # model, e.g. the outputs not counted, gives another side).
    h, w, want = 120, 150, 100
    monkeypatch.setattr(
        config,
        "MEMORY_BUDGET_GB",
        fixed + (tiling_core.OUTPUT_BYTES * h * w + (want * want + 50) * per_pixel) / 2**30,
    )
    context = tiling_core.context_for(trunk_tail.split(small).reach, post)
    side = tiling_core.auto_tile(h, w, "float32", context)
    assert tiling_core.least_tile(context) < side == want < w
    predict = inference.predictor(small, post)
    image = np.random.default_rng(3).uniform(-1, 1, (h, w, 3)).astype(np.float32)
    seen = []
    trunk = predict.tiler._trunk
    predict.tiler._trunk = lambda x: seen.append(tuple(x.shape[1:3])) or trunk(x)
    out = inference.upscale(predict, image)  # tile=-1, the default
    assert len(seen) > 1 and max(max(s) for s in seen) <= side, seen
    np.testing.assert_allclose(out, _whole(small, post, image), rtol=0,
                               atol=_tolerance(small, post, image))  # fmt: skip
