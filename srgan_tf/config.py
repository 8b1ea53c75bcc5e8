"""Frozen configuration dataclasses: every setting declared once, the only way settings reach
the library.

Each field that users set from the command line is a `setting(...)`: its default, its help text,
and (when they differ) its flag name, choices and bounds. `flags/srgan_flags.py` defines one absl
flag per such field, and `from_flags` builds a config from the parsed values, so adding a
setting touches this file only. Tests vary configs with `dataclasses.replace`. Defaults are the
tensorlayer reference's `config.py` values and the study's choices.
"""

import dataclasses
import os
from typing import Any

# Choices that library modules check too (they import them from here, the one place).
PROTOCOLS = ("study", "paper")  # LR protocols: protocols.py
# The protocol of photographs, which upscale's steps downscale with: a photograph's own optics
# low-pass it before its pixels are sampled, which is the SR papers' antialiased LR.
PHOTO_PROTOCOL = "paper"
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")  # training/distribute.py
INFER_PRECISIONS = ("auto", "float32", "bfloat16")  # inference/precision.py
DISCRIMINATOR_KINDS = ("tl", "paper")  # models.discriminator
SELF_ENSEMBLES = (1, 2, 4, 8)  # generator passes of a self-ensemble: models/self_ensemble.py
IMAGE_FORMATS = ("png", "jpg", "webp")  # what upscale writes (inference/files.py)
WEIGHT_LIBRARIES = ("tensorlayer", "tensorlayerx")  # weights/loading.py load_weights(library=...)


def post_processing_problem(
    self_ensemble: int = 1,
    back_projection: int = 0,
    detail_floor: float = 0.0,
    protocol: str = PHOTO_PROTOCOL,
) -> str | None:
    """Why these post-processing settings are out of range, or None: the one owner of their
    ranges (`PostProcessing`, the Keras builders and the protocols ask it; no TensorFlow)."""
    if self_ensemble not in SELF_ENSEMBLES:
        return f"self-ensemble size must be one of {SELF_ENSEMBLES}, got {self_ensemble}"
    if back_projection < 0:
        return f"back-projection steps must be >= 0, got {back_projection}"
    if detail_floor < 0:
        return f"the detail floor must be >= 0 grey levels, got {detail_floor}"
    if protocol not in PROTOCOLS:
        return f"unknown protocol {protocol!r}; expected one of {PROTOCOLS}"
    return None


# Defaults that library functions share with their settings (declared here, imported there).
# Input pixels per tile side, context included: the trunk of the tiling core runs on one tile
# (inference/tiling_core.py). 512 by the rule in docs/performance.md ("Tiles"): upscaling 2040x1356
# in float32 peaks at 1.60 GB with it, 1.91 GB with 768 for 7% more speed.
DEFAULT_TILE = 512
# `--tile=-1`, the default: tiles sized by MEMORY_BUDGET_GB for each image (inference/tiling_core.py,
# `auto_tile`): a photo whose one tile fits the budget is one tile, no context recomputed. The
# SavedModel keeps a fixed plan (DEFAULT_TILE): its graph is traced once for every size.
AUTO_TILE = -1
# The peak RSS an upscale of one photo stays within (the bound of docs/performance.md): the one
# value the automatic tiles are sized by.
MEMORY_BUDGET_GB = 2.0
# The zlib level of the PNGs upscale writes, by the rule of docs/performance.md ("Writing the
# output": the fastest level whose files are at most 10% larger than level 6's, Pillow's
# default): 4, measured by `python bench/png_level.py` (2.4x faster than 6, 4.5% larger files).
PNG_LEVEL = 4
# Above this the memory grows with the tile's area while the share of work spent on the
# context falls by less than a tenth.
MAX_TILE = 1024
# Input pixels per served image, by the rule in docs/serving.md ("Memory"), written before its
# measurement: the largest whole number of megapixels whose peak (the worse signature, encoded,
# with incompressible pixels: 1.81 GB + 5.49 x the uint8 output) stays within 3 GB. 16 MP took
# 5.7 GB that way (Intel Xeon with AMX, 2 cores; bench/serving_memory.py).
DEFAULT_MAX_PIXELS = 4_000_000
CLUSTER_TIMEOUT = 300  # seconds for every worker of a TF_CONFIG cluster to come up
FINISHED = "finished.json"  # in a run folder once its run has ended as asked (not Ctrl-C)
SCALE = 4  # the generator's factor (two x2 pixel shuffles): fixed by the architecture
SSIM_WINDOW = 11  # TensorFlow's SSIM window (evaluation/metrics.py): the least side it scores


def smallest_scored_side(scale: int) -> int:
    """The least side (pixels) of an image that evaluate and compare can score: trimmed to a
    multiple of `scale` and cropped by `scale` a side, one SSIM window must still fit."""
    need = SSIM_WINDOW + 2 * scale
    return -(-need // scale) * scale


# NIQE's block side (evaluation/niqe.py): its pristine model was fitted on 96x96 blocks.
NIQE_BLOCK = 96


def smallest_niqe_crop(scale: int) -> int:
    """The least square crop NIQE scores: two blocks (one alone has no covariance) after the
    `scale`-pixel border that evaluation crops."""
    return 2 * NIQE_BLOCK + 2 * scale


def setting(
    default: Any,
    help: str,
    flag: str | None = None,
    choices: tuple | None = None,
    lower: float | None = None,
    upper: float | None = None,
    **extra: Any,
) -> Any:
    """A config field with a command-line flag (named like the field unless `flag` is given)."""
    meta = {"help": help, "flag": flag, "choices": choices, "lower": lower, "upper": upper}
    return dataclasses.field(default=default, metadata={**meta, **extra})


def flag_name(field: dataclasses.Field) -> str | None:
    """The flag of a config field, or None for a field main.py derives (run_dir, g_weights)."""
    if "help" not in field.metadata:
        return None
    return field.metadata["flag"] or field.name


def flag_fields(cls: type) -> list[tuple[dataclasses.Field, str]]:
    """`[(field, flag name)]` of every field of `cls` that has a flag."""
    return [(f, flag_name(f)) for f in dataclasses.fields(cls) if flag_name(f)]


def from_flags(cls: type, values: dict, **derived: Any) -> Any:
    """A `cls` from parsed flag values (`{flag name: value}`) and the fields main.py derives."""
    kwargs = {}
    for field, name in flag_fields(cls):
        value = values[name]
        if isinstance(value, str) and "~" in value:  # `--input=~/x.jpg`: no shell expands it
            value = ",".join(os.path.expanduser(v) for v in value.split(","))
        kwargs[field.name] = (not value) if field.metadata.get("invert") else value
    return cls(**{**kwargs, **derived})


@dataclasses.dataclass(frozen=True)
class AppConfig:
    """What to run and where: the mode, its generator, its inputs and outputs, the UI."""

    mode: str = setting(
        "init",
        "What to run.",
        choices=["init", "adversarial", "specialize", "evaluate", "export", "upscale", "compare"],
    )
    checkpoint_dir: str = setting("checkpoints", "Root of run folders and weight files.")
    g_weights: str = setting(
        "",
        "Generator weights to start from (any supported format); evaluate: extra generators, comma-separated.",
    )
    output: str = setting(
        "",
        "evaluate: results folder (default results/evaluate); upscale: output folder (default results/upscaled).",
    )
    input: str = setting("", "upscale: an image file or a folder of images; compare: an HR image.")
    format: str = setting(
        "",
        "upscale: png (default; every pixel exact), jpg (drops alpha) or webp. export: saved_model (default; TF Serving) or tflite (phones and edge devices).",
        choices=["", *IMAGE_FORMATS, "saved_model", "tflite"],
    )
    overwrite: bool = setting(
        False,
        "upscale: upscale every input again; by default an output that exists already (a run stopped by Ctrl-C, rerun) is kept and counted.",
    )
    tile: int = setting(
        AUTO_TILE,
        f"Tiled inference (upscale, evaluate, compare, validation, export): input tile side, context included: the trunk of the tiling core runs on one tile. -1: sized by the {MEMORY_BUDGET_GB:g} GB memory budget for each image (a photo that fits is one tile), and {DEFAULT_TILE} for export, whose SavedModel keeps a fixed plan; 0: whole images (not for export); else at least 4x the context, so that a tile costs at most 4x its core, and at most {MAX_TILE}.",
        lower=AUTO_TILE,
        upper=MAX_TILE,
    )
    progress: bool = setting(True, "Show progress bars (training, evaluate, upscale).")
    verbose: bool = setting(
        False,
        "Show TensorFlow's C++ start-up lines (hidden by default: on a machine without a GPU they are CUDA-driver notices that read as errors).",
    )


@dataclasses.dataclass(frozen=True)
class InferenceConfig:
    """What wraps and follows the generator where pictures are made (upscale, export; evaluate's
    and compare's extra column and panel), and the precision it computes in: resolved into
    `Configs.post` once (modes/defaults.py)."""

    back_projection: int = setting(
        -1,
        "Consistency with the input: N steps of iterative back-projection after the generator (SR += bicubic_up(LR - down(SR)), down the LR protocol's own downscaler; upscale and export: the paper protocol's). evaluate also scores each generator without them. -1: the steps the generator was trained through (--loss_back_projection, from the config.json beside it; evaluate: its own extra row), else the mode's default (upscale and export: the steps chosen on validation photos, UPSCALE_BACK_PROJECTION in srgan_tf/modes/defaults.py; evaluate, compare: 0); 0: the generator alone.",
        lower=-1,
        upper=10,
    )
    detail_floor: float = setting(
        -1.0,
        "The detail gate, after back-projection: where the generator's residual over bicubic is locally weaker than this many grey levels (of 255) RMS, it is shrunk away (a local Wiener-style weight), so flat tones get bicubic's clean pixels instead of the generator's faint texture (srgan_tf/models/detail_gate.py). -1: the floor the generator was trained through (--loss_detail_floor, from the config.json beside it), else the mode's default (upscale and export: UPSCALE_DETAIL_FLOOR in srgan_tf/modes/defaults.py, chosen on validation photos; evaluate, compare: 0); 0: no gate.",
        lower=-1.0,
        upper=50.0,
    )
    self_ensemble: int = setting(
        -1,
        "Geometric self-ensemble: the generator runs on this many flipped (8: and transposed) copies of the input, each output turned back and all averaged, before back-projection (srgan_tf/models/self_ensemble.py); each copy costs one generator pass. 1, 2, 4 or 8; -1: the mode's default (upscale and export: UPSCALE_SELF_ENSEMBLE in srgan_tf/modes/defaults.py, chosen on validation photos; evaluate, compare: 1, and with more they add a column or panel).",
        lower=-1,
        upper=8,
    )
    infer_precision: str = setting(
        "auto",
        "upscale, compare, evaluate, export: the generator's compute precision. auto: upscale runs bfloat16 where this CPU computes it natively (AVX512_BF16 or AMX; measured within 0.02 dB of float32 on the validation images, docs/performance.md) and float32 elsewhere; compare, evaluate and export run float32 (pass bfloat16 to ask for it; export bakes it into the SavedModel or TFLite file).",
        choices=list(INFER_PRECISIONS),
    )


@dataclasses.dataclass(frozen=True)
class ExportConfig:
    """`--mode=export`: where the SavedModel goes, what it serves, the TFLite variant."""

    export_dir: str = setting(
        "export/srgan", "export: SavedModel root; the model goes to <export_dir>/<version>."
    )
    version: int = setting(
        1,
        "export: the SavedModel version folder, a positive integer (TF Serving serves the highest).",
        lower=1,
    )
    max_pixels: int = setting(
        DEFAULT_MAX_PIXELS,
        "export: the largest input (height x width) the SavedModel serves; larger requests get an InvalidArgument error naming the limit.",
        lower=1,
    )
    tflite_fp16: bool = setting(False, "export --format=tflite: float16 weights (half size).")


@dataclasses.dataclass(frozen=True)
class CompareConfig:
    """`--mode=compare`: the window shown."""

    window: int = setting(256, "compare: side of the window shown, in HR pixels.", lower=16)
    window_at: str = setting("", "compare: 'y,x' of the window (default: the most detailed one).")


@dataclasses.dataclass(frozen=True)
class DistributeConfig:
    """How training spreads over devices and workers (tf.distribute)."""

    cpu_replicas: int = setting(
        0,
        "Split the CPU into N logical devices under MirroredStrategy (testing tf.distribute without GPUs).",
    )
    cluster_timeout: int = setting(
        CLUSTER_TIMEOUT,
        "Multi-worker (TF_CONFIG): seconds to wait for every worker to join; then exit with an error naming the cluster instead of waiting forever.",
        lower=1,
    )


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Architecture of the generator, discriminator and loss network."""

    n_res_blocks: int = setting(16, "Generator residual blocks (16: the reference).")
    filters: int = setting(64, "Generator width (64: the reference).")
    discriminator: str = setting(
        "tl",
        "tl: the reference's discriminator; paper: the SRGAN paper's.",
        choices=list(DISCRIMINATOR_KINDS),
    )
    d_filters: int = setting(64, "Discriminator base width (64: the reference).")
    vgg_name: str = setting(
        "vgg19",
        "VGG loss network (the reference: vgg19; the study's code: vgg16).",
        flag="vgg",
        choices=["vgg19", "vgg16"],
    )
    vgg_end_with: str = setting("pool4", "Last VGG layer of the feature loss.")
    vgg_channel_order: str = setting(
        "rgb",
        "rgb: the reference's preprocessing quirk; bgr: Caffe-correct.",
        choices=["rgb", "bgr"],
    )


@dataclasses.dataclass(frozen=True)
class LossConfig:
    """Weights of the perceptual loss terms (the reference's and the study's values)."""

    mse_weight: float = setting(1.0, "Weight of the pixel MSE.")
    vgg_weight: float = setting(2e-06, "Weight of the VGG feature MSE.")
    adv_weight: float = setting(0.001, "Weight of the adversarial loss.")
    init_loss: str = setting(
        "mse",
        "Pixel loss of the init phase: mse (the reference), l1 (EDSR) or log_mse (the mean over"
        " patches of log MSE, minus their mean PSNR up to scale: flat patches count as much as"
        " textured ones, as in a per-image PSNR table); the last two are not in the reference.",
        choices=["mse", "l1", "log_mse"],
    )
    loss_back_projection: int = setting(
        0,
        "Take the init phase's pixel loss after this many back-projection steps under the training LR's protocol, as upscale ships them (the gradient flows through the steps into the generator; not in the reference). 0: the generator's own output.",
        lower=0,
    )
    loss_detail_floor: float = setting(
        0.0,
        "Take the init phase's pixel loss after the detail gate of this floor (grey levels), after the --loss_back_projection steps, as upscale ships it. 0: no gate.",
        lower=0.0,
    )


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Where the images come from, how they are split, the augmentation and the LR protocol."""

    data_dir: str = setting(
        "", "Folder of HR images (DIV2K, landscapes). Empty: the built-in sample set."
    )
    cls: str = setting(
        "",
        "Class to use (landscapes: general, mountain, desert, sea, beach, island, japan). Empty: all images.",
    )
    crop_size: int = setting(384, "HR training patch side (pixels).", lower=16)
    scale: int = SCALE  # fixed, not a flag
    n_images: int = setting(100, "Training images per class (<= 0: all).")
    n_test: int = setting(20, "Held-out test images per class.", lower=0)
    n_test_general: int = setting(50, "Held-out test images of the general class.", lower=0)
    batch_size: int = setting(8, "Global batch size (the study's 8).", lower=1)
    seed: int = setting(0, "Seed of initial weights, crops, shuffling and augmentation.")
    split_seed: int = setting(
        0,
        "Seed of the train/test split. Separate from --seed so that a run with another --seed keeps the held-out images that evaluate uses (with the same --split_seed).",
    )
    split: str = setting(
        "seeded",
        "seeded: hold out --n_test images per class (the study); none: no hold-out: training uses every image and evaluate scores every image (benchmark folders, a corpus split).",
        choices=["seeded", "none"],
    )
    flip: bool = setting(True, "Random left-right flips.")
    brightness_delta: float = setting(0.4, "Random brightness max delta (in [-1, 1] space).")
    contrast_lower: float = setting(0.1, "Random contrast lower factor.")
    contrast_upper: float = setting(0.4, "Random contrast upper factor (0: no contrast change).")
    clip_augmented: bool = setting(
        False, "Clip HR to [-1, 1] after brightness/contrast (the study does not)."
    )
    channel_shuffle: bool = setting(
        False,
        "Random RGB channel order per patch (not in the reference; widens a small set's colours).",
    )
    saturation_min: float = setting(
        1.0,
        "Colour jitter (not in the reference; off at 1): each HR patch's saturation is scaled by a factor drawn from [saturation_min, saturation_max] before its LR is made, so a model sees colours its photos lack.",
        lower=0.0,
    )
    saturation_max: float = setting(
        1.0, "Colour jitter: the largest saturation factor (see --saturation_min).", lower=0.0
    )
    hue_jitter: float = setting(
        0.0,
        "Colour jitter (not in the reference): the share of HR patches whose hue is rotated by a random angle before their LR is made (0: off).",
        lower=0.0,
        upper=1.0,
    )
    blur_share: float = setting(
        0.0,
        "Defocus augmentation (not in the reference; 0: off): the share of HR patches blurred by a Gaussian of a random sigma in [0, --blur_sigma_max] px before their LR is made, so a model learns that a soft photo's detail is soft, and does not invent texture on out-of-focus areas.",
        lower=0.0,
        upper=1.0,
    )
    blur_sigma_max: float = setting(
        2.5, "Defocus augmentation: the largest blur sigma in HR pixels (see --blur_share).",
        lower=0.0, upper=6.0,
    )  # fmt: skip
    rot90: bool = setting(
        False,
        "Random quarter turns of each patch (not in the reference; with --flip, all 8 symmetries).",
    )
    min_scale: float = setting(
        1.0,
        "<1: patches may be larger squares shrunk by a random factor down to this one (antialiased; not in the reference; details at many scales from few images). Drawn log-uniformly from [min_scale, max_scale].",
        lower=0.1,
        upper=1.0,
    )
    max_scale: float = setting(
        1.0,
        ">1: patches may also be enlarged from a smaller square, up to this factor (softer patches, as defocused photos; not in the reference). Drawn log-uniformly with --min_scale.",
        lower=1.0,
        upper=4.0,
    )
    protocol: str = setting(
        "study",
        "How LR images are made for evaluate and validation. study: TensorFlow's plain bicubic x4 (the study's and the reference's); paper: MATLAB imresize bicubic (antialiased) of the HR cropped to a multiple of 4, quantised to uint8 (what SR papers report).",
        choices=list(PROTOCOLS),
    )
    train_lr: str = setting(
        "",
        "Training LR: empty = as --protocol; mixed = each patch one way or the other, --paper_share of them the paper's (one model for both protocols; not in the reference).",
        choices=["", *PROTOCOLS, "mixed"],
    )
    paper_share: float = setting(
        0.5,
        "--train_lr=mixed: the share of patches given the paper protocol's LR (the rest get the study's).",
        lower=0.0,
        upper=1.0,
    )
    cache_gb: float = setting(8.0, "Keep decoded images in memory up to this many GiB.")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """One training run: phases, optimiser, schedule, checkpoints, validation and logging."""

    run_dir: str = "checkpoints/srgan"  # set by main.py from --checkpoint_dir and --mode
    n_epoch_init: int = setting(100, "Generator initialisation (MSE) epochs.", lower=0)
    n_epoch: int = setting(
        100, "Adversarial epochs (the study: 100; the reference: 2000).", lower=0
    )
    lr_init: float = setting(0.0001, "Adam learning rate.", lower=0.0)
    beta1: float = setting(0.9, "Adam beta1.")
    lr_decay: float = setting(0.1, "Learning-rate decay factor (adversarial phase).")
    decay_every: int = setting(0, "Adversarial epochs between decays (0: n_epoch // 2).")
    g_weights: str = (
        ""  # the generator to start from: --g_weights or srgan_tf/modes/defaults.py's rule
    )
    d_weights: str = setting("", "Discriminator weights to start from.")
    d_weights_library: str = setting(
        "",
        "Which library wrote --d_weights, for the files that cannot say (tensorlayer's list .npz, which every version writes alike): tensorlayer (its get_D flattens H, W, C) or tensorlayerx (srgan.py's channels_first SRGAN_d flattens C, H, W). Empty: as the file says; an ambiguous file is refused.",
        choices=["", *WEIGHT_LIBRARIES],
    )
    vgg_weights: str = setting(
        "checkpoints/vgg19.npy", "VGG weights file, or 'imagenet' (needs a network)."
    )
    use_vgg: bool = setting(
        True,
        "Train the adversarial phase without the VGG term (said in the log).",
        flag="no_vgg",
        invert=True,
    )
    n_trainable: int = setting(
        0,
        "specialize: re-initialise and train only the last N weighted generator layers.",
        flag_default=1,
    )  # 0 outside --mode=specialize
    precision: str = setting("float32", "Compute precision.", choices=list(PRECISIONS))
    max_steps: int = setting(
        0, "Total steps of the run, resumed runs included (0: no limit).", lower=0
    )
    save_every: int = setting(
        1000,
        "Save (checkpoint and g.weights.h5) every N steps; also every --save_secs, at the end and on Ctrl-C. 0: by time only.",
        lower=0,
    )
    save_secs: int = setting(
        600,
        "Save at most this many seconds after the last save (one-process runs; the workers of a cluster save by steps). 0: by steps only.",
        lower=0,
    )
    sample_every: int = setting(5, "Epochs between sample SR images.", lower=0)
    patches_per_image: int = setting(
        1, "Random crops per image per epoch (the reference: 1).", lower=1
    )
    keep_checkpoints: int = 2  # checkpoints kept in ckpt/
    precise_bn_batches: int = setting(
        0,
        "Write g.weights.h5 with BatchNorm statistics averaged over this many training batches (PreciseBN; 0: the moving averages, as the reference). Checkpoints keep the moving ones.",
        lower=0,
    )
    ema_decay: float = setting(
        0.0,
        "Write g.weights.h5 from an exponential moving average of the generator's weights with this decay (e.g. 0.999; 0: the last weights, as the reference). Kept in the checkpoint.",
        lower=0.0,
        upper=0.9999999,
    )
    val_every: int = setting(
        0,
        "Validate every N steps on --val_dir (PSNR-Y/SSIM-Y against bicubic, in the history CSV, TensorBoard and the log; the best step's generator goes to g_best.weights.h5). 0: off.",
        lower=0,
    )
    val_dir: str = setting(
        "", "Folder of validation images (never trained on); several, comma-separated."
    )
    val_min_gain: float = setting(
        0.0,
        "The per-image bar of the best step: every validation image's PSNR-Y gain over bicubic must be above this many dB, under every validated protocol (0: above bicubic; -0.1 for hard stress images).",
    )
    val_back_projection: int = setting(
        0,
        "Validate the generator followed by N back-projection steps under each protocol (what upscale and export ship; 0: the generator alone). The bicubic baseline is unchanged.",
        lower=0,
    )
    val_detail_floor: float = setting(
        0.0,
        "Validate with the detail gate of this floor (grey levels) after the back-projection steps, as upscale and export ship it (0: no gate).",
        lower=0.0,
    )
    val_self_ensemble: int = setting(
        1,
        "Validate the generator self-ensembled over this many passes before the steps and the gate, as upscale and export ship it (1, 2, 4 or 8; 1: one pass). Each pass costs one more generator run per validation image.",
        lower=1,
    )
    val_crop: int = setting(
        0, "HR side of the centre crop validated per image (0: whole images).", lower=0
    )
    val_protocols: str = setting(
        "",
        "Comma-separated LR protocols to validate under (study, paper), the first leading the curve and the best step; every one must beat bicubic on every image for a step to be the best. Empty: --protocol.",
    )
    val_best: str = setting(
        "first",
        "What picks the best step among the validations that pass the guards: first (the highest mean gain under the first protocol), mean (the mean of the --val_protocols' gains) or niqe (the lowest mean NIQE under the first protocol, among steps whose mean gain is at least --val_min_mean_gain; scores NIQE).",
        choices=["first", "mean", "niqe"],
    )
    val_min_mean_gain: float = setting(
        0.0,
        "With --val_best=niqe: the least mean PSNR-Y gain over bicubic (dB, first protocol) of a step that can be the best.",
    )
    val_niqe: bool = setting(
        False,
        "Also score NIQE (no-reference naturalness, lower is more natural; on Y, --scale px border cropped) of every validation output under the first protocol: val_niqe, beside bicubic's and the HR images' own (val_niqe_bicubic, val_niqe_hr). About a second per output megapixel.",
    )
    val_snapshots: bool = setting(
        False,
        "Keep the generator of every validation as snapshots/g_step<N>.weights.h5 in the run folder (6 MB each), to choose among them later.",
    )

    @property
    def val_protocol_list(self) -> list[str]:
        """`--val_protocols` as a list (empty: validate under `--protocol`)."""
        return self.val_protocols.split(",") if self.val_protocols else []


CONFIGS = (AppConfig, InferenceConfig, ExportConfig, CompareConfig, DistributeConfig, ModelConfig,
           DataConfig, LossConfig, TrainConfig)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Configs:
    """Everything one command runs with: what `main.py` builds and every mode receives."""

    app: AppConfig
    model: ModelConfig
    data: DataConfig
    loss: LossConfig
    train: TrainConfig
    inference: InferenceConfig = dataclasses.field(default_factory=InferenceConfig)
    export: ExportConfig = dataclasses.field(default_factory=ExportConfig)
    compare: CompareConfig = dataclasses.field(default_factory=CompareConfig)
    distribute: DistributeConfig = dataclasses.field(default_factory=DistributeConfig)
    # What wraps and follows the generator in this command, resolved once by main.py from the
    # flags, the mode's defaults and the generator's config.json (None until then, or when a
    # flag is out of range: the gate says which).
    # (typed loosely: this module sits below inference/ and imports nothing above it)
    post: object = None  # an inference.PostProcessing


def to_dict(config: Any) -> dict:
    """A JSON-ready dict of any config dataclass (nested ones included)."""
    return dataclasses.asdict(config)
