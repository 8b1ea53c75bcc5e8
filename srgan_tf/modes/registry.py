"""The modes, one table: what each runs, where it writes, and the settings it reads.

`main.py` dispatches through it, the short help lists it, the gate refuses a flag set on the
command line that the chosen mode does not read (it would be silently ignored). Imports
nothing heavy: reading it starts no TensorFlow.
"""

import dataclasses
from pathlib import Path

from srgan_tf import config

# Flags every mode reads (or that only steer the process: logging, progress bars).
COMMON = frozenset({"mode", "verbose", "progress", "flagfile"})
GENERATOR = frozenset({"n_res_blocks", "filters"})  # the generator's size (ModelConfig)
POST = frozenset({"back_projection", "detail_floor", "self_ensemble", "infer_precision"})
ALL = frozenset(name for cls in config.CONFIGS for _, name in config.flag_fields(cls))
# What only the picture modes (upscale, compare, export) read: training validates with its own
# --val_* post-processing and writes to --checkpoint_dir.
PICTURES = POST | {"input", "output", "format", "overwrite", "window", "window_at",
                   "max_pixels", "export_dir", "version", "tflite_fp16"}  # fmt: skip
TRAINING = ALL - PICTURES
# The held-out split evaluate scores: which folders and classes, how the split is drawn.
SPLIT = frozenset({"data_dir", "cls", "n_test", "n_test_general", "split", "split_seed",
                   "protocol", "cache_gb"})  # fmt: skip


# What a mode starts from without --g_weights (modes/defaults.py, `default_generator`, holds
# the rule of each): a new generator, the shipped one of the protocol in force, or the finished
# run of an earlier mode (for specialize, else the official file, else the demo, said loudly).
STARTS = ("new", "shipped", "after init", "after adversarial", "")


@dataclasses.dataclass(frozen=True)
class Mode:
    """One `--mode`: its runner (`module:function` under `srgan_tf.modes`), the folder it writes
    by default, the short help's line, the training phases it runs (training modes only), the
    flags it reads, the generator it starts from without --g_weights (one of `STARTS`; "":
    evaluate, which scores every run it finds) and whether a user gets pictures from it
    (`pictures`: upscale's post-processing defaults apply, modes/defaults.py)."""

    name: str
    runner: str
    output: str
    summary: str
    phases: tuple[str, ...] = ()
    reads: frozenset[str] = ALL
    starts: str = ""
    pictures: bool = False

    def __post_init__(self):
        if self.starts not in STARTS:
            raise ValueError(f"{self.name}: starts={self.starts!r} is not one of {STARTS}")

    @property
    def trains(self) -> bool:
        return bool(self.phases)

    def output_dir(self, given: str = "") -> Path:
        """Where this mode writes: `--output` when given, else its own folder (modes whose
        folder depends on another setting, `<cls>` or `<version>`, compute theirs)."""
        if given:
            return Path(given)
        if "<" in self.output:
            raise ValueError(f"--mode={self.name} writes to {self.output}: compute it")
        return Path(self.output.rstrip("/"))

    def unread(self, given: set[str]) -> list[str]:
        """The flags of `given` (set on the command line) this mode does not read."""
        return sorted(given - self.reads - COMMON)


MODES = {
    m.name: m
    for m in (
        Mode("init", "train:run", "checkpoints/init/",
             "train the generator alone on the pixel loss", phases=("init",), reads=TRAINING,
             starts="new"),
        Mode("adversarial", "train:run", "checkpoints/srgan/",
             "SRGAN training, G against D, VGG feature loss", phases=("adversarial",),
             reads=TRAINING, starts="after init"),
        Mode("specialize", "train:run", "checkpoints/<cls>/",
             "the study: retrain the last layer on one --cls", phases=("init", "adversarial"),
             reads=TRAINING, starts="after adversarial"),
        Mode("evaluate", "evaluate:run", "results/evaluate/",
             "every generator on every class, against bicubic",
             reads=GENERATOR | POST | SPLIT | {"checkpoint_dir", "g_weights", "output", "tile"}),
        Mode("upscale", "inference:upscale", "results/upscaled/",
             "super-resolve --input (a file or a folder)",
             reads=GENERATOR | POST | {"checkpoint_dir", "g_weights", "input", "output", "format",
                                   "tile", "overwrite"}, starts="shipped", pictures=True),
        Mode("compare", "inference:compare", "results/compare/",
             "LR | bicubic | SR | HR crops of one HR photo",
             reads=GENERATOR | POST | {"checkpoint_dir", "g_weights", "input", "output", "tile",
                                   "window", "window_at", "protocol"}, starts="shipped"),
        Mode("export", "export:run", "export/srgan/<version>/",
             "SavedModel for TF Serving, or --format=tflite",
             reads=GENERATOR | POST | {"checkpoint_dir", "g_weights", "export_dir", "version",
                                   "format", "tile", "max_pixels", "tflite_fp16"},
             starts="shipped", pictures=True),
    )
}  # fmt: skip
TRAINING_MODES = tuple(name for name, m in MODES.items() if m.trains)


def run_dir(mode: str, checkpoint_dir: str | Path, cls: str = "") -> Path:
    """A training mode's run folder: `checkpoint_dir/<its folder>` (init -> init, adversarial
    -> srgan, specialize -> the class, lower-cased, or "all")."""
    folder = MODES[mode].output.split("/")[1]
    return Path(checkpoint_dir) / (cls.lower() or "all" if folder == "<cls>" else folder)


def refused_flags(mode: str, given: set[str], fmt: str) -> list[str]:
    """One line per flag set on the command line that `mode` would ignore (`fmt`: --format)."""
    m = MODES[mode]
    lines = [
        f"--{name} is not read by --mode={mode} (it would be ignored); it is for "
        f"{', '.join(readers(name))}"
        for name in m.unread(given)
    ]
    saved_model_only = {"version", "max_pixels", "tile"} & given
    if mode == "export" and fmt == "tflite" and saved_model_only:
        lines += [f"--{n} is for the SavedModel, not --format=tflite (a TFLite file runs whole "
                  f"images at the size its caller resizes the input to)"
                  for n in sorted(saved_model_only)]  # fmt: skip
    if mode == "export" and fmt != "tflite" and "tflite_fp16" in given:
        lines.append("--tflite_fp16 is for --format=tflite (float16 weights in the .tflite file)")
    return lines


def readers(flag: str) -> list[str]:
    """The modes that read `flag`, the three training modes named once as "training"."""
    named = [f"--mode={n}" for n, m in MODES.items() if flag in m.reads and not m.trains]
    if flag in TRAINING:
        named.insert(0, "training (--mode=init, adversarial, specialize)")
    return named
