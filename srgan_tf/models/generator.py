"""The SRGAN generator (Ledig et al. 2017, Fig. 4), exactly as tensorlayer/srgan's `get_G`.

conv3x3 64 + ReLU; 16 residual blocks (conv, BN, ReLU, conv, BN, add); conv + BN + the long skip;
two x2 sub-pixel upsamplers (conv3x3 256, ReLU, pixel shuffle); conv1x1 3 + tanh. Fully
convolutional: any input size, output 4x larger, both in [-1, 1].
"""

import contextlib
import random
from collections.abc import Iterator

import keras
import numpy as np
import tensorflow as tf

from srgan_tf.models.layers import FusedBatchNormalization, PixelShuffle

N_RES_BLOCKS = 16
# tensorlayer's BatchNorm defaults (decay 0.9, epsilon 1e-5); Keras' default epsilon (1e-3)
# alone moves outputs by about 7e-4.
BN_MOMENTUM = 0.9
BN_EPSILON = 1e-5


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """`keras.utils.set_random_seed(seed)` for the models built inside, so `seed` alone fixes
    their initial weights; the process-wide random state (Python, NumPy, TensorFlow and Keras'
    global seed generator) is put back as it was on the way out."""
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils.rng_utils import GLOBAL_RANDOM_SEED
    from tensorflow.python.eager import context

    saved = (
        random.getstate(),
        np.random.get_state(),
        context.global_seed(),
        global_state.get_global_attribute(GLOBAL_RANDOM_SEED),
        global_state.get_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR),
    )
    keras.utils.set_random_seed(int(seed))
    try:
        yield
    finally:
        py, npy, tf_seed, keras_seed, keras_generator = saved
        random.setstate(py)
        np.random.set_state(npy)
        tf.random.set_seed(tf_seed)
        global_state.set_global_attribute(GLOBAL_RANDOM_SEED, keras_seed)
        global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, keras_generator)


def weight_init() -> keras.initializers.Initializer:
    """The reference's kernel initialiser: normal, stddev 0.02."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def gamma_init() -> keras.initializers.Initializer:
    """The reference's BatchNorm gamma initialiser: normal, mean 1, stddev 0.02."""
    return keras.initializers.RandomNormal(mean=1.0, stddev=0.02)


def conv(
    filters: int,
    kernel: int,
    name: str,
    use_bias: bool = True,
    strides: int = 1,
    activation: str | None = None,
) -> keras.layers.Conv2D:
    return keras.layers.Conv2D(
        filters,
        kernel,
        strides=strides,
        padding="same",
        use_bias=use_bias,
        activation=activation,
        kernel_initializer=weight_init(),
        name=name,
    )


def batch_norm(name: str, synchronized: bool = False) -> keras.layers.Layer:
    # moving_variance starts at one (Keras) where tensorlayer starts it at zero; this only
    # changes inference of an untrained model and is kept so a fresh model is usable.
    # The fused kernel is about 1.4x faster end to end in bfloat16 (bench/train_speed.py).
    return FusedBatchNormalization(
        momentum=BN_MOMENTUM,
        epsilon=BN_EPSILON,
        gamma_initializer=gamma_init(),
        # Statistics over the global batch when replicated: per-replica statistics drift and
        # make gradients differ from one device's by about 20% (measured).
        synchronized=synchronized,
        name=name,
    )


def build_generator(
    n_res_blocks: int = N_RES_BLOCKS,
    filters: int = 64,
    synchronized_bn: bool = False,
    name: str = "generator",
) -> keras.Model:
    """Builds the reference SRGAN generator.

    Args:
        n_res_blocks: residual blocks (16 in the reference and the paper).
        filters: feature maps in the trunk (64). Other values exist for tiny test models;
            the reference weights need the defaults.
        synchronized_bn: BatchNorm statistics over all replicas (for tf.distribute).
        name: the Keras model name.

    Returns:
        A `keras.Model` mapping `(batch, h, w, 3)` in [-1, 1] to `(batch, 4h, 4w, 3)` in [-1, 1].
        The last layer (`generator_tanh`) computes in float32 under mixed precision.
    """
    inputs = keras.Input((None, None, 3), name="lr_image")
    x = conv(filters, 3, "generator_conv_in", activation="relu")(inputs)
    skip = x
    for i in range(n_res_blocks):
        p = f"generator_res{i}_"
        y = conv(filters, 3, p + "conv1", use_bias=False)(x)
        y = batch_norm(p + "bn1", synchronized_bn)(y)
        y = keras.layers.ReLU(name=p + "relu")(y)
        y = conv(filters, 3, p + "conv2", use_bias=False)(y)
        y = batch_norm(p + "bn2", synchronized_bn)(y)
        x = keras.layers.Add(name=p + "add")([x, y])
    x = conv(filters, 3, "generator_trunk_conv", use_bias=False)(x)
    x = batch_norm("generator_trunk_bn", synchronized_bn)(x)
    x = keras.layers.Add(name="generator_trunk_add")([x, skip])
    for i in (1, 2):
        x = conv(256, 3, f"generator_up{i}_conv")(x)
        # The reference shuffles, then applies ReLU. The shuffle only moves values, so ReLU
        # first is the same function, and oneDNN fuses it into the convolution.
        x = keras.layers.ReLU(name=f"generator_up{i}_relu")(x)
        x = PixelShuffle(2, name=f"generator_up{i}_shuffle")(x)
    x = conv(3, 1, "generator_conv_out")(x)
    # float32 output under mixed precision: losses and saved images need the full range.
    outputs = keras.layers.Activation("tanh", dtype="float32", name="generator_tanh")(x)
    return keras.Model(inputs, outputs, name=name)
