"""The command line: flags (`flag_definitions.py`, derived from `srgan_tf/config.py`), the
configs a command runs with (`configs.py`) and the dispatcher (`main.py`: `srgan-tf`)."""
