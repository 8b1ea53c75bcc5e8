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
    # The init phase's pixel loss: "mse" (the reference) or "l1" (EDSR: small errors keep a
    # full-size gradient, which matters on smooth images). The step reports the MSE either way.
    init_loss: str = "mse"


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
    seed: int = 0  # crops, flips, augmentation draws and initial weights
    split_seed: int = 0  # which images are held out; independent of `seed` on purpose
    split: str = "seeded"  # "none": no hold-out (train on all, evaluate all: benchmark sets)
    flip: bool = True
    brightness_delta: float = 0.4
    contrast_lower: float = 0.1
    contrast_upper: float = 0.4
    clip_augmented: bool = False  # the study does not clip after brightness/contrast
    channel_shuffle: bool = False  # not in the reference: random RGB order (small datasets)
    rot90: bool = False  # not in the reference: random quarter turns (small datasets)
    min_scale: float = 1.0  # <1, not in the reference: patches shrunk from up to 1/min_scale
    max_scale: float = 1.0  # >1, not in the reference: patches enlarged (softer) up to this
    # How LR is made for evaluation and validation: "study" (TensorFlow's plain bicubic, as the
    # study and the reference) or "paper" (MATLAB imresize, antialiased, uint8: SR papers).
    protocol: str = "study"
    # Training LR: "" (as `protocol`), "study", "paper" or "mixed" (half of each, per patch).
    train_lr: str = ""
    cache_gb: float = 8.0  # decoded images kept in memory up to this size


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """One training run: phases, optimiser, schedule, checkpoints and logging."""

    run_dir: str = "checkpoints/srgan"
    n_epoch_init: int = 100  # generator-only MSE epochs
    n_epoch: int = 100  # adversarial epochs (the study's; the reference used 2000)
    lr_init: float = 1e-4
    beta1: float = 0.9
    lr_decay: float = 0.1
    decay_every: int = 0  # adversarial epochs between decays; 0: n_epoch // 2 as the study
    g_weights: str = ""  # warm start for the generator (any format load_weights reads)
    d_weights: str = ""  # warm start for the discriminator
    vgg_weights: str = "checkpoints/vgg19.npy"  # or "imagenet"
    use_vgg: bool = True  # False only on explicit request (--no_vgg)
    n_trainable: int = 0  # >0: re-initialise and train only the last n weighted G layers
    precision: str = "float32"  # float32 | mixed_bfloat16 | mixed_float16
    max_steps: int = 0  # total steps of the run, resumed runs included (0: no limit)
    save_every: int = 1000  # steps between saves (checkpoint + g.weights.h5); 0: by time only
    save_secs: int = 600  # seconds between saves (one-process runs); 0: by steps only
    sample_every: int = 5  # epochs between sample SR images
    patches_per_image: int = 1  # random crops per image per epoch (the reference: 1)
    keep_checkpoints: int = 2
    # >0: g.weights.h5 gets BatchNorm statistics averaged over this many batches (precise_bn.py)
    precise_bn_batches: int = 0
    # >0: g.weights.h5 gets this exponential moving average of the weights (weight_average.py)
    ema_decay: float = 0.0
    progress: bool = True  # a progress bar per epoch
    val_every: int = 0  # >0: steps between validations on val_dir (0: none, costs nothing)
    val_dir: str = ""  # folder of validation images, never trained on
    val_crop: int = 0  # HR side of the centre crop validated per image (0: whole images)


def to_dict(config):
    """A JSON-ready dict of any config dataclass (nested ones included)."""
    return dataclasses.asdict(config)
