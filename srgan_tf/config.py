"""Frozen configuration dataclasses: the only way settings reach the library.

`main.py` turns absl flags into these; tests vary them with `dataclasses.replace`.
Defaults are the tensorlayer reference's `config.py` values and the study's choices.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Architecture of the generator, discriminator and loss network."""

    n_res_blocks: int = 16
    filters: int = 64
    discriminator: str = "tl"  # "tl" (reference) or "paper"
    d_filters: int = 64
    vgg_name: str = "vgg19"  # the reference's; the study's code used vgg16
    vgg_end_with: str = "pool4"
    vgg_channel_order: str = "rgb"  # the reference's quirk; "bgr" is Caffe-correct


@dataclasses.dataclass(frozen=True)
class LossConfig:
    """Weights of the perceptual loss terms (the reference's and the study's values)."""

    mse_weight: float = 1.0
    vgg_weight: float = 2e-6
    adv_weight: float = 1e-3


def to_dict(config):
    """A JSON-ready dict of any config dataclass (nested ones included)."""
    return dataclasses.asdict(config)
