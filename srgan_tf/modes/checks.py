"""The one gate: every setting and input of a command checked before anything is written.

`check_configs` collects every problem it finds (a bound, a combination that cannot work, a
missing or unreadable input, an unwritable target) and refuses them together in one message,
one line per problem, so a command fails once rather than once per mistake. Inputs are only
read here (folders listed, weight files loaded into a throwaway model); nothing is created.
"""

import contextlib
import json
import os
import tempfile
from pathlib import Path

from srgan_tf import config
from srgan_tf.config import PROTOCOLS, SELF_ENSEMBLES
from srgan_tf.errors import USER_ERRORS, ConfigError
from srgan_tf.modes.registry import MODES, TRAINING_MODES, refused_flags  # noqa: F401  (re-exported)


def check_configs(cfg: config.Configs, given: set[str] = frozenset()) -> None:
    """Raises one `ConfigError` listing every problem of the command `cfg` describes (`given`:
    the flags set on its command line; one its mode does not read is a problem too)."""
    problems = refused_flags(cfg.app.mode, set(given), cfg.app.format)
    problems += _bounds(cfg)
    if not problems:  # the rest assumes values within their bounds
        problems = _combinations(cfg) + _inputs(cfg)
    if len(problems) == 1:
        raise ConfigError(problems[0])
    if problems:
        raise ConfigError(f"{len(problems)} problems:\n  - " + "\n  - ".join(problems))


def _bounds(cfg):
    """Each setting within the bounds it declares (the flags enforce the same bounds; configs
    built in code pass through here too)."""
    problems = []
    for part in (cfg.app, cfg.inference, cfg.export, cfg.compare, cfg.distribute, cfg.model,
                 cfg.data, cfg.loss, cfg.train):  # fmt: skip
        for field, name in config.flag_fields(type(part)):
            meta, value = field.metadata, getattr(part, field.name)
            if meta["lower"] is not None and value < meta["lower"]:
                problems.append(f"--{name}={value}: must be at least {meta['lower']}")
            elif meta["upper"] is not None and value > meta["upper"]:
                problems.append(f"--{name}={value}: must be at most {meta['upper']}")
    return problems


def _combinations(cfg):
    from srgan_tf.models import discriminator
    from srgan_tf.training import distribute

    data, train, mode = cfg.data, cfg.train, cfg.app.mode
    problems = _tile_problems(cfg)
    if cfg.inference.self_ensemble not in (-1, *SELF_ENSEMBLES):
        problems.append(
            f"--self_ensemble={cfg.inference.self_ensemble}: must be one of {SELF_ENSEMBLES} (generator "
            f"passes), or -1 for the mode's default"
        )
    if (
        mode in TRAINING_MODES
        and not _trains_anything(mode, train)
        and not _has_checkpoint(train.run_dir)
    ):
        epochs = {"init": "--n_epoch_init", "adversarial": "--n_epoch"}
        flags_ = " and ".join(f"{epochs[p]}=0" for p in MODES[mode].phases)
        problems.append(
            f"--mode={mode} with {flags_} trains nothing (a new run would save its untrained "
            f"starting point as if it were trained); give its phases epochs (a run that exists "
            f"may be resumed with none, to end it where it is)"
        )
    if mode == "specialize" and not data.cls:
        problems.append("--mode=specialize needs --cls (e.g. --cls=desert, or --cls=general)")
    if mode not in TRAINING_MODES:
        return problems
    # GPU and cluster replica counts are known only once the strategy exists (modes/train.py).
    if problem := distribute.batch_problem(data.batch_size, cfg.distribute.cpu_replicas):
        problems.append(problem)
    if data.crop_size % data.scale:
        problems.append(
            f"--crop_size={data.crop_size} is not divisible by {data.scale} (the generator is "
            f"{data.scale}x); use e.g. "
            f"{data.crop_size - data.crop_size % data.scale}"
        )
    if mode != "init" and train.n_epoch > 0:  # the phases that build the discriminator
        if problem := discriminator.size_problem(cfg.model.discriminator, data.crop_size):
            problems.append(problem)
    if data.saturation_min > data.saturation_max:
        problems.append(
            f"--saturation_min={data.saturation_min} is above --saturation_max="
            f"{data.saturation_max}; the factor is drawn from [min, max]"
        )
    bad = [p for p in train.val_protocol_list if p not in PROTOCOLS]
    if bad:
        problems.append(
            f"--val_protocols={train.val_protocols}: unknown protocol {bad[0]!r}; use a "
            f"comma-separated list of {', '.join(PROTOCOLS)}"
        )
    loss = cfg.loss
    if (loss.loss_back_projection or loss.loss_detail_floor) and data.train_lr == "mixed":
        problems.append(
            "--loss_back_projection/--loss_detail_floor need one training LR protocol (the steps "
            "downscale with it); --train_lr=mixed gives each patch its own"
        )
    if train.val_self_ensemble not in SELF_ENSEMBLES:
        problems.append(
            f"--val_self_ensemble={train.val_self_ensemble}: must be one of {SELF_ENSEMBLES} "
            f"(generator passes)"
        )
    scores_niqe = train.val_niqe or train.val_best == "niqe"
    if (
        train.val_every > 0
        and scores_niqe
        and 0 < train.val_crop < config.smallest_niqe_crop(data.scale)
    ):
        problems.append(
            f"--val_crop={train.val_crop} is too small for NIQE (--val_niqe or --val_best=niqe): "
            f"it needs crops of at least {config.smallest_niqe_crop(data.scale)} pixels (two 96-pixel blocks "
            f"after the {data.scale}-pixel border), or 0 for whole images"
        )
    if train.val_every > 0 and not train.val_dir:
        problems.append(
            f"--val_every={train.val_every} needs --val_dir, a folder of validation images"
        )
    if mode == "specialize":
        problems += _n_trainable(cfg.model, train.n_trainable)
    return problems


def _n_trainable(model_cfg: config.ModelConfig, n: int) -> list[str]:
    """`transfer.tail_layers`' refusal of `n`, asked of a thin generator of the same depth."""
    from srgan_tf.models import build_generator
    from srgan_tf.training import transfer

    try:
        transfer.tail_layers(build_generator(model_cfg.n_res_blocks, 4), n)
    except ValueError as e:
        return [str(e)]
    return []


def _inputs(cfg):
    """Every file and folder the command reads, read now; every target it writes, tried."""
    app, train, mode = cfg.app, cfg.train, cfg.app.mode
    problems = []
    if mode in TRAINING_MODES:
        problems += _starting_point(cfg)
        problems += _training_data(cfg)
        if mode != "init" and train.n_epoch > 0 and train.use_vgg:
            problems += _vgg_file(train)
        for folder in (p for p in train.val_dir.split(",") if p):
            if not Path(folder).is_dir():
                problems.append(f"--val_dir: {folder} is not a folder")
    given = train.g_weights if mode in TRAINING_MODES else app.g_weights
    for path in (p for p in given.split(",") if p):
        problems += generator_file_problems(path, cfg.model)
    if mode in TRAINING_MODES and train.d_weights:
        problems += _missing(train.d_weights, "--d_weights")
    if mode == "upscale" and (app.format or "png") not in config.IMAGE_FORMATS:
        problems.append(
            f"--mode=upscale writes {'/'.join(config.IMAGE_FORMATS)}, not --format={app.format}"
        )
    if mode == "upscale":
        problems += _upscale_input(app)
    if mode == "compare":
        problems += _compare_input(app, cfg.data.scale)
    if mode in TRAINING_MODES:
        problems += _writable(train.run_dir, "--checkpoint_dir")
    if mode == "export":
        fmt = app.format or "saved_model"
        if fmt not in ("saved_model", "tflite"):
            problems.append(f"--mode=export writes saved_model or tflite, not --format={fmt}")
        problems += _writable(cfg.export.export_dir, "--export_dir")
        if fmt == "tflite" and (target := tflite_target(cfg)).exists():
            problems.append(
                f"{target} exists: a TFLite export does not overwrite it (as a SavedModel "
                f"version is never overwritten); remove it or pass another --export_dir"
            )
    if mode in ("upscale", "compare", "evaluate") and app.output:
        problems += _writable(app.output, "--output")
    return problems


def _upscale_input(app):
    """An input that exists and holds files, and an output folder that is not the input folder
    (its outputs would be read as inputs by the next run)."""
    from srgan_tf.inference import input_files

    src, out = Path(app.input), MODES["upscale"].output_dir(app.output)
    if not app.input:
        return ["--mode=upscale needs --input=IMAGE_OR_FOLDER"]
    if not src.exists():
        return [f"--input={app.input}: no such file or folder"]
    if not src.is_dir() and not src.is_file():
        return [f"--input={app.input} is neither a file nor a folder"]
    if src.is_dir() and out.absolute() == src.absolute():
        return [
            f"--output={out} is the --input folder itself: its outputs would be read as inputs "
            f"by the next run; pass another folder (one inside it is fine)"
        ]
    if not input_files(src, out):
        return [f"--input={src}: no files in this folder or its subfolders"]
    return []


def _compare_input(app, scale):
    """An HR image large enough to score (its LR is a quarter of it; SSIM needs a window)."""
    from srgan_tf.data import images

    if not app.input or not Path(app.input).is_file():
        return [f"--mode=compare needs --input=HR_IMAGE (an image file), got {app.input!r}"]
    try:
        rgb, _ = images.read_image(app.input)
    except images.BadImage as e:
        return [f"--input={e}"]
    least = config.smallest_scored_side(scale)
    if min(rgb.shape[:2]) < least:
        h, w = rgb.shape[:2]
        return [
            f"--input={app.input} is {w}x{h} pixels: compare makes its LR at 1/{scale} of it and "
            f"scores the SR against it, which needs at least {least}x{least}; to upscale a "
            f"small image use --mode=upscale"
        ]
    return []


def _starting_point(cfg):
    """adversarial and specialize start from a generator: given, or found by the default rule
    (main.py resolves it once into `train.g_weights`)."""
    mode, train = cfg.app.mode, cfg.train
    if mode == "init" or train.g_weights or _has_checkpoint(train.run_dir):
        return []
    from srgan_tf.modes import defaults

    return [defaults.default_generator(mode, cfg.app.checkpoint_dir).why]


def _training_data(cfg):
    from srgan_tf.data import datasets, sample_data

    data, train = cfg.data, cfg.train
    try:
        root = sample_data.data_root(data, log=lambda *_: None)
        most = datasets.most_training_images(root, data.cls, data)
    except USER_ERRORS as e:
        return [str(e)]
    where = f"{root}{f' (class {data.cls!r})' if data.cls else ''}"
    if most == 0:
        return [
            f"{where}: no image is at least {data.crop_size} pixels on each side "
            f"(--crop_size={data.crop_size}), so none can train; pass a smaller --crop_size"
        ]
    if most * train.patches_per_image < data.batch_size:
        return [
            f"{where}: at most {most} training images x {train.patches_per_image} patches each "
            f"(--patches_per_image) = {most * train.patches_per_image} patches, fewer than one "
            f"batch of {data.batch_size} (--batch_size); lower --batch_size or raise "
            f"--patches_per_image"
        ]
    return []


def _vgg_file(train: config.TrainConfig) -> list[str]:
    from srgan_tf.training import loss_network

    problem = loss_network.weights_problem(train.vgg_weights)
    return [problem] if problem else []


def _missing(path, flag):
    from srgan_tf.weights.official import where_to_get

    return [] if Path(path).is_file() else [f"{flag}={path}: no such file{where_to_get(path)}"]


def generator_file_problems(
    path: str, model_cfg: config.ModelConfig, flag: str = "--g_weights"
) -> list[str]:
    """Why the generator `path` (a shipped name or a file, named `flag` in the lines) cannot be
    used: read into a throwaway generator, so a PNG or another model's weights is refused here,
    before any image is scored (the API raises the same lines)."""
    from srgan_tf import pretrained, weights
    from srgan_tf.models import build_generator

    path = pretrained.resolve(path)
    if Path(path).is_dir():
        inside = sorted(p.name for p in Path(path).glob("*.weights.h5"))
        hint = f" (it holds {', '.join(inside)})" if inside else ""
        return [f"{flag}={path} is a folder{hint}: name the weight file, e.g. "
                f"{flag}={Path(path) / 'g.weights.h5'}"]  # fmt: skip
    if not Path(path).is_file():
        return _missing(path, flag)
    try:
        weights.load_weights(
            build_generator(model_cfg.n_res_blocks, model_cfg.filters), path, log=lambda *_: None
        )
    except USER_ERRORS as e:
        return [str(e)]
    return []


def _writable(target, flag):
    """Tries to create (and at once removes) a file in the nearest existing folder of `target`."""
    parent = Path(target).absolute()
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return [f"{flag}={target}: {parent} is a file, not a folder"]
    try:
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".srgan_write_test")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        return [f"{flag}={target}: cannot write in {parent} ({e.strerror or e})"]
    return []


def check_resume(run: Path, data: config.DataConfig, train: config.TrainConfig) -> None:
    """A run folder resumes only with the data settings that fix its batches."""
    old = Path(run) / "config.json"
    if not _has_checkpoint(run) or not old.is_file():
        return
    before = json.loads(old.read_text())
    now = {"data": {"batch_size": data.batch_size, "seed": data.seed},
           "train": {"patches_per_image": train.patches_per_image}}  # fmt: skip
    changed = [
        f"--{key}={value} (the checkpoint's run used {before[group][key]})"
        for group, values in now.items()
        for key, value in values.items()
        if key in before.get(group, {}) and before[group][key] != value
    ]
    if changed:
        raise ConfigError(
            f"{run} holds a run that cannot resume with {', '.join(changed)}: the position in "
            f"its epoch would point at other batches. Resume with the run's values, or start a "
            f"new --checkpoint_dir warm-started with --g_weights={Path(run) / 'g.weights.h5'}"
        )


def tflite_target(cfg: config.Configs) -> Path:
    """The file `--mode=export --format=tflite` writes (modes/export.py writes it there)."""
    name = f"srgan_{'fp16' if cfg.export.tflite_fp16 else 'fp32'}.tflite"
    return Path(cfg.export.export_dir) / name


def _tile_problems(cfg: config.Configs) -> list[str]:
    """The tile checked against what runs in it: in training, validation's own steps and gate
    (none without validation); in export, no whole images."""
    from srgan_tf.inference.post_settings import for_validation
    from srgan_tf.inference.tiling_core import context_for, tile_cost_problem, tile_problem
    from srgan_tf.models import trunk_tail

    app, train, mode = cfg.app, cfg.train, cfg.app.mode
    reach, post, where = trunk_tail.reach_of(cfg.model.n_res_blocks), cfg.post, ""
    if mode in TRAINING_MODES:
        post = None
        if train.val_every > 0:
            with contextlib.suppress(ValueError):  # out of range: the bounds above say so
                post = for_validation(train)
            where = "validation (--val_back_projection, --val_detail_floor): "
    if post is not None:
        context = context_for(reach, post)
        problem = tile_problem(app.tile, context, whole=mode != "export")
        if problem := problem or tile_cost_problem(app.tile, context):
            return [where + problem]
    return []


def _has_checkpoint(run_dir: str | Path) -> bool:
    """Whether a run folder holds a checkpoint to resume from (the manager's index file)."""
    return (Path(run_dir) / "ckpt" / "checkpoint").exists()


def _trains_anything(mode: str, train: config.TrainConfig) -> bool:
    """Whether a training mode's phases have any epochs."""
    epochs = {"init": train.n_epoch_init, "adversarial": train.n_epoch}
    return any(epochs[p] > 0 for p in MODES[mode].phases)
