"""What the post-processing choice scripts share (`detail_gate_choice.py`,
`self_ensemble_choice.py`, `post_order_choice.py`): the validation images, each scored against
bicubic under the paper protocol, the bar every setting must clear, and its summary row.

Validation images only: the photo corpus' validation photos and their stress variants by
default. The test split never chooses anything.
"""

import dataclasses
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from tqdm import tqdm

from srgan_tf import data, inference, protocols
from srgan_tf.config import DataConfig
from srgan_tf.data import images
from srgan_tf.evaluation.metrics import all_metrics
from srgan_tf.models import self_ensemble

ROOT = Path(__file__).resolve().parent.parent

DIRS = (
    str(ROOT / "data" / "photo_corpus" / "validation"),
    str(ROOT / "data" / "stress" / "validation"),
)
# The generator the three choices were made with (studies/results/*_choice.json): upscale's
# generator of the time, before it was trained through the steps and the gate it now ships
# with (docs/upscale.md). The default, so that a rerun reproduces the records.
CHOSEN_WITH = ROOT / "checkpoints" / "candidates" / "standalone" / "g.weights.h5"
BAR = -0.1  # dB against bicubic, every image
MAX_COLOUR = 1.0  # levels of 255, every channel mean
CFG = DataConfig(protocol="paper")


@dataclasses.dataclass
class Case:
    """One validation image: its LR, bicubic's PSNR-Y, and `score(sr) -> (psnr_y, colour)`."""

    path: Path
    lr: np.ndarray
    bicubic: float
    score: Callable


def paths(dirs) -> list[Path]:
    """Every image under `dirs`, sorted per folder; exits naming the folders when none."""
    found = []
    for d in dirs:
        found += sorted(p for p in Path(d).rglob("*") if p.is_file() and images.is_image_name(p))
    if not found:
        raise SystemExit(f"no images in {list(dirs)}")
    return found


def cases(image_paths) -> Iterator[Case]:
    """The images as `Case`s, with a progress bar; an unreadable file is skipped and named."""
    for path in tqdm(image_paths, desc="validation", unit="image"):
        try:
            rgb, _ = images.read_image(path)
        except images.BadImage as e:
            print(f"skipped {e}", file=sys.stderr)
            continue
        lr, hr = data.eval_pair(rgb, CFG)  # read_image gives RGB uint8 whatever the file held
        hr_u8 = images.to_uint8(hr)

        def score(sr, hr=hr, hr_u8=hr_u8):
            m = all_metrics(images.to_uint8(sr), hr_u8, sr, hr, border=CFG.scale)
            return m["psnr_y"], m["colour_offset"]

        yield Case(path, lr, score(protocols.bicubic_up(lr, CFG.scale))[0], score)


def row(gains, colours) -> dict:
    """A setting's summary: mean gain, worst image, images at or below the bar, largest colour
    offset, and whether it passes (every image above the bar, no colour cast)."""
    g, c = np.asarray(gains), np.asarray(colours)
    return {
        "mean_gain": float(g.mean()),
        "worst": float(g.min()),
        "below_bar": int((g <= BAR).sum()),
        "max_colour_offset": float(c.max()),
        "passes": bool(g.min() > BAR and c.max() <= MAX_COLOUR),
    }


def turned_back(predict, lr, n, tile):
    """The generator's outputs on the first `n` orientations of `lr`, each turned back."""
    out = []
    for t in self_ensemble.TRANSFORMS[:n]:
        x = np.asarray(self_ensemble.forward(lr[None], t))[0]
        y = inference.upscale(predict, np.ascontiguousarray(x), tile)
        out.append(np.asarray(self_ensemble.inverse(y[None], t))[0])
    return out
