"""The generator in two parts for tiled inference: the trunk at LR, the upsampling tail after it.

The trunk (the first convolution, the residual blocks and the long skip) works at the input's
resolution with 64 feature maps: about 1.5 KB of float32 activations per input pixel at its
peak, so it can take large tiles. The tail (two x2 sub-pixel upsamplers and the output
convolution) holds 256 maps at 2x and 64 at 4x: about 11 KB per input pixel, where the memory
goes, but it reaches only 2 input pixels, so it can run in narrow strips with small margins.
`tail(trunk(x))` is the generator (`build_generator`'s layers, shared, by their names).

`reach` is how many input pixels each part looks at around a pixel (its receptive radius):
what a tile's context must cover for tiles to give the whole-image result.
"""

import dataclasses
import math

import keras

from srgan_tf.models.layers import PixelShuffle

TRUNK_END = "generator_trunk_add"
TAIL_LAYERS = (
    "generator_up1_conv", "generator_up1_relu", "generator_up1_shuffle",
    "generator_up2_conv", "generator_up2_relu", "generator_up2_shuffle",
    "generator_conv_out", "generator_tanh",
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Reach:
    """Input (LR) pixels each part of the generator looks at around a pixel."""

    trunk: int
    tail: int

    @property
    def total(self) -> int:
        return self.trunk + self.tail


@dataclasses.dataclass(frozen=True)
class TrunkTail:
    """`trunk`: `(b, h, w, 3) -> (b, h, w, filters)`; `tail`: `-> (b, 4h, 4w, 3)`; their reach."""

    trunk: keras.Model
    tail: keras.Model
    reach: Reach


def reach_of(n_res_blocks: int = 16) -> Reach:
    """The reach of `build_generator(n_res_blocks)` without building it: the trunk's 3x3
    convolutions (two per block, one before, one after) and the tail's two (one at LR, one at
    2x: half an input pixel), rounded up. `split` measures it from the layers themselves."""
    return Reach(trunk=2 * n_res_blocks + 2, tail=2)


def _radius(layers) -> float:
    """The receptive radius of a chain of layers, in pixels of its input: each convolution adds
    half its kernel at the resolution it runs at; each pixel shuffle doubles the resolution."""
    radius, scale = 0.0, 1
    for layer in layers:
        if isinstance(layer, keras.layers.Conv2D):
            k = layer.kernel_size[0]
            radius += (k - 1) // 2 * layer.dilation_rate[0] / scale
        elif isinstance(layer, PixelShuffle):
            scale *= layer.scale
    return radius


def split(generator: keras.Model) -> TrunkTail:
    """The trunk and the tail of a `build_generator` model, sharing its layers and weights.

    Raises:
        ValueError: a model without the generator's layer names.
    """
    names = {layer.name for layer in generator.layers}
    missing = [n for n in (TRUNK_END, *TAIL_LAYERS) if n not in names]
    if missing:
        raise ValueError(
            f"{generator.name!r} is not a build_generator model: no layer {missing[0]!r}"
        )
    trunk = keras.Model(
        generator.inputs, generator.get_layer(TRUNK_END).output, name=f"{generator.name}_trunk"
    )
    tail_layers = [generator.get_layer(n) for n in TAIL_LAYERS]
    features = keras.Input(
        (None, None, trunk.output.shape[-1]), dtype=trunk.output.dtype, name="features"
    )
    x = features
    for layer in tail_layers:
        x = layer(x)
    tail = keras.Model(features, x, name=f"{generator.name}_tail")
    # Every convolution of the trunk lies on its residual path (the skips add none), so the
    # trunk's radius is the sum of its kernels' radii.
    reach = Reach(math.ceil(_radius(trunk.layers)), math.ceil(_radius(tail_layers)))
    return TrunkTail(trunk, tail, reach)
