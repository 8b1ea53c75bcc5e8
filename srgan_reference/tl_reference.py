"""The TensorLayer 2 reference models, built with tensorlayer 2.2.5's own layers: the parity oracle.

Upstream file: tensorlayer/srgan `model.py` as of its TensorLayer 2 release (the version the
study used; the repository later moved to TensorLayerX, see `tlx_reference.py`). That file
imports `Input, Conv2d, BatchNorm2d, Elementwise, SubpixelConv2d, Flatten, Dense` and `Model`,
and defines two functions, mirrored below statement for statement:

- `get_G(input_shape)`: conv 64 (ReLU); 16 blocks of conv, `BatchNorm2d(act=relu)`, conv,
  `BatchNorm2d`, `Elementwise(tf.add)`; conv, `BatchNorm2d`, `Elementwise(tf.add)` with the
  first conv; twice conv 256 then `SubpixelConv2d(scale=2, n_out_channels=None, act=relu)`;
  conv 1x1 3 (tanh); `Model(..., name="generator")`.
- `get_D(input_shape)`: conv 4x4/2 64 (lrelu 0.2); five conv 4x4/2 (128..2048) each with
  `BatchNorm2d(act=lrelu)`; conv 1x1 1024 + BN(lrelu), conv 1x1 512 + BN (the skip); conv 1x1
  128 + BN(lrelu), conv 3x3 128 + BN(lrelu), conv 3x3 512 + BN; `Elementwise(tf.add,
  act=lrelu)`; `Flatten`; `Dense(n_units=1)`; `Model(..., name="discriminator")`.

The same arguments in the same order, so the layer names tensorlayer gives them (`conv2d_N`,
`batchnorm2d_N`, `dense_N`) and the files its `save_weights` writes are the reference's.
One addition: a `name` argument (default: upstream's). tensorlayer refuses a second model
with a name already used in the process, and the tests build several.

The VGG is tensorlayer's own `tl.models.vgg19/vgg16`, which `train.py` uses.
"""

import numpy as np
import tensorflow as tf
import tensorlayer as tl
from tensorlayer.layers import (
    BatchNorm2d,
    Conv2d,
    Dense,
    Elementwise,
    Flatten,
    Input,
    SubpixelConv2d,
)
from tensorlayer.models import Model

from srgan_reference.frame_lookup import use_plain_frames
from srgan_reference.random_weights import randomize  # noqa: F401  (the parity tests' random weights)

use_plain_frames("tensorlayer")  # frame_lookup.py: same frames, without reading sources


def get_G(input_shape=(None, None, None, 3), name="generator"):  # noqa: N802  (upstream's name)
    w_init = tf.random_normal_initializer(stddev=0.02)
    g_init = tf.random_normal_initializer(1.0, 0.02)

    nin = Input(list(input_shape))
    n = Conv2d(64, (3, 3), (1, 1), act=tf.nn.relu, padding="SAME", W_init=w_init)(nin)
    temp = n

    # B residual blocks
    for _ in range(16):
        nn = Conv2d(64, (3, 3), (1, 1), padding="SAME", W_init=w_init, b_init=None)(n)
        nn = BatchNorm2d(act=tf.nn.relu, gamma_init=g_init)(nn)
        nn = Conv2d(64, (3, 3), (1, 1), padding="SAME", W_init=w_init, b_init=None)(nn)
        nn = BatchNorm2d(gamma_init=g_init)(nn)
        nn = Elementwise(tf.add)([n, nn])
        n = nn

    n = Conv2d(64, (3, 3), (1, 1), padding="SAME", W_init=w_init, b_init=None)(n)
    n = BatchNorm2d(gamma_init=g_init)(n)
    n = Elementwise(tf.add)([n, temp])
    # B residual blocks end

    n = Conv2d(256, (3, 3), (1, 1), padding="SAME", W_init=w_init)(n)
    n = SubpixelConv2d(scale=2, n_out_channels=None, act=tf.nn.relu)(n)

    n = Conv2d(256, (3, 3), (1, 1), act=None, padding="SAME", W_init=w_init)(n)
    n = SubpixelConv2d(scale=2, n_out_channels=None, act=tf.nn.relu)(n)

    nn = Conv2d(3, (1, 1), (1, 1), act=tf.nn.tanh, padding="SAME", W_init=w_init)(n)
    return Model(inputs=nin, outputs=nn, name=name)


def get_D(input_shape, name="discriminator"):  # noqa: N802  (upstream's name)
    w_init = tf.random_normal_initializer(stddev=0.02)
    gamma_init = tf.random_normal_initializer(1.0, 0.02)
    df_dim = 64

    def lrelu(x):
        return tl.act.lrelu(x, 0.2)

    nin = Input(list(input_shape))
    n = Conv2d(df_dim, (4, 4), (2, 2), act=lrelu, padding="SAME", W_init=w_init)(nin)

    n = Conv2d(df_dim * 2, (4, 4), (2, 2), padding="SAME", W_init=w_init, b_init=None)(n)
    n = BatchNorm2d(act=lrelu, gamma_init=gamma_init)(n)
    n = Conv2d(df_dim * 4, (4, 4), (2, 2), padding="SAME", W_init=w_init, b_init=None)(n)
    n = BatchNorm2d(act=lrelu, gamma_init=gamma_init)(n)
    n = Conv2d(df_dim * 8, (4, 4), (2, 2), padding="SAME", W_init=w_init, b_init=None)(n)
    n = BatchNorm2d(act=lrelu, gamma_init=gamma_init)(n)
    n = Conv2d(df_dim * 16, (4, 4), (2, 2), padding="SAME", W_init=w_init, b_init=None)(n)
    n = BatchNorm2d(act=lrelu, gamma_init=gamma_init)(n)
    n = Conv2d(df_dim * 32, (4, 4), (2, 2), padding="SAME", W_init=w_init, b_init=None)(n)
    n = BatchNorm2d(act=lrelu, gamma_init=gamma_init)(n)
    n = Conv2d(df_dim * 16, (1, 1), (1, 1), padding="SAME", W_init=w_init, b_init=None)(n)
    n = BatchNorm2d(act=lrelu, gamma_init=gamma_init)(n)
    n = Conv2d(df_dim * 8, (1, 1), (1, 1), padding="SAME", W_init=w_init, b_init=None)(n)
    nn = BatchNorm2d(gamma_init=gamma_init)(n)

    n = Conv2d(df_dim * 2, (1, 1), (1, 1), padding="SAME", W_init=w_init, b_init=None)(nn)
    n = BatchNorm2d(act=lrelu, gamma_init=gamma_init)(n)
    n = Conv2d(df_dim * 2, (3, 3), (1, 1), padding="SAME", W_init=w_init, b_init=None)(n)
    n = BatchNorm2d(act=lrelu, gamma_init=gamma_init)(n)
    n = Conv2d(df_dim * 8, (3, 3), (1, 1), padding="SAME", W_init=w_init, b_init=None)(n)
    n = BatchNorm2d(gamma_init=gamma_init)(n)
    n = Elementwise(combine_fn=tf.add, act=lrelu)([n, nn])

    n = Flatten()(n)
    no = Dense(n_units=1, W_init=w_init)(n)
    return Model(inputs=nin, outputs=no, name=name)


def tl_vgg(name="vgg19", end_with="pool4"):
    """tensorlayer's dynamic VGG (any input size), without downloading weights."""
    return getattr(tl.models, name)(pretrained=False, end_with=end_with, mode="dynamic")


def save_list_npz(model, path):
    """The list format (`params` = an object array of the weights in model order), byte for
    byte what `tl.files.save_npz` wrote under numpy < 1.24 (TensorLayer 1, which wrote the
    official `g_srgan.npz`, and TensorLayer 2's `save_weights(format="npz")`). Under numpy 2 that
    writer itself fails: `np.savez(params=<list of arrays of different shapes>)` is refused.
    Tests read these files back with tensorlayer's own `load_and_assign_npz` to prove the format.
    """
    values = [w.numpy() for w in model.all_weights]
    params = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        params[i] = v
    np.savez(path, params=params)
