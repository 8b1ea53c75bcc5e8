"""`PostProcessing` (srgan_tf/inference/post_settings.py): one value for what wraps and
follows the generator, resolved once (modes/defaults.py) and taken whole by every consumer."""

import dataclasses
import sys

import pytest

from srgan_tf.inference.post_settings import NONE, PostProcessing


def test_bad_values_are_refused_by_name():
    for kwargs, words in [
        ({"self_ensemble": 3}, "one of (1, 2, 4, 8)"),
        ({"back_projection": -1}, ">= 0"),
        ({"detail_floor": -0.5}, ">= 0 grey levels"),
        ({"protocol": "matlab"}, "unknown protocol 'matlab'"),
    ]:
        with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
            PostProcessing(**kwargs)
    with pytest.raises(dataclasses.FrozenInstanceError):
        NONE.back_projection = 2


def test_label_margin_and_parts_come_from_the_value():
    from srgan_tf.inference import context_for
    from srgan_tf.models.trunk_tail import reach_of

    shipped = PostProcessing(self_ensemble=4, back_projection=2, detail_floor=1.5)
    assert shipped.label == "+x4+bp2+gate1.5" and not NONE and NONE.label == ""
    assert (
        PostProcessing(self_ensemble=2).label == "+x2"
        and not PostProcessing(self_ensemble=2).has_stages
    )
    assert context_for(reach_of(16), shipped) == 36 + shipped.margin and shipped.margin > 0
    assert (
        shipped.margin
        == PostProcessing(self_ensemble=1, back_projection=2, detail_floor=1.5).margin
    )  # the ensemble adds no context
    assert shipped.ensemble_only() == PostProcessing(self_ensemble=4)
    assert [type(s).__name__ for s in shipped.stages()] == ["BackProjection", "DetailGate"]
    assert "4 passes" in shipped.note() and "detail gate" in shipped.note()


def test_resolving_it_reads_no_tensorflow():
    """main.py resolves it before TensorFlow starts: the value and the defaults import none."""
    import subprocess

    code = (
        "import sys; from srgan_tf.modes import defaults; "
        "p = defaults.post_processing('upscale'); "
        "print(p.label, 'tensorflow' in sys.modules)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    label, tf_loaded = r.stdout.split()
    assert label.startswith("+") and tf_loaded == "False"
