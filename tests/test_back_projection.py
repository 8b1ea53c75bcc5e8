"""Back-projection (srgan_tf/models/back_projection.py): its convolutions against TensorFlow's
own resizes, and the consistency it buys on real photographs."""

import numpy as np
import pytest
import tensorflow as tf
from skimage import data as skimage_data

from srgan_tf import protocols
from srgan_tf.inference import PostProcessing
from srgan_tf.models import build_generator
from srgan_tf.models.back_projection import BackProjection
from srgan_tf.models.post_stages import post_processed


def _odd(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


@pytest.mark.parametrize("protocol", ["paper", "study"])
def test_down_is_the_protocols_downscaler(protocol):
    hr = _odd((2, 44, 60, 3))
    got = BackProjection(1, protocol).down(tf.constant(hr)).numpy()
    expected = protocols.downscale(tf.constant(hr), 4, protocol).numpy()
    assert got.shape == expected.shape == (2, 11, 15, 3)
    assert np.abs(got - expected).max() < 1e-5


def test_up_is_tensorflows_bicubic_upscale_borders_included():
    lr = _odd((1, 7, 9, 3), 1)
    got = BackProjection(1).up(tf.constant(lr)).numpy()
    expected = tf.image.resize(lr, [28, 36], method="bicubic").numpy()
    assert np.abs(got - expected).max() < 1e-5


def _photo_pairs():
    """HR crops of real photographs (colour, grayscale-as-RGB, a flat sky) and their paper LR."""
    crops = [
        skimage_data.astronaut()[:200, 100:300],
        np.repeat(skimage_data.camera()[100:260, 100:276, None], 3, axis=-1),
        skimage_data.coffee()[:160, :200],
    ]
    for hr_u8 in crops:
        hr = hr_u8.astype(np.float32)[None] / 127.5 - 1.0
        yield hr, protocols.degrade(tf.constant(hr), 4, "paper").numpy()


@pytest.mark.parametrize("protocol", ["paper", "study"])
def test_every_step_brings_the_downscaled_output_closer_to_the_lr(protocol):
    """A generator that knows nothing (random weights): each step lowers the mean absolute
    residual between the LR and the output downscaled by the protocol's own downscaler."""
    import keras

    keras.utils.set_random_seed(0)
    g = build_generator(1, 8)
    for hr, lr in _photo_pairs():
        if protocol == "study":
            lr = protocols.degrade(tf.constant(hr), 4, "study").numpy()
        residuals = []
        for steps in range(4):
            sr = BackProjection(steps, protocol)([lr, g(lr)]).numpy()
            down = protocols.downscale(tf.constant(sr), 4, protocol).numpy()
            residuals.append(np.abs(down - lr).mean())
        assert all(b < a for a, b in zip(residuals, residuals[1:])), residuals
        assert residuals[-1] < 0.3 * residuals[0]


def test_zero_steps_is_the_generator_itself():
    g = build_generator(1, 8)
    lr = _odd((1, 17, 19, 3), 1)  # at least min_side.MIN_SIDE a side: not mirrored
    np.testing.assert_array_equal(post_processed(g, 0)(lr).numpy(), g(lr).numpy())
    with pytest.raises(ValueError, match=">= 0"):
        post_processed(g, -1)


def test_the_consistent_model_shares_the_generators_weights_and_serialises(tmp_path):
    import keras

    g = build_generator(1, 8)
    model = post_processed(g, 2, protocol="study")
    lr = _odd((1, 17, 19, 3), 2)  # at least min_side.MIN_SIDE a side: not mirrored
    expected = BackProjection(2, "study")([lr, g(lr)]).numpy()
    np.testing.assert_allclose(model(lr).numpy(), expected, atol=1e-6)
    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    np.testing.assert_allclose(again(lr).numpy(), expected, atol=1e-6)


def test_upscale_and_export_default_to_the_chosen_steps_evaluate_to_none(tmp_path):
    """Unset, --back_projection, --detail_floor and --self_ensemble are the mode's defaults:
    upscale gives the pixels of --back_projection=UPSCALE_BACK_PROJECTION
    --detail_floor=UPSCALE_DETAIL_FLOOR --self_ensemble=UPSCALE_SELF_ENSEMBLE, not the
    generator's own, and says so."""
    import imageio.v3 as iio
    from main_cli import run_main_many

    from srgan_tf import weights
    from srgan_tf.models import build_generator
    from srgan_tf.modes import defaults

    assert defaults.UPSCALE_BACK_PROJECTION >= 1 and defaults.UPSCALE_DETAIL_FLOOR > 0
    modes = ("upscale", "export", "evaluate", "compare")
    passes = defaults.UPSCALE_SELF_ENSEMBLE
    shipped = PostProcessing(
        self_ensemble=passes,
        back_projection=defaults.UPSCALE_BACK_PROJECTION,
        detail_floor=defaults.UPSCALE_DETAIL_FLOOR,
    )
    assert [defaults.post_processing(m) for m in modes] == [shipped] * 2 + [PostProcessing()] * 2
    off = defaults.post_processing("upscale", back_projection=0, detail_floor=0, self_ensemble=1)
    assert not off
    g = tmp_path / "g.weights.h5"
    weights.save_weights(build_generator(1, 8), g)
    photo = tmp_path / "photo.png"
    iio.imwrite(photo, np.random.default_rng(3).integers(0, 256, (30, 26, 3), dtype=np.uint8))
    common = [f"--input={photo}", f"--g_weights={g}", "--n_res_blocks=1", "--filters=8",
              "--progress=false", "--mode=upscale"]  # fmt: skip
    runs = {"default": [], "chosen": [f"--back_projection={defaults.UPSCALE_BACK_PROJECTION}",
                                      f"--detail_floor={defaults.UPSCALE_DETAIL_FLOOR}",
                                      f"--self_ensemble={passes}"],
            "off": ["--back_projection=0", "--detail_floor=0", "--self_ensemble=1"]}  # fmt: skip
    results = run_main_many([[*common, f"--output={tmp_path / k}", *v] for k, v in runs.items()])
    assert all(r.returncode == 0 for r in results), [r.stderr[-1000:] for r in results]
    assert f"Back-projection: {defaults.UPSCALE_BACK_PROJECTION} step" in results[0].stdout
    assert f"weaker than {defaults.UPSCALE_DETAIL_FLOOR:g} grey levels" in results[0].stdout
    assert "detail gate" not in results[2].stdout
    assert (f"the generator's {passes} passes" if passes > 1 else "Self-ensemble: off"
            ) in results[0].stdout  # fmt: skip
    assert "Self-ensemble: off" in results[2].stdout
    out = {k: iio.imread(tmp_path / k / "photo_x4.png") for k in runs}
    np.testing.assert_array_equal(out["default"], out["chosen"])
    assert np.abs(out["default"].astype(int) - out["off"]).max() > 0


def test_a_generator_trained_through_post_processing_gets_it_unasked(tmp_path):
    """A generator whose run took its loss after N steps and a gate (its config.json) gets them
    as its unset --back_projection/--detail_floor: upscale gives the pixels of the explicit
    flags; turned off, the same command warns, naming the record and the flags to pass; compare
    adds the panel it was trained for beside the generator alone, evaluate the row."""
    import json

    import imageio.v3 as iio
    from main_cli import run_main_many

    from srgan_tf import weights
    from srgan_tf.config import LossConfig, to_dict

    g = tmp_path / "post" / "g.weights.h5"
    g.parent.mkdir()
    weights.save_weights(build_generator(1, 8), g)
    loss = LossConfig(loss_back_projection=3, loss_detail_floor=0.5)  # not upscale's defaults
    (g.parent / "config.json").write_text(json.dumps({"mode": "init", "loss": to_dict(loss)}))
    photo = tmp_path / "photo.png"
    iio.imwrite(photo, np.random.default_rng(4).integers(0, 256, (30, 26, 3), dtype=np.uint8))
    common = [f"--input={photo}", f"--g_weights={g}", "--n_res_blocks=1", "--filters=8",
              "--progress=false", "--self_ensemble=1"]  # fmt: skip
    runs = {"default": [], "explicit": ["--back_projection=3", "--detail_floor=0.5"],
            "off": ["--back_projection=0", "--detail_floor=0"]}  # fmt: skip
    commands = [
        [*common, "--mode=upscale", f"--output={tmp_path / k}", *v] for k, v in runs.items()
    ]
    commands.append([*common, "--mode=compare", "--protocol=paper", "--window=16",
                     f"--output={tmp_path / 'compare'}"])  # fmt: skip
    scored = [*common[1:], "--mode=evaluate", "--split=none", "--protocol=paper",
              f"--data_dir={tmp_path / 'set'}", "--checkpoint_dir=none"]  # fmt: skip
    (tmp_path / "set").mkdir()
    iio.imwrite(tmp_path / "set" / "photo.png", iio.imread(photo))
    commands += [[*scored, f"--output={tmp_path / 'ev'}"],
                 [*scored, f"--output={tmp_path / 'ev1'}", "--back_projection=1"]]  # fmt: skip
    results = run_main_many(commands)
    assert all(r.returncode == 0 for r in results), [r.stderr[-1000:] for r in results]
    default, explicit, off, compare, evaluated, evaluated_other = results
    assert "post+bp3+gate0.5" in evaluated.stdout and "WARNING" not in evaluated.stderr
    assert "post+bp1 " in evaluated_other.stdout and "+bp3" not in evaluated_other.stdout
    assert "Pass --back_projection=3" in evaluated_other.stderr
    assert "Back-projection: 3 steps" in default.stdout and "weaker than 0.5" in default.stdout
    assert "WARNING" not in default.stderr + explicit.stderr + compare.stderr
    assert "WARNING" in off.stderr and str(g.parent / "config.json") in off.stderr
    assert "Pass --back_projection=3 --detail_floor=0.5" in off.stderr
    out = {k: iio.imread(tmp_path / k / "photo_x4.png") for k in runs}
    np.testing.assert_array_equal(out["default"], out["explicit"])
    assert np.abs(out["default"].astype(int) - out["off"]).max() > 0
    assert "post+bp3+gate0.5:" in compare.stdout and "post:" in compare.stdout


@pytest.mark.parametrize("protocol", ["paper", "study"])
def test_two_steps_are_irani_pelegs_update_computed_by_hand(protocol):
    """SR += up(LR - down(SR)), twice, then clipped: computed here with the independent
    oracles (MATLAB's imresize in numpy for the paper protocol's down, TensorFlow's resize for
    the study's down and for up), it equals the layer's output. A step scaled by 0.9, or one
    step missing, differs by far more than float noise."""
    from matlab_imresize import imresize_down

    rng = np.random.default_rng(7)
    lr = rng.uniform(-0.8, 0.8, (1, 12, 10, 3)).astype(np.float32)
    sr = np.clip(tf.image.resize(lr, (48, 40), "bicubic").numpy()
                 + rng.normal(0, 0.2, (1, 48, 40, 3)), -1, 1).astype(np.float32)  # fmt: skip

    def down(x):
        if protocol == "paper":
            return imresize_down(x[0], 4)[None].astype(np.float32)
        return tf.image.resize(x, (12, 10), "bicubic", antialias=False).numpy()

    expected = sr.astype(np.float64)
    for _ in range(2):
        residual = lr - down(expected.astype(np.float32))
        expected = expected + tf.image.resize(residual, (48, 40), "bicubic").numpy()
    expected = np.clip(expected, -1, 1)
    got = BackProjection(2, protocol)([tf.constant(lr), tf.constant(sr)]).numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=2e-5)
    one_step = BackProjection(1, protocol)([tf.constant(lr), tf.constant(sr)]).numpy()
    assert np.abs(one_step - expected).max() > 100 * 2e-5
