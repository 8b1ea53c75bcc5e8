"""Training speed side by side with the tensorlayer reference: patches per second and the ratio.

The port's step is the project's real one (`Trainer.step_function`: a traced `tf.function`, the
precision policy asked for). The reference's step is tensorlayer/srgan's `train.py` loop body
built from tensorlayer 2.2.5 layers (`srgan_reference/tl_reference.py`) and run eagerly in float32, as the
reference runs it (it has no mixed precision). The two alternate in one process, round after
round, so both see the same machine state; the reported rates are the medians over rounds.

    python bench/train_speed.py --step=init --precision=mixed_bfloat16
    python bench/train_speed.py --step=adversarial --precision=float32 --batch=4 --lr_size=96
    python bench/train_speed.py --step=init --skip_reference   # the port alone

FLOP/s: the model's counted floating point operations (TensorFlow's graph profiler on one
forward pass; a training step counts backward as twice the forward) divided by the step time.
Peak RSS: each side runs a few steps at `--rss_batch` (the study's 8) in its own process.
The last line is one JSON object.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common


def _batch(batch, lr_size, scale=4, seed=0):
    import tensorflow as tf

    g = tf.random.Generator.from_seed(seed)
    hr = g.uniform((batch, lr_size * scale, lr_size * scale, 3), -1.0, 1.0)
    lr = tf.image.resize(hr, (lr_size, lr_size), method="bicubic")
    return lr, hr


# ----------------------------------------------------------------------------- the port


def port_step(step, precision, batch, lr_size, workdir):
    """The project's own compiled step, built by `training.Trainer` on a synthetic split."""
    import numpy as np

    from srgan_tf import config, training, weights
    from srgan_tf.data import datasets
    from srgan_tf.models import build_vgg
    from srgan_tf.training.distribute import set_precision

    set_precision("float32")
    vgg_path = Path(workdir) / "vgg19_random.npz"
    if step == "adversarial" and not vgg_path.exists():
        weights.save_tensorlayer_npz(build_vgg("vgg19", "pool4"), vgg_path)
    hr_size = lr_size * 4
    rng = np.random.default_rng(0)
    train = datasets.ImageSet()
    for i in range(batch):
        train.add(f"synthetic_{i}.png", rng.integers(0, 256, (hr_size, hr_size, 3), np.uint8), True)
    split = datasets.Split("", Path(workdir), train, datasets.ImageSet(), datasets.ScanReport())
    trainer = training.Trainer(
        [step],
        config.ModelConfig(),
        config.DataConfig(crop_size=hr_size, batch_size=batch),
        config.LossConfig(),
        config.TrainConfig(
            run_dir=str(Path(workdir) / f"port_{step}_{precision}"),
            precision=precision,
            use_vgg=step == "adversarial",
            vgg_weights=str(vgg_path),
            patches_per_image=1,
        ),
        split,
        log=lambda *a: None,
        progress=False,
    )
    fn = trainer.step_function(step)

    def run(lr, hr):
        out = fn((lr, hr))
        return float(out["mse"])  # waits for the step, as the training loop does

    return run, trainer


# ----------------------------------------------------------------------------- the reference


def reference_step(step, batch, lr_size):
    """tensorlayer/srgan train.py's loop body (TL2), eager, float32."""
    import tensorflow as tf
    import tensorlayer as tl

    ref = common.reference("tl_reference")
    # tensorlayer/srgan's own model builders (get_G, get_D), as srgan_reference/tl_reference.py mirrors them
    tl_discriminator, tl_generator, tl_vgg = ref.get_D, ref.get_G, ref.tl_vgg

    hr_size = lr_size * 4
    G = tl_generator((batch, lr_size, lr_size, 3))
    G.train()
    if step == "init":
        g_optimizer_init = tf.optimizers.Adam(1e-4, beta_1=0.9)

        def run(lr_patchs, hr_patchs):
            with tf.GradientTape() as tape:
                fake_hr_patchs = G(lr_patchs)
                mse_loss = tl.cost.mean_squared_error(fake_hr_patchs, hr_patchs, is_mean=True)
            grad = tape.gradient(mse_loss, G.trainable_weights)
            g_optimizer_init.apply_gradients(zip(grad, G.trainable_weights))
            return float(mse_loss)

        return run
    D = tl_discriminator((batch, hr_size, hr_size, 3))
    VGG = tl_vgg("vgg19", "pool4")
    D.train()
    VGG.eval()
    g_optimizer = tf.optimizers.Adam(1e-4, beta_1=0.9)
    d_optimizer = tf.optimizers.Adam(1e-4, beta_1=0.9)

    def run(lr_patchs, hr_patchs):
        with tf.GradientTape(persistent=True) as tape:
            fake_patchs = G(lr_patchs)
            logits_fake = D(fake_patchs)
            logits_real = D(hr_patchs)
            feature_fake = VGG((fake_patchs + 1) / 2.0)
            feature_real = VGG((hr_patchs + 1) / 2.0)
            d_loss1 = tl.cost.sigmoid_cross_entropy(logits_real, tf.ones_like(logits_real))
            d_loss2 = tl.cost.sigmoid_cross_entropy(logits_fake, tf.zeros_like(logits_fake))
            d_loss = d_loss1 + d_loss2
            g_gan_loss = 1e-3 * tl.cost.sigmoid_cross_entropy(
                logits_fake, tf.ones_like(logits_fake)
            )
            mse_loss = tl.cost.mean_squared_error(fake_patchs, hr_patchs, is_mean=True)
            vgg_loss = 2e-6 * tl.cost.mean_squared_error(feature_fake, feature_real, is_mean=True)
            g_loss = mse_loss + vgg_loss + g_gan_loss
        grad = tape.gradient(g_loss, G.trainable_weights)
        g_optimizer.apply_gradients(zip(grad, G.trainable_weights))
        grad = tape.gradient(d_loss, D.trainable_weights)
        d_optimizer.apply_gradients(zip(grad, D.trainable_weights))
        return float(mse_loss)

    return run


# ----------------------------------------------------------------------------- FLOPs


def forward_flops(model, shape):
    """Floating point operations of one forward pass (TensorFlow's graph profiler)."""
    import tensorflow as tf
    from tensorflow.python.profiler import model_analyzer, option_builder

    tf.get_logger().setLevel("ERROR")  # the v1 profiler's deprecation notices
    fn = tf.function(lambda x: model(x, training=False))
    graph = fn.get_concrete_function(tf.TensorSpec(shape, tf.float32)).graph
    opts = (
        option_builder.ProfileOptionBuilder(option_builder.ProfileOptionBuilder.float_operation())
        .with_empty_output()
        .build()
    )
    return model_analyzer.profile(graph, options=opts).total_float_ops


def step_flops(step, batch, lr_size):
    """Counted FLOPs of one training step: backward = 2x forward where weights train.

    init: G forward + backward. adversarial: G (3x), D on the fake (3x: its input gradient
    reaches G), D on the real (2x), VGG on the fake (2x: input gradient only), VGG on the real (1x).
    """
    from srgan_tf.models import build_discriminator, build_generator, build_vgg

    hr = lr_size * 4
    g = forward_flops(build_generator(), (1, lr_size, lr_size, 3))
    if step == "init":
        return 3 * g * batch
    d = forward_flops(build_discriminator("tl", hr), (1, hr, hr, 3))
    v = forward_flops(build_vgg("vgg19", "pool4"), (1, hr, hr, 3))
    return (3 * g + 5 * d + 3 * v) * batch


def conv_peak_gflops(precision, batch, lr_size, repeats=20):
    """This machine's throughput on the generator's dominant op: a 3x3 64->64 convolution of
    the trunk's shape, alone, in the precision's compute dtype. No step made of such convs
    can go faster, so `peak / reference GFLOP/s` is the highest ratio this machine allows."""
    import tensorflow as tf

    dtype = tf.bfloat16 if "bfloat16" in precision else tf.float32
    x = tf.cast(tf.random.uniform((batch, lr_size, lr_size, 64)), dtype)
    w = tf.cast(tf.random.uniform((3, 3, 64, 64)), dtype)
    conv = tf.function(lambda x, w: tf.nn.conv2d(x, w, 1, "SAME"))
    conv(x, w).numpy()
    best = 0.0
    for _ in range(5):  # best of five: the peak, not a moment when something else ran
        t0 = time.perf_counter()
        for _ in range(repeats):
            y = conv(x, w)
        y.numpy()
        best = max(
            best, 2 * batch * lr_size**2 * 9 * 64 * 64 * repeats / (time.perf_counter() - t0)
        )
    return best / 1e9


# ----------------------------------------------------------------------------- runs


def _rss_child(args):
    """A few steps of one side at `--rss_batch` in this process; prints its peak RSS."""
    lr, hr = _batch(args.rss_batch, args.lr_size)
    with tempfile.TemporaryDirectory() as tmp:
        if args.rss_child == "port":
            run, _ = port_step(args.step, args.precision, args.rss_batch, args.lr_size, tmp)
        else:
            run = reference_step(args.step, args.rss_batch, args.lr_size)
        for _ in range(2):
            run(lr, hr)
    print(json.dumps({"peak_rss_gb": common.peak_rss_gb()}))


def _peak_rss(args, side):
    cmd = [sys.executable, __file__, f"--rss_child={side}"] + [
        f"--{k}={v}"
        for k, v in vars(args).items()
        if k in ("step", "precision", "lr_size", "rss_batch")
    ]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"peak RSS run of the {side} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_rss_gb"]


def _time(run, lr, hr, steps):
    t0 = time.perf_counter()
    for _ in range(steps):
        run(lr, hr)
    return time.perf_counter() - t0


def main(argv=None):
    ap = common.parser(__doc__)
    ap.add_argument("--step", choices=("init", "adversarial"), default="init")
    ap.add_argument("--precision", default="mixed_bfloat16")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr_size", type=int, default=96, help="LR patch side (HR = 4x)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating port/reference rounds")
    ap.add_argument("--steps", type=int, default=3, help="timed steps per side per round")
    ap.add_argument("--skip_reference", action="store_true")
    ap.add_argument("--rss_batch", type=int, default=8, help="batch of the peak-RSS runs (0: skip)")
    ap.add_argument("--rss_child", default="", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.rss_child:
        return _rss_child(args)

    import keras

    lr, hr = _batch(args.batch, args.lr_size)
    with tempfile.TemporaryDirectory() as tmp:
        port, _ = port_step(args.step, args.precision, args.batch, args.lr_size, tmp)
        ref = None if args.skip_reference else reference_step(args.step, args.batch, args.lr_size)
        port(lr, hr)  # tracing
        port(lr, hr)
        if ref:
            ref(lr, hr)
        port_t, ref_t = [], []
        for r in range(args.rounds):
            port_t.append(_time(port, lr, hr, args.steps))
            line = f"round {r + 1}: port {args.batch * args.steps / port_t[-1]:.3f} patches/s"
            if ref:
                ref_t.append(_time(ref, lr, hr, args.steps))
                line += f", reference {args.batch * args.steps / ref_t[-1]:.3f} patches/s"
            print(line, flush=True)

    def rate(times):
        return args.batch * args.steps / statistics.median(times) if times else None

    port_rate, ref_rate = rate(port_t), rate(ref_t)
    keras.mixed_precision.set_global_policy("float32")
    flops = step_flops(args.step, args.batch, args.lr_size)
    port_flops = flops * port_rate / args.batch
    peak = conv_peak_gflops(args.precision, args.batch, args.lr_size)
    result = {
        "step": args.step,
        "precision": args.precision,
        "reference_precision": "float32 (eager)",
        "batch": args.batch,
        "lr_size": args.lr_size,
        "hr_size": args.lr_size * 4,
        "port_patches_per_s": round(port_rate, 4),
        "reference_patches_per_s": round(ref_rate, 4) if ref_rate else None,
        "ratio": round(port_rate / ref_rate, 3) if ref_rate else None,
        "step_gflops": round(flops / 1e9, 1),
        "port_gflop_per_s": round(port_flops / 1e9, 1),
        "reference_gflop_per_s": round(flops * ref_rate / args.batch / 1e9, 1)
        if ref_rate
        else None,
        "conv_peak_gflop_per_s": round(peak, 1),
        "port_fraction_of_peak": round(port_flops / 1e9 / peak, 3),
    }
    if ref_rate:
        # The fastest any step can be here (every FLOP at the conv peak), over the reference.
        result["ceiling_ratio"] = round(peak / result["reference_gflop_per_s"], 2)
    print(
        f"{args.step} step, batch {args.batch}, {args.lr_size}->{args.lr_size * 4}: "
        f"port ({args.precision}) {port_rate:.3f} patches/s, {port_flops / 1e9:.0f} GFLOP/s"
        + (
            f"; reference (float32, eager) {ref_rate:.3f} patches/s; ratio {port_rate / ref_rate:.2f}x"
            if ref_rate
            else ""
        )
    )
    print(
        f"conv peak of this machine ({args.precision}): {peak:.0f} GFLOP/s; the port runs at "
        f"{100 * result['port_fraction_of_peak']:.0f}% of it"
        + (f"; ceiling ratio {result['ceiling_ratio']:.2f}x" if ref_rate else "")
    )
    if args.rss_batch:
        sides = ["port"] + ([] if args.skip_reference else ["reference"])
        for side in sides:
            result[f"{side}_peak_rss_gb_batch{args.rss_batch}"] = round(_peak_rss(args, side), 2)
        print(
            f"peak RSS at batch {args.rss_batch}: "
            + ", ".join(
                f"{s} {result[f'{s}_peak_rss_gb_batch{args.rss_batch}']:.2f} GB" for s in sides
            )
        )
    common.report(result, args.save)


if __name__ == "__main__":
    main()
