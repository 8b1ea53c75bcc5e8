"""Validation during training (srgan_tf/training/validation.py): the curve, the best step and its
guards."""

import dataclasses
import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from training_setup import DATA, MODEL, _val_folder, rows, tcfg, trainer

from srgan_tf import inference, weights
from srgan_tf.config import DataConfig
from srgan_tf.inference import PostProcessing
from srgan_tf.models import build_generator
from srgan_tf.training import plots, validation


def test_validation_every_n_steps_writes_history_best_and_plot(split, tmp_path, monkeypatch):
    val = _val_folder(tmp_path)
    logs, plotted = [], []
    draw = plots.plot_validation
    monkeypatch.setattr(
        plots, "plot_validation", lambda rows, *a: plotted.append(rows) or draw(rows, *a)
    )
    t = tcfg(
        tmp_path, n_epoch_init=3, val_every=2, val_dir=str(val), save_every=0,
        val_protocols="paper,study", val_best="mean",
    )  # fmt: skip
    tr = trainer(["init"], split, t, logs=logs, data=dataclasses.replace(DATA, protocol="study"))
    tr.run()
    run = Path(t.run_dir)
    table = rows(run / "history_steps.csv")
    validated = [r for r in table if r["val_psnr_y"]]
    assert [int(r["step"]) for r in validated] == [0, 2, 4, 6]
    for r in validated:  # the first protocol leads; the worst image is no better than a mean
        assert r["val_psnr_y_gain"] == r["val_paper_psnr_y_gain"]
        means = float(r["val_paper_psnr_y_gain"]), float(r["val_study_psnr_y_gain"])
        assert float(r["val_min_psnr_y_gain"]) <= min(means) + 1e-4
        assert float(r["val_mean_psnr_y_gain"]) == pytest.approx(np.mean(means), abs=2e-5)
    lines = [x for x in logs if x.startswith("validation at step")]
    assert len(lines) == 4
    # Each line's best is the guarded best of the rows so far, and g_best exists iff one passed.
    for i, line in enumerate(lines):
        best = validation.best_of(validated[: i + 1], key="mean_psnr_y_gain")
        if best is None:
            assert "no step yet has every image above bicubic" in line
        else:
            assert f"best {best[0]:+.3f} dB (mean of the protocols) at step {best[1]}" in line
    found = validation.best_of(validated, key="mean_psnr_y_gain")
    assert (run / "g_best.weights.h5").is_file() == (found is not None)
    state = json.loads((run / "validation.json").read_text())
    assert state["definition"]["best"] == "mean" and state["definition"]["crop"] == 0
    assert (run / "plots" / "validation.png").is_file()
    # Each curve is drawn once its validation's row is written: the last one ends at step 6.
    drawn = [[int(r["step"]) for r in rows if r["val_psnr_y"]] for rows in plotted]
    assert drawn == [[0], [0, 2], [0, 2, 4], [0, 2, 4, 6]]
    # The numbers are evaluate's metrics on the same images: rescore the last snapshot under
    # each protocol on its own.
    g = build_generator(MODEL.n_res_blocks, MODEL.filters)
    weights.load_weights(g, run / "g.weights.h5")
    for protocol in ("paper", "study"):
        cfg = dataclasses.replace(DATA, protocol=protocol)
        again = validation.Validator(val, cfg, log=lambda *_: None)(g)
        assert again["psnr_y_gain"] == pytest.approx(
            float(validated[-1][f"val_{protocol}_psnr_y_gain"]), abs=1e-4
        )
        if protocol == "paper":
            assert again["max_colour_offset"] == pytest.approx(
                float(validated[-1]["val_max_colour_offset"]), abs=1e-4
            )


def test_the_best_step_passes_the_guards_and_counts_from_the_definitions_start():
    def row(step, gain, worst, colour):
        return {"step": str(step), "val_psnr_y_gain": str(gain),
                "val_min_psnr_y_gain": str(worst), "val_max_colour_offset": str(colour)}  # fmt: skip

    table = [
        {"step": "0", "val_psnr_y_gain": "9.0", "val_min_psnr_y_gain": "", "val_max_colour_offset": ""},
        row(1, 1.0, 0.2, 0.5),
        row(2, 3.0, -0.1, 0.5),  # one image below bicubic
        row(3, 2.5, 0.1, 1.2),  # a colour cast
        row(4, 1.5, 0.1, 0.9),
        {"step": "5", "val_psnr_y_gain": ""},  # a step without validation
        row(6, 1.2, 0.3, 0.1),
    ]  # fmt: skip
    assert validation.best_of(table) == (1.5, 4)
    assert validation.best_of(table, since=5) == (1.2, 6)
    assert validation.best_of(table[:4]) == (1.0, 1)
    assert validation.best_of(table[2:4]) is None
    # By another column (e.g. the mean over protocols), with the same guards.
    for r, mean in zip(table[1:5], (2.0, 9.0, 9.0, 0.5)):
        r["val_mean_psnr_y_gain"] = str(mean)
    assert validation.best_of(table, key="mean_psnr_y_gain") == (2.0, 1)
    # A bar below bicubic (the stress images'): step 2's worst image (-0.1) must be above it.
    assert validation.best_of(table, key="mean_psnr_y_gain", min_gain=-0.2) == (9.0, 2)
    assert validation.best_of(table, key="mean_psnr_y_gain", min_gain=-0.1) == (2.0, 1)


def test_validation_changed_on_resume_restarts_the_best(split, tmp_path):
    val = _val_folder(tmp_path)
    logs = []
    t = tcfg(tmp_path, n_epoch_init=10, max_steps=4, val_every=2, val_dir=str(val), save_every=0)
    trainer(["init"], split, t, logs=logs).run()
    state = json.loads((Path(t.run_dir) / "validation.json").read_text())
    assert state == {"definition": {"val_dir": str(val), "crop": 0, "protocols": ["study"]},
                     "since_step": 0}  # fmt: skip
    trainer(["init"], split, dataclasses.replace(t, max_steps=6), logs=logs).run()
    assert not any("Validation changed" in x for x in logs)  # same definition: no restart
    trainer(["init"], split, dataclasses.replace(t, max_steps=10, val_crop=32), logs=logs).run()
    changed = [x for x in logs if "Validation changed" in x]
    assert len(changed) == 1 and "from step 6 on" in changed[0]
    state = json.loads((Path(t.run_dir) / "validation.json").read_text())
    assert state["definition"]["crop"] == 32 and state["since_step"] == 6
    # The new definition is scored at once at the resume step (6 has two rows), then every 2.
    table = rows(Path(t.run_dir) / "history_steps.csv")
    assert [int(r["step"]) for r in table if r["val_psnr_y"]] == [0, 2, 4, 6, 6, 8, 10]
    best = [x for x in logs if x.startswith("validation at step")][-1]
    assert validation.best_of(table, 6) == validation.best_of(table[-5:], 6)
    assert ("dB at step" in best) == (validation.best_of(table, 6) is not None)


def test_validation_is_off_by_default(split, tmp_path):
    tr = trainer(["init"], split, tcfg(tmp_path / "off", max_steps=1))
    assert tr.validator is None
    tr.run()
    assert not (Path(tr.run_dir) / "g_best.weights.h5").exists()


def test_validation_reads_several_folders_and_records_its_bar(tmp_path):

    first = _val_folder(tmp_path)
    second = tmp_path / "stress" / "dark"
    second.mkdir(parents=True)
    iio.imwrite(second / "d.png", np.full((40, 40, 3), 30, np.uint8))
    logs = []
    v = validation.Validator(f"{first},{tmp_path / 'stress'}", DataConfig(), min_gain=-0.1,
                             log=logs.append)  # fmt: skip
    assert [p.name for p, _, _ in v.pairs["study"]] == ["v0.png", "v1.png", "d.png"]
    assert "3 images used" in logs[0] and "1 skipped" in logs[0]
    assert v.definition["min_gain"] == -0.1  # a changed bar restarts the best on resume


def test_validation_with_back_projection_scores_what_upscale_ships(tmp_path):
    """With N steps the validator scores the generator followed by N back-projection steps
    under each protocol (the predictor upscale uses), against the same bicubic baseline, and
    records N in its definition (a changed N restarts the best on resume)."""
    val = _val_folder(tmp_path)
    g = build_generator(MODEL.n_res_blocks, MODEL.filters)
    cfg = dataclasses.replace(DATA, protocol="paper")
    quiet = {"log": lambda *_: None}
    raw = validation.Validator(val, cfg, **quiet)
    bp = validation.Validator(
        val, cfg, post=PostProcessing(self_ensemble=1, back_projection=2), **quiet
    )
    assert "back_projection" not in raw.definition and bp.definition["back_projection"] == 2
    np.testing.assert_array_equal(raw.bicubic["paper"], bp.bicubic["paper"])
    predict = inference.predictor(g, PostProcessing(back_projection=2))
    expected = bp._score(lambda lr: inference.upscale(predict, lr, bp.tile), "paper")
    scores = bp(g)
    assert scores["psnr_y"] == pytest.approx(expected[:, 0].mean(), abs=1e-9)
    # An untrained generator is far from its LR; back-projection pulls it toward bicubic's.
    assert scores["psnr_y_gain"] > raw(g)["psnr_y_gain"]
    gated = validation.Validator(
        val, cfg, post=PostProcessing(self_ensemble=1, back_projection=2, detail_floor=1.5), **quiet
    )
    assert gated.definition["detail_floor"] == 1.5 and "detail_floor" not in bp.definition
    predict = inference.predictor(g, PostProcessing(back_projection=2, detail_floor=1.5))
    expected = gated._score(lambda lr: inference.upscale(predict, lr, 0), "paper")
    assert gated(g)["psnr_y"] == pytest.approx(expected[:, 0].mean(), abs=1e-9)
    # And self-ensembled before them, as upscale ships it (recorded: a change restarts the best).
    shipped = validation.Validator(
        val, cfg, post=PostProcessing(self_ensemble=4, back_projection=2, detail_floor=1.5), **quiet
    )
    assert shipped.definition["self_ensemble"] == 4 and "self_ensemble" not in gated.definition
    predict = inference.predictor(
        g, PostProcessing(self_ensemble=4, back_projection=2, detail_floor=1.5)
    )
    expected = shipped._score(lambda lr: inference.upscale(predict, lr, 0), "paper")
    assert shipped(g)["psnr_y"] == pytest.approx(expected[:, 0].mean(), abs=1e-9)
    assert abs(shipped(g)["psnr_y"] - gated(g)["psnr_y"]) > 1e-6  # the passes change the score


def test_the_niqe_rule_takes_the_lowest_niqe_among_steps_with_enough_gain():
    def row(step, gain, worst, colour, niqe):
        return {"step": str(step), "val_psnr_y_gain": str(gain), "val_niqe": str(niqe),
                "val_min_psnr_y_gain": str(worst), "val_max_colour_offset": str(colour)}  # fmt: skip

    table = [
        row(0, 2.0, 0.5, 0.2, 8.0),
        row(1, 1.0, -0.2, 0.4, 7.0),
        row(2, 0.4, -0.1, 0.3, 6.0),  # lowest NIQE, but a mean gain under +0.5
        row(3, 0.8, -0.6, 0.3, 6.5),  # one image 0.6 dB under bicubic
        row(4, 0.9, -0.3, 1.5, 6.2),  # a colour cast
        row(5, 0.6, -0.4, 0.9, 6.8),
    ]
    rule = {"key": "niqe", "min_gain": -0.5, "min_mean_gain": 0.5}
    assert validation.best_of(table, **rule) == (6.8, 5)
    assert validation.best_of(table[:5], **rule) == (7.0, 1)
    assert validation.best_of(table, **{**rule, "min_mean_gain": 0.3}) == (6.0, 2)
    assert validation.best_of(table, **{**rule, "min_mean_gain": 2.5}) is None
    assert validation.better("niqe", 6.0, 7.0) and validation.better("psnr_y_gain", 7.0, 6.0)


def test_niqe_validation_records_outputs_bicubic_and_hr_and_keeps_snapshots(tmp_path):
    """With NIQE, a validation's `niqe` is the mean of `niqe()` of each output (4-px border),
    beside bicubic's and the HR images' own; `best="niqe"` ranks by it (and records the mean
    bar in the definition); snapshots keep every validated generator."""
    import skimage.data

    from srgan_tf.data import images
    from srgan_tf.evaluation.niqe import niqe

    val = tmp_path / "val"
    val.mkdir()
    iio.imwrite(val / "coffee.png", skimage.data.coffee()[:224, :320])
    iio.imwrite(val / "cat.png", skimage.data.chelsea()[:208, :256])
    g = build_generator()  # a trained one, whose colours pass the guard
    weights.load_weights(
        g, Path(__file__).parents[1] / "checkpoints/candidates/standalone/g.weights.h5"
    )
    cfg = dataclasses.replace(DATA, protocol="paper")
    v = validation.Validator(val, cfg, best="niqe", min_mean_gain=-50, min_gain=-50,
                             snapshots=True, log=lambda *_: None)  # fmt: skip
    assert v.definition["best"] == "niqe" and v.definition["min_mean_gain"] == -50
    assert v.fields == ["val_niqe", "val_niqe_bicubic", "val_niqe_hr"]
    predict = inference.predictor(g)
    expected = []
    for _, lr, hr in v.pairs["paper"]:
        sr = images.to_uint8(inference.upscale(predict, lr, v.tile))
        expected.append((niqe(sr, 4), niqe(images.to_uint8(hr), 4)))
    expected = np.array(expected)
    out = v.record(g, 7, None, tmp_path / "run", log=lambda *_: None)
    assert out["val_niqe"] == pytest.approx(expected[:, 0].mean(), abs=1e-5)
    assert out["val_niqe_hr"] == pytest.approx(expected[:, 1].mean(), abs=1e-5)
    assert out["val_niqe_hr"] < out["val_niqe_bicubic"]  # bicubic looks less natural than HR
    assert v.best == (pytest.approx(out["val_niqe"], abs=1e-5), 7)
    assert (tmp_path / "run" / "snapshots" / "g_step0000007.weights.h5").is_file()
    assert (tmp_path / "run" / "g_best.weights.h5").is_file()
    plots.plot_validation([{"step": "7", **{k: str(x) for k, x in out.items()}}],
                          tmp_path / "v.png", 0, 7)  # fmt: skip
    assert (tmp_path / "v.png").is_file()
