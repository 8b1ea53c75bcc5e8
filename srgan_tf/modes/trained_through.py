"""What a generator file was trained to be followed by: the post-processing its loss saw.

A generator trained with its init loss taken after back-projection steps and the detail gate
(`--loss_back_projection`, `--loss_detail_floor`) leaves to them what they do: alone, its pixels
are worse than its training made them. Training writes its settings to `config.json` beside
`g.weights.h5` (a shipped folder keeps the copy); this reads them, so a mode can name the
post-processing a generator needs and say so when it runs without it.
"""

import dataclasses
import json
from pathlib import Path

from srgan_tf.inference.post_settings import PostProcessing


@dataclasses.dataclass(frozen=True)
class TrainedThrough:
    """The post-processing a generator's loss was taken after, and the file that says so."""

    back_projection: int
    detail_floor: float
    source: Path

    def flags(self) -> str:
        return f"--back_projection={self.back_projection} --detail_floor={self.detail_floor:g}"


def trained_through(weight_file: str | Path) -> TrainedThrough | None:
    """The post-processing `weight_file` was trained through, from the `config.json` beside it;
    None when there is none (no file, or a run trained on the generator's own pixels).

    The file is a record, not an input: one that is unreadable or not a training config is
    taken as saying nothing (a broken record must not stop a user's upscale)."""
    source = Path(weight_file).parent / "config.json"
    try:
        loss = json.loads(source.read_text()).get("loss", {})
        steps = int(loss.get("loss_back_projection", 0))
        floor = float(loss.get("loss_detail_floor", 0.0))
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    if steps <= 0 and floor <= 0:
        return None
    return TrainedThrough(steps, floor, source)


def mismatch(weight_file: str | Path, post: PostProcessing) -> str:
    """A warning when `weight_file` runs with other steps and gate (`post`, a
    `PostProcessing`) than it was trained through, else ""."""
    trained = trained_through(weight_file)
    asked = (post.back_projection, post.detail_floor)
    if trained is None or asked == (trained.back_projection, trained.detail_floor):
        return ""
    return (
        f"WARNING: {weight_file} was trained through {trained.back_projection} back-projection "
        f"step(s) and a detail gate of {trained.detail_floor:g} grey levels ({trained.source}), "
        f"and runs here with --back_projection={post.back_projection} "
        f"--detail_floor={post.detail_floor:g}: its pixels are not what its training made them. "
        f"Pass {trained.flags()} for the output it was trained to give."
    )
