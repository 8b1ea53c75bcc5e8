"""Every command-line flag of main.py, defined inside `define_flags()` (never at import time).

Defaults are the tensorlayer reference's `config.py` values and the study's choices. The
library never reads these: `main.py` turns them into the frozen configs of `srgan_tf.config`.
"""

from absl import flags as absl_flags

MODES = ("init", "adversarial", "specialize", "evaluate", "export", "upscale", "compare")


def define_flags():
    """Defines the flags on absl's global FLAGS (idempotent)."""
    if "mode" in absl_flags.FLAGS:
        return
    f = absl_flags
    f.DEFINE_enum("mode", "init", MODES, "What to run.")
    # data
    f.DEFINE_string(
        "data_dir", "", "Folder of HR images (DIV2K, landscapes). Empty: the built-in sample set."
    )
    f.DEFINE_string(
        "cls",
        "",
        "Class to use (landscapes: general, mountain, desert, sea, beach, island, japan). Empty: all images.",
    )
    f.DEFINE_integer("crop_size", 384, "HR training patch side (pixels).")
    f.DEFINE_integer("scale", 4, "Upscaling factor (the models are 4x).")
    f.DEFINE_integer("n_images", 100, "Training images per class (<= 0: all).")
    f.DEFINE_integer("n_test", 20, "Held-out test images per class.")
    f.DEFINE_integer("n_test_general", 50, "Held-out test images of the general class.")
    f.DEFINE_integer("batch_size", 8, "Global batch size (the study's 8).")
    f.DEFINE_integer("seed", 0, "Seed of initial weights, crops, shuffling and augmentation.")
    f.DEFINE_integer(
        "split_seed",
        0,
        "Seed of the train/test split. Separate from --seed so that a run with another --seed "
        "keeps the held-out images that evaluate uses (with the same --split_seed).",
    )
    f.DEFINE_float("brightness_delta", 0.4, "Random brightness max delta (in [-1, 1] space).")
    f.DEFINE_float("contrast_lower", 0.1, "Random contrast lower factor.")
    f.DEFINE_float("contrast_upper", 0.4, "Random contrast upper factor (0: no contrast change).")
    f.DEFINE_boolean("flip", True, "Random left-right flips.")
    f.DEFINE_boolean(
        "clip_augmented",
        False,
        "Clip HR to [-1, 1] after brightness/contrast (the study does not).",
    )
    f.DEFINE_boolean(
        "channel_shuffle",
        False,
        "Random RGB channel order per patch (not in the reference; widens a small set's colours).",
    )
    f.DEFINE_boolean(
        "rot90",
        False,
        "Random quarter turns of each patch (not in the reference; with --flip, all 8 symmetries).",
    )
    f.DEFINE_float(
        "min_scale",
        1.0,
        "<1: patches may be larger squares shrunk by a random factor down to this one "
        "(antialiased; not in the reference; details at many scales from few images). Drawn "
        "log-uniformly from [min_scale, max_scale].",
        lower_bound=0.1,
        upper_bound=1.0,
    )
    f.DEFINE_float(
        "max_scale",
        1.0,
        ">1: patches may also be enlarged from a smaller square, up to this factor (softer "
        "patches, as defocused photos; not in the reference). Drawn log-uniformly with --min_scale.",
        lower_bound=1.0,
        upper_bound=4.0,
    )
    f.DEFINE_enum(
        "protocol",
        "study",
        ["study", "paper"],
        "How LR images are made for evaluate and validation. study: TensorFlow's plain bicubic "
        "x4 (the study's and the reference's); paper: MATLAB imresize bicubic (antialiased) of "
        "the HR cropped to a multiple of 4, quantised to uint8 (what SR papers report).",
    )
    f.DEFINE_enum(
        "train_lr",
        "",
        ["", "study", "paper", "mixed"],
        "Training LR: empty = as --protocol; mixed = half the patches each way (one model for "
        "both protocols; not in the reference).",
    )
    f.DEFINE_enum(
        "split",
        "seeded",
        ["seeded", "none"],
        "seeded: hold out --n_test images per class (the study); none: no hold-out: training "
        "uses every image and evaluate scores every image (benchmark folders, a corpus split).",
    )
    f.DEFINE_float("cache_gb", 8.0, "Keep decoded images in memory up to this many GiB.")
    # models
    f.DEFINE_integer("n_res_blocks", 16, "Generator residual blocks (16: the reference).")
    f.DEFINE_integer("filters", 64, "Generator width (64: the reference).")
    f.DEFINE_enum(
        "discriminator",
        "tl",
        ["tl", "paper"],
        "tl: the reference's discriminator; paper: the SRGAN paper's.",
    )
    f.DEFINE_integer("d_filters", 64, "Discriminator base width (64: the reference).")
    f.DEFINE_enum(
        "vgg",
        "vgg19",
        ["vgg19", "vgg16"],
        "VGG loss network (the reference: vgg19; the study's code: vgg16).",
    )
    f.DEFINE_string("vgg_end_with", "pool4", "Last VGG layer of the feature loss.")
    f.DEFINE_enum(
        "vgg_channel_order",
        "rgb",
        ["rgb", "bgr"],
        "rgb: the reference's preprocessing quirk; bgr: Caffe-correct.",
    )
    # losses
    f.DEFINE_float("mse_weight", 1.0, "Weight of the pixel MSE.")
    f.DEFINE_enum(
        "init_loss",
        "mse",
        ["mse", "l1"],
        "Pixel loss of the init phase: mse (the reference) or l1 (EDSR; not in the reference).",
    )
    f.DEFINE_float("vgg_weight", 2e-6, "Weight of the VGG feature MSE.")
    f.DEFINE_float("adv_weight", 1e-3, "Weight of the adversarial loss.")
    # training
    f.DEFINE_string("checkpoint_dir", "checkpoints", "Root of run folders and weight files.")
    f.DEFINE_string(
        "g_weights",
        "",
        "Generator weights to start from (any supported format); evaluate: extra generators, comma-separated.",
    )
    f.DEFINE_string("d_weights", "", "Discriminator weights to start from.")
    f.DEFINE_string(
        "vgg_weights", "checkpoints/vgg19.npy", "VGG weights file, or 'imagenet' (needs a network)."
    )
    f.DEFINE_boolean(
        "no_vgg", False, "Train the adversarial phase without the VGG term (said in the log)."
    )
    f.DEFINE_integer(
        "n_trainable",
        1,
        "specialize: re-initialise and train only the last N weighted generator layers.",
    )
    f.DEFINE_enum(
        "precision", "float32", ["float32", "mixed_bfloat16", "mixed_float16"], "Compute precision."
    )
    f.DEFINE_integer("max_steps", 0, "Total steps of the run, resumed runs included (0: no limit).")
    f.DEFINE_integer(
        "save_every",
        1000,
        "Save (checkpoint and g.weights.h5) every N steps; also every --save_secs, at the end "
        "and on Ctrl-C. 0: by time only.",
        lower_bound=0,
    )
    f.DEFINE_integer(
        "save_secs",
        600,
        "Save at most this many seconds after the last save (one-process runs; the workers of "
        "a cluster save by steps). 0: by steps only.",
        lower_bound=0,
    )
    f.DEFINE_integer("sample_every", 5, "Epochs between sample SR images.")
    f.DEFINE_integer("n_epoch_init", 100, "Generator initialisation (MSE) epochs.")
    f.DEFINE_integer("n_epoch", 100, "Adversarial epochs (the study: 100; the reference: 2000).")
    f.DEFINE_float("lr_init", 1e-4, "Adam learning rate.")
    f.DEFINE_float("beta1", 0.9, "Adam beta1.")
    f.DEFINE_float("lr_decay", 0.1, "Learning-rate decay factor (adversarial phase).")
    f.DEFINE_integer("decay_every", 0, "Adversarial epochs between decays (0: n_epoch // 2).")
    f.DEFINE_integer("patches_per_image", 1, "Random crops per image per epoch (the reference: 1).")
    f.DEFINE_integer(
        "precise_bn_batches",
        0,
        "Write g.weights.h5 with BatchNorm statistics averaged over this many training batches "
        "(PreciseBN; 0: the moving averages, as the reference). Checkpoints keep the moving ones.",
        lower_bound=0,
    )
    f.DEFINE_float(
        "ema_decay",
        0.0,
        "Write g.weights.h5 from an exponential moving average of the generator's weights with "
        "this decay (e.g. 0.999; 0: the last weights, as the reference). Kept in the checkpoint.",
        lower_bound=0.0,
        upper_bound=0.9999999,
    )
    f.DEFINE_integer(
        "cpu_replicas",
        0,
        "Split the CPU into N logical devices under MirroredStrategy (testing tf.distribute without GPUs).",
    )
    f.DEFINE_integer(
        "cluster_timeout",
        300,
        "Multi-worker (TF_CONFIG): seconds to wait for every worker to join; then exit with "
        "an error naming the cluster instead of waiting forever.",
        lower_bound=1,
    )
    f.DEFINE_boolean("progress", True, "Show progress bars.")
    f.DEFINE_boolean(
        "verbose",
        False,
        "Show TensorFlow's C++ start-up lines (hidden by default: on a machine without a GPU "
        "they are CUDA-driver notices that read as errors).",
    )
    f.DEFINE_integer(
        "val_every",
        0,
        "Validate every N steps on --val_dir (PSNR-Y/SSIM-Y against bicubic, in the history CSV, "
        "TensorBoard and the log; the best step's generator goes to g_best.weights.h5). 0: off.",
        lower_bound=0,
    )
    f.DEFINE_string("val_dir", "", "Folder of validation images (never trained on).")
    f.DEFINE_integer(
        "val_crop",
        0,
        "HR side of the centre crop validated per image (0: whole images).",
        lower_bound=0,
    )
    # evaluate / upscale / export
    f.DEFINE_string(
        "output",
        "",
        "evaluate: results folder (default results/evaluate); upscale: output folder (default results/upscaled).",
    )
    f.DEFINE_string(
        "input", "", "upscale: an image file or a folder of images; compare: an HR image."
    )
    f.DEFINE_enum(
        "format",
        "",
        ["", "png", "jpg", "webp", "saved_model", "tflite"],
        "upscale: png (default; every pixel exact), jpg (drops alpha) or webp. export: "
        "saved_model (default; TF Serving) or tflite (phones and edge devices).",
    )
    f.DEFINE_integer(
        "max_pixels",
        16_000_000,
        "export: the largest input (height x width) the SavedModel serves; larger requests get "
        "an InvalidArgument error naming the limit.",
        lower_bound=1,
    )
    f.DEFINE_boolean("tflite_fp16", False, "export --format=tflite: float16 weights (half size).")
    f.DEFINE_integer("window", 256, "compare: side of the window shown, in HR pixels.")
    f.DEFINE_string(
        "window_at", "", "compare: 'y,x' of the window (default: the most detailed one)."
    )
    f.DEFINE_integer(
        "tile", 256, "Tiled inference: input tile side including overlap (0: whole images)."
    )
    f.DEFINE_string(
        "export_dir",
        "export/srgan",
        "export: SavedModel root; the model goes to <export_dir>/<version>.",
    )
    f.DEFINE_integer(
        "version", 1, "export: the SavedModel version folder (TF Serving serves the highest)."
    )
