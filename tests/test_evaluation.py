"""The model-by-class evaluation (srgan_tf/evaluation/matrix.py) with any generator weights."""

import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from srgan_tf import evaluation, protocols, weights
from srgan_tf.config import DataConfig, ModelConfig
from srgan_tf.data import datasets
from srgan_tf.evaluation import metrics
from srgan_tf.inference import PostProcessing
from srgan_tf.models import build_generator

MODEL = ModelConfig(n_res_blocks=1, filters=8)
DATA = DataConfig(n_test=2, seed=0)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval")
    rng = np.random.default_rng(0)
    for cls in ("desert", "sea"):
        for i in range(4):
            (root / "data" / cls).mkdir(parents=True, exist_ok=True)
            iio.imwrite(
                root / "data" / cls / f"{i}.png", rng.integers(0, 256, (40, 44, 3), dtype=np.uint8)
            )
    ck = root / "ck"
    for k, name in enumerate(("general", "desert")):
        import keras

        keras.utils.set_random_seed(k)
        weights.save_weights(build_generator(1, 8), ck / name / "g.weights.h5")
    classes, _ = datasets.discover(root / "data")
    tests = {
        c: datasets.make_split(root / "data", c, DATA, log=lambda *_: None, with_train=False).test
        for c in classes
    }
    return root, ck, tests


def run(setup, out):
    root, ck, tests = setup
    gens = evaluation.find_generators(ck)
    return evaluation.evaluate(
        gens, tests, DATA, MODEL, out, tile=16, log=lambda *_: None, progress=False
    )


def test_matrix_outputs_and_bicubic_baseline(setup, tmp_path):
    res = run(setup, tmp_path / "a")
    assert set(res) == {
        "mse", "one_minus_ssim", "psnr_rgb", "ssim_rgb", "psnr_y", "ssim_y", "colour_offset",
        "niqe",
    }  # fmt: skip
    assert set(res["mse"]) == {"desert", "sea"}
    assert list(res["mse"]["sea"]) == ["bicubic", "desert", "general"]
    out = tmp_path / "a"
    for name in [
        "matrix_mse.csv",
        "matrix_psnr_y.csv",
        "results.json",
        "heatmap_mse.png",
        "heatmap_psnr_y.png",
        "heatmap_psnr_y_gain.png",
        "best_worst.png",
    ]:
        assert (out / name).is_file(), name
    header = (out / "matrix_psnr_y.csv").read_text().splitlines()[0]
    assert header == "class,bicubic,desert,general"
    assert len(list((out / "sr" / "general" / "desert").glob("*.png"))) == 2
    detail = json.loads((out / "results.json").read_text())
    assert len(detail["images"]["desert/sea"]) == 2
    # The image-by-image summary against bicubic, recomputed from the per-image lists.
    for model in ("desert", "general"):
        gains, casts = {}, {}
        for cls in ("desert", "sea"):
            for r, b in zip(detail["images"][f"{model}/{cls}"], detail["images"][f"bicubic/{cls}"]):
                name = f"{cls}/{Path(r['image']).stem}"
                gains[name] = r["psnr_y"] - b["psnr_y"]
                casts[name] = r["colour_offset"]
        v = detail["against_bicubic"][model]
        assert v["images"] == 4 and v["below_bicubic"] == sum(g < 0 for g in gains.values())
        assert v["mean_psnr_y_gain"] == pytest.approx(np.mean(list(gains.values())))
        assert v["worst_image"] == min(gains, key=gains.get)
        assert v["worst_psnr_y_gain"] == pytest.approx(min(gains.values()))
        assert v["max_colour_offset_image"] == max(casts, key=casts.get)
    assert "bicubic" not in detail["against_bicubic"]
    # 40x44 images hold no 96-px NIQE block: null in the JSON (never NaN, which JSON lacks).
    assert detail["images"]["desert/sea"][0]["niqe"] is None
    assert detail["niqe_hr"]["sea"] is None


def test_niqe_of_every_output_and_of_the_hr_images(tmp_path):
    """evaluate's NIQE per image is `niqe()` of the PNG it wrote (4-px border), per set the
    mean, beside the HR images' own; on a photograph bicubic scores less natural than HR."""
    import skimage.data

    from srgan_tf.evaluation.niqe import niqe

    (tmp_path / "data" / "photos").mkdir(parents=True)
    iio.imwrite(tmp_path / "data" / "photos" / "coffee.png", skimage.data.coffee()[:300, :400])
    iio.imwrite(tmp_path / "data" / "photos" / "cat.png", skimage.data.chelsea()[:240, :300])
    weights.save_weights(build_generator(1, 8), tmp_path / "ck" / "tiny" / "g.weights.h5")
    test = datasets.make_split(tmp_path / "data", "photos", DATA, log=lambda *_: None,
                               with_train=False).test  # fmt: skip
    gens = evaluation.find_generators(tmp_path / "ck")
    res = evaluation.evaluate(gens, {"photos": test}, DATA, MODEL, tmp_path / "out", tile=0,
                              log=lambda *_: None, progress=False)  # fmt: skip
    detail = json.loads((tmp_path / "out" / "results.json").read_text())
    for model in ("bicubic", "tiny"):
        rows = detail["images"][f"{model}/photos"]
        for r in rows:
            png = tmp_path / "out" / "sr" / model / "photos" / f"{Path(r['image']).stem}.png"
            assert r["niqe"] == pytest.approx(niqe(iio.imread(png), 4), abs=1e-9)
        assert res["niqe"]["photos"][model] == pytest.approx(np.mean([r["niqe"] for r in rows]))
    hr = detail["niqe_hr_images"]["photos"]
    assert set(hr) == {r["image"] for r in detail["images"]["bicubic/photos"]}
    assert detail["niqe_hr"]["photos"] < res["niqe"]["photos"]["bicubic"]
    assert (tmp_path / "out" / "heatmap_niqe.png").is_file()


def test_figures_are_drawn_from_memory_not_from_the_written_pngs(setup, tmp_path, monkeypatch):
    from srgan_tf.data import images

    def no_reading(path):
        raise AssertionError(f"evaluation re-read {path}")

    monkeypatch.setattr(images, "read_image", no_reading)
    run(setup, tmp_path / "m")
    assert (tmp_path / "m" / "best_worst.png").stat().st_size > 10_000


def test_two_runs_give_identical_numbers(setup, tmp_path):
    a, b = run(setup, tmp_path / "a"), run(setup, tmp_path / "b")
    assert json.dumps(a) == json.dumps(b)  # (NIQE is NaN on these small images: NaN != NaN)


def test_a_generator_with_its_own_post_processing_gets_its_own_column(setup, tmp_path):
    """`own_post` (generators trained through post-processing): only that generator gets the
    extra column, with its own steps and floor; every raw column is as without it."""
    from srgan_tf import data, inference
    from srgan_tf.data import images

    root, ck, tests = setup
    gens = evaluation.find_generators(ck)
    quiet = {"tile": 16, "log": lambda *_: None, "progress": False}
    plain = evaluation.evaluate(gens, tests, DATA, MODEL, tmp_path / "a", **quiet)
    own = evaluation.evaluate(gens, tests, DATA, MODEL, tmp_path / "b", own_post={"desert": PostProcessing(self_ensemble=1, back_projection=3, detail_floor=0.5, protocol=DATA.protocol)},
                              **quiet)  # fmt: skip
    assert list(own["psnr_y"]["sea"]) == ["bicubic", "desert", "desert+bp3+gate0.5", "general"]
    for cls in plain["psnr_y"]:
        for model, value in plain["psnr_y"][cls].items():
            assert own["psnr_y"][cls][model] == value
    # The column is the generator's output followed by PostProcessed with those settings.
    g = build_generator(MODEL.n_res_blocks, MODEL.filters)
    weights.load_weights(g, gens["desert"])
    post = inference.PostProcessed(
        g,
        PostProcessing(
            self_ensemble=1, back_projection=3, detail_floor=0.5, protocol=DATA.protocol
        ),
        16,
    )
    rows = json.loads((tmp_path / "b" / "results.json").read_text())["images"]
    by_image = {Path(r["image"]).name: r for r in rows["desert+bp3+gate0.5/sea"]}
    for path, lr, hr in data.eval_pairs(tests["sea"], DATA):
        sr = post(lr, inference.upscale(inference.predictor(g), lr, 16))
        m = metrics.all_metrics(images.to_uint8(sr), images.to_uint8(hr), sr, hr, DATA.scale)
        assert by_image[Path(path).name]["psnr_y"] == pytest.approx(m["psnr_y"], abs=1e-6)


def test_best_model_direction():
    res = {
        "mse": {"c": {"bicubic": 0.1, "m1": 0.2, "m2": 0.05}},
        "psnr_y": {"c": {"bicubic": 30.0, "m1": 31.0, "m2": 29.0}},
    }
    assert metrics.best_model(res, "mse", "c") == "m2"
    assert metrics.best_model(res, "psnr_y", "c") == "m1"


def test_a_model_trained_on_evaluated_images_is_named(setup, tmp_path):
    """A run's manifest.json lists its training images; evaluating on any of them is flagged."""
    root, ck, tests = setup
    gens = evaluation.find_generators(ck)
    desert = sorted(p.relative_to(root / "data").as_posix() for p in tests["desert"].paths)
    (ck / "general" / "manifest.json").write_text(json.dumps({"train": ["sea/other.png"]}))
    (ck / "desert" / "manifest.json").write_text(json.dumps({"train": [desert[0], "x/y.png"]}))
    try:
        logs = []
        evaluation.evaluate(gens, tests, DATA, MODEL, tmp_path, 16, logs.append, progress=False)
    finally:
        for name in ("general", "desert"):
            (ck / name / "manifest.json").unlink()
    warnings = [line for line in logs if line.startswith("WARNING")]
    assert len(warnings) == 1 and "desert" in warnings[0] and Path(desert[0]).name in warnings[0]
    leaks = json.loads((tmp_path / "results.json").read_text())["trained_on_test_images"]
    assert list(leaks) == ["desert"]
    assert [Path(p).relative_to(root / "data").as_posix() for p in leaks["desert"]] == desert[:1]


@pytest.mark.slow
def test_benchmark_folders_score_every_image_under_the_paper_protocol(tmp_path):
    """`--split=none --protocol=paper` on two flat folders (a Set5-like and a Set14-like
    set): one row per folder, every file scored, the protocol recorded, a paper table."""
    from main_cli import run_main

    rng = np.random.default_rng(7)
    for name, n in (("SetA", 3), ("SetB", 2)):
        (tmp_path / name).mkdir()
        for i in range(n):
            iio.imwrite(tmp_path / name / f"{i}.png", rng.integers(0, 256, (37, 41, 3), np.uint8))
    g = tmp_path / "mine" / "g.weights.h5"  # a model is named after its folder
    weights.save_weights(build_generator(1, 8), g)
    out = tmp_path / "ev"
    r = run_main(
        "--mode=evaluate", "--split=none", "--protocol=paper", "--n_res_blocks=1", "--filters=8",
        f"--data_dir={tmp_path / 'SetA'},{tmp_path / 'SetB'}", f"--g_weights={g}",
        f"--checkpoint_dir={tmp_path / 'none'}", f"--output={out}", "--progress=false",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads((out / "results.json").read_text())
    assert res["protocol"] == "paper"
    assert json.loads((out / "config.json").read_text())["protocol"] == "paper"
    assert len(res["images"]["bicubic/SetA"]) == 3 and len(res["images"]["bicubic/SetB"]) == 2
    table = (out / "table.csv").read_text().splitlines()
    assert table[0] == "set,bicubic_psnr_y,bicubic_ssim_y,mine_psnr_y,mine_ssim_y"
    assert [line.split(",")[0] for line in table[1:]] == ["SetA", "SetB"]
    assert "protocol 'paper'" in r.stdout and "SetA" in r.stdout
    # the bicubic numbers are those of the paper protocol's own LR
    from srgan_tf import data as data_lib
    from srgan_tf.data import images
    from srgan_tf.evaluation import metrics

    rgb = images.read_image(tmp_path / "SetA" / "0.png")[0]
    cfg = DataConfig(protocol="paper")
    lr, hr = data_lib.eval_pair(rgb, cfg)
    bic = protocols.bicubic_up(lr, 4)
    m = metrics.all_metrics(images.to_uint8(bic), images.to_uint8(hr), bic, hr, 4)
    by_image = {Path(row["image"]).name: row for row in res["images"]["bicubic/SetA"]}
    assert by_image["0.png"]["psnr_y"] == pytest.approx(m["psnr_y"], abs=1e-6)

    # With back-projection the raw rows stay as they were and `+bpN` rows come beside them.
    r = run_main(
        "--mode=evaluate", "--split=none", "--protocol=paper", "--n_res_blocks=1", "--filters=8",
        f"--data_dir={tmp_path / 'SetA'},{tmp_path / 'SetB'}", f"--g_weights={g}",
        f"--checkpoint_dir={tmp_path / 'none'}", f"--output={tmp_path / 'bp'}", "--progress=false",
        "--back_projection=2",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    with_bp = (tmp_path / "bp" / "table.csv").read_text().splitlines()
    assert with_bp[0] == table[0] + ",mine+bp2_psnr_y,mine+bp2_ssim_y"
    for raw, both in zip(table[1:], with_bp[1:]):
        assert both.startswith(raw + ",")
    assert "mine+bp2" in r.stdout

    # With the self-ensemble and the detail gate too, the extra column is the ensemble, the
    # steps, then the gate: upscale's pixels.
    r = run_main(
        "--mode=evaluate", "--split=none", "--protocol=paper", "--n_res_blocks=1", "--filters=8",
        f"--data_dir={tmp_path / 'SetA'}", f"--g_weights={g}",
        f"--checkpoint_dir={tmp_path / 'none'}", f"--output={tmp_path / 'gate'}",
        "--progress=false", "--back_projection=2", "--detail_floor=1.5", "--self_ensemble=2",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    gated = json.loads((tmp_path / "gate" / "results.json").read_text())["images"]
    assert set(gated) == {"bicubic/SetA", "mine/SetA", "mine+x2+bp2+gate1.5/SetA"}
    bp_rows = json.loads((tmp_path / "bp" / "results.json").read_text())["images"]
    assert gated["mine/SetA"] == bp_rows["mine/SetA"]  # the raw column is untouched
    from srgan_tf import inference

    small = build_generator(1, 8)
    weights.load_weights(small, g)
    predict = inference.predictor(
        small, PostProcessing(self_ensemble=2, back_projection=2, detail_floor=1.5)
    )
    sr = inference.upscale(predict, lr)
    m = metrics.all_metrics(images.to_uint8(sr), images.to_uint8(hr), sr, hr, 4)
    by_image = {Path(row["image"]).name: row for row in gated["mine+x2+bp2+gate1.5/SetA"]}
    assert by_image["0.png"]["psnr_y"] == pytest.approx(m["psnr_y"], abs=1e-3)
