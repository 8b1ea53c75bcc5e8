"""The modes' table (srgan_tf/modes/registry.py): dispatch, help, and the refusal of a flag the
chosen mode would silently ignore."""

import numpy as np
import pytest
from main_cli import run_main_many

from srgan_tf import config
from srgan_tf.modes import registry


def test_every_mode_of_the_flag_is_in_the_table_and_the_training_modes_have_phases():
    mode_field = next(f for f in config.flag_fields(config.AppConfig) if f[1] == "mode")[0]
    assert set(mode_field.metadata["choices"]) == set(registry.MODES)
    assert registry.TRAINING_MODES == ("init", "adversarial", "specialize")
    for name, mode in registry.MODES.items():
        assert mode.output and mode.summary and ":" in mode.runner, name
    flags = {name for cls in config.CONFIGS for _, name in config.flag_fields(cls)}
    for mode in registry.MODES.values():  # every flag a mode reads exists
        assert mode.reads <= flags | registry.COMMON, mode.name


def test_flags_a_mode_would_ignore_are_refused_by_name_and_nothing_is_written(tmp_path):
    import imageio.v3 as iio

    photo = tmp_path / "photo.png"
    iio.imwrite(photo, np.zeros((24, 24, 3), np.uint8))
    out, exp, ck = tmp_path / "out", tmp_path / "export", tmp_path / "ck"
    cases = [
        (["--mode=upscale", f"--input={photo}", f"--output={out}", "--tflite_fp16"],
         ["--tflite_fp16", "--mode=upscale", "--mode=export"]),
        (["--mode=upscale", f"--input={photo}", f"--output={out}", "--n_epoch=3",
          "--lr_init=1e-3"], ["--n_epoch", "--lr_init", "training"]),
        (["--mode=upscale", f"--input={photo}", f"--output={out}", "--protocol=study"],
         ["--protocol", "--mode=compare"]),
        (["--mode=compare", f"--input={photo}", f"--output={out}", "--version=2"],
         ["--version", "--mode=compare", "--mode=export"]),
        (["--mode=export", f"--export_dir={exp}", "--tflite_fp16"],
         ["--tflite_fp16", "--format=tflite"]),
        (["--mode=export", f"--export_dir={exp}", "--format=tflite", "--version=2"],
         ["--version", "not --format=tflite"]),
        (["--mode=export", f"--export_dir={exp}", "--cpu_replicas=2"],
         ["--cpu_replicas", "--mode=export", "training"]),
        (["--mode=evaluate", f"--checkpoint_dir={ck}", f"--output={out}",
          "--precision=mixed_bfloat16", "--crop_size=96"],
         ["--crop_size", "--precision", "--mode=evaluate", "training"]),
        (["--mode=init", f"--checkpoint_dir={ck}", "--format=jpg", "--overwrite"],
         ["--format", "--overwrite", "--mode=init", "--mode=upscale"]),
        (["--mode=specialize", "--cls=desert", f"--checkpoint_dir={ck}", "--detail_floor=2"],
         ["--detail_floor", "--mode=specialize", "--mode=upscale", "--mode=evaluate"]),
    ]  # fmt: skip
    results = run_main_many([args for args, _ in cases])
    for (args, words), r in zip(cases, results):
        assert r.returncode == 1 and "Traceback" not in r.stderr, (args, r.stderr)
        line = r.stderr.strip()
        for word in words:
            assert word in line, (args, word, line)
        assert "Generator:" not in r.stdout  # refused before anything was loaded
    assert not out.exists() and not exp.exists() and not ck.exists()


def test_training_reads_all_but_the_picture_flags_and_evaluate_its_split_and_columns():
    """Training validates with its own --val_* settings and writes to --checkpoint_dir, so the
    picture modes' flags are not its; evaluate reads the generators, the held-out split and
    the extra column's post-processing, no training setting (flags/study.sh hands training
    steps their own TRAIN_FLAGS)."""
    for name in registry.TRAINING_MODES:
        mode = registry.MODES[name]
        assert mode.unread({"n_epoch", "precision", "val_dir", "tile", "g_weights"}) == []
        assert mode.unread({"tflite_fp16", "window", "format", "detail_floor"}) == [
            "detail_floor",
            "format",
            "tflite_fp16",
            "window",
        ]
    evaluate = registry.MODES["evaluate"]
    assert evaluate.unread({"n_test", "split_seed", "protocol", "detail_floor", "tile"}) == []
    assert evaluate.unread({"precision", "crop_size", "n_epoch"}) == ["crop_size", "n_epoch",
                                                                      "precision"]  # fmt: skip
    assert registry.MODES["upscale"].unread({"progress", "verbose", "tile"}) == []


def test_what_a_mode_starts_from_and_whether_it_gives_pictures_live_in_the_table():
    """The registry's `starts` and `pictures` are the whole of that knowledge: every kind of
    start has its rule in modes/defaults.py, a kind the rules lack is refused when the table is
    built, and the post-processing defaults follow `pictures`."""
    from srgan_tf.modes import defaults, registry

    assert set(registry.STARTS) - {""} == set(defaults._STARTS)
    with pytest.raises(ValueError, match="starts"):
        registry.Mode("x", "train:run", "out/", "x", starts="yesterday's run")
    for name, mode in registry.MODES.items():
        post = defaults.post_processing(name)
        assert (post.back_projection > 0) == mode.pictures, name
