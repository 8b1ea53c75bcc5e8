"""Settings declared once (srgan_tf/config.py): flags derived from them, configs built back."""

import dataclasses
import sys
from pathlib import Path

import pytest

from srgan_tf import config
from srgan_tf.cli.configs import make_configs

ROOT = Path(__file__).parent.parent


def _other_value(field, name):
    meta = field.metadata
    if meta["choices"]:
        return next(c for c in meta["choices"] if c != field.default)
    kind = field.type
    if kind is bool:
        return not field.default
    if kind is str:
        return f"/somewhere/{name}"
    value = kind(7) if kind is int else 0.625
    if meta["upper"] is not None:
        value = min(value, kind(meta["upper"]))
    if meta["lower"] is not None:
        value = max(value, kind(meta["lower"]))
    return value if value != field.default else value + kind(1)


@pytest.fixture
def cli(monkeypatch):
    sys.path.insert(0, str(ROOT))
    import main

    yield main
    main.FLAGS.unparse_flags()


def test_every_setting_has_its_flag_and_reaches_its_config(cli):
    """Each field gets a non-default value on the command line and must arrive in its config
    (inverted flags inverted), so adding a setting to config.py is all it takes."""
    argv, expected = ["main.py", "--mode=specialize"], {}
    for cls in (config.ModelConfig, config.DataConfig, config.LossConfig, config.TrainConfig):
        for field, name in config.flag_fields(cls):
            value = _other_value(field, name)
            if isinstance(value, bool):
                argv.append(f"--{name}" if value else f"--no{name}")
            else:
                argv.append(f"--{name}={value}")
            arrives = (not value) if field.metadata.get("invert") else value
            expected[(cls.__name__, field.name)] = arrives
    cli.FLAGS(argv)
    cfg, _ = make_configs(cli.FLAGS.flag_values_dict())
    by_class = {"ModelConfig": cfg.model, "DataConfig": cfg.data, "LossConfig": cfg.loss,
                "TrainConfig": cfg.train}  # fmt: skip
    for (cls, field), value in expected.items():
        assert getattr(by_class[cls], field) == value, (cls, field)
    assert len(expected) > 50


def test_flag_defaults_build_the_fields_defaults(cli):
    """With no flags, every config main.py builds equals its dataclass built with no
    arguments: the flags carry each field's default (inverted flags included)."""
    cli.FLAGS(["main.py", "--mode=init"])
    cfg, _ = make_configs(cli.FLAGS.flag_values_dict())
    for part in (cfg.model, cfg.data, cfg.loss, cfg.export, cfg.compare, cfg.distribute):
        assert part == type(part)(), type(part).__name__
    derived = {"run_dir", "g_weights", "n_trainable"}
    for field in dataclasses.fields(config.TrainConfig):
        if field.name not in derived:
            assert getattr(cfg.train, field.name) == field.default, field.name
    for cls in (config.AppConfig, config.InferenceConfig):
        for field, name in config.flag_fields(cls):
            assert field.metadata["help"] in cli.FLAGS[name].help, name


def test_derived_fields_have_no_flag():
    names = {f.name for f, _ in config.flag_fields(config.TrainConfig)}
    assert {"run_dir", "g_weights", "keep_checkpoints"}.isdisjoint(names)
    parts = {f.name: f.type for f in dataclasses.fields(config.Configs)}
    # post: resolved by main.py from several flags and the generator's record, not a flag
    assert set(parts) == {"app", "inference", "export", "compare", "distribute", "model", "data",
                          "loss", "train", "post"}  # fmt: skip
