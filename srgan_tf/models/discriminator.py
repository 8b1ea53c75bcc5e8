"""SRGAN discriminators: the tensorlayer reference's (`kind="tl"`) and the paper's (`kind="paper"`).

Both output one logit per image (no sigmoid); losses apply the sigmoid.
"""

import keras

from srgan_tf.config import DISCRIMINATOR_KINDS
from srgan_tf.models.generator import batch_norm, conv, weight_init
from srgan_tf.models.layers import MaxLeakyReLU

LEAKY_SLOPE = 0.2
KINDS = DISCRIMINATOR_KINDS


def _lrelu(name):
    return keras.layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=name)


def _conv_bn(x, filters, kernel, strides, name, act: bool = True, sync: bool = False):
    x = conv(filters, kernel, name + "_conv", use_bias=False, strides=strides)(x)
    x = batch_norm(name + "_bn", sync)(x)
    return _lrelu(name + "_lrelu")(x) if act else x


def _tl_body(x, df, sync):
    """tensorlayer/srgan `get_D`: 4x4 stride-2 convs 64..2048, 1x1 bottleneck, residual add."""
    x = conv(df, 4, "discriminator_c1_conv", strides=2)(x)
    x = MaxLeakyReLU(LEAKY_SLOPE, name="discriminator_c1_lrelu")(x)  # after a bias: see there
    for i, mult in enumerate((2, 4, 8, 16, 32), start=2):
        x = _conv_bn(x, df * mult, 4, 2, f"discriminator_c{i}", sync=sync)
    x = _conv_bn(x, df * 16, 1, 1, "discriminator_c7", sync=sync)
    skip = _conv_bn(x, df * 8, 1, 1, "discriminator_c8", act=False, sync=sync)
    x = _conv_bn(skip, df * 2, 1, 1, "discriminator_res_c1", sync=sync)
    x = _conv_bn(x, df * 2, 3, 1, "discriminator_res_c2", sync=sync)
    x = _conv_bn(x, df * 8, 3, 1, "discriminator_res_c3", act=False, sync=sync)
    x = keras.layers.Add(name="discriminator_res_add")([x, skip])
    return _lrelu("discriminator_res_lrelu")(x)


def _paper_body(x, df, sync):
    """Ledig et al. Fig. 4 and the study's report: eight 3x3 convs 64..512, stride 2 every other."""
    x = conv(df, 3, "discriminator_c1_conv")(x)
    x = MaxLeakyReLU(LEAKY_SLOPE, name="discriminator_c1_lrelu")(x)  # after a bias: see there
    plan = [(1, 2), (2, 1), (2, 2), (4, 1), (4, 2), (8, 1), (8, 2)]
    for i, (mult, stride) in enumerate(plan, start=2):
        x = _conv_bn(x, df * mult, 3, stride, f"discriminator_c{i}", sync=sync)
    return x


# The input side must be a multiple of this: the strides of each kind's body halve it 6 or 4 times.
SIZE_FACTOR = {"tl": 64, "paper": 16}


def size_problem(kind: str, input_size: int) -> str | None:
    """Why a `kind` discriminator cannot take `input_size` pixels a side (the HR crop), or
    None: the one owner of this rule (the gate and `build_discriminator` ask it)."""
    factor = SIZE_FACTOR[kind]
    if input_size % factor == 0:
        return None
    fitting = max(factor, input_size - input_size % factor)
    return (f"--crop_size={input_size} does not fit --discriminator={kind}, which takes "
            f"multiples of {factor} (e.g. {fitting}; --discriminator=paper takes multiples of "
            f"16; --n_epoch=0 trains without it)")  # fmt: skip


def build_discriminator(
    kind: str = "tl",
    input_size: int = 384,
    filters: int = 64,
    synchronized_bn: bool = False,
    name: str = "discriminator",
) -> keras.Model:
    """Builds an SRGAN discriminator.

    Args:
        kind: "tl" for the tensorlayer reference's discriminator (what the study trained),
            "paper" for the one the SRGAN paper and the study's report describe.
        input_size: HR patch side; the dense head fixes it (384 in the study).
        filters: base width (64). Smaller values are for tiny test models only.
        synchronized_bn: BatchNorm statistics over all replicas (for tf.distribute).
        name: the Keras model name.

    Returns:
        A `keras.Model` mapping `(batch, input_size, input_size, 3)` in [-1, 1] to logits
        `(batch, 1)`, computed in float32 at the head under mixed precision.

    Raises:
        ValueError: unknown `kind`, or an input size the strides cannot divide.
    """
    if kind not in KINDS:
        raise ValueError(f"discriminator kind must be one of {KINDS}, got {kind!r}")
    if problem := size_problem(kind, input_size):
        raise ValueError(problem)
    inputs = keras.Input((input_size, input_size, 3), name="hr_image")
    body = _tl_body if kind == "tl" else _paper_body
    x = body(inputs, filters, synchronized_bn)
    x = keras.layers.Flatten(name="discriminator_flatten")(x)
    if kind == "paper":
        x = keras.layers.Dense(
            filters * 16, kernel_initializer=weight_init(), name="discriminator_fc"
        )(x)
        x = _lrelu("discriminator_fc_lrelu")(x)
    logits = keras.layers.Dense(
        1, kernel_initializer=weight_init(), dtype="float32", name="discriminator_logits"
    )(x)
    return keras.Model(inputs, logits, name=name)
