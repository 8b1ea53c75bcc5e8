"""`python -m srgan_tf`: the `srgan-tf` command."""

from srgan_tf.cli.main import run

run()
