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


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Where the images come from, how they are split, and the reference's augmentation."""

    data_dir: str = ""  # empty: the built-in sample set
    cls: str = ""  # empty: every image in data_dir
    crop_size: int = 384
    scale: int = 4
    n_images: int = 100  # training images per class (<= 0: all)
    n_test: int = 20  # held-out test images per class (the matrix's 20)
    n_test_general: int = 50  # the study's general test sample
    batch_size: int = 8
    seed: int = 0
    flip: bool = True
    brightness_delta: float = 0.4
    contrast_lower: float = 0.1
    contrast_upper: float = 0.4
    clip_augmented: bool = False  # the reference does not clip after brightness/contrast
    lr_antialias: bool = False  # tf.image.resize bicubic as the study; True ~ MATLAB imresize
    cache_gb: float = 8.0  # decoded images kept in memory up to this size


def to_dict(config):
    """A JSON-ready dict of any config dataclass (nested ones included)."""
    return dataclasses.asdict(config)
