"""Model builders (srgan_tf/models): shapes, names, serialisation, mixed precision."""

import json

import keras
import numpy as np
import pytest

from srgan_tf.models import build_discriminator, build_generator, build_vgg
from srgan_tf.models.layers import FusedBatchNormalization, PixelShuffle, VGGPreprocess
from srgan_tf.models.vgg import layer_names


def test_generator_is_fully_convolutional_and_4x():
    g = build_generator(n_res_blocks=1, filters=8)
    for h, w in [(5, 7), (16, 9)]:
        out = g(np.zeros((1, h, w, 3), np.float32))
        assert out.shape == (1, 4 * h, 4 * w, 3)
    out = g(np.random.default_rng(0).uniform(-1, 1, (2, 6, 6, 3)).astype(np.float32))
    assert np.all(np.abs(out) <= 1.0)


def test_reference_generator_size_and_layer_names():
    g = build_generator()
    # 16 blocks; the last weighted layer is the 1x1 conv the study re-initialises.
    weighted = [lay.name for lay in g.layers if lay.weights]
    assert weighted[0] == "generator_conv_in"
    assert weighted[-1] == "generator_conv_out"
    assert "generator_res15_bn2" in weighted and "generator_res16_conv1" not in weighted
    assert g.get_layer("generator_res3_bn1").epsilon == 1e-5
    assert g.get_layer("generator_res3_bn1").momentum == 0.9


def test_no_lambda_layers_and_json_round_trip():
    for model in (
        build_generator(1, 8),
        build_discriminator("tl", 64, 8),
        build_vgg("vgg16", "pool2"),
    ):
        assert not any(isinstance(lay, keras.layers.Lambda) for lay in model.layers)
        clone = keras.models.model_from_json(model.to_json())
        assert [lay.name for lay in clone.layers] == [lay.name for lay in model.layers]
        json.loads(model.to_json())


@pytest.mark.parametrize("kind,size", [("tl", 64), ("paper", 32)])
def test_discriminator_outputs_one_logit(kind, size):
    d = build_discriminator(kind, input_size=size, filters=8)
    out = d(np.zeros((3, size, size, 3), np.float32))
    assert out.shape == (3, 1)


def test_discriminator_rejects_bad_arguments():
    with pytest.raises(ValueError, match="kind must be one of"):
        build_discriminator("dcgan")
    with pytest.raises(
        ValueError,
        match="--crop_size=100 does not fit --discriminator=tl, which takes multiples of 64",
    ):
        build_discriminator("tl", input_size=100)


def test_paper_discriminator_has_eight_convs_and_dense_1024():
    d = build_discriminator("paper", input_size=96)
    convs = [lay for lay in d.layers if isinstance(lay, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [64, 64, 128, 128, 256, 256, 512, 512]
    assert [c.strides[0] for c in convs] == [1, 2, 1, 2, 1, 2, 1, 2]
    assert d.get_layer("discriminator_fc").units == 1024


def test_vgg_ends_where_asked_and_is_frozen():
    v = build_vgg("vgg19", "pool4")
    assert v.layers[-1].name == "pool4"
    assert not v.trainable_weights
    assert v(np.zeros((1, 32, 48, 3), np.float32)).shape == (1, 2, 3, 512)
    assert len(layer_names("vgg19")) == 16 + 5 and len(layer_names("vgg16")) == 13 + 5
    with pytest.raises(ValueError, match="end_with must be one of"):
        build_vgg("vgg19", "conv5_5")


def test_pixel_shuffle_matches_numpy_rearrangement():
    x = np.arange(2 * 3 * 4 * 8, dtype=np.float32).reshape(2, 3, 4, 8)
    got = PixelShuffle(2)(x).numpy()
    # depth_to_space: channel index = (dy * 2 + dx) * C_out + c
    ref = x.reshape(2, 3, 4, 2, 2, 2).transpose(0, 1, 3, 2, 4, 5).reshape(2, 6, 8, 2)
    np.testing.assert_array_equal(got, ref)


def test_vgg_preprocess_orders():
    x = np.array([[[[0.0, 0.5, 1.0]]]], np.float32)
    rgb = VGGPreprocess("rgb")(x).numpy().ravel()
    bgr = VGGPreprocess("bgr")(x).numpy().ravel()
    np.testing.assert_allclose(rgb, [0 - 123.68, 127.5 - 116.779, 255 - 103.939], rtol=1e-6)
    np.testing.assert_allclose(bgr, rgb[::-1], rtol=1e-6)


def test_mixed_precision_keeps_float32_outputs():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        g = build_generator(1, 8)
        d = build_discriminator("tl", 64, 8)
        assert g.get_layer("generator_res0_conv1").compute_dtype == "bfloat16"
        assert g(np.zeros((1, 4, 4, 3), np.float32)).dtype == "float32"
        assert d(np.zeros((1, 64, 64, 3), np.float32)).dtype == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def _bn_pair(seed=0):
    """A fused and a plain Keras BatchNormalization with the same (non-trivial) variables."""
    rng = np.random.default_rng(seed)
    kw = dict(momentum=0.9, epsilon=1e-5)
    fused, plain = FusedBatchNormalization(**kw), keras.layers.BatchNormalization(**kw)
    for layer in (fused, plain):
        layer.build((None, None, None, 6))
    values = [
        rng.normal(1, 0.2, 6),
        rng.normal(0, 0.2, 6),
        rng.normal(0, 0.1, 6),
        rng.uniform(0.5, 2, 6),
    ]
    for layer in (fused, plain):
        layer.set_weights([v.astype(np.float32) for v in values])
    return fused, plain


@pytest.mark.parametrize("training", [True, False])
def test_fused_batch_norm_is_keras_batch_norm(training):
    import tensorflow as tf

    fused, plain = _bn_pair()
    x = tf.constant(np.random.default_rng(1).normal(0.3, 2.0, (3, 5, 7, 6)), tf.float32)
    grads, outputs = [], []
    for layer in (fused, plain):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=training)
            loss = tf.reduce_sum(y * tf.range(6, dtype=tf.float32))
        grads.append(tape.gradient(loss, [x, layer.gamma, layer.beta]))
        outputs.append(y)
    np.testing.assert_allclose(outputs[0], outputs[1], atol=1e-5)
    for gf, gp in zip(*grads):
        np.testing.assert_allclose(gf, gp, rtol=1e-4, atol=1e-4)
    # Moving statistics moved (or not) the same way: the biased batch variance, momentum 0.9.
    for a, b in zip(fused.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    if training:
        assert not np.allclose(fused.moving_mean.numpy(), _bn_pair()[0].moving_mean.numpy())


def test_fused_batch_norm_frozen_uses_moving_stats_and_bfloat16_is_close():
    import tensorflow as tf

    fused, plain = _bn_pair()
    fused.trainable = plain.trainable = False  # transfer learning: frozen layers infer
    x = tf.constant(np.random.default_rng(2).normal(0, 1, (2, 4, 4, 6)), tf.float32)
    np.testing.assert_allclose(fused(x, training=True), plain(x, training=False), atol=1e-5)
    before = fused.get_weights()
    fused(x, training=True)
    for a, b in zip(before, fused.get_weights()):
        np.testing.assert_array_equal(a, b)
    half = FusedBatchNormalization(momentum=0.9, epsilon=1e-5, dtype="mixed_bfloat16")
    half.build((None, None, None, 6))
    half.set_weights(fused.get_weights())
    y = half(tf.cast(x, tf.bfloat16), training=True)
    assert y.dtype == tf.bfloat16
    ref = FusedBatchNormalization(momentum=0.9, epsilon=1e-5)
    ref.build((None, None, None, 6))
    ref.set_weights(fused.get_weights())
    np.testing.assert_allclose(tf.cast(y, tf.float32), ref(x, training=True), atol=0.05)
