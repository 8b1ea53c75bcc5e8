"""The SRGAN training task (Ledig et al. 2017, Sec. 3): models, optimisers and compiled steps.

Like Model Garden's `Task`: it builds the generator (and, for the adversarial phase, the
discriminator and the VGG loss network) under the strategy's scope, one Adam per network, one
`tf.function` step per phase, and what of it a checkpoint holds. The loop that drives it
(`srgan_tf/training/loop.py`) owns the counters, the checkpoint and when it is saved. Building it leaves no
process-wide state changed: the Keras dtype policy and the random seeds (which fix the initial
weights) are set for the build and put back after (`precision_policy`, `models.seeded`).
"""

import contextlib
from collections.abc import Callable, Iterator

import keras
import tensorflow as tf

from srgan_tf import weights
from srgan_tf.config import DataConfig, LossConfig, ModelConfig, TrainConfig
from srgan_tf.inference.post_settings import PostProcessing
from srgan_tf.models import build_discriminator, build_generator, seeded
from srgan_tf.training import distribute, losses, transfer
from srgan_tf.training.loss_network import load_vgg
from srgan_tf.training.weight_average import WeightAverage

PHASES = ("init", "adversarial")


def _adam(config):
    return keras.optimizers.Adam(learning_rate=config.lr_init, beta_1=config.beta1)


def _loss_scaled(optimizer, precision):
    if precision == "mixed_float16":
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


@contextlib.contextmanager
def precision_policy(precision: str) -> Iterator[None]:
    """The Keras dtype policy `precision` while models are built, the previous one after."""
    previous = keras.mixed_precision.global_policy()
    distribute.set_precision(precision)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


class SRGANTask:
    """Models, optimisers and compiled steps of one training run.

    Args:
        phases: the phases trained, in order ("init", "adversarial" or both).
        model_cfg, data_cfg, loss_cfg, train_cfg: the frozen configs.
        strategy: a tf.distribute strategy (default: the current one).
    """

    def __init__(
        self,
        phases: tuple[str, ...],
        model_cfg: ModelConfig,
        data_cfg: DataConfig,
        loss_cfg: LossConfig,
        train_cfg: TrainConfig,
        strategy: tf.distribute.Strategy | None = None,
    ) -> None:
        for p in phases:
            if p not in PHASES:
                raise ValueError(f"unknown phase {p!r}; expected one of {PHASES}")
        self.phases = list(phases)
        self.mcfg, self.dcfg, self.lcfg, self.tcfg = model_cfg, data_cfg, loss_cfg, train_cfg
        self.strategy = strategy or tf.distribute.get_strategy()
        # No discriminator or VGG for an adversarial phase of zero epochs (specialize --n_epoch=0).
        self.adversarial = "adversarial" in self.phases and train_cfg.n_epoch > 0
        with precision_policy(train_cfg.precision), seeded(data_cfg.seed):
            self._build_models()
        self.ema = (
            WeightAverage(self.g.weights, train_cfg.ema_decay) if train_cfg.ema_decay else None
        )
        # What upscale ships after the generator, when the init loss is to see it (under the
        # training LR's protocol; modes/checks.py refuses it with --train_lr=mixed).
        self._loss_post = PostProcessing(
            back_projection=loss_cfg.loss_back_projection,
            detail_floor=loss_cfg.loss_detail_floor,
            protocol=data_cfg.train_lr or data_cfg.protocol,
        ).stages()
        self._init_step = self._make_step(self._init_fn) if "init" in self.phases else None
        self._adv_step = self._make_step(self._adv_fn) if self.adversarial else None

    def _build_models(self):
        sync = self.strategy.num_replicas_in_sync > 1
        m, t = self.mcfg, self.tcfg
        with self.strategy.scope():
            self.g = build_generator(m.n_res_blocks, m.filters, synchronized_bn=sync)
            self.d = self.vgg = None
            if self.adversarial:
                # (a crop its strides cannot divide: a ValueError naming the rule's fix)
                self.d = build_discriminator(
                    m.discriminator, self.dcfg.crop_size, m.d_filters, synchronized_bn=sync
                )
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

    def checkpointables(self) -> dict:
        """What of the task a checkpoint holds, by name. These names (with the loop's counters,
        `progress.py`) are the checkpoint's format: runs resume by them."""
        tracked = {"generator": self.g, **{f"{k}_optimizer": v for k, v in self.opt.items()}}
        if self.d is not None:
            tracked["discriminator"] = self.d
        if self.ema is not None:
            tracked["generator_average"] = self.ema.trackable
        return tracked

    def warm_start(self, log: Callable[..., None] = print) -> None:
        """A fresh run's starting point: the weight files asked for, the re-initialised tail
        of a transfer, the weight average reset to the starting weights."""
        t = self.tcfg
        if t.g_weights:
            weights.load_weights(self.g, t.g_weights, log=log)
            log(f"Generator warm-started from {t.g_weights}")
        if t.d_weights and self.d is not None:
            weights.load_weights(self.d, t.d_weights, log=log, library=t.d_weights_library or None)
            log(f"Discriminator warm-started from {t.d_weights}")
        if t.n_trainable:
            tail = transfer.tail_layers(self.g, t.n_trainable)
            transfer.reinitialize(tail, seed=self.dcfg.seed)
            log(f"Re-initialised and training only: {', '.join(layer.name for layer in tail)}")
        if self.ema is not None:
            self.ema.reset()
        if self.adversarial and self.vgg is None:
            log("VGG term disabled (--no_vgg): generator loss = MSE + 1e-3 adversarial only")

    def step_function(self, phase: str) -> Callable:
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

    def init_gradients(self, lr: tf.Tensor, hr: tf.Tensor) -> tuple[dict, list]:
        """The init phase's losses and its gradients as the optimiser receives them: scaled by
        the loss scale under mixed_float16 (the optimiser divides it out)."""
        opt = self.opt["g_init"]
        with tf.GradientTape() as tape:
            sr = self.g(lr, training=True)
            for stage in self._loss_post:
                sr = stage([lr, sr])
            out = {"mse": self._avg(losses.per_example_mse(sr, hr))}
            if self.lcfg.init_loss == "l1":
                out["l1"] = self._avg(losses.per_example_l1(sr, hr))
            elif self.lcfg.init_loss == "log_mse":
                out["log_mse"] = self._avg(losses.per_example_log_mse(sr, hr))
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
            accuracy = losses.discriminator_accuracy(real, fake)
            out |= {k: self._avg(tf.stop_gradient(v)) for k, v in accuracy.items()}
            g_scaled = self._scaled(self.opt["g"], out["g_loss"])
            d_scaled = self._scaled(self.opt["d"], out["d_loss"])
        d_vars = self.d.trainable_variables
        self.opt["g"].apply(tape.gradient(g_scaled, self.g_vars), self.g_vars)
        self.opt["d"].apply(tape.gradient(d_scaled, d_vars), d_vars)
        del tape
        return out

    def lr_for(self, phase: str, epoch: int) -> float:
        t = self.tcfg
        if phase != "adversarial":
            return t.lr_init
        every = t.decay_every or max(1, t.n_epoch // 2)
        return t.lr_init * t.lr_decay ** (epoch // every)

    def set_lr(self, phase: str, value: float) -> None:
        for name, opt in self.opt.items():
            if (phase == "init") == (name == "g_init"):
                opt.learning_rate.assign(value)
