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

    def __init__(self, scale=2, **kwargs):
        super().__init__(**kwargs)
        self.scale = int(scale)

    def call(self, inputs):
        return tf.nn.depth_to_space(inputs, self.scale)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        s = self.scale
        return (b, None if h is None else h * s, None if w is None else w * s, c // (s * s))

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@keras.saving.register_keras_serializable(package="srgan_tf")
class VGGPreprocess(keras.layers.Layer):
    """Maps images in [0, 1] to the input the Caffe-trained VGG weights expect.

    `channel_order="rgb"` is the reference's preprocessing: times 255 minus the RGB mean with no
    channel swap. The VGG weights were trained on BGR, so this is a quirk of the reference, kept
    on purpose so that losses match tensorlayer. `channel_order="bgr"` is the Caffe-correct
    order (swap to BGR, subtract the BGR mean), as `keras.applications.vgg19.preprocess_input`.
    """

    def __init__(self, channel_order="rgb", **kwargs):
        super().__init__(**kwargs)
        if channel_order not in ("rgb", "bgr"):
            raise ValueError(f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
        self.channel_order = channel_order

    def call(self, inputs):
        mean = tf.constant(IMAGENET_MEAN_RGB, dtype=inputs.dtype)
        x = inputs * tf.constant(255.0, dtype=inputs.dtype) - mean
        if self.channel_order == "bgr":
            x = tf.reverse(x, axis=[-1])
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "channel_order": self.channel_order}
