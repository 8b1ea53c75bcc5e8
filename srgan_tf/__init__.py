"""srgan-tf: a TensorFlow 2 / Keras 3 port of tensorlayer/srgan and the Specialized SR-GAN study.

The Python API (`srgan_tf.api`): `Upscaler.from_pretrained("upscale").upscale(image)`.
"""

__version__ = "0.2.0"
