"""Weight files the loader must refuse, and Keras-native save/load (srgan_tf/weights/loading.py)."""

import os
import pickle

import numpy as np
import pytest

from srgan_tf import weights
from srgan_tf.models import build_discriminator, build_generator, build_vgg
from srgan_tf.weights import official, safe_pickle


def tiny_g(n=2):
    return build_generator(n_res_blocks=n, filters=8)


def snapshot(model):
    return [w.numpy().copy() for w in model.weights]


def assert_unchanged(model, before):
    for w, b in zip(model.weights, before):
        np.testing.assert_array_equal(w.numpy(), b)


def test_keras_native_round_trip(tmp_path):
    g = tiny_g()
    g.get_layer("generator_res0_bn1").moving_mean.assign(np.arange(8, dtype=np.float32))
    path = tmp_path / "sub" / "g.weights.h5"
    weights.save_weights(g, path)
    assert sorted(os.listdir(path.parent)) == ["g.weights.h5"]  # no temp file left behind
    g2 = tiny_g()
    weights.load_weights(g2, path)
    for a, b in zip(g.weights, g2.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_save_weights_requires_keras_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        weights.save_weights(tiny_g(), tmp_path / "g.h5")


def test_missing_file_names_the_path(tmp_path):
    g = tiny_g()
    with pytest.raises(weights.WeightFileError, match="no weight file at .*nope.npz"):
        weights.load_weights(g, tmp_path / "nope.npz")


@pytest.mark.parametrize(
    "content", [b"", b"hello, not weights", b"PK\x03\x04broken zip", b"\x89HDF\r\n\x1a\ntruncated"]
)
def test_garbage_is_refused_cleanly(tmp_path, content):
    path = tmp_path / "g.npz"
    path.write_bytes(content)
    g = tiny_g()
    before = snapshot(g)
    with pytest.raises(weights.WeightFileError, match=str(path)):
        weights.load_weights(g, path)
    assert_unchanged(g, before)


def test_discriminator_weights_into_generator_are_refused_untouched(tmp_path):
    d = build_discriminator("tl", input_size=64, filters=8)
    path = tmp_path / "d.npz"
    weights.save_tensorlayer_npz(d, path)
    g = tiny_g()
    before = snapshot(g)
    with pytest.raises(weights.WeightFileError) as err:
        weights.load_weights(g, path)
    msg = str(err.value)
    # The first mismatching layer and both shapes are named.
    assert "generator_conv_in.kernel" in msg
    assert "(4, 4, 3, 8)" in msg and "(3, 3, 3, 8)" in msg
    assert "left unchanged" in msg
    assert_unchanged(g, before)


def test_count_mismatch_is_refused_after_a_matching_prefix(tmp_path):
    """A 3-block generator's file into a 2-block one: every shape fits until the counts differ."""
    small, big = tiny_g(2), tiny_g(3)
    path = tmp_path / "g3.npz"
    weights.save_tensorlayer_npz(big, path)
    before = snapshot(small)
    with pytest.raises(
        weights.WeightFileError, match=r"weight #\d+ .* expects|the file has \d+ weights"
    ):
        weights.load_weights(small, path)
    assert_unchanged(small, before)


def test_truncated_list_is_refused(tmp_path):
    g = tiny_g()
    values = [v.numpy() for _, v in weights.reference_variables(g)][:-2]
    params = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        params[i] = v
    path = tmp_path / "short.npz"
    np.savez(path, params=params)
    before = snapshot(g)
    with pytest.raises(
        weights.WeightFileError, match="ends before layer generator_conv_out.kernel"
    ):
        weights.load_weights(g, path)
    assert_unchanged(g, before)


def test_keras_native_mismatch_names_layer_and_shapes(tmp_path):
    path = tmp_path / "g.weights.h5"
    weights.save_weights(build_generator(n_res_blocks=2, filters=16), path)
    g = tiny_g()
    before = snapshot(g)
    with pytest.raises(
        weights.WeightFileError,
        match=r"generator_conv_in/kernel has shape \(3, 3, 3, 8\), the file \(3, 3, 3, 16\)",
    ):
        weights.load_weights(g, path)
    assert_unchanged(g, before)
    bigger = tmp_path / "g3.weights.h5"
    weights.save_weights(tiny_g(3), bigger)
    with pytest.raises(weights.WeightFileError, match="layers the model lacks .*generator_res2"):
        weights.load_weights(g, bigger)
    assert_unchanged(g, before)


class _Payload:
    """Pickles to a call that writes a file, the way a malicious weight file would."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


def _malicious_npz(path, marker):
    params = np.empty(2, dtype=object)
    params[0] = np.zeros((3, 3, 3, 8), np.float32)
    params[1] = _Payload(marker)
    np.savez(path, params=params)


def test_malicious_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "g_srgan.npz"
    _malicious_npz(path, marker)
    g = tiny_g()
    before = snapshot(g)
    with pytest.raises(weights.WeightFileError, match="posix.system|os.system"):
        weights.load_weights(g, path)
    assert not marker.exists()
    assert_unchanged(g, before)
    # The payload is real: numpy's pickle-enabled loader does run it.
    np.load(path, allow_pickle=True)["params"]
    assert marker.exists()


def test_malicious_npy_dict_is_refused(tmp_path):
    marker = tmp_path / "pwned2"
    path = tmp_path / "vgg19.npy"
    np.save(path, {"conv1_1": [np.zeros(3), _Payload(marker)]}, allow_pickle=True)
    with pytest.raises(weights.WeightFileError, match="not numpy data"):
        weights.load_weights(build_vgg("vgg19", "conv1_1"), path)
    assert not marker.exists()


def test_safe_pickle_reads_python2_style_latin1_pickles(tmp_path):
    """vgg19.npy was written by Python 2: protocol 2, byte strings that only latin1 decodes."""
    path = tmp_path / "py2.npy"
    value = {"conv1_1": [np.ones((2, 2), np.float32), np.zeros(2, np.float32)]}
    arr = np.empty((), dtype=object)
    arr[()] = value
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "|O", "fortran_order": False, "shape": ()}
        )
        pickle.dump(arr, f, protocol=2)
    got = safe_pickle.load_npy(path).item()
    np.testing.assert_array_equal(got["conv1_1"][0], value["conv1_1"][0])


def test_official_files_are_named_and_impostors_warned(tmp_path, monkeypatch):

    g = tiny_g()
    real = tmp_path / "release" / "g_srgan.npz"
    real.parent.mkdir()
    weights.save_tensorlayer_npz(g, real)
    # Nothing official can be downloaded here: the official entry is pointed at this file's
    # size and hash, so the test exercises the matching, not the numbers.
    entry = dict(official.OFFICIAL["g_srgan.npz"], bytes=real.stat().st_size)
    entry["sha256"] = official.sha256(real)
    monkeypatch.setitem(official.OFFICIAL, "g_srgan.npz", entry)
    logs = []
    weights.load_weights(tiny_g(), real, log=logs.append)
    assert len(logs) == 1 and "official tensorlayer/srgan release 1.2.0" in logs[0]
    assert "--protocol=paper" in logs[0]
    impostor = tmp_path / "g_srgan.npz"
    weights.save_tensorlayer_npz(tiny_g(n=2), impostor)
    with open(impostor, "ab") as f:
        f.write(b"\0")  # same name, other bytes
    logs.clear()
    try:
        weights.load_weights(tiny_g(), impostor, log=logs.append)
    except weights.WeightFileError:
        pass
    assert len(logs) == 1 and logs[0].startswith("WARNING") and "is not it" in logs[0]
    logs.clear()
    other = tmp_path / "mine.npz"  # another name and other weights: nothing to say
    g.weights[0].assign(g.weights[0] + 1.0)
    weights.save_tensorlayer_npz(g, other)
    weights.load_weights(tiny_g(), other, log=logs.append)
    assert logs == []


def test_official_hashes_are_the_published_ones():

    assert official.OFFICIAL["g_srgan.npz"]["bytes"] == 9_124_033
    assert official.OFFICIAL["g_srgan.npz"]["sha256"].startswith("3a7818ce2a30bf47")
    assert official.OFFICIAL["vgg19.npy"]["bytes"] == 574_670_860
    assert official.OFFICIAL["vgg19.npy"]["sha256"].startswith("230f8aac6679445545")
