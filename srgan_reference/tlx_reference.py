"""The TensorLayerX reference models, built with TensorLayerX 0.5.8 itself: the second oracle.

Upstream file: tensorlayer/srgan `srgan.py` (the repository's current code, TensorLayerX with
the TensorFlow backend). Mirrored below class for class and statement for statement:

- `ResidualBlock`: conv1 (3x3, no bias), bn1 (`BatchNorm2d`, ReLU), conv2, bn2; `x + z`.
- `SRGAN_g`: conv1 (ReLU), `make_layer()` = `Sequential` of 16 `ResidualBlock`, conv2 (no
  bias), bn1, `+ temp`, conv3 256, subpiexlconv1 (ReLU), conv4 256, subpiexlconv2 (ReLU),
  conv5 1x1 3 (Tanh). Attribute names (including upstream's `subpiexlconv` spelling) are kept:
  they name the weights.
- `SRGAN_d`: conv1 4x4/2 (LeakyReLU), conv2..conv6 4x4/2 each with bn1..bn5 (LeakyReLU), conv7
  1x1 + bn6 (LeakyReLU), conv8 1x1 + bn7 (the skip), conv9 1x1 + bn8, conv10 3x3 + bn9, conv11
  3x3 + bn10, `Elementwise(combine_fn=tlx.add, act=tlx.LeakyReLU)`, `Flatten`,
  `Linear(out_features=1)`.

Every layer is `data_format='channels_first'`, as upstream. Two things make that run on a CPU:
- TensorFlow's plain CPU kernels have no NCHW convolution; its oneDNN kernels do. oneDNN is on
  by default only on some CPUs (those with AVX-512), so `tests/conftest.py` turns it on
  (`TF_ENABLE_ONEDNN_OPTS=1`) before TensorFlow loads.
- `SubpixelConv2d(data_format='channels_first')` calls `tf.nn.depth_to_space(...,
  data_format="NCHW")`, which TensorFlow implements only on GPUs. TensorFlow defines that op
  as the NHWC one on another layout, so `CpuSubpixelConv2d` transposes to NHWC, applies the
  NHWC op and transposes back. This is the one substitution.
"""

import os

os.environ.setdefault("TL_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorlayerx as tlx  # noqa: E402
from tensorlayerx.nn import (  # noqa: E402
    BatchNorm2d,
    Conv2d,
    Elementwise,
    Flatten,
    Linear,
    Module,
    Sequential,
    SubpixelConv2d,
)

from srgan_reference.frame_lookup import use_plain_frames  # noqa: E402
from srgan_reference.random_weights import randomize  # noqa: E402, F401  (the parity tests' random weights)

use_plain_frames("tensorlayerx")  # frame_lookup.py: same frames, without reading sources

W_init = tlx.initializers.TruncatedNormal(stddev=0.02)  # noqa: N816  (upstream's names)
G_init = tlx.initializers.TruncatedNormal(mean=1.0, stddev=0.02)  # noqa: N816
CF = "channels_first"


class CpuSubpixelConv2d(SubpixelConv2d):
    """SubpixelConv2d(data_format='channels_first') computed through the NHWC op (see above)."""

    def forward(self, inputs):
        x = tf.transpose(inputs, [0, 2, 3, 1])
        x = tf.nn.depth_to_space(x, self.scale)
        x = tf.transpose(x, [0, 3, 1, 2])
        return self.act(x) if self.act else x


class ResidualBlock(Module):
    def __init__(self):
        super().__init__()
        self.conv1 = Conv2d(
            out_channels=64, kernel_size=(3, 3), stride=(1, 1), act=None, padding="SAME",
            W_init=W_init, data_format=CF, b_init=None,
        )  # fmt: skip
        self.bn1 = BatchNorm2d(num_features=64, act=tlx.ReLU, gamma_init=G_init, data_format=CF)
        self.conv2 = Conv2d(
            out_channels=64, kernel_size=(3, 3), stride=(1, 1), act=None, padding="SAME",
            W_init=W_init, data_format=CF, b_init=None,
        )  # fmt: skip
        self.bn2 = BatchNorm2d(num_features=64, act=None, gamma_init=G_init, data_format=CF)

    def forward(self, x):
        z = self.conv1(x)
        z = self.bn1(z)
        z = self.conv2(z)
        z = self.bn2(z)
        x = x + z
        return x


class SRGAN_g(Module):  # noqa: N801  (upstream's name)
    """`srgan.py`'s generator: NCHW in, NCHW out."""

    def __init__(self):
        super().__init__()
        self.conv1 = Conv2d(
            out_channels=64, kernel_size=(3, 3), stride=(1, 1), act=tlx.ReLU, padding="SAME",
            W_init=W_init, data_format=CF,
        )  # fmt: skip
        self.residual_block = self.make_layer()
        self.conv2 = Conv2d(
            out_channels=64, kernel_size=(3, 3), stride=(1, 1), padding="SAME", W_init=W_init,
            data_format=CF, b_init=None,
        )  # fmt: skip
        self.bn1 = BatchNorm2d(num_features=64, act=None, gamma_init=G_init, data_format=CF)
        self.conv3 = Conv2d(
            out_channels=256, kernel_size=(3, 3), stride=(1, 1), padding="SAME", W_init=W_init,
            data_format=CF,
        )  # fmt: skip
        self.subpiexlconv1 = CpuSubpixelConv2d(data_format=CF, scale=2, act=tlx.ReLU)
        self.conv4 = Conv2d(
            out_channels=256, kernel_size=(3, 3), stride=(1, 1), padding="SAME", W_init=W_init,
            data_format=CF,
        )  # fmt: skip
        self.subpiexlconv2 = CpuSubpixelConv2d(data_format=CF, scale=2, act=tlx.ReLU)
        self.conv5 = Conv2d(
            3, kernel_size=(1, 1), stride=(1, 1), act=tlx.Tanh, padding="SAME", W_init=W_init,
            data_format=CF,
        )  # fmt: skip

    def make_layer(self):
        layer_list = []
        for _ in range(16):
            layer_list.append(ResidualBlock())
        return Sequential(layer_list)

    def forward(self, x):
        x = self.conv1(x)
        temp = x
        x = self.residual_block(x)
        x = self.conv2(x)
        x = self.bn1(x)
        x = x + temp
        x = self.conv3(x)
        x = self.subpiexlconv1(x)
        x = self.conv4(x)
        x = self.subpiexlconv2(x)
        x = self.conv5(x)
        return x


def _d_conv(out, k, s, act=None, bias=True):
    """One of `SRGAN_d`'s Conv2d calls (upstream spells each out; only these values vary)."""
    extra = {} if bias else {"b_init": None}
    return Conv2d(
        out_channels=out, kernel_size=(k, k), stride=(s, s), act=act, padding="SAME",
        W_init=W_init, data_format=CF, **extra,
    )  # fmt: skip


class SRGAN_d(Module):  # noqa: N801  (upstream's name)
    """`srgan.py`'s discriminator: NCHW in, one logit out. `tlx.LeakyReLU` is the backend op,
    slope 0.2 in TensorLayerX 0.5.8; it flattens (C, H, W) before the dense layer."""

    def __init__(self, dim=64):
        super().__init__()
        lrelu = tlx.LeakyReLU
        self.conv1 = _d_conv(dim, 4, 2, act=lrelu)
        self.conv2 = _d_conv(dim * 2, 4, 2, bias=False)
        self.bn1 = BatchNorm2d(num_features=dim * 2, act=lrelu, gamma_init=G_init, data_format=CF)
        self.conv3 = _d_conv(dim * 4, 4, 2, bias=False)
        self.bn2 = BatchNorm2d(num_features=dim * 4, act=lrelu, gamma_init=G_init, data_format=CF)
        self.conv4 = _d_conv(dim * 8, 4, 2, bias=False)
        self.bn3 = BatchNorm2d(num_features=dim * 8, act=lrelu, gamma_init=G_init, data_format=CF)
        self.conv5 = _d_conv(dim * 16, 4, 2, bias=False)
        self.bn4 = BatchNorm2d(num_features=dim * 16, act=lrelu, gamma_init=G_init, data_format=CF)
        self.conv6 = _d_conv(dim * 32, 4, 2, bias=False)
        self.bn5 = BatchNorm2d(num_features=dim * 32, act=lrelu, gamma_init=G_init, data_format=CF)
        self.conv7 = _d_conv(dim * 16, 1, 1, bias=False)
        self.bn6 = BatchNorm2d(num_features=dim * 16, act=lrelu, gamma_init=G_init, data_format=CF)
        self.conv8 = _d_conv(dim * 8, 1, 1, bias=False)
        self.bn7 = BatchNorm2d(num_features=dim * 8, act=None, gamma_init=G_init, data_format=CF)
        self.conv9 = _d_conv(dim * 2, 1, 1, bias=False)
        self.bn8 = BatchNorm2d(num_features=dim * 2, act=lrelu, gamma_init=G_init, data_format=CF)
        self.conv10 = _d_conv(dim * 2, 3, 1, bias=False)
        self.bn9 = BatchNorm2d(num_features=dim * 2, act=lrelu, gamma_init=G_init, data_format=CF)
        self.conv11 = _d_conv(dim * 8, 3, 1, bias=False)
        self.bn10 = BatchNorm2d(num_features=dim * 8, gamma_init=G_init, data_format=CF)
        self.add = Elementwise(combine_fn=tlx.add, act=lrelu)
        self.flat = Flatten()
        self.dense = Linear(out_features=1, W_init=W_init)

    def forward(self, x):
        x = self.conv1(x)
        x = self.conv2(x)
        x = self.bn1(x)
        x = self.conv3(x)
        x = self.bn2(x)
        x = self.conv4(x)
        x = self.bn3(x)
        x = self.conv5(x)
        x = self.bn4(x)
        x = self.conv6(x)
        x = self.bn5(x)
        x = self.conv7(x)
        x = self.bn6(x)
        x = self.conv8(x)
        x = self.bn7(x)
        temp = x
        x = self.conv9(x)
        x = self.bn8(x)
        x = self.conv10(x)
        x = self.bn9(x)
        x = self.conv11(x)
        x = self.bn10(x)
        x = self.add([temp, x])
        x = self.flat(x)
        x = self.dense(x)
        return x


def build(model, input_nchw):
    """Runs the model once so that TensorLayerX creates its weights."""
    model.set_eval()
    model(tf.constant(input_nchw))
    return model


def to_nchw(x):
    return np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2)))


def to_nhwc(x):
    return np.ascontiguousarray(np.transpose(x, (0, 2, 3, 1)))
