"""The one rule for which generator a mode starts from (srgan_tf/modes/defaults.py)."""

import json
from pathlib import Path

from srgan_tf.config import FINISHED
from srgan_tf.inference import PostProcessing
from srgan_tf.modes.defaults import SHIPPED_DEMO, SHIPPED_UPSCALE, default_generator

ROOT = Path(__file__).parent.parent


def _touch(path, finished=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"weights")
    if finished:
        (path.parent / FINISHED).write_text(json.dumps({"step": 1}))
    return str(path)


def test_given_weights_always_win(tmp_path):
    _touch(tmp_path / "srgan" / "g.weights.h5", finished=True)
    choice = default_generator("specialize", tmp_path, given="mine.npz")
    assert choice.path == "mine.npz" and choice.why == "Generator: mine.npz (--g_weights)"


def test_inference_modes_take_the_shipped_demo_never_a_run_of_yours(tmp_path):
    """A run folder (even a finished one) is used only when named: a 20-step run once became
    upscale's default and returned flat grey photos."""
    for run in ("general", "srgan", "demo"):
        _touch(tmp_path / run / "g.weights.h5", finished=True)
    assert SHIPPED_DEMO.is_file() and SHIPPED_UPSCALE.is_file()
    for mode, protocol, shipped, what in [
        ("upscale", "study", SHIPPED_UPSCALE, "upscale generator"),
        ("upscale", "paper", SHIPPED_UPSCALE, "upscale generator"),
        ("export", "study", SHIPPED_UPSCALE, "upscale generator"),
        ("compare", "paper", SHIPPED_UPSCALE, "upscale generator"),
        ("compare", "study", SHIPPED_DEMO, "demo"),
    ]:
        choice = default_generator(mode, tmp_path, protocol=protocol)
        assert choice.path == str(shipped), (mode, protocol)
        assert f"shipped {what}" in choice.why and "--g_weights" in choice.why


def test_the_shipped_generators_are_found_from_any_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert default_generator("upscale", "checkpoints").path == str(SHIPPED_UPSCALE)
    assert default_generator("compare", "checkpoints").path == str(SHIPPED_DEMO)


def test_adversarial_takes_the_init_run_only_once_it_has_finished(tmp_path):
    init = _touch(tmp_path / "init" / "g.weights.h5")
    choice = default_generator("adversarial", tmp_path)
    assert choice.path == "" and "has not finished" in choice.why and init in choice.why
    (tmp_path / "init" / FINISHED).write_text("{}")
    assert default_generator("adversarial", tmp_path).path == init
    assert default_generator("init", tmp_path).path == ""


def test_specialize_warns_loudly_when_it_falls_back_to_the_demo(tmp_path):
    _touch(tmp_path / "srgan" / "g.weights.h5")  # unfinished: not taken
    choice = default_generator("specialize", tmp_path)
    assert choice.path == str(SHIPPED_DEMO) and choice.loud
    assert choice.why.startswith("WARNING") and "SHIPPED DEMO" in choice.why
    official = _touch(tmp_path / "g_srgan.npz")
    choice = default_generator("specialize", tmp_path)
    assert choice.path == official and not choice.loud
    srgan = _touch(tmp_path / "srgan" / "g.weights.h5", finished=True)
    assert default_generator("specialize", tmp_path).path == srgan


def _trained_through_folder(root, **loss):
    """A generator folder as training leaves it: weights plus the run's config.json, whose
    "loss" section is the real LossConfig written the way modes/train.py writes it."""
    from srgan_tf.config import LossConfig, to_dict

    root.mkdir(parents=True, exist_ok=True)
    (root / "g.weights.h5").write_bytes(b"weights")
    written = {"mode": "init", "loss": to_dict(LossConfig(**loss))}
    (root / "config.json").write_text(json.dumps(written))
    return root / "g.weights.h5"


def test_a_generator_trained_through_post_processing_says_so(tmp_path):
    from srgan_tf.modes.trained_through import mismatch, trained_through

    g = _trained_through_folder(tmp_path / "post", loss_back_projection=3, loss_detail_floor=0.5)
    trained = trained_through(g)
    assert (trained.back_projection, trained.detail_floor) == (3, 0.5)
    assert trained.source == tmp_path / "post" / "config.json"
    # Only steps, or only a gate, count too.
    gate_only = _trained_through_folder(tmp_path / "gate", loss_detail_floor=1.0)
    assert trained_through(gate_only).back_projection == 0
    # Nothing to say: trained on its own pixels, no record, or a broken record (never a crash).
    assert trained_through(_trained_through_folder(tmp_path / "plain")) is None
    assert trained_through(tmp_path / "nowhere" / "g.weights.h5") is None
    for broken in ("{not json", "[1, 2]", '{"loss": {"loss_back_projection": "two"}}'):
        (tmp_path / "plain" / "config.json").write_text(broken)
        assert trained_through(tmp_path / "plain" / "g.weights.h5") is None, broken
    # Run as trained: no warning; any other steps or floor: one naming both and the record.
    assert (
        mismatch(g, PostProcessing(self_ensemble=4, back_projection=3, detail_floor=0.5)) == ""
    )  # the ensemble is not trained through
    for steps, floor in [(0, 0.0), (2, 0.5), (3, 1.5)]:
        warning = mismatch(
            g, PostProcessing(self_ensemble=1, back_projection=steps, detail_floor=floor)
        )
        assert warning.startswith("WARNING") and str(trained.source) in warning
        assert f"--back_projection={steps} --detail_floor={floor:g}" in warning
        assert "Pass --back_projection=3 --detail_floor=0.5" in warning
    assert mismatch(tmp_path / "plain" / "g.weights.h5", PostProcessing()) == ""


def test_unset_post_processing_is_what_the_generator_was_trained_through(tmp_path):
    from srgan_tf.modes import defaults
    from srgan_tf.modes.trained_through import trained_through

    g = _trained_through_folder(tmp_path / "post", loss_back_projection=3, loss_detail_floor=0.5)
    trained = trained_through(g)
    for mode in ("upscale", "export", "evaluate", "compare"):
        post = defaults.post_processing(mode, trained=trained)
        assert (post.back_projection, post.detail_floor) == (3, 0.5)
        asked = defaults.post_processing(mode, back_projection=1, detail_floor=0, trained=trained)
        assert (asked.back_projection, asked.detail_floor) == (1, 0)  # asked always wins
    assert not defaults.post_processing("evaluate")
    shipped = defaults.post_processing("upscale")
    assert shipped.back_projection == defaults.UPSCALE_BACK_PROJECTION
    assert shipped.detail_floor == defaults.UPSCALE_DETAIL_FLOOR


def test_the_shipped_upscale_generator_records_what_it_was_trained_through():
    """The shipped upscale generator (pretrained/upscale/) is a generator trained through upscale's steps and gate, poor
    alone (docs/upscale.md): its config.json must say so, with upscale's own defaults, or
    `--g_weights=upscale` in evaluate and compare would show it raw
    and a swapped-in generator without its record would silently change what upscale does.
    The standalone one it replaced must have no such record."""
    from srgan_tf.modes import defaults
    from srgan_tf.modes.trained_through import trained_through

    trained = trained_through(SHIPPED_UPSCALE)
    assert trained is not None, f"{SHIPPED_UPSCALE.parent / 'config.json'} is missing"
    assert trained.back_projection == defaults.UPSCALE_BACK_PROJECTION
    assert trained.detail_floor == defaults.UPSCALE_DETAIL_FLOOR
    standalone = ROOT / "checkpoints" / "candidates" / "standalone" / "g.weights.h5"
    assert standalone.is_file() and trained_through(standalone) is None
