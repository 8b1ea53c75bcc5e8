"""Small registered Keras layers the SRGAN models need (pixel shuffle, VGG preprocessing).

Plain `keras.layers.Layer` subclasses with `get_config`, so models that use them serialise and
reload without `Lambda` layers or custom-object scopes.
"""

import keras
import tensorflow as tf

# The ImageNet RGB mean the reference subtracts (tensorlayer `models/vgg.py`), in RGB order.
IMAGENET_MEAN_RGB = (123.68, 116.779, 103.939)


@keras.saving.register_keras_serializable(package="srgan_tf")
class PixelShuffle(keras.layers.Layer):
    """Sub-pixel convolution's rearrangement (Shi et al. 2016): depth to space by `scale`.

    Same channel ordering as tensorlayer's `SubpixelConv2d`, which calls `tf.nn.depth_to_space`.
    """

    def __init__(self, scale: int = 2, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.scale = int(scale)

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        return tf.nn.depth_to_space(inputs, self.scale)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        b, h, w, c = input_shape
        s = self.scale
        return (b, None if h is None else h * s, None if w is None else w * s, c // (s * s))

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale}


@keras.saving.register_keras_serializable(package="srgan_tf")
class VGGPreprocess(keras.layers.Layer):
    """Maps images in [0, 1] to the input the Caffe-trained VGG weights expect.

    `channel_order="rgb"` is the reference's preprocessing: times 255 minus the RGB mean with no
    channel swap. The VGG weights were trained on BGR, so this is a quirk of the reference, kept
    on purpose so that losses match tensorlayer. `channel_order="bgr"` is the Caffe-correct
    order (swap to BGR, subtract the BGR mean), as `keras.applications.vgg19.preprocess_input`.
    """

    def __init__(self, channel_order: str = "rgb", **kwargs: object) -> None:
        super().__init__(**kwargs)
        if channel_order not in ("rgb", "bgr"):
            raise ValueError(f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
        self.channel_order = channel_order

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        mean = tf.constant(IMAGENET_MEAN_RGB, dtype=inputs.dtype)
        x = inputs * tf.constant(255.0, dtype=inputs.dtype) - mean
        if self.channel_order == "bgr":
            x = tf.reverse(x, axis=[-1])
        return x

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "channel_order": self.channel_order}


@keras.saving.register_keras_serializable(package="srgan_tf")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization` computed by TensorFlow's single fused kernel.

    Keras 3's layer builds batch norm from about ten element-wise ops (and as many in the
    gradient), upcasting bfloat16 activations to float32 around them; on CPU that costs as much
    as the convolutions. `FusedBatchNormV3` does it in one pass, takes bfloat16 activations with
    float32 statistics, has a one-kernel gradient, and lets oneDNN fuse it into the preceding
    convolution at inference. Same variables, same arithmetic (the moving variance gets the
    biased batch variance, like tensorlayer's and Keras' layers; the kernel returns the
    unbiased one, so it is rescaled), so weights and checkpoints are interchangeable with the
    plain layer. Synchronised statistics, masks, renorm and a missing gamma or beta fall back to
    the plain layer.
    """

    def call(
        self, inputs: tf.Tensor, training: bool | None = None, mask: tf.Tensor | None = None
    ) -> tf.Tensor:
        plain = self.synchronized or self.renorm or not (self.scale and self.center)
        if plain or mask is not None or self.axis not in (-1, 3):
            return super().call(inputs, training=training, mask=mask)
        x = inputs
        if x.dtype not in (tf.float32, tf.bfloat16, tf.float16):
            x = tf.cast(x, tf.float32)
        gamma = tf.cast(self.gamma, tf.float32)
        beta = tf.cast(self.beta, tf.float32)
        if training and self.trainable:
            y, mean, unbiased_var, *_ = tf.raw_ops.FusedBatchNormV3(
                x=x,
                scale=gamma,
                offset=beta,
                mean=tf.constant([], tf.float32),
                variance=tf.constant([], tf.float32),
                epsilon=self.epsilon,
                data_format="NHWC",
                is_training=True,
            )
            n = tf.cast(tf.size(x) // tf.shape(x)[-1], tf.float32)
            var = unbiased_var * tf.maximum(n - 1.0, 1.0) / n
            m = self.momentum
            self.moving_mean.assign(self.moving_mean * m + mean * (1.0 - m))
            self.moving_variance.assign(self.moving_variance * m + var * (1.0 - m))
        else:
            y, *_ = tf.raw_ops.FusedBatchNormV3(
                x=x,
                scale=gamma,
                offset=beta,
                mean=tf.cast(self.moving_mean, tf.float32),
                variance=tf.cast(self.moving_variance, tf.float32),
                epsilon=self.epsilon,
                data_format="NHWC",
                is_training=False,
            )
        return tf.cast(y, self.compute_dtype)


@keras.saving.register_keras_serializable(package="srgan_tf")
class MaxLeakyReLU(keras.layers.Layer):
    """`max(x, slope * x)`: LeakyReLU (slope < 1) as a maximum, for the discriminator's first
    activation, which follows a convolution's bias. With `keras.layers.LeakyReLU` there,
    TensorFlow's graph optimiser tries to fuse conv, bias and LeakyRelu in the training step,
    fails because the gradient needs the bias's output, and logs an `E0000 ... remapper failed`
    line at every trace; the same values, without the line."""

    def __init__(self, negative_slope: float = 0.2, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.negative_slope = float(negative_slope)

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return tf.maximum(x, self.negative_slope * x)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}
