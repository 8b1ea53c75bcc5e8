"""The one rule for which generator a mode starts from (srgan_tf/defaults.py)."""

from srgan_tf.defaults import default_generator


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"weights")
    return str(path)


def test_given_weights_always_win(tmp_path):
    _touch(tmp_path / "srgan" / "g.weights.h5")
    path, message = default_generator("specialize", tmp_path, given="mine.npz")
    assert path == "mine.npz" and message == "Generator: mine.npz (--g_weights)"


def test_each_mode_takes_the_first_candidate_that_exists(tmp_path):
    demo = _touch(tmp_path / "demo" / "g.weights.h5")
    assert default_generator("upscale", tmp_path)[0] == demo
    general = _touch(tmp_path / "general" / "g.weights.h5")
    for mode in ("upscale", "compare", "export"):
        path, message = default_generator(mode, tmp_path)
        assert path == general and f"--mode={mode} takes the first of" in message
    assert default_generator("adversarial", tmp_path)[0] == ""
    init = _touch(tmp_path / "init" / "g.weights.h5")
    assert default_generator("adversarial", tmp_path)[0] == init
    assert default_generator("init", tmp_path) == ("", "Generator: new, randomly initialised")


def test_specialize_warns_loudly_when_it_falls_back_to_the_demo(tmp_path):
    demo = _touch(tmp_path / "demo" / "g.weights.h5")
    path, message = default_generator("specialize", tmp_path)
    assert path == demo
    assert message.startswith("WARNING") and "SHIPPED DEMO" in message and "g_srgan.npz" in message
    official = _touch(tmp_path / "g_srgan.npz")
    path, message = default_generator("specialize", tmp_path)
    assert path == official and not message.startswith("WARNING")


def test_nothing_found_says_where_it_looked(tmp_path):
    path, message = default_generator("specialize", tmp_path)
    assert path == "" and str(tmp_path / "srgan" / "g.weights.h5") in message
