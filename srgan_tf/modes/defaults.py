"""Which generator a mode starts from when `--g_weights` is not given: one rule for every mode.

- `upscale`, `export`: the shipped upscale generator (`pretrained/upscale/`, trained for
  photographs: the paper protocol's antialiased LR, colour and defocus augmentation, and at
  the end through the back-projection steps and the detail gate it runs with).
- `compare`: the shipped generator of the protocol in force: `--protocol=paper` the upscale
  generator, `study` the shipped demo (`pretrained/demo/`, trained for both protocols, the
  study's reproduction).
  Both are installed with the package (`srgan_tf/pretrained/`: from any working directory). A run folder of yours is
  used only when you name it: a half-trained run must never become the default behind your back.
- `adversarial`: `checkpoints/init/g.weights.h5`, once that run has finished.
- `specialize`: the finished `checkpoints/srgan/`, else the official `checkpoints/g_srgan.npz`,
  else the shipped demo, said loudly (it is a small model, not the DIV2K SRGAN).
- `init` trains from scratch; `evaluate` scores every run folder plus `--g_weights`.

Which of these each mode takes is its `starts` in the registry's table (`modes/registry.py`),
and whether a user gets pictures from it (the post-processing defaults below) its `pictures`:
no rule here names a mode.

main.py resolves the rule once per command; the line that names the generator says why.

`--back_projection` left unset (-1) is the mode's own default: `UPSCALE_BACK_PROJECTION` steps
where a user gets pictures (`upscale`, `export`), none where the generator is measured or shown
as it is (`evaluate` keeps the raw numbers reproducible and adds `+bpN` rows when asked;
`compare` adds a panel when asked; training validation scores the generator alone). The
detail gate's `--detail_floor` and the self-ensemble's `--self_ensemble` follow the same rule
(`UPSCALE_DETAIL_FLOOR`, `UPSCALE_SELF_ENSEMBLE`).

A generator trained through back-projection and the gate (`--loss_back_projection`,
`--loss_detail_floor`; its `config.json` says so: trained_through.py) gets those as its
unset `--back_projection` and `--detail_floor` (upscale, export, compare): they are part of
what it is. `compare` still shows it alone too (the raw panel); `evaluate`, which may score
several generators, gives each such one its own extra row beside its raw one (evaluate.py).
"""

import dataclasses
from pathlib import Path

from srgan_tf import pretrained
from srgan_tf.config import (
    FINISHED,  # (not from training/: that would start TensorFlow)
    PHOTO_PROTOCOL,
)
from srgan_tf.inference.post_settings import PostProcessing
from srgan_tf.modes import registry
from srgan_tf.modes.trained_through import TrainedThrough

SHIPPED_DEMO = pretrained.path("demo")  # both protocols: the study's reproduction
SHIPPED_UPSCALE = pretrained.path("upscale")  # photographs: upscale and serving


# Chosen on the validation photos alone (docs/evaluation.md, "Which default"): the fewest steps
# with which every validation photo and validation-derived stress image beats bicubic by more
# than -0.1 dB with no channel mean more than 1 level off, when one more step adds less than
# 0.05 dB on average.
UPSCALE_BACK_PROJECTION = 2

# Chosen on the validation photos alone, after the steps (docs/evaluation.md, "The detail
# gate"): of the floors 0.5, 1, 1.5 and 2 grey levels, fixed before measuring, the one with the
# highest mean gain among those with which every validation image beats bicubic by more than
# -0.1 dB with no channel mean more than 1 level off.
UPSCALE_DETAIL_FLOOR = 1.5


# One pass, by the default's rule written before measuring (docs/upscale.md, "Stage 4"): an
# added generator pass must gain at least 0.1 dB on the validation images, and the 4-pass
# ensemble gains 0.083 dB there with the shipped generator (+2.863 to +2.946) for 4 times the
# time. `--self_ensemble=4` stays an opt-in (docs/evaluation.md, "The self-ensemble").
UPSCALE_SELF_ENSEMBLE = 1


def post_processing(
    mode: str,
    self_ensemble: int = -1,
    back_projection: int = -1,
    detail_floor: float = -1.0,
    trained: TrainedThrough | None = None,
    protocol: str = PHOTO_PROTOCOL,
) -> PostProcessing:
    """What wraps and follows the generator in `mode`, resolved once: each setting as asked
    (>= 0; the self-ensemble >= 1), else what the generator was trained through (`trained`:
    the steps and the gate), else the mode's default (upscale and export: the UPSCALE_*
    values above; elsewhere none). `protocol`: the steps' downscaler (upscale and export: the
    paper protocol's, a photograph's; evaluate and compare: the evaluation's)."""
    pictures = mode in registry.MODES and registry.MODES[mode].pictures
    if back_projection < 0:
        default = UPSCALE_BACK_PROJECTION if pictures else 0
        back_projection = trained.back_projection if trained else default
    if detail_floor < 0:
        default = UPSCALE_DETAIL_FLOOR if pictures else 0.0
        detail_floor = trained.detail_floor if trained else default
    if self_ensemble < 1:
        self_ensemble = UPSCALE_SELF_ENSEMBLE if pictures else 1
    return PostProcessing(self_ensemble=self_ensemble, back_projection=back_projection,
                          detail_floor=detail_floor, protocol=protocol)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Choice:
    """The generator a mode uses (`path`, "" for none) and the sentence that says why."""

    path: str
    why: str
    loud: bool = False  # a warning the user must see (goes to stderr)


def finished(run_dir: str | Path) -> bool:
    """Whether the run in `run_dir` ended as asked (all its epochs, or its --max_steps)."""
    return (Path(run_dir) / FINISHED).is_file()


def default_generator(
    mode: str, checkpoint_dir: str, given: str = "", protocol: str = "study"
) -> Choice:
    """The generator `mode` starts from (`protocol`: the LR protocol in force, which picks
    compare's); see the module docstring for the rule. What each mode starts from is its
    `starts` in the registry's table; the rule of each kind is one function below."""
    if given:
        path = pretrained.resolve(given)
        shipped = f" (--g_weights: the shipped {given!r} generator)" if path != given else ""
        return Choice(path, f"Generator: {path}{shipped or ' (--g_weights)'}")
    starts = registry.MODES[mode].starts if mode in registry.MODES else ""
    if not starts:
        return Choice("", "")
    return _STARTS[starts](mode, Path(checkpoint_dir), protocol)


def _new(mode: str, root: Path, protocol: str) -> Choice:
    return Choice("", "Generator: new, randomly initialised")


def _shipped(mode: str, root: Path, protocol: str) -> Choice:
    """The shipped generator of the protocol in force: photographs' (paper) the upscale one,
    the study's the demo (where the mode reads --protocol: compare)."""
    photo = "protocol" not in registry.MODES[mode].reads or protocol == PHOTO_PROTOCOL
    path = SHIPPED_UPSCALE if photo else SHIPPED_DEMO
    what = "upscale generator" if photo else "demo"
    if path.is_file():
        return Choice(
            str(path),
            f"Generator: the shipped {what} {path} (no --g_weights; pass --g_weights=FILE "
            f"to use one of your runs, or a shipped name: {', '.join(pretrained.available())})",
        )
    return Choice("", f"no generator: {path} is not installed; pass --g_weights=FILE")


def _after_init(mode: str, root: Path, protocol: str) -> Choice:
    run = registry.run_dir("init", root)
    if (run / "g.weights.h5").is_file() and finished(run):
        return Choice(
            str(run / "g.weights.h5"),
            f"Generator: {run / 'g.weights.h5'} (no --g_weights; the finished init run)",
        )
    state = "has not finished" if (run / "g.weights.h5").is_file() else "does not exist"
    return Choice(
        "",
        f"--mode={mode} warm-starts the generator, and {run} {state}: run (or resume) "
        f"--mode=init first, or pass --g_weights=FILE (e.g. --g_weights="
        f"{run / 'g.weights.h5'} to take it as it is)",
    )


def _after_adversarial(mode: str, root: Path, protocol: str) -> Choice:
    srgan, official = registry.run_dir("adversarial", root), root / "g_srgan.npz"
    if (srgan / "g.weights.h5").is_file() and finished(srgan):
        path = srgan / "g.weights.h5"
        return Choice(str(path), f"Generator: {path} (no --g_weights; the finished SRGAN run)")
    if official.is_file():
        return Choice(
            str(official), f"Generator: {official} (no --g_weights; the official release)"
        )
    if SHIPPED_DEMO.is_file():
        return Choice(
            str(SHIPPED_DEMO),
            f"WARNING: no --g_weights, no finished {srgan} and no {official}: specialising "
            f"the SHIPPED DEMO generator {SHIPPED_DEMO}, a small model trained on the photo "
            f"corpus, not the DIV2K SRGAN the study specialised. Pass "
            f"--g_weights=checkpoints/g_srgan.npz (the official release) or train one with "
            f"--mode=init/adversarial.",
            loud=True,
        )
    return Choice(
        "",
        f"--mode={mode} needs a pretrained generator: pass --g_weights=FILE (e.g. the "
        f"official {official}) or train one with --mode=init/adversarial first",
    )


_STARTS = {"new": _new, "shipped": _shipped, "after init": _after_init,
           "after adversarial": _after_adversarial}  # fmt: skip
