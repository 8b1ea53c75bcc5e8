"""What wraps and follows the generator where a user gets pictures: the self-ensemble around it
(`self_ensemble.py`), back-projection steps after it (consistency with the input,
`back_projection.py`), then the detail gate (`detail_gate.py`), as one Keras model sharing the
generator's weights, and the tile margin they need."""

import keras

from srgan_tf.config import PHOTO_PROTOCOL, post_processing_problem
from srgan_tf.models import self_ensemble as ensemble
from srgan_tf.models.back_projection import RADIUS_PER_STEP, BackProjection
from srgan_tf.models.detail_gate import GATE_RADIUS, DetailGate
from srgan_tf.models.min_side import at_least_min_side


def margin(back_projection: int = 0, detail_floor: float = 0.0) -> int:
    """LR pixels of context the post-processing adds to the generator's receptive field (the
    self-ensemble adds none: a flipped tile is the flipped image's tile)."""
    return RADIUS_PER_STEP * back_projection + (GATE_RADIUS if detail_floor > 0 else 0)


def stages(
    back_projection: int = 0, detail_floor: float = 0.0, protocol: str = PHOTO_PROTOCOL
) -> list:
    """The `[lr, sr] -> sr` layers, in order: the steps under `protocol`, then the gate."""
    problem = post_processing_problem(1, back_projection, detail_floor, protocol)
    if problem:
        raise ValueError(problem)
    layers = []
    if back_projection:
        layers.append(BackProjection(back_projection, protocol, name="back_projection"))
    if detail_floor:
        layers.append(DetailGate(detail_floor, name="detail_gate"))
    return layers


def post_processed(
    generator: keras.Model,
    back_projection: int = 0,
    detail_floor: float = 0.0,
    protocol: str = PHOTO_PROTOCOL,
    self_ensemble: int = 1,
) -> keras.Model:
    """The generator, self-ensembled over `self_ensemble` orientations, followed by
    `back_projection` steps under `protocol` and, with `detail_floor > 0` (grey levels), the
    detail gate; tiny inputs mirrored up to `min_side.MIN_SIDE` before all of it and the output
    cropped back. With all off, the generator's own output for any input of at least
    `MIN_SIDE` pixels a side."""
    layers = stages(back_projection, detail_floor, protocol)
    model = ensemble.self_ensembled(generator, self_ensemble)
    if layers:
        lr = keras.Input((None, None, 3), name="lr_image")
        sr = model(lr)
        for layer in layers:
            sr = layer([lr, sr])
        name = (
            f"{generator.name}_x{self_ensemble}_bp{back_projection}_gate{detail_floor:g}_{protocol}"
        )
        model = keras.Model(lr, sr, name=name.replace("+", "_"))
    return at_least_min_side(model)
