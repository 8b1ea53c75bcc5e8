"""What each `--mode` of main.py does, as functions of the frozen configs (never of FLAGS).

`train.py` (init, adversarial, specialize), `evaluate.py`, `inference.py` (upscale, compare),
`export.py`, and `checks.py`: the settings refused before anything is built. `defaults.py`:
which generator and post-processing a mode uses unasked; `trained_through.py`: the
post-processing a generator file was trained through (its run's `config.json`).
"""
