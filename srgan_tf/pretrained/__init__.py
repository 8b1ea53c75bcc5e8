"""The shipped generators, installed with the package: found by name from any folder.

Each is a folder of this package: `g.weights.h5`, the `manifest.json` of the run that trained
it (its training images) and, when it was trained through post-processing, the run's
`config.json` (every mode reads the steps and the gate from it: modes/trained_through.py).

- `upscale`: for photographs (the paper protocol's antialiased LR, colour and defocus
  augmentation, trained through 2 back-projection steps and the 1.5-level detail gate);
  `upscale`, `export` and serving use it when no generator is named (docs/upscale.md).
- `demo`: the study's reproduction, trained for both LR protocols; `evaluate`, `specialize`
  and `compare --protocol=study` use it (docs/demo.md).
- `perceptual`: trained adversarially for natural texture (docs/perceptual.md), once shipped.

`--g_weights` (and the Python API's `from_pretrained`) take one of these names or a file.
"""

import importlib.resources
from pathlib import Path

WEIGHTS = "g.weights.h5"
DESCRIPTIONS = {
    "upscale": "for photographs, with its back-projection steps and detail gate",
    "demo": "the study's reproduction (both LR protocols)",
    "perceptual": "trained adversarially for natural texture (NIQE)",
}


def available() -> list[str]:
    """The names of the generators this installation ships."""
    return [name for name in DESCRIPTIONS if (folder(name) / WEIGHTS).is_file()]


def folder(name: str) -> Path:
    """The folder of the shipped generator `name` (it may not exist in this installation)."""
    # A regular install (wheel, sdist, editable) puts the package on disk, so the resource is
    # a real path; that is what the modes and Keras read.
    return Path(str(importlib.resources.files(__package__) / name))


def path(name: str) -> Path:
    """The weight file of the shipped generator `name`.

    Raises:
        KeyError: not a shipped name (`available()` lists them).
    """
    if name not in DESCRIPTIONS:
        raise KeyError(f"{name!r} is not a shipped generator; they are: {', '.join(available())}")
    return folder(name) / WEIGHTS


def resolve(name_or_path: str) -> str:
    """A shipped generator's name as its weight file; anything else (a path) as it is. A file
    of that name in the current folder wins over the shipped one: what a user points at is
    what runs."""
    if name_or_path in DESCRIPTIONS and not Path(name_or_path).exists():
        return str(path(name_or_path))
    return name_or_path
