"""Frozen VGG16/VGG19 feature extractors for the perceptual (content) loss, as tensorlayer's VGG.

Layer names are the reference's (`conv1_1` ... `conv5_4`, `pool1` ... `pool5`) so every VGG
weight file maps onto them by name or order.
"""

import keras

from srgan_tf.models.layers import VGGPreprocess

# Convolutions per block.
BLOCKS = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
WIDTHS = (64, 128, 256, 512, 512)


def layer_names(name: str = "vgg19") -> list[str]:
    """All feature layer names of a VGG, in order (`conv1_1`, ..., `pool5`)."""
    names = []
    for b, n_conv in enumerate(BLOCKS[name], start=1):
        names += [f"conv{b}_{i}" for i in range(1, n_conv + 1)] + [f"pool{b}"]
    return names


def build_vgg(
    name: str = "vgg19", end_with: str = "pool4", channel_order: str = "rgb"
) -> keras.Model:
    """Builds a frozen VGG feature extractor ending at `end_with`.

    Args:
        name: "vgg19" (the reference's loss network) or "vgg16" (the study's).
        end_with: the last layer kept, any of `layer_names(name)`. The study used pool4.
        channel_order: "rgb" is the reference's preprocessing (no channel swap, a reference
            quirk kept on purpose); "bgr" is the Caffe-correct order. See `VGGPreprocess`.

    Returns:
        A non-trainable `keras.Model` from `(batch, h, w, 3)` images in [0, 1] to features.

    Raises:
        ValueError: unknown VGG name or layer name.
    """
    if name not in BLOCKS:
        raise ValueError(f"VGG name must be one of {sorted(BLOCKS)}, got {name!r}")
    names = layer_names(name)
    if end_with not in names:
        raise ValueError(f"end_with must be one of {names}, got {end_with!r}")
    inputs = keras.Input((None, None, 3), name="image_01")
    x = VGGPreprocess(channel_order, name="preprocess")(inputs)
    for layer in names:
        if layer.startswith("conv"):
            block = int(layer[4]) - 1
            x = keras.layers.Conv2D(
                WIDTHS[block], 3, padding="same", activation="relu", name=layer
            )(x)
        else:
            x = keras.layers.MaxPooling2D(2, 2, padding="same", name=layer)(x)
        if layer == end_with:
            break
    model = keras.Model(inputs, x, name=name)
    model.trainable = False
    return model
