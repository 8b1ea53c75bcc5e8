"""SRGAN losses (Ledig et al. 2017, eq. 3-6; the study's "perceptual loss"), as pure functions.

Per-example losses (shape `(batch,)`) are what distributed training averages over the global
batch with `tf.nn.compute_average_loss`; on one device their mean equals tensorlayer's
`cost.mean_squared_error(is_mean=True)` and `cost.sigmoid_cross_entropy`.
"""

import tensorflow as tf

from srgan_tf.config import LossConfig


def _per_example_mean(x):
    return tf.reduce_mean(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)


def per_example_mse(output: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """Mean squared error per example, over all pixels and channels."""
    output = tf.cast(output, tf.float32)
    target = tf.cast(target, tf.float32)
    return _per_example_mean(tf.math.squared_difference(output, target))


def per_example_l1(output: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """Mean absolute error per example (EDSR's pixel loss; not in the reference)."""
    output = tf.cast(output, tf.float32)
    target = tf.cast(target, tf.float32)
    return _per_example_mean(tf.abs(output - target))


# A tenth of a grey level (of 255), squared, in the [-1, 1] range: keeps log(MSE) finite on a
# patch reproduced exactly; the HR's own rounding (0.29 levels RMS) lies above it.
LOG_MSE_FLOOR = (0.1 / 127.5) ** 2


def per_example_log_mse(output: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """Natural log of each example's MSE (plus `LOG_MSE_FLOOR`): minus its PSNR, up to scale.

    Its batch mean weights every patch equally in decibels, as a table of per-image PSNR does;
    a plain MSE lets a flat patch's error, tiny next to a textured patch's, go unseen, though it
    costs as many decibels there (not in the reference).
    """
    return tf.math.log(per_example_mse(output, target) + LOG_MSE_FLOOR)


def per_example_sigmoid_ce(logits: tf.Tensor, label: float) -> tf.Tensor:
    """Sigmoid cross-entropy per example against a constant label (1 = real, 0 = fake); its
    batch mean is tensorlayer's `cost.sigmoid_cross_entropy(logits, label_tensor)`."""
    logits = tf.cast(logits, tf.float32)
    labels = tf.fill(tf.shape(logits), tf.constant(float(label)))
    return _per_example_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def mse(output: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """tensorlayer's `cost.mean_squared_error(output, target, is_mean=True)`."""
    return tf.reduce_mean(per_example_mse(output, target))


def generator_terms(
    sr: tf.Tensor,
    hr: tf.Tensor,
    fake_logits: tf.Tensor,
    sr_features: tf.Tensor | None,
    hr_features: tf.Tensor | None,
    config: LossConfig,
) -> dict[str, tf.Tensor]:
    """The generator's adversarial-phase loss terms, per example, already weighted.

    Args:
        sr, hr: generated and true HR patches in [-1, 1].
        fake_logits: discriminator logits of `sr`.
        sr_features, hr_features: VGG features of `(sr + 1) / 2` and `(hr + 1) / 2`, or None
            when the run has no VGG term.
        config: a `LossConfig` with the weights.

    Returns:
        A dict of per-example tensors: `mse`, `vgg`, `adv` and their sum `g_loss`.
    """
    terms = {
        "mse": config.mse_weight * per_example_mse(sr, hr),
        "adv": config.adv_weight * per_example_sigmoid_ce(fake_logits, 1.0),
    }
    if sr_features is not None:
        terms["vgg"] = config.vgg_weight * per_example_mse(sr_features, hr_features)
    else:
        terms["vgg"] = tf.zeros_like(terms["mse"])
    terms["g_loss"] = terms["mse"] + terms["vgg"] + terms["adv"]
    return terms


def discriminator_terms(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> dict[str, tf.Tensor]:
    """The discriminator's loss terms per example: CE(real, 1) + CE(fake, 0)."""
    real = per_example_sigmoid_ce(real_logits, 1.0)
    fake = per_example_sigmoid_ce(fake_logits, 0.0)
    return {"d_real": real, "d_fake": fake, "d_loss": real + fake}


def discriminator_accuracy(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> dict[str, tf.Tensor]:
    """Per example, whether the discriminator called the real patch real (logit > 0) and the
    generated one fake (logit < 0): 1 or 0. Their batch means show a GAN learning (both well
    above 0.5 at first, then the generator catching up) or collapsing (one pinned at 1)."""
    real = tf.cast(tf.cast(real_logits, tf.float32) > 0, tf.float32)
    fake = tf.cast(tf.cast(fake_logits, tf.float32) < 0, tf.float32)
    return {"d_acc_real": _per_example_mean(real), "d_acc_fake": _per_example_mean(fake)}
