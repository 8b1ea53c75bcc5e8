"""Which generator a mode starts from when `--g_weights` is not given: one rule for every mode.

Candidates are looked up in the checkpoint folder in order; the first that exists is used and
the choice is said in the log. `specialize` falling back to the shipped demo generator (a small
model, not the DIV2K SRGAN the study specialised) is said loudly.
"""

import sys
from pathlib import Path

_INFERENCE = ["general/g.weights.h5", "srgan/g.weights.h5", "demo/g.weights.h5"]
CANDIDATES = {
    "init": [],  # from scratch
    "adversarial": ["init/g.weights.h5"],
    "specialize": ["srgan/g.weights.h5", "g_srgan.npz", "demo/g.weights.h5"],
    "upscale": _INFERENCE,
    "compare": _INFERENCE,
    "export": _INFERENCE,
}
DEMO = "demo/g.weights.h5"


def default_generator(mode, checkpoint_dir, given=""):
    """`(path, message)`: the generator `mode` uses and the log line that says why.

    `path` is "" when nothing was given and no candidate exists (the message lists where it
    looked); for `init` that means training from scratch.
    """
    if given:
        return given, f"Generator: {given} (--g_weights)"
    candidates = CANDIDATES.get(mode, [])
    if not candidates:
        return "", "Generator: new, randomly initialised"
    root = Path(checkpoint_dir)
    looked = ", ".join(str(root / c) for c in candidates)
    for c in candidates:
        if (root / c).is_file():
            path = str(root / c)
            message = (
                f"Generator: {path} (no --g_weights; --mode={mode} takes the first of {looked})"
            )
            if mode == "specialize" and c == DEMO:
                message = (
                    f"WARNING: no --g_weights and neither {root / candidates[0]} nor "
                    f"{root / candidates[1]} exists: specialising the SHIPPED DEMO generator "
                    f"{path}, a small model trained on the photo corpus, not the DIV2K SRGAN "
                    f"the study specialised. Pass --g_weights=checkpoints/g_srgan.npz (the "
                    f"official release) or train one with --mode=init/adversarial."
                )
            return path, message
    return "", f"Generator: none found (no --g_weights, and none of {looked} exists)"


def announce(mode, checkpoint_dir, given=""):
    """`default_generator`'s path, with its line printed (a WARNING goes to stderr)."""
    path, message = default_generator(mode, checkpoint_dir, given)
    print(message, file=sys.stderr if message.startswith("WARNING") else sys.stdout)
    return path
