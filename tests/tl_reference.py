"""The tensorlayer 2 reference models, built with tensorlayer's own layers: the oracle of parity tests.

`tl_generator` and `tl_discriminator` are tensorlayer/srgan's `get_G` / `get_D` (TL2 model.py)
line for line; the VGG is tensorlayer's own `tl.models.vgg19/vgg16`.
"""

import numpy as np
import tensorflow as tf
import tensorlayer as tl
from random_weights import randomize  # noqa: F401  (the parity tests' random weights)
from tensorlayer.layers import BatchNorm, Conv2d, Dense, Elementwise, Flatten, Input, SubpixelConv2d
from tensorlayer.models import Model


def tl_generator(input_shape=(None, None, None, 3)):
    w_init = tf.random_normal_initializer(stddev=0.02)
    g_init = tf.random_normal_initializer(1.0, 0.02)
    nin = Input(list(input_shape))
    n = Conv2d(64, (3, 3), (1, 1), act=tf.nn.relu, padding="SAME", W_init=w_init)(nin)
    temp = n
    for _ in range(16):
        nn = Conv2d(64, (3, 3), (1, 1), padding="SAME", W_init=w_init, b_init=None)(n)
        nn = BatchNorm(act=tf.nn.relu, gamma_init=g_init)(nn)
        nn = Conv2d(64, (3, 3), (1, 1), padding="SAME", W_init=w_init, b_init=None)(nn)
        nn = BatchNorm(gamma_init=g_init)(nn)
        nn = Elementwise(tf.add)([n, nn])
        n = nn
    n = Conv2d(64, (3, 3), (1, 1), padding="SAME", W_init=w_init, b_init=None)(n)
    n = BatchNorm(gamma_init=g_init)(n)
    n = Elementwise(tf.add)([n, temp])
    n = Conv2d(256, (3, 3), (1, 1), padding="SAME", W_init=w_init)(n)
    n = SubpixelConv2d(scale=2, n_out_channels=None, act=tf.nn.relu)(n)
    n = Conv2d(256, (3, 3), (1, 1), act=None, padding="SAME", W_init=w_init)(n)
    n = SubpixelConv2d(scale=2, n_out_channels=None, act=tf.nn.relu)(n)
    nn = Conv2d(3, (1, 1), (1, 1), act=tf.nn.tanh, padding="SAME", W_init=w_init)(n)
    return Model(inputs=nin, outputs=nn)  # tensorlayer model names must be unique


def tl_discriminator(input_shape):
    w_init = tf.random_normal_initializer(stddev=0.02)
    gamma_init = tf.random_normal_initializer(1.0, 0.02)
    df_dim = 64

    def lrelu(x):
        return tl.act.lrelu(x, 0.2)

    nin = Input(list(input_shape))
    n = Conv2d(df_dim, (4, 4), (2, 2), act=lrelu, padding="SAME", W_init=w_init)(nin)
    for mult in (2, 4, 8, 16, 32):
        n = Conv2d(df_dim * mult, (4, 4), (2, 2), padding="SAME", W_init=w_init, b_init=None)(n)
        n = BatchNorm(act=lrelu, gamma_init=gamma_init)(n)
    n = Conv2d(df_dim * 16, (1, 1), (1, 1), padding="SAME", W_init=w_init, b_init=None)(n)
    n = BatchNorm(act=lrelu, gamma_init=gamma_init)(n)
    n = Conv2d(df_dim * 8, (1, 1), (1, 1), padding="SAME", W_init=w_init, b_init=None)(n)
    nn = BatchNorm(gamma_init=gamma_init)(n)
    n = Conv2d(df_dim * 2, (1, 1), (1, 1), padding="SAME", W_init=w_init, b_init=None)(nn)
    n = BatchNorm(act=lrelu, gamma_init=gamma_init)(n)
    n = Conv2d(df_dim * 2, (3, 3), (1, 1), padding="SAME", W_init=w_init, b_init=None)(n)
    n = BatchNorm(act=lrelu, gamma_init=gamma_init)(n)
    n = Conv2d(df_dim * 8, (3, 3), (1, 1), padding="SAME", W_init=w_init, b_init=None)(n)
    n = BatchNorm(gamma_init=gamma_init)(n)
    n = Elementwise(combine_fn=tf.add, act=lrelu)([n, nn])
    n = Flatten()(n)
    no = Dense(n_units=1, W_init=w_init)(n)
    return Model(inputs=nin, outputs=no)


def tl_vgg(name="vgg19", end_with="pool4"):
    """tensorlayer's dynamic VGG (any input size), without downloading weights."""
    return getattr(tl.models, name)(pretrained=False, end_with=end_with, mode="dynamic")


def save_tl_list_npz(model, path):
    """The tensorlayer list format as old tensorlayer wrote it (`np.savez(params=<object array>)`).

    tensorlayer 2.2.5's own `save_npz` calls `np.array` on ragged arrays, which numpy 2 refuses.
    """
    values = [w.numpy() for w in model.all_weights]
    params = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        params[i] = v
    np.savez(path, params=params)
