"""The modes, one table: what each runs, where it writes, and the settings it reads.

`main.py` dispatches through it, the short help lists it, the gate refuses a flag set on the
command line that the chosen mode does not read (it would be silently ignored). Imports
nothing heavy: reading it starts no TensorFlow.
"""

import dataclasses

from srgan_tf import config

# Flags every mode reads (or that only steer the process: logging, progress bars).
COMMON = frozenset({"mode", "verbose", "progress", "flagfile"})
GENERATOR = frozenset({"n_res_blocks", "filters"})  # the generator's size (ModelConfig)
POST = frozenset({"back_projection", "detail_floor", "self_ensemble", "infer_precision"})


@dataclasses.dataclass(frozen=True)
class Mode:
    """One `--mode`: its runner (`module:function` under `srgan_tf.modes`), the folder it writes
    by default, the training phases it runs (training modes only), the short help's line, and
    the flags it reads (None: every flag; training modes and evaluate, which `flags/study.sh`
    hands the same extra flags)."""

    name: str
    runner: str
    output: str
    summary: str
    phases: tuple[str, ...] = ()
    reads: frozenset[str] | None = None

    @property
    def trains(self) -> bool:
        return bool(self.phases)

    def unread(self, given: set[str]) -> list[str]:
        """The flags of `given` (set on the command line) this mode does not read."""
        if self.reads is None:
            return []
        return sorted(given - self.reads - COMMON)


MODES = {
    m.name: m
    for m in (
        Mode("init", "train:run", "checkpoints/init/",
             "train the generator alone on the pixel loss", phases=("init",)),
        Mode("adversarial", "train:run", "checkpoints/srgan/",
             "SRGAN training, G against D, VGG feature loss", phases=("adversarial",)),
        Mode("specialize", "train:run", "checkpoints/<cls>/",
             "the study: retrain the last layer on one --cls", phases=("init", "adversarial")),
        Mode("evaluate", "evaluate:run", "results/evaluate/",
             "every generator on every class, against bicubic"),
        Mode("upscale", "inference:upscale", config.UPSCALED_DIR + "/",
             "super-resolve --input (a file or a folder)",
             reads=GENERATOR | POST | {"checkpoint_dir", "g_weights", "input", "output", "format",
                                   "tile", "overwrite"}),
        Mode("compare", "inference:compare", "results/compare/",
             "LR | bicubic | SR | HR crops of one HR photo",
             reads=GENERATOR | POST | {"checkpoint_dir", "g_weights", "input", "output", "tile",
                                   "window", "window_at", "protocol"}),
        Mode("export", "export:run", "export/srgan/<version>/",
             "SavedModel for TF Serving, or --format=tflite",
             reads=GENERATOR | POST | {"checkpoint_dir", "g_weights", "export_dir", "version",
                                   "format", "tile", "max_pixels", "tflite_fp16"}),
    )
}  # fmt: skip
TRAINING_MODES = tuple(name for name, m in MODES.items() if m.trains)


def refused_flags(mode: str, given: set[str], fmt: str) -> list[str]:
    """One line per flag set on the command line that `mode` would ignore (`fmt`: --format)."""
    m = MODES[mode]
    lines = [
        f"--{name} is not read by --mode={mode} (it would be ignored); it is for "
        f"{', '.join(readers(name))}"
        for name in m.unread(given)
    ]
    if mode == "export" and fmt == "tflite" and {"version", "max_pixels"} & given:
        lines += [f"--{n} is for the SavedModel, not --format=tflite"
                  for n in sorted({"version", "max_pixels"} & given)]  # fmt: skip
    if mode == "export" and fmt != "tflite" and "tflite_fp16" in given:
        lines.append("--tflite_fp16 is for --format=tflite (float16 weights in the .tflite file)")
    return lines


DATA_FLAGS = frozenset(name for _, name in config.flag_fields(config.DataConfig))
TRAINING_FLAGS = frozenset(
    name for cls in (config.TrainConfig, config.LossConfig) for _, name in config.flag_fields(cls)
)


def readers(flag: str) -> list[str]:
    """Who reads `flag`: the modes that list it, and "training" for a training setting (the
    modes that read every flag are named only through that)."""
    named = [f"--mode={n}" for n, m in MODES.items() if m.reads is not None and flag in m.reads]
    if flag in TRAINING_FLAGS or flag in ("cpu_replicas", "cluster_timeout"):
        return [*named, "training (--mode=init, adversarial, specialize)"]
    if flag in DATA_FLAGS or not named:
        return [*named, "training and --mode=evaluate"]
    return named
