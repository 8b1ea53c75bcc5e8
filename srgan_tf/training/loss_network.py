"""The VGG loss network of the perceptual term, with its weights: where they come from, and the
one message for when they are missing (the gate and the trainer both say it)."""

from pathlib import Path

import keras

from srgan_tf import weights
from srgan_tf.config import ModelConfig, TrainConfig
from srgan_tf.errors import TrainingError
from srgan_tf.models.vgg import build_vgg


def weights_problem(source: str) -> str | None:
    """Why the VGG weights `source` (`--vgg_weights`) cannot be loaded, or None."""
    if source == "imagenet" or (source and Path(source).is_file()):
        return None
    return (
        f"VGG weights not found at {source!r} (the adversarial phase's perceptual loss). Get "
        f"vgg19.npy from the link in tensorlayer/srgan's README (see docs/weights.md), put it "
        f"there or pass --vgg_weights=PATH; --vgg_weights=imagenet downloads Keras' copy; "
        f"--no_vgg trains without the VGG term"
    )


def load_vgg(model_cfg: ModelConfig, train_cfg: TrainConfig) -> keras.Model:
    """The frozen VGG loss network with its weights.

    Raises:
        TrainingError: the weights are missing (`weights_problem`'s message).
    """
    vgg = build_vgg(model_cfg.vgg_name, model_cfg.vgg_end_with, model_cfg.vgg_channel_order)
    source = train_cfg.vgg_weights
    if problem := weights_problem(source):
        raise TrainingError(problem)
    if source == "imagenet":
        app = {"vgg19": keras.applications.VGG19, "vgg16": keras.applications.VGG16}
        try:  # Keras downloads its weights file on first use (then keeps it in ~/.keras)
            ref = app[model_cfg.vgg_name](weights="imagenet", include_top=False)
        except Exception as e:  # a URL fetch, a proxy, a full disk: one line, not three
            raise TrainingError(
                f"--vgg_weights=imagenet: Keras could not get its ImageNet {model_cfg.vgg_name} "
                f"weights ({type(e).__name__}: {str(e).splitlines()[0][:200]}); it downloads "
                f"them once from the network into ~/.keras/models. Without a network, pass "
                f"--vgg_weights=PATH to vgg19.npy (docs/weights.md) or --no_vgg"
            ) from None
        for layer in vgg.layers:
            if layer.weights:
                block, conv = layer.name[4:].split("_") if layer.name.startswith("conv") else (0, 0)
                layer.set_weights(ref.get_layer(f"block{block}_conv{conv}").get_weights())
        return vgg
    weights.load_weights(vgg, source)
    return vgg
