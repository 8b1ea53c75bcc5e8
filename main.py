"""`python main.py --mode=MODE [flags]` in a checkout: the `srgan-tf` command
(`srgan_tf/cli/main.py`), the same flags, modes, help and exit codes."""

from srgan_tf.cli.main import FLAGS, main, run  # noqa: F401  (tests drive `main` and `FLAGS`)

if __name__ == "__main__":
    run()
