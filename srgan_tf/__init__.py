"""srgan-tf: a TensorFlow 2 / Keras 3 port of tensorlayer/srgan and the Specialized SR-GAN study."""

__version__ = "0.1.0"
