"""SRGAN training (Ledig et al. 2017, Sec. 3; the study's DIV2K and specialisation runs).

Phases: `init` trains the generator alone on MSE; `adversarial` trains generator and
discriminator with the perceptual loss. One `tf.train.Checkpoint` (models, optimisers, step,
phase, epoch, position in the epoch) and one `CheckpointManager` per run folder: rerunning the
same command resumes where the last save left off, mid-epoch included.
"""

import contextlib
import math
import shutil
import signal
import threading
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tqdm import tqdm

from srgan_tf import data, distribute, images, losses, precise_bn, run_lock, transfer, weights
from srgan_tf.errors import TrainingError  # noqa: F401  (re-exported)
from srgan_tf.figures import plot_validation
from srgan_tf.history import History
from srgan_tf.models import build_discriminator, build_generator, build_vgg
from srgan_tf.weight_average import WeightAverage

PHASES = ("init", "adversarial")
# The data epoch whose batches re-estimate BatchNorm statistics: fixed, so every save of a run
# uses the same batches, and far from the epochs training draws.
PRECISE_BN_EPOCH = 10**6


def _adam(config):
    return keras.optimizers.Adam(learning_rate=config.lr_init, beta_1=config.beta1)


def _loss_scaled(optimizer, precision):
    if precision == "mixed_float16":
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def load_vgg(model_cfg, train_cfg):
    """The frozen VGG loss network with its weights, or a clear error saying where to put them."""
    vgg = build_vgg(model_cfg.vgg_name, model_cfg.vgg_end_with, model_cfg.vgg_channel_order)
    source = train_cfg.vgg_weights
    if source == "imagenet":
        app = {"vgg19": keras.applications.VGG19, "vgg16": keras.applications.VGG16}
        ref = app[model_cfg.vgg_name](weights="imagenet", include_top=False)
        for layer in vgg.layers:
            if layer.weights:
                block, conv = layer.name[4:].split("_") if layer.name.startswith("conv") else (0, 0)
                layer.set_weights(ref.get_layer(f"block{block}_conv{conv}").get_weights())
        return vgg
    if not source or not Path(source).is_file():
        raise TrainingError(
            f"VGG weights not found at {source!r}. Put tensorlayer's vgg19.npy (or vgg16_weights.npz, "
            f"or Keras' *_notop.h5) in checkpoints/ and pass --vgg_weights=PATH, use "
            f"--vgg_weights=imagenet where a network is available, or train without the VGG "
            f"term with --no_vgg."
        )
    weights.load_weights(vgg, source)
    return vgg


class Trainer:
    """Builds everything under the strategy's scope and runs the phases of one training run.

    Args:
        phases: the phases this run trains, in order ("init", "adversarial" or both).
        model_cfg, data_cfg, loss_cfg, train_cfg: the frozen configs.
        split: a `datasets.Split` (its `train` images are used).
        strategy: a tf.distribute strategy (default: the current one).
        log: where progress lines go.
    """

    def __init__(
        self, phases, model_cfg, data_cfg, loss_cfg, train_cfg, split, strategy=None, log=print
    ):
        for p in phases:
            if p not in PHASES:
                raise ValueError(f"unknown phase {p!r}; expected one of {PHASES}")
        self.phases = list(phases)
        self.mcfg, self.dcfg, self.lcfg, self.tcfg = model_cfg, data_cfg, loss_cfg, train_cfg
        self.split = split
        self.strategy = strategy or tf.distribute.get_strategy()
        self.log = log
        self.run_dir = Path(train_cfg.run_dir)
        self.chief = distribute.is_chief()
        # No discriminator or VGG for an adversarial phase of zero epochs (specialize --n_epoch=0).
        self.adversarial = "adversarial" in self.phases and train_cfg.n_epoch > 0
        self.steps_per_epoch = data.steps_per_epoch(
            split.train, data_cfg, train_cfg.patches_per_image
        )
        if self.steps_per_epoch == 0:
            raise TrainingError(
                f"{len(split.train)} training images x {train_cfg.patches_per_image} patches make "
                f"no full batch of {data_cfg.batch_size}; lower --batch_size or raise "
                f"--patches_per_image"
            )
        self.validator = None
        if train_cfg.val_every > 0 and self.chief:
            if not train_cfg.val_dir:
                raise TrainingError("--val_every needs --val_dir, a folder of validation images")
            from srgan_tf.validation import Validator

            self.validator = Validator(train_cfg.val_dir, data_cfg, train_cfg.val_crop, log=log)
        distribute.set_precision(train_cfg.precision)
        self._build()

    # ------------------------------------------------------------------ building

    def _build(self):
        sync = self.strategy.num_replicas_in_sync > 1
        m, t = self.mcfg, self.tcfg
        keras.utils.set_random_seed(self.dcfg.seed)  # the seed fixes initial weights too
        with self.strategy.scope():
            self.g = build_generator(m.n_res_blocks, m.filters, synchronized_bn=sync)
            self.d = self.vgg = None
            if self.adversarial:
                try:
                    self.d = build_discriminator(
                        m.discriminator, self.dcfg.crop_size, m.d_filters, synchronized_bn=sync
                    )
                except ValueError as e:  # a crop the discriminator's strides cannot divide
                    raise TrainingError(
                        f"--crop_size={self.dcfg.crop_size} does not fit --discriminator="
                        f"{m.discriminator}: {e} (--discriminator=paper takes multiples of 16)"
                    ) from None
                if t.use_vgg:
                    self.vgg = load_vgg(m, t)
            if t.n_trainable:
                transfer.freeze_all_but_tail(self.g, t.n_trainable)
            self.g_vars = self.g.trainable_variables
            self.opt = (
                {"g_init": _loss_scaled(_adam(t), t.precision)} if "init" in self.phases else {}
            )
            if self.adversarial:
                self.opt["g"] = _loss_scaled(_adam(t), t.precision)
                self.opt["d"] = _loss_scaled(_adam(t), t.precision)
            # Optimiser slots exist before the first step, under the scope (tf.distribute needs it).
            for name, opt in self.opt.items():
                opt.build(self.d.trainable_variables if name == "d" else self.g_vars)
        # Host-side counters, updated between steps: plain variables, not mirrored ones.
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.phase = tf.Variable(0, dtype=tf.int64, trainable=False, name="phase")
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        self.epoch_step = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch_step")
        self._saved_state = None  # (step, phase, epoch, epoch_step) of the last save
        self._saved_at = time.time()
        self._stop = False  # set by Ctrl-C: finish the step, save, return
        self._export_g = None  # the copy g.weights.h5 is written from (weight average, precise BN)
        self.ema = WeightAverage(self.g.weights, t.ema_decay) if t.ema_decay else None
        with self.strategy.scope():
            tracked = {"generator": self.g, **{f"{k}_optimizer": v for k, v in self.opt.items()}}
            if self.d is not None:
                tracked["discriminator"] = self.d
            if self.ema is not None:
                tracked["generator_average"] = self.ema.trackable
            self.ckpt = tf.train.Checkpoint(
                step=self.step,
                phase=self.phase,
                epoch=self.epoch,
                epoch_step=self.epoch_step,
                **tracked,
            )
        # Every worker restores from the chief's checkpoints (shared storage) and takes part
        # in every save, but only the chief's are kept: the others write to a folder of their
        # own that is removed after each save (TensorFlow's multi-worker checkpoint pattern).
        self.ckpt_dir = self.run_dir / "ckpt"
        self._write_dir = (
            self.ckpt_dir if self.chief else self.run_dir / ".worker_tmp" / distribute.task_name()
        )
        self.manager = tf.train.CheckpointManager(
            self.ckpt, str(self._write_dir), max_to_keep=self.tcfg.keep_checkpoints
        )
        self._init_step = self._make_step(self._init_fn) if "init" in self.phases else None
        self._adv_step = self._make_step(self._adv_fn) if self.adversarial else None

    def restore_or_warm_start(self):
        """Resumes from the latest checkpoint, or warm-starts a fresh run from weight files."""
        latest = tf.train.latest_checkpoint(str(self.ckpt_dir))
        if latest:
            try:
                self.ckpt.restore(latest).assert_existing_objects_matched()
            except AssertionError as e:
                raise TrainingError(
                    f"{latest} was written by a run with other settings (models, phases or "
                    f"--ema_decay) than this one: {str(e).splitlines()[0][:300]}. Resume with the "
                    f"same flags, or start a new --checkpoint_dir warm-started with "
                    f"--g_weights={self.run_dir / 'g.weights.h5'}"
                ) from None
            self.log(f"Resuming from step {int(self.step)} ({latest})")
            if self.tcfg.g_weights or self.tcfg.d_weights:
                self.log(
                    "(the checkpoint wins over --g_weights/--d_weights; use a new --checkpoint_dir to start over)"
                )
            return True
        t = self.tcfg
        if t.g_weights:
            weights.load_weights(self.g, t.g_weights)
            self.log(f"Generator warm-started from {t.g_weights}")
        if t.d_weights and self.d is not None:
            weights.load_weights(self.d, t.d_weights)
            self.log(f"Discriminator warm-started from {t.d_weights}")
        if t.n_trainable:
            tail = transfer.tail_layers(self.g, t.n_trainable)
            transfer.reinitialize(tail, seed=self.dcfg.seed)
            self.log(f"Re-initialised and training only: {', '.join(layer.name for layer in tail)}")
        if self.ema is not None:
            self.ema.reset()
        if self.adversarial and self.vgg is None:
            self.log("VGG term disabled (--no_vgg): generator loss = MSE + 1e-3 adversarial only")
        return False

    # ------------------------------------------------------------------ steps

    def step_function(self, phase):
        """The compiled training step of `phase`: `step((lr, hr))` -> dict of reduced losses.

        The loop below calls it once per batch; `bench/train_speed.py` times it on its own.
        """
        fn = self._init_step if phase == "init" else self._adv_step
        if fn is None:
            raise ValueError(f"this trainer was built for {self.phases}, not {phase!r}")
        return fn

    def _make_step(self, fn):
        strategy = self.strategy

        def step(batch):
            per_replica = strategy.run(fn, args=batch)
            return {k: strategy.reduce("SUM", v, axis=None) for k, v in per_replica.items()}

        if strategy.num_replicas_in_sync == 1:
            # One trace for every batch and patch size: the models are fully convolutional.
            image = tf.TensorSpec([None, None, None, 3], tf.float32)
            return tf.function(step, input_signature=[(image, image)])
        # Per-replica values have no plain TensorSpec; a second size retraces once, generalised.
        return tf.function(step, reduce_retracing=True)

    def _avg(self, per_example):
        return tf.nn.compute_average_loss(per_example, global_batch_size=self.dcfg.batch_size)

    @staticmethod
    def _scaled(opt, loss):
        """The loss to differentiate: multiplied by the loss scale under mixed_float16.

        Must be called inside the tape, or the scaling is not recorded.
        """
        return (
            opt.scale_loss(loss) if isinstance(opt, keras.optimizers.LossScaleOptimizer) else loss
        )

    def init_gradients(self, lr, hr):
        """The init phase's losses and its gradients as the optimiser receives them: scaled by
        the loss scale under mixed_float16 (the optimiser divides it out)."""
        opt = self.opt["g_init"]
        with tf.GradientTape() as tape:
            sr = self.g(lr, training=True)
            out = {"mse": self._avg(losses.per_example_mse(sr, hr))}
            if self.lcfg.init_loss == "l1":
                out["l1"] = self._avg(losses.per_example_l1(sr, hr))
            scaled = self._scaled(opt, out[self.lcfg.init_loss])
        return out, tape.gradient(scaled, self.g_vars)

    def _init_fn(self, lr, hr):
        out, grads = self.init_gradients(lr, hr)
        self.opt["g_init"].apply(grads, self.g_vars)
        return out

    def _adv_fn(self, lr, hr):
        with tf.GradientTape(persistent=True) as tape:
            sr = self.g(lr, training=True)
            fake = self.d(sr, training=True)
            real = self.d(hr, training=True)
            f_sr = f_hr = None
            if self.vgg is not None:
                # The pretrained VGG takes [0, 1] images.
                f_sr = self.vgg((sr + 1.0) / 2.0, training=False)
                f_hr = self.vgg((hr + 1.0) / 2.0, training=False)
            g_terms = losses.generator_terms(sr, hr, fake, f_sr, f_hr, self.lcfg)
            d_terms = losses.discriminator_terms(real, fake)
            out = {k: self._avg(v) for k, v in {**g_terms, **d_terms}.items()}
            g_scaled = self._scaled(self.opt["g"], out["g_loss"])
            d_scaled = self._scaled(self.opt["d"], out["d_loss"])
        d_vars = self.d.trainable_variables
        self.opt["g"].apply(tape.gradient(g_scaled, self.g_vars), self.g_vars)
        self.opt["d"].apply(tape.gradient(d_scaled, d_vars), d_vars)
        del tape
        return out

    # ------------------------------------------------------------------ loop

    def _lr_for(self, phase, epoch):
        t = self.tcfg
        if phase != "adversarial":
            return t.lr_init
        every = t.decay_every or max(1, t.n_epoch // 2)
        return t.lr_init * t.lr_decay ** (epoch // every)

    def _set_lr(self, phase, value):
        for name, opt in self.opt.items():
            if (phase == "init") == (name == "g_init"):
                opt.learning_rate.assign(value)

    def _save_due(self, step):
        """Every `save_every` steps, or `save_secs` seconds after the last save (single
        process only: the workers of a cluster must all save at the same step)."""
        t = self.tcfg
        if t.save_every and step % t.save_every == 0:
            return True
        single = not distribute.tf_config()[0]
        return bool(t.save_secs) and single and time.time() - self._saved_at >= t.save_secs

    def _save(self):
        # Phase ends, --max_steps and interruptions can coincide; write each state once.
        state = (int(self.step), int(self.phase), int(self.epoch), int(self.epoch_step))
        if state == self._saved_state:
            return
        self._saved_state = state
        self._saved_at = time.time()
        self.manager.save(checkpoint_number=int(self.step))
        if not self.chief:
            shutil.rmtree(self._write_dir, ignore_errors=True)
            try:
                self._write_dir.parent.rmdir()  # .worker_tmp, once no other worker uses it
            except OSError:
                pass
        if self.chief:
            weights.save_weights(self._generator_to_write(), self.run_dir / "g.weights.h5")
            if self.d is not None:
                weights.save_weights(self.d, self.run_dir / "d.weights.h5")

    def _validate(self, history, tb):
        """Scores the generator g.weights.h5 would get on the validation images; a new best
        is written to g_best.weights.h5. Returns the history columns."""
        step = int(self.step)
        g = self._generator_to_write()
        if g is self.g:  # a one-device copy: the training model may be distributed
            g = self._copy_generator(self.g.get_weights())
        scores = self.validator(g)
        best = history.best_validation()
        if best is None or scores["psnr_y_gain"] > best[0]:
            weights.save_weights(g, self.run_dir / "g_best.weights.h5")
            best = (scores["psnr_y_gain"], step)
        self.log(
            f"validation at step {step}: PSNR-Y {scores['psnr_y']:.3f} dB "
            f"({scores['psnr_y_gain']:+.3f} over bicubic), SSIM-Y {scores['ssim_y']:.4f} "
            f"({scores['ssim_y_gain']:+.4f}); best {best[0]:+.3f} dB at step {best[1]} "
            f"(g_best.weights.h5)"
        )
        if tb is not None:
            with tb.as_default(step=step):
                for k, v in scores.items():
                    tf.summary.scalar(f"validation/{k}", v)
        return {f"val_{k}": round(v, 5) for k, v in scores.items()}

    def _copy_generator(self, values):
        if self._export_g is None:
            m = self.mcfg
            self._export_g = build_generator(m.n_res_blocks, m.filters, name="generator")
            for src, dst in zip(self.g.layers, self._export_g.layers):
                dst.trainable = src.trainable
        self._export_g.set_weights(values)
        return self._export_g

    def _generator_to_write(self):
        """The generator `g.weights.h5` gets: the training one, or a one-device copy holding
        the weight average (`ema_decay`) and/or BatchNorm statistics re-estimated over
        `precise_bn_batches` training batches (`srgan_tf.precise_bn`). The training model and
        its checkpoint keep their own, so resuming and distributed training are unaffected;
        frozen layers keep their statistics too."""
        n = self.tcfg.precise_bn_batches
        if not n and self.ema is None:
            return self.g
        self._copy_generator(self.ema.values() if self.ema else self.g.get_weights())
        if n:
            precise_bn.recalibrate(self._export_g, self._precise_bn_inputs(n))
        return self._export_g

    def _precise_bn_inputs(self, n):
        """`n` LR training batches, from as many fixed epochs as it takes."""
        epoch = PRECISE_BN_EPOCH
        while True:
            ds = data.train_dataset(self.split.train, self.dcfg, epoch, self.tcfg.patches_per_image)
            for lr, _ in ds:
                yield lr
                n -= 1
                if n == 0:
                    return
            epoch += 1

    def _epochs_for(self, phase):
        return self.tcfg.n_epoch_init if phase == "init" else self.tcfg.n_epoch

    def run(self):
        """Trains until every phase is done or `max_steps` is reached; returns the final losses."""
        if self.chief:
            try:
                run_lock.acquire(self.run_dir)
            except run_lock.RunLocked as e:
                raise TrainingError(str(e)) from None
        resumed = self.restore_or_warm_start()
        history = History(self.run_dir, resume_step=int(self.step), enabled=self.chief)
        tb = tf.summary.create_file_writer(str(self.run_dir / "tb")) if self.chief else None
        if self.validator is not None and not resumed:  # the starting point of the curve
            history.log_validation({"step": int(self.step), **self._validate(history, tb)})
            plot_validation(history.steps_path, self.run_dir / "plots" / "validation.png")
        last = {}
        max_steps = self.tcfg.max_steps or math.inf
        with self._stop_on_ctrl_c():
            while (
                int(self.phase) < len(self.phases) and int(self.step) < max_steps and not self._stop
            ):
                phase = self.phases[int(self.phase)]
                n_epochs = self._epochs_for(phase)
                while int(self.epoch) < n_epochs and int(self.step) < max_steps and not self._stop:
                    last = (
                        self._run_epoch(phase, int(self.epoch), n_epochs, history, tb, max_steps)
                        or last
                    )
                if int(self.epoch) >= n_epochs:
                    self.phase.assign_add(1)
                    self.epoch.assign(0)
                    self._save()
        self._save()  # the end of training, --max_steps or Ctrl-C: always saved
        history.plot(force=True)
        where = f"{tf.train.latest_checkpoint(str(self.ckpt_dir))}"
        if self.chief:
            where += f" and {self.run_dir / 'g.weights.h5'}"
        if self._stop:
            self.log(
                f"Interrupted at step {int(self.step)}: saved {where}. Rerun the same command "
                f"to resume."
            )
        elif int(self.step) >= max_steps:
            self.log(f"Stopped at step {int(self.step)} (--max_steps={self.tcfg.max_steps})")
        return last

    @contextlib.contextmanager
    def _stop_on_ctrl_c(self):
        """Ctrl-C (SIGINT) finishes the current step, then the run saves and returns; a second
        Ctrl-C interrupts at once. Only where signals can be handled (the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def request_stop(signum, frame):
            self._stop = True
            signal.signal(signal.SIGINT, previous)
            self.log("\nCtrl-C: stopping after this step and saving (Ctrl-C again to abort)")

        previous = signal.signal(signal.SIGINT, request_stop)
        try:
            yield
        finally:
            if signal.getsignal(signal.SIGINT) is request_stop:
                signal.signal(signal.SIGINT, previous)

    def _run_epoch(self, phase, epoch, n_epochs, history, tb, max_steps):
        lr_value = self._lr_for(phase, epoch)
        self._set_lr(phase, lr_value)
        ds = data.train_dataset(
            self.split.train,
            self.dcfg,
            # Distinct draws per phase: the adversarial phase's epoch 0 is not init's epoch 0.
            epoch + 1000 * self.phases.index(phase),
            self.tcfg.patches_per_image,
        )
        skip = int(self.epoch_step)
        if skip:
            ds = ds.skip(skip)
        step_fn = self.step_function(phase)
        bar = tqdm(
            total=self.steps_per_epoch,
            initial=skip,
            desc=f"{phase} epoch {epoch + 1}/{n_epochs}",
            disable=not (self.tcfg.progress and self.chief),
            unit="step",
            dynamic_ncols=True,
        )
        start = time.time()
        t_last = time.time()
        sample_batch = None
        last = {}
        for lr, hr in ds:
            if sample_batch is None:
                sample_batch = (lr[:4], hr[:4])
            out = step_fn(distribute.split_batch(self.strategy, (lr, hr)))
            values = {k: float(v) for k, v in out.items()}
            bad = [k for k, v in values.items() if not math.isfinite(v)]
            if bad:
                bar.close()
                raise TrainingError(
                    f"{phase} step {int(self.step) + 1}: loss {', '.join(bad)} is not finite "
                    f"({values}). Stopped; the last good checkpoint is {tf.train.latest_checkpoint(str(self.ckpt_dir))}."
                )
            if self.ema is not None:
                self.ema.update()
            self.step.assign_add(1)
            self.epoch_step.assign_add(1)
            now = time.time()
            rate = self.dcfg.batch_size / max(now - t_last, 1e-9)
            t_last = now
            step = int(self.step)
            validated = {}
            if self.validator is not None and step % self.tcfg.val_every == 0:
                validated = self._validate(history, tb)
            history.log_step(
                {
                    "step": step,
                    "phase": phase,
                    "epoch": epoch,
                    "lr": lr_value,
                    "patches_per_s": round(rate, 2),
                    **values,
                    **validated,
                }
            )
            if validated:
                plot_validation(history.steps_path, self.run_dir / "plots" / "validation.png")
            if tb is not None:
                with tb.as_default(step=step):
                    for k, v in values.items():
                        tf.summary.scalar(f"{phase}/{k}", v)
            bar.set_postfix(
                {k: f"{v:.4g}" for k, v in values.items() if k in ("mse", "g_loss", "d_loss")}
                | {"patch/s": f"{rate:.1f}"}
            )
            bar.update(1)
            last = values
            if (step >= max_steps or self._stop) and int(self.epoch_step) < self.steps_per_epoch:
                bar.close()
                return last  # mid-epoch: the epoch's end (means, samples) comes on resume
            if self._save_due(step):
                self._save()
        bar.close()
        self.epoch.assign_add(1)
        self.epoch_step.assign(0)
        means = history.end_epoch(phase, epoch, int(self.step), time.time() - start)
        if means:
            self.log(
                f"{phase} epoch {epoch + 1}/{n_epochs}: "
                + ", ".join(f"{k}={v:.5f}" for k, v in means.items())
            )
        if (
            sample_batch is not None
            and self.chief
            and ((epoch + 1) % max(1, self.tcfg.sample_every) == 0 or epoch + 1 == n_epochs)
        ):
            self._write_samples(phase, epoch, sample_batch, tb)
        return last

    def _write_samples(self, phase, epoch, batch, tb):
        """A grid of [bicubic | SR | HR] rows for a fixed batch, as PNG and in TensorBoard."""
        lr, hr = batch
        sr = self.g(lr, training=False)
        bic = tf.image.resize(lr, tf.shape(hr)[1:3], method="bicubic")
        rows = [
            np.concatenate([images.to_uint8(b), images.to_uint8(s), images.to_uint8(h)], axis=1)
            for b, s, h in zip(bic.numpy(), sr.numpy(), hr.numpy())
        ]
        grid = np.concatenate(rows, axis=0)
        images.write_image(self.run_dir / "samples" / f"{phase}_epoch{epoch + 1:04d}.png", grid)
        if tb is not None:
            with tb.as_default(step=int(self.step)):
                tf.summary.image(f"{phase}/bicubic_sr_hr", grid[None], max_outputs=1)
