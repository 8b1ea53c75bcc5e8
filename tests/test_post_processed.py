"""evaluate's extra column and compare's extra panel (srgan_tf/inference/beside_raw.py):
the steps and the gate after a raw output run through the tiling core's strips and give what
upscale's tiled predictor gives."""

import numpy as np
import pytest
from test_tiles import _tolerance

from srgan_reference.random_weights import he_scaled_kernels
from srgan_tf import inference
from srgan_tf.inference import PostProcessing, tiling_core
from srgan_tf.models import build_generator


@pytest.fixture(scope="module")
def generator():
    return he_scaled_kernels(build_generator(n_res_blocks=1, filters=16), seed=3)


@pytest.mark.parametrize(
    "post",
    [
        PostProcessing(self_ensemble=1, back_projection=2, detail_floor=1.5),
        PostProcessing(self_ensemble=4, back_projection=2, detail_floor=0.0),
    ],
)
def test_the_column_runs_in_strips_and_equals_upscale(generator, post, monkeypatch):
    """Strips of 8 rows (the budget forced down): the stages never see the whole image, and the
    column equals the tiled predictor's output of the same image to float noise."""
    monkeypatch.setattr(tiling_core, "POST_STRIP_PIXELS", 1)
    rows = []
    run = tiling_core.Tiler._post_strips

    def spy(self, lr, sr, box):
        rows.append(int(lr.shape[0]))
        return run(self, lr, sr, box)

    monkeypatch.setattr(tiling_core.Tiler, "_post_strips", spy)
    lr = np.random.default_rng(2).uniform(-1, 1, (61, 47, 3)).astype(np.float32)
    column = inference.PostProcessed(generator, post, tile=0)
    raw = inference.upscale(inference.predictor(generator), lr, tile=0)
    out = column(lr, raw)
    assert rows == [61]  # one call over the whole image, cut into strips inside
    shipped = inference.upscale(inference.predictor(generator, post), lr, tile=0)
    assert np.abs(shipped - raw).max() > 0.01  # the stages change pixels
    np.testing.assert_allclose(out, shipped, rtol=0, atol=_tolerance(generator, post, lr))


def test_strips_bound_what_the_stages_see(generator, monkeypatch):
    """With strips of 8 rows, every call of the traced stages gets at most 8 rows plus the
    margin above and below (an image 61 rows tall)."""
    monkeypatch.setattr(tiling_core, "POST_STRIP_PIXELS", 1)
    post = PostProcessing(self_ensemble=1, back_projection=2, detail_floor=1.5)
    column = inference.PostProcessed(generator, post, tile=0)
    seen = []
    traced = column._tiler._post
    column._tiler._post = lambda lr, sr: seen.append(int(lr.shape[1])) or traced(lr, sr)
    lr = np.random.default_rng(2).uniform(-1, 1, (61, 47, 3)).astype(np.float32)
    column(lr, inference.upscale(inference.predictor(generator), lr, tile=0))
    assert len(seen) == 8 and max(seen) <= tiling_core.MIN_STRIP_ROWS + 2 * post.margin, seen
