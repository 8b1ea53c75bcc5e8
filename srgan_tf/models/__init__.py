"""Keras model builders: generator, discriminators and the VGG loss network."""

from srgan_tf.models.discriminator import build_discriminator
from srgan_tf.models.generator import build_generator, seeded
from srgan_tf.models.vgg import build_vgg

__all__ = ["build_discriminator", "build_generator", "build_vgg", "seeded"]
