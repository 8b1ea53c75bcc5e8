"""Training: a task that builds models and compiled steps, a loop that drives it.

- `task.py`: models, optimisers, one `tf.function` step per phase (Model Garden's Task).
- `loop.py`: the loop: phases, epochs, steps, the checkpoint and its cadence (orbit's Controller).
- `saver.py`, `snapshot.py`: what a save writes, and the generator `g.weights.h5` comes from.
- `history.py`, `validation.py`: loss rows and plots; the validation images and the best step.
- `losses.py`, `transfer.py`: the SRGAN losses; re-initialising the generator's tail.
- `distribute.py`: the tf.distribute strategy and the precision policy.
- `weight_average.py`, `precise_bn.py`: optional weight averaging and BatchNorm statistics.
- `interrupt.py`, `run_lock.py`: Ctrl-C, and one process per run folder.
"""

from srgan_tf.errors import TrainingError
from srgan_tf.training.loop import Trainer
from srgan_tf.training.task import PHASES, SRGANTask

__all__ = ["PHASES", "SRGANTask", "Trainer", "TrainingError"]
