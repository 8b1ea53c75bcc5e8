"""srgan-tf command line: `python main.py --mode=init|adversarial|specialize|evaluate|upscale|compare|export`.

Parses the flags once, turns them into frozen configs, writes them next to the run's outputs
and dispatches on --mode. User mistakes (a bad path, an unknown class, mismatching weights)
end with one clear message and exit code 1, not a traceback.
"""

import json
import os
import sys
from pathlib import Path

from absl import app
from absl import flags as absl_flags

from flags import srgan_flags

srgan_flags.define_flags()
FLAGS = absl_flags.FLAGS


def make_configs():
    from srgan_tf import config

    model = config.ModelConfig(
        n_res_blocks=FLAGS.n_res_blocks, filters=FLAGS.filters, discriminator=FLAGS.discriminator,
        d_filters=FLAGS.d_filters, vgg_name=FLAGS.vgg, vgg_end_with=FLAGS.vgg_end_with,
        vgg_channel_order=FLAGS.vgg_channel_order,
    )  # fmt: skip
    data = config.DataConfig(
        data_dir=FLAGS.data_dir, cls=FLAGS.cls, crop_size=FLAGS.crop_size, scale=FLAGS.scale,
        n_images=FLAGS.n_images, n_test=FLAGS.n_test, n_test_general=FLAGS.n_test_general,
        batch_size=FLAGS.batch_size, seed=FLAGS.seed, split_seed=FLAGS.split_seed,
        split=FLAGS.split, flip=FLAGS.flip,
        brightness_delta=FLAGS.brightness_delta, contrast_lower=FLAGS.contrast_lower,
        contrast_upper=FLAGS.contrast_upper, clip_augmented=FLAGS.clip_augmented,
        channel_shuffle=FLAGS.channel_shuffle, rot90=FLAGS.rot90, min_scale=FLAGS.min_scale,
        max_scale=FLAGS.max_scale,
        protocol=FLAGS.protocol, train_lr=FLAGS.train_lr, cache_gb=FLAGS.cache_gb,
    )  # fmt: skip
    loss = config.LossConfig(FLAGS.mse_weight, FLAGS.vgg_weight, FLAGS.adv_weight, FLAGS.init_loss)
    train = config.TrainConfig(
        run_dir=str(run_dir()), n_epoch_init=FLAGS.n_epoch_init, n_epoch=FLAGS.n_epoch,
        lr_init=FLAGS.lr_init, beta1=FLAGS.beta1, lr_decay=FLAGS.lr_decay,
        decay_every=FLAGS.decay_every, g_weights=default_g_weights(), d_weights=FLAGS.d_weights,
        vgg_weights=FLAGS.vgg_weights, use_vgg=not FLAGS.no_vgg,
        n_trainable=FLAGS.n_trainable if FLAGS.mode == "specialize" else 0,
        precision=FLAGS.precision, max_steps=FLAGS.max_steps, save_every=FLAGS.save_every,
        save_secs=FLAGS.save_secs,
        sample_every=FLAGS.sample_every, patches_per_image=FLAGS.patches_per_image,
        precise_bn_batches=FLAGS.precise_bn_batches, ema_decay=FLAGS.ema_decay,
        progress=FLAGS.progress, val_every=FLAGS.val_every, val_dir=FLAGS.val_dir,
        val_crop=FLAGS.val_crop,
    )  # fmt: skip
    return model, data, loss, train


def check_configs(model, data, train):
    """Settings that cannot work, refused in one line before anything is built."""
    from srgan_tf import transfer
    from srgan_tf.errors import ConfigError
    from srgan_tf.models import build_generator

    if data.scale != 4:
        raise ConfigError(
            f"--scale={data.scale}: the SRGAN generator is 4x (two x2 pixel shuffles); only "
            f"--scale=4 is supported"
        )
    if FLAGS.mode in ("init", "adversarial", "specialize") and data.crop_size % data.scale:
        raise ConfigError(
            f"--crop_size={data.crop_size} is not divisible by --scale={data.scale}; use e.g. "
            f"{data.crop_size - data.crop_size % data.scale}"
        )
    if FLAGS.mode == "specialize":
        n = len(transfer.weighted_layers(build_generator(model.n_res_blocks, 4)))
        if not 1 <= train.n_trainable <= n:
            raise ConfigError(
                f"--n_trainable={train.n_trainable}: the generator has {n} layers with weights; "
                f"pass 1 (the study: the last layer) to {n}"
            )


def check_resume(run, data, train):
    """A run folder resumes only with the data settings that fix its batches."""
    from srgan_tf.errors import ConfigError

    old = Path(run) / "config.json"
    if not (Path(run) / "ckpt" / "checkpoint").exists() or not old.is_file():
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


def run_dir():
    """init -> checkpoints/init, adversarial -> checkpoints/srgan, specialize -> checkpoints/<cls>."""
    root = Path(FLAGS.checkpoint_dir)
    return root / {"init": "init", "adversarial": "srgan"}.get(
        FLAGS.mode, FLAGS.cls.lower() or "all"
    )


def default_g_weights():
    """The generator this mode starts from (srgan_tf/defaults.py: one rule for every mode)."""
    from srgan_tf.defaults import default_generator

    path, _ = default_generator(FLAGS.mode, FLAGS.checkpoint_dir, FLAGS.g_weights)
    return path


def say_generator():
    from srgan_tf.defaults import default_generator

    _, message = default_generator(FLAGS.mode, FLAGS.checkpoint_dir, FLAGS.g_weights)
    print(message, file=sys.stderr if message.startswith("WARNING") else sys.stdout)


def data_root(data_cfg):
    from srgan_tf import sample_data

    if data_cfg.data_dir:
        return Path(data_cfg.data_dir)
    root = sample_data.sample_dir()
    print(f"No --data_dir: using the built-in sample set at {root}")
    return root


def train(phases):
    from srgan_tf import atomic, datasets, distribute, run_lock, training
    from srgan_tf.config import to_dict
    from srgan_tf.errors import ConfigError

    model, data, loss, tcfg = make_configs()
    if FLAGS.mode == "specialize" and not data.cls:
        raise ConfigError("--mode=specialize needs --cls (e.g. --cls=desert, or --cls=general)")
    if "adversarial" in phases and FLAGS.mode == "adversarial" and not tcfg.g_weights:
        has_ckpt = (Path(tcfg.run_dir) / "ckpt" / "checkpoint").exists()
        if not has_ckpt:
            raise ConfigError(
                f"--mode=adversarial warm-starts the generator: run --mode=init first (it writes "
                f"{Path(FLAGS.checkpoint_dir) / 'init' / 'g.weights.h5'}) or pass --g_weights=FILE"
            )
    if FLAGS.mode == "specialize" and not tcfg.g_weights:
        raise ConfigError(
            f"--mode=specialize needs a pretrained generator: pass --g_weights=FILE (e.g. the official "
            f"{Path(FLAGS.checkpoint_dir) / 'g_srgan.npz'}) or train one with --mode=init/adversarial first"
        )
    if FLAGS.mode != "init":
        say_generator()
    devices = None
    if FLAGS.cpu_replicas > 1:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * FLAGS.cpu_replicas
        )
        devices = [f"/cpu:{i}" for i in range(FLAGS.cpu_replicas)]
    strategy = distribute.make_strategy(devices, FLAGS.cluster_timeout)
    replicas = strategy.num_replicas_in_sync
    if data.batch_size % replicas:
        raise ConfigError(
            f"--batch_size={data.batch_size} cannot be shared by the {replicas} replicas of this "
            f"run; pass a multiple of {replicas}"
        )
    out = Path(tcfg.run_dir)
    if distribute.is_chief():
        try:
            run_lock.acquire(out)  # before anything is written into the run folder
        except run_lock.RunLocked as e:
            raise training.TrainingError(str(e)) from None
        check_resume(out, data, tcfg)
    split = datasets.make_split(data_root(data), data.cls, data)
    if distribute.is_chief():
        configs = {
            "mode": FLAGS.mode,
            **{
                k: to_dict(c)
                for k, c in zip(("model", "data", "loss", "train"), (model, data, loss, tcfg))
            },
        }
        atomic.write_text(out / "config.json", json.dumps(configs, indent=1))
        split.write_manifest(out / "manifest.json")
    trainer = training.Trainer(phases, model, data, loss, tcfg, split, strategy)
    final = trainer.run()
    written = f"Generator: {out / 'g.weights.h5'}" if trainer.chief else "(the chief writes)"
    print(f"Done at step {int(trainer.step)}: {final}. {written}")


def inference_generator():
    """The generator for upscale/compare/export: --g_weights, else the default rule's."""
    from srgan_tf import weights
    from srgan_tf.errors import ConfigError
    from srgan_tf.models import build_generator

    model, *_ = make_configs()
    path = default_g_weights()
    say_generator()
    if not path:
        raise ConfigError("no generator to run: pass --g_weights=FILE")
    g = build_generator(model.n_res_blocks, model.filters)
    weights.load_weights(g, path)
    return g


def evaluate():
    from srgan_tf import atomic, evaluation
    from srgan_tf.config import to_dict
    from srgan_tf.errors import ConfigError

    model, data, *_ = make_configs()
    extra = [p for p in FLAGS.g_weights.split(",") if p]
    generators = evaluation.find_generators(FLAGS.checkpoint_dir, extra)
    if not generators:
        raise ConfigError(
            f"no generators to evaluate: none in {FLAGS.checkpoint_dir}/*/g.weights.h5 and no --g_weights"
        )
    test_sets = evaluation_sets(data)
    out = Path(FLAGS.output or "results/evaluate")
    out.mkdir(parents=True, exist_ok=True)
    atomic.write_text(
        out / "config.json",
        json.dumps(
            {
                "generators": {k: str(v) for k, v in generators.items()},
                "protocol": data.protocol,
                "data": to_dict(data),
                "model": to_dict(model),
            },
            indent=1,
        ),
    )
    print(
        f"Evaluating {', '.join(generators)} (+ bicubic) on {', '.join(test_sets)}; protocol "
        f"{data.protocol!r}: {evaluation.PROTOCOL_TEXT[data.protocol]}"
    )
    evaluation.evaluate(
        generators, test_sets, data, model, out, FLAGS.tile, progress=FLAGS.progress
    )
    print(f"Matrices, heatmaps, best_worst.png and SR images in {out}")


def evaluation_sets(data):
    """`{row name: ImageSet}`: each class of each `--data_dir` folder (comma-separated). A flat
    folder of unclassed images (a benchmark set, a corpus split) is one row named after it."""
    from srgan_tf import datasets

    roots = [Path(p) for p in data.data_dir.split(",") if p] or [data_root(data)]
    sets = {}
    for root in roots:
        classes, _ = datasets.discover(root)
        names = datasets.select_classes(classes, data.cls, root) if data.cls else sorted(classes)
        flat = names == [datasets.GENERAL] and all(p.parent == root for p in classes[names[0]])
        for c in names:
            label = root.name if flat else c
            if label in sets:
                label = f"{root.name}/{c}"
            sets[label] = datasets.make_split(root, c, data, with_train=False).test
    return sets


def upscale():
    from tqdm import tqdm

    from srgan_tf import images, inference
    from srgan_tf.errors import ConfigError

    src = Path(FLAGS.input)
    if not FLAGS.input or not src.exists():
        raise ConfigError(f"--input must be an image file or a folder, got {FLAGS.input!r}")
    files = sorted(p for p in src.rglob("*") if p.is_file()) if src.is_dir() else [src]
    predict = inference.predictor(inference_generator())
    out = Path(FLAGS.output or "results/upscaled")
    fmt = FLAGS.format or "png"
    if fmt not in inference.OUTPUT_FORMATS:
        raise ConfigError(
            f"--mode=upscale writes {'/'.join(inference.OUTPUT_FORMATS)}, not --format={fmt}"
        )
    targets = inference.output_paths(files, src, out, FLAGS.scale, fmt)
    done, failed = 0, []
    for path in tqdm(files, desc="upscale", unit="image", disable=not FLAGS.progress):
        try:
            sr = inference.upscale_file(predict, path, FLAGS.scale, FLAGS.tile)
        except images.BadImage as e:
            failed.append(str(e))
            continue
        if fmt == "jpg" and sr.ndim == 3 and sr.shape[-1] == 4:
            sr = sr[..., :3]  # JPEG has no alpha channel
        images.write_image(targets[path], sr)
        done += 1
    for reason in failed:
        print(f"skipped {reason}", file=sys.stderr)
    print(f"{done} images upscaled into {out}; {len(failed)} skipped")
    if not done:
        raise ConfigError(f"no readable image in {src}")


def compare():
    from srgan_tf import compare as compare_lib
    from srgan_tf import images, inference
    from srgan_tf.errors import ConfigError

    model, data, *_ = make_configs()
    src = Path(FLAGS.input)
    if not FLAGS.input or not src.is_file():
        raise ConfigError(
            f"--mode=compare needs --input=HR_IMAGE (an image file), got {FLAGS.input!r}"
        )
    box = None
    if FLAGS.window_at:
        try:
            box = tuple(int(v) for v in FLAGS.window_at.split(","))
            assert len(box) == 2
        except (ValueError, AssertionError):
            raise ConfigError(f"--window_at must be 'y,x', got {FLAGS.window_at!r}") from None
    rgb, _ = images.read_image(src)
    g = inference_generator()
    out = Path(FLAGS.output or "results/compare") / f"{src.stem}_compare.png"
    name = Path(FLAGS.g_weights).parent.name if FLAGS.g_weights else "SR"
    scores = compare_lib.compare_figure(
        inference.predictor(g), rgb, out, data, FLAGS.window, box, name=name, title=src.name
    )
    print(", ".join(f"{k}: {v:.2f} dB PSNR-Y" for k, v in scores.items()) + f". Figure: {out}")


def export():
    from srgan_tf import export as export_lib
    from srgan_tf.errors import ConfigError

    fmt = FLAGS.format or "saved_model"
    if fmt not in ("saved_model", "tflite"):
        raise ConfigError(f"--mode=export writes saved_model or tflite, not --format={fmt}")
    g = inference_generator()
    if fmt == "tflite":
        name = f"srgan_{'fp16' if FLAGS.tflite_fp16 else 'fp32'}.tflite"
        target = export_lib.export_tflite(g, Path(FLAGS.export_dir) / name, FLAGS.tflite_fp16)
        print(
            f"TFLite model written to {target} ({target.stat().st_size / 2**20:.1f} MB): input "
            f"(1, h, w, 3) float32 in [-1, 1] of any size (resize the input, then allocate)"
        )
        return
    try:
        target = export_lib.export_saved_model(
            g, FLAGS.export_dir, FLAGS.version, FLAGS.tile, FLAGS.max_pixels
        )
    except ValueError as e:
        raise ConfigError(f"--tile={FLAGS.tile}: {e}") from None
    print(
        f"SavedModel written to {target} (signatures: serving_default, encoded, predict_float; "
        f"tiles of {FLAGS.tile} px, at most {FLAGS.max_pixels:,} pixels per image)"
    )


MODES = {
    "init": lambda: train(["init"]),
    "adversarial": lambda: train(["adversarial"]),
    "specialize": lambda: train(["init", "adversarial"]),
    "evaluate": evaluate,
    "upscale": upscale,
    "compare": compare,
    "export": export,
}


def main(argv):
    del argv
    from absl import logging

    logging.set_verbosity(
        logging.WARNING
    )  # TensorFlow's checkpoint INFO lines drown the progress bars
    from srgan_tf.errors import USER_ERRORS

    try:
        model, data, _, train_cfg = make_configs()
        check_configs(model, data, train_cfg)
        MODES[FLAGS.mode]()
    except USER_ERRORS as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)


def import_tensorflow_quietly():
    """Imports TensorFlow with its C++ start-up lines (oneDNN notes, "could not find cuda
    drivers", cuInit errors on a machine without a GPU) sent to /dev/null: they read as errors
    to a newcomer. They go to the process's stderr directly, past TF_CPP_MIN_LOG_LEVEL, so the
    file descriptor itself is redirected while TensorFlow loads and probes its devices."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(2)
    os.dup2(devnull, 2)
    try:
        import keras  # noqa: F401
        import tensorflow as tf

        tf.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if not any(a in ("--verbose", "--verbose=true", "--verbose=True") for a in sys.argv):
        import_tensorflow_quietly()
    app.run(main)
