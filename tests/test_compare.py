"""`--mode=compare` (srgan_tf/evaluation/compare.py): LR | bicubic | SR | HR crops of one photograph."""

import imageio.v3 as iio
import numpy as np
import pytest
from main_cli import run_main
from skimage import data as skdata

from srgan_tf import weights
from srgan_tf.evaluation import compare
from srgan_tf.inference import PostProcessing
from srgan_tf.models import build_generator


def test_most_detailed_window_finds_the_texture():
    img = np.full((96, 96, 3), 128, np.uint8)
    rng = np.random.default_rng(0)
    img[48:80, 16:48] = rng.integers(0, 256, (32, 32, 3))
    assert compare.most_detailed_window(img, 32, stride=16) == (48, 16)


@pytest.mark.slow
def test_compare_mode_writes_the_figure_and_reports_both_scores(tmp_path):
    photo = tmp_path / "coffee.png"
    iio.imwrite(photo, skdata.coffee())
    g = tmp_path / "tiny" / "g.weights.h5"
    weights.save_weights(build_generator(1, 8), g)
    common = ["--mode=compare", "--n_res_blocks=1", "--filters=8", f"--g_weights={g}",
              f"--output={tmp_path / 'out'}", "--protocol=paper"]  # fmt: skip
    r = run_main(*common, f"--input={photo}", "--window=64")
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "out" / "coffee_compare.png").stat().st_size > 10_000
    assert "bicubic:" in r.stdout and "tiny:" in r.stdout
    r = run_main(*common, f"--input={photo}", "--window_at=3")
    assert r.returncode == 1 and "--window_at must be 'y,x'" in r.stderr
    r = run_main(*common, f"--input={tmp_path / 'missing.png'}")
    assert r.returncode == 1 and "missing.png" in r.stderr and "Traceback" not in r.stderr


def test_the_post_processed_panel_is_what_upscale_computes(tmp_path):
    """With a self-ensemble, steps and the gate, the extra panel's score is that of upscale's own
    predictor (one Keras model, tiled) on the same LR: the panel starts from the ensembled
    output, not the raw one."""
    from srgan_reference.random_weights import he_scaled_kernels
    from srgan_tf import data, inference
    from srgan_tf.config import DataConfig
    from srgan_tf.data import images
    from srgan_tf.evaluation.metrics import all_metrics

    g = he_scaled_kernels(build_generator(1, 8))
    cfg = DataConfig(protocol="paper")
    hr_rgb = skdata.coffee()[:160, :200]
    post = inference.PostProcessed(
        g, PostProcessing(self_ensemble=2, back_projection=2, detail_floor=1.5), tile=0
    )
    scores = compare.compare_figure(inference.predictor(g), hr_rgb, tmp_path / "c.png", cfg,
                                    crop=64, name="tiny", tile=0, post=post)  # fmt: skip
    assert list(scores) == ["bicubic", "tiny", "tiny+x2+bp2+gate1.5", "HR"]
    lr, hr = data.eval_pair(hr_rgb, cfg)
    shipped = inference.upscale(
        inference.predictor(
            g, PostProcessing(self_ensemble=2, back_projection=2, detail_floor=1.5)
        ),
        lr,
        tile=0,
    )
    expected = all_metrics(images.to_uint8(shipped), images.to_uint8(hr), shipped, hr, 4)
    assert abs(scores["tiny+x2+bp2+gate1.5"]["psnr_y"] - expected["psnr_y"]) < 0.01
    panel_diff = scores["tiny+x2+bp2+gate1.5"]["psnr_y"] - scores["tiny"]["psnr_y"]
    assert abs(panel_diff) > 0.05  # the panel differs
    # 160x200 keeps two 96-px NIQE blocks inside the 4-px border: every panel has a score.
    assert all(np.isfinite(v["niqe"]) for v in scores.values())
