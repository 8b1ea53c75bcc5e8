"""`tf.data` pipelines: the study's training augmentation and deterministic evaluation pairs.

Training, per image and epoch: random crop -> scale to [-1, 1] -> random left-right flip
(tensorlayer/srgan `train.py`) -> (optional colour jitter, defocus blur) -> random brightness (max delta 0.4) -> random contrast (0.1 to
0.4) (both from the study's `utils.py`; the reference has neither) -> LR = bicubic x4 downscale
of the augmented HR patch (`degrade`: the study's plain bicubic, the antialiased and quantised
LR of SR papers, or a per-patch mix of both). The study applies brightness and contrast in
[-1, 1] space without clipping; that is the default (`clip_augmented=False`). Every random draw
is a stateless op seeded from (seed, epoch, position), so the same seed gives the same batches
however many threads run the map.
"""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import tensorflow as tf

from srgan_tf.config import DataConfig
from srgan_tf.data.datasets import ImageSet
from srgan_tf.protocols import degrade


def colour_jitter(hr: tf.Tensor, seed: tf.Tensor, config: DataConfig) -> tf.Tensor:
    """Not in the reference: colours the photographs lack (saturated flowers, sunsets, other
    hues), made from the ones they have.

    A saturation factor drawn uniformly from [saturation_min, saturation_max] (HSV saturation,
    clipped at full), then, on a `hue_jitter` share of the patches, a hue rotation drawn
    uniformly from the whole circle. Both act on the HR patch, so the LR made from it carries
    the same colours. Seeded by fold-in, so every other draw is unchanged; with the defaults
    (1, 1, 0) the patch is returned untouched.
    """
    if config.saturation_min == config.saturation_max == 1.0 and config.hue_jitter == 0:
        return hr
    x = (hr + 1.0) / 2.0
    if not config.saturation_min == config.saturation_max == 1.0:
        key = tf.random.experimental.stateless_fold_in(seed, 5)
        factor = tf.random.stateless_uniform([], key, config.saturation_min, config.saturation_max)
        x = tf.image.adjust_saturation(x, factor)
    if config.hue_jitter > 0:
        key = tf.random.experimental.stateless_fold_in(seed, 6)
        draw = tf.random.stateless_uniform([2], key)
        delta = tf.where(draw[0] < config.hue_jitter, draw[1] - 0.5, 0.0)
        x = tf.image.adjust_hue(x, delta)
    return x * 2.0 - 1.0


def defocus(hr: tf.Tensor, seed: tf.Tensor, config: DataConfig) -> tf.Tensor:
    """Not in the reference: out-of-focus patches, so a model learns that a soft photo's
    detail is soft instead of inventing texture on it.

    On a `blur_share` of the patches, a Gaussian blur of a sigma drawn uniformly from
    [0, blur_sigma_max] HR pixels (separable, mirror-padded edges). It acts on the HR patch,
    so the LR made from it is as soft; seeded by fold-in, so every other draw is unchanged.
    """
    if config.blur_share <= 0 or config.blur_sigma_max <= 0:
        return hr
    key = tf.random.experimental.stateless_fold_in(seed, 7)
    draw = tf.random.stateless_uniform([2], key)
    sigma = tf.where(draw[0] < config.blur_share, draw[1] * config.blur_sigma_max, 0.0)
    radius = int(np.ceil(3 * config.blur_sigma_max))

    def blur():
        x = tf.range(-radius, radius + 1, dtype=tf.float32)
        taps = tf.exp(-0.5 * tf.square(x / sigma))
        taps /= tf.reduce_sum(taps)
        pad = [[0, 0], [radius, radius], [radius, radius], [0, 0]]
        out = tf.pad(hr[None], pad, "REFLECT")
        row = tf.tile(tf.reshape(taps, [1, -1, 1, 1]), [1, 1, 3, 1])
        col = tf.tile(tf.reshape(taps, [-1, 1, 1, 1]), [1, 1, 3, 1])
        out = tf.nn.depthwise_conv2d(out, row, [1, 1, 1, 1], "VALID")
        return tf.nn.depthwise_conv2d(out, col, [1, 1, 1, 1], "VALID")[0]

    # Only drawn patches are convolved; the others (and sigma 0) are returned bit-exact.
    return tf.cond(sigma > 0, blur, lambda: hr)


def augment(patch: tf.Tensor, seeds: tf.Tensor, config: DataConfig) -> tuple[tf.Tensor, tf.Tensor]:
    """Reference augmentation of one uint8 HR patch.

    Args:
        patch: `(crop, crop, 3)` uint8.
        seeds: `(3, 2)` stateless seeds for flip, brightness, contrast.
        config: a `DataConfig`.

    Returns:
        `(lr, hr)` float32, HR in [-1, 1] before brightness/contrast (unclipped by default),
        channels randomly reordered with `config.channel_shuffle`.
    """
    hr = tf.cast(patch, tf.float32) / 127.5 - 1.0
    if config.flip:
        hr = tf.image.stateless_random_flip_left_right(hr, seeds[0])
    if config.rot90:
        # Not in the reference: a random quarter turn; with the flip, all 8 symmetries of the
        # square (EDSR's geometric self-ensemble, used for training). Seeded by fold-in so
        # every other draw is unchanged.
        key = tf.random.experimental.stateless_fold_in(seeds[0], 2)
        hr = tf.image.rot90(hr, tf.random.stateless_uniform([], key, 0, 4, tf.int32))
    hr = colour_jitter(hr, seeds[0], config)
    hr = defocus(hr, seeds[0], config)
    if config.brightness_delta > 0:
        hr = tf.image.stateless_random_brightness(hr, config.brightness_delta, seeds[1])
    if config.contrast_upper > 0:
        hr = tf.image.stateless_random_contrast(
            hr, config.contrast_lower, config.contrast_upper, seeds[2]
        )
    if config.clip_augmented:
        hr = tf.clip_by_value(hr, -1.0, 1.0)
    if config.channel_shuffle:
        # Not in the reference: a random RGB order per patch, so a small training set covers
        # six times its colours. Seeded by folding into the flip seed, which leaves every
        # other draw (and so the default pipeline's batches) unchanged.
        key = tf.random.experimental.stateless_fold_in(seeds[0], 1)
        hr = tf.gather(hr, tf.argsort(tf.random.stateless_uniform([3], key)), axis=-1)
    kind = config.train_lr or config.protocol
    if kind == "mixed":
        # Not in the reference: each patch gets one protocol's LR (`paper_share` of them the
        # paper's), so one model serves both. Seeded by fold-in so every other draw is unchanged.
        key = tf.random.experimental.stateless_fold_in(seeds[0], 4)
        paper = tf.random.stateless_uniform([], key) < config.paper_share
        lr = tf.cond(
            paper,
            lambda: degrade(hr, config.scale, "paper"),
            lambda: degrade(hr, config.scale, "study"),
        )
    else:
        lr = degrade(hr, config.scale, kind)
    return lr, hr


def steps_per_epoch(image_set: ImageSet, config: DataConfig, patches_per_image: int = 1) -> int:
    return (len(image_set) * patches_per_image) // config.batch_size


def train_dataset(
    image_set: ImageSet, config: DataConfig, epoch: int = 0, patches_per_image: int = 1
) -> tf.data.Dataset:
    """One epoch of shuffled, augmented `(lr, hr)` batches (drop_remainder, prefetched).

    Args:
        image_set: a `datasets.ImageSet` (every image at least `crop_size` on each side).
        config: a `DataConfig`.
        epoch: the epoch number; with `config.seed` it fixes the order and every random draw.
        patches_per_image: random crops per image per epoch (the reference takes one).

    Returns:
        A `tf.data.Dataset` of `(lr (b, c/s, c/s, 3), hr (b, c, c, 3))` float32 batches.
    """
    n = len(image_set) * patches_per_image
    crop = config.crop_size
    order = np.random.default_rng([config.seed, epoch]).permutation(n) % len(image_set)
    sizes = tf.constant(np.array(image_set.sizes, np.int32).reshape(-1, 2))

    def crop_np(i, y, x, side):
        return image_set.get(int(i))[y : y + side, x : x + side]

    def load(position, i):
        seed = tf.stack([tf.constant(config.seed, tf.int64), epoch * n + position])
        seeds = tf.random.experimental.stateless_split(seed, 5)
        hw = sizes[i]
        side = tf.constant(crop)
        rescale = config.min_scale < 1.0 or config.max_scale > 1.0
        if rescale:
            # Not in the reference: the patch is a square resized by a random factor s in
            # [min_scale, max_scale], log-uniform: shrunk (s < 1, antialiased) it packs more
            # detail per pixel, enlarged (s > 1) it is softer, as defocused photos are. A few
            # images then show details at many scales and sharpnesses.
            key = tf.random.experimental.stateless_fold_in(seeds[0], 3)
            lo, hi = np.log(config.min_scale), np.log(config.max_scale)
            s = tf.exp(tf.random.stateless_uniform([], key, lo, hi))
            side = tf.cast(tf.round(crop / s), tf.int32)
            side = tf.minimum(side, tf.reduce_min(hw))
        y = tf.random.stateless_uniform([], seeds[0], 0, hw[0] - side + 1, tf.int32)
        x = tf.random.stateless_uniform([], seeds[1], 0, hw[1] - side + 1, tf.int32)
        patch = tf.numpy_function(crop_np, [i, y, x, side], tf.uint8, stateful=False)
        if rescale:
            patch = tf.ensure_shape(patch, [None, None, 3])
            patch = tf.image.resize(patch[None], [crop, crop], "bicubic", antialias=True)[0]
            patch = tf.cast(tf.clip_by_value(tf.round(patch), 0, 255), tf.uint8)
        patch = tf.ensure_shape(patch, [crop, crop, 3])
        return augment(patch, seeds[2:], config)

    positions = tf.data.Dataset.range(n)
    indices = tf.data.Dataset.from_tensor_slices(order.astype(np.int64))
    return (
        tf.data.Dataset.zip(positions, indices)
        .map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(config.batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def eval_pair(
    rgb: np.ndarray, config: DataConfig, eval_crop: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The deterministic `(lr, hr)` of one image, both `(h, w, 3)` float32 in [-1, 1].

    HR is the centre crop of `eval_crop` pixels when given, else the whole image trimmed to a
    multiple of `scale`; LR is its downscale under `config.protocol` (see `degrade`).
    """
    h, w = rgb.shape[:2]
    s = config.scale
    if eval_crop:
        y, x = (h - eval_crop) // 2, (w - eval_crop) // 2
        rgb = rgb[y : y + eval_crop, x : x + eval_crop]
    else:
        rgb = rgb[: h - h % s, : w - w % s]
    hr = rgb.astype(np.float32) / 127.5 - 1.0
    lr = degrade(tf.constant(hr), s, config.protocol).numpy()
    return lr, hr


def eval_pairs(
    image_set: ImageSet, config: DataConfig, eval_crop: int = 0
) -> Iterator[tuple[Path, np.ndarray, np.ndarray]]:
    """Yields `(path, lr, hr)` for every image of the set, in order (see `eval_pair`)."""
    for i, path in enumerate(image_set.paths):
        lr, hr = eval_pair(image_set.get(i), config, eval_crop)
        yield path, lr, hr
