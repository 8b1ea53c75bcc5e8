"""Weight files: every published tensorlayer/srgan format read into the Keras models, and saved.

- `formats.py`: reads a file and says which format it is (and which library wrote it, where
  the file says), from its content, never its name.
- `loading.py`: maps the arrays onto a model, everything checked before anything is assigned.
- `saving.py`: Keras-native and tensorlayer list-format writers, atomic.
- `official.py`: recognises the official release files by size and sha256.
- `safe_pickle.py`: reads the pickled formats without running code from the file.
"""

from srgan_tf.errors import WeightFileError
from srgan_tf.weights.formats import LIBRARIES, WeightFile, read
from srgan_tf.weights.loading import load_weights, reference_variables
from srgan_tf.weights.saving import save_tensorlayer_npz, save_weights

__all__ = [
    "LIBRARIES",
    "WeightFile",
    "WeightFileError",
    "load_weights",
    "read",
    "reference_variables",
    "save_tensorlayer_npz",
    "save_weights",
]
