"""What wraps and follows the generator where a user gets pictures, as one value.

`PostProcessing` is the self-ensemble around the generator, the back-projection steps after it
(under an LR protocol's downscaler) and the detail gate after them: resolved once per command
(from the flags, the mode's defaults and the `config.json` beside the generator:
`modes/defaults.py`), then passed whole to everything that runs it: the tiled predictor,
evaluate's extra column, compare's extra panel, the SavedModel and TFLite exports, training
validation. Its margin (the tile context it needs), its label (`+x4+bp2+gate1.5`) and its Keras
model are its own methods, so no consumer recomputes them. The Keras layers it is built from
live in `srgan_tf/models/` (`post_stages.py` puts them after a generator).
"""

import dataclasses
from typing import TYPE_CHECKING

from srgan_tf.config import PHOTO_PROTOCOL, post_processing_problem

if TYPE_CHECKING:  # only for the hints: resolving the value starts no TensorFlow
    import keras

    from srgan_tf.config import TrainConfig


@dataclasses.dataclass(frozen=True, kw_only=True)
class PostProcessing:
    """The self-ensemble's passes, the back-projection steps under `protocol`, the detail
    gate's floor (grey levels; 0: no gate). The default is none of them: the generator alone.
    Keyword arguments only: two call sites once passed them in different orders."""

    self_ensemble: int = 1
    back_projection: int = 0
    detail_floor: float = 0.0
    protocol: str = PHOTO_PROTOCOL

    def __post_init__(self):
        problem = post_processing_problem(**dataclasses.asdict(self))
        if problem:
            raise ValueError(problem)

    def __bool__(self) -> bool:
        """Whether anything wraps or follows the generator."""
        return self.self_ensemble > 1 or self.has_stages

    @property
    def has_stages(self) -> bool:
        """Whether anything follows the generator (steps or gate)."""
        return self.back_projection > 0 or self.detail_floor > 0

    @property
    def margin(self) -> int:
        """LR pixels of context the steps and the gate add to the generator's receptive field
        (the self-ensemble adds none: a flipped tile is the flipped image's tile)."""
        from srgan_tf.models import post_stages

        return post_stages.margin(self.back_projection, self.detail_floor)

    @property
    def label(self) -> str:
        """The suffix naming it in tables and panels: `+bp2`, `+x4+bp2+gate1.5`, "" for none."""
        out = f"+x{self.self_ensemble}" if self.self_ensemble > 1 else ""
        out += f"+bp{self.back_projection}" if self.back_projection else ""
        return out + (f"+gate{self.detail_floor:g}" if self.detail_floor > 0 else "")

    def ensemble_only(self) -> "PostProcessing":
        """The same self-ensemble, with nothing after it."""
        return dataclasses.replace(self, back_projection=0, detail_floor=0.0)

    def model(self, generator: "keras.Model") -> "keras.Model":
        """The Keras model `lr -> sr`: the generator wrapped and followed as this says."""
        from srgan_tf.models import post_stages

        return post_stages.post_processed(
            generator, self.back_projection, self.detail_floor, self.protocol, self.self_ensemble
        )

    def stages(self) -> list:
        """The `[lr, sr] -> sr` Keras layers that follow the generator, in order."""
        from srgan_tf.models import post_stages

        return post_stages.stages(self.back_projection, self.detail_floor, self.protocol)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def note(self) -> str:
        """The line that says what wraps and follows the generator (upscale and export)."""
        n = self.self_ensemble
        if n > 1:
            start = (f"Self-ensemble: the generator's {n} passes on flipped copies of the input, "
                     f"turned back and averaged (--self_ensemble=1: one pass, up to {n}x "
                     f"faster). ")  # fmt: skip
        else:
            start = "Self-ensemble: off: one generator pass (--self_ensemble=4: 4 passes). "
        steps, floor = self.back_projection, self.detail_floor
        if not steps:
            note = "Back-projection: off (--back_projection=0): the generator's pixels as they are"
        else:
            note = (f"Back-projection: {steps} step{'s' if steps > 1 else ''} after the generator, "
                    f"so the output downscaled agrees with the input (--back_projection=0: the "
                    f"generator alone)")  # fmt: skip
        if floor > 0:
            note += (f"; then the detail gate: where the generator's detail over bicubic is "
                     f"weaker than {floor:g} grey levels, bicubic's pixels (--detail_floor=0: no "
                     f"gate)")  # fmt: skip
        return start + note


NONE = PostProcessing()  # the generator alone


def for_validation(train: "TrainConfig") -> PostProcessing:
    """What training validation runs after the generator (`--val_self_ensemble`,
    `--val_back_projection`, `--val_detail_floor`): the validator and the gate that checks its
    tile build it here, so they cannot disagree."""
    return PostProcessing(self_ensemble=train.val_self_ensemble,
                          back_projection=train.val_back_projection,
                          detail_floor=train.val_detail_floor)  # fmt: skip
