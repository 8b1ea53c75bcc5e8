"""The second oracle: tensorlayer/srgan's current models, built with TensorLayerX itself.

tensorlayer/srgan's `srgan.py` (TensorLayerX, TensorFlow backend) builds `SRGAN_g` and
`SRGAN_d` with `data_format='channels_first'` on every layer; these classes create the same
TensorLayerX layers with the same arguments in the same order, so their weight names and
`save_weights(..., format='npz_dict')` files are the reference's.

One substitution, on CPU only: TensorLayerX's channels_first `SubpixelConv2d` calls
`tf.nn.depth_to_space(..., data_format="NCHW")`, which TensorFlow implements only on GPU.
TensorFlow defines the NCHW op as the NHWC mapping on another layout, so here it is computed
by transposing to NHWC, applying the NHWC op and transposing back.
"""

import os

os.environ.setdefault("TL_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorlayerx as tlx  # noqa: E402
from random_weights import randomize  # noqa: E402, F401  (the parity tests' random weights)
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

CF = "channels_first"
W_INIT = tlx.initializers.TruncatedNormal(stddev=0.02)
G_INIT = tlx.initializers.TruncatedNormal(mean=1.0, stddev=0.02)


class CpuSubpixelConv2d(SubpixelConv2d):
    """SubpixelConv2d(data_format='channels_first') computed through the NHWC op (see above)."""

    def forward(self, inputs):
        x = tf.transpose(inputs, [0, 2, 3, 1])
        x = tf.nn.depth_to_space(x, self.scale)
        x = tf.transpose(x, [0, 3, 1, 2])
        return self.act(x) if self.act else x


def _conv(out, k, s=1, act=None, bias=True):
    kw = {} if bias else {"b_init": None}
    return Conv2d(
        out_channels=out, kernel_size=(k, k), stride=(s, s), act=act, padding="SAME",
        W_init=W_INIT, data_format=CF, **kw,
    )  # fmt: skip


def _bn(n, act=None):
    return BatchNorm2d(num_features=n, act=act, gamma_init=G_INIT, data_format=CF)


class ResidualBlock(Module):
    def __init__(self):
        super().__init__()
        self.conv1 = _conv(64, 3, bias=False)
        self.bn1 = _bn(64, tlx.ReLU)
        self.conv2 = _conv(64, 3, bias=False)
        self.bn2 = _bn(64)

    def forward(self, x):
        return x + self.bn2(self.conv2(self.bn1(self.conv1(x))))


class SRGAN_g(Module):
    """`srgan.py`'s generator: NCHW in, NCHW out."""

    def __init__(self):
        super().__init__()
        self.conv1 = _conv(64, 3, act=tlx.ReLU)
        self.residual_block = Sequential([ResidualBlock() for _ in range(16)])
        self.conv2 = _conv(64, 3, bias=False)
        self.bn1 = _bn(64)
        self.conv3 = _conv(256, 3)
        self.subpiexlconv1 = CpuSubpixelConv2d(data_format=CF, scale=2, act=tlx.ReLU)
        self.conv4 = _conv(256, 3)
        self.subpiexlconv2 = CpuSubpixelConv2d(data_format=CF, scale=2, act=tlx.ReLU)
        self.conv5 = Conv2d(
            3, kernel_size=(1, 1), stride=(1, 1), act=tlx.Tanh, padding="SAME", W_init=W_INIT,
            data_format=CF,
        )  # fmt: skip

    def forward(self, x):
        x = self.conv1(x)
        x = self.bn1(self.conv2(self.residual_block(x))) + x
        x = self.subpiexlconv1(self.conv3(x))
        x = self.subpiexlconv2(self.conv4(x))
        return self.conv5(x)


class SRGAN_d(Module):
    """`srgan.py`'s discriminator: NCHW in, one logit out. Its LeakyReLU is `tlx.LeakyReLU`
    (the backend op, slope 0.2 in TensorLayerX 0.5.8) and it flattens (C, H, W)."""

    def __init__(self, dim=64):
        super().__init__()
        lrelu = tlx.LeakyReLU
        self.conv1 = _conv(dim, 4, 2, act=lrelu)
        self.conv2 = _conv(dim * 2, 4, 2, bias=False)
        self.bn1 = _bn(dim * 2, lrelu)
        self.conv3 = _conv(dim * 4, 4, 2, bias=False)
        self.bn2 = _bn(dim * 4, lrelu)
        self.conv4 = _conv(dim * 8, 4, 2, bias=False)
        self.bn3 = _bn(dim * 8, lrelu)
        self.conv5 = _conv(dim * 16, 4, 2, bias=False)
        self.bn4 = _bn(dim * 16, lrelu)
        self.conv6 = _conv(dim * 32, 4, 2, bias=False)
        self.bn5 = _bn(dim * 32, lrelu)
        self.conv7 = _conv(dim * 16, 1, bias=False)
        self.bn6 = _bn(dim * 16, lrelu)
        self.conv8 = _conv(dim * 8, 1, bias=False)
        self.bn7 = _bn(dim * 8)
        self.conv9 = _conv(dim * 2, 1, bias=False)
        self.bn8 = _bn(dim * 2, lrelu)
        self.conv10 = _conv(dim * 2, 3, bias=False)
        self.bn9 = _bn(dim * 2, lrelu)
        self.conv11 = _conv(dim * 8, 3, bias=False)
        self.bn10 = _bn(dim * 8)
        self.add = Elementwise(combine_fn=tlx.add, act=lrelu)
        self.flat = Flatten()
        self.dense = Linear(out_features=1, W_init=W_INIT)

    def forward(self, x):
        for i in range(1, 9):
            x = getattr(self, f"conv{i}")(x)
            if i > 1:
                x = getattr(self, f"bn{i - 1}")(x)
        skip = x
        x = self.bn8(self.conv9(x))
        x = self.bn9(self.conv10(x))
        x = self.bn10(self.conv11(x))
        return self.dense(self.flat(self.add([skip, x])))


def build(model, input_nchw):
    """Runs the model once so that TensorLayerX creates its weights."""
    model.set_eval()
    model(tf.constant(input_nchw))
    return model


def to_nchw(x):
    return np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2)))


def to_nhwc(x):
    return np.ascontiguousarray(np.transpose(x, (0, 2, 3, 1)))
