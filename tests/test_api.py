"""The Python API (srgan_tf/api.py): what the command runs, as a notebook calls it; errors as
exceptions with the command's messages; nothing printed unless asked."""

import imageio.v3 as iio
import numpy as np
import pytest
from main_cli import run_main_many
from skimage import data as skdata

from srgan_tf import pretrained
from srgan_tf.api import Upscaler
from srgan_tf.errors import ConfigError, WeightFileError


@pytest.fixture(scope="module")
def upscaler():
    return Upscaler.from_pretrained("upscale", precision="float32")


def test_shipped_names_resolve_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert set(pretrained.available()) >= {"upscale", "demo"}
    assert pretrained.path("demo").is_file()
    assert pretrained.resolve("demo") == str(pretrained.path("demo"))
    assert pretrained.resolve("my.h5") == "my.h5"
    with pytest.raises(KeyError, match="not a shipped generator"):
        pretrained.path("nope")


def test_upscale_takes_every_layout_and_gives_it_back(upscaler, capsys):
    rgb = skdata.chelsea()[100:148, 150:206]
    gray = skdata.camera()[100:140, 100:150]
    rgba = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 128, np.uint8)], -1)
    out = upscaler.upscale_batch([rgb, gray, rgba, rgb.astype(np.uint16) * 257])
    assert [o.shape for o in out] == [(192, 224, 3), (160, 200), (192, 224, 4), (192, 224, 3)]
    assert all(o.dtype == np.uint8 for o in out)
    np.testing.assert_array_equal(out[2][..., :3], out[0])  # alpha rides along, RGB unchanged
    assert np.abs(out[2][..., 3].astype(int) - 128).max() <= 1
    np.testing.assert_array_equal(out[3], out[0])  # 16-bit comes out 8-bit
    assert capsys.readouterr() == ("", "")  # quiet unless asked
    assert upscaler.post.back_projection == 2 and upscaler.post.detail_floor == 1.5  # its record


@pytest.mark.slow
def test_the_command_gives_the_api_pixels(upscaler, tmp_path):
    """`srgan-tf upscale` on a file equals `Upscaler.upscale` of its array: one path."""
    photo = skdata.coffee()[:96, :128]
    iio.imwrite(tmp_path / "p.png", photo)
    (r,) = run_main_many([["upscale", str(tmp_path / "p.png"), f"--output={tmp_path / 'o'}",
                           "--infer_precision=float32", "--progress=false"]])  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    np.testing.assert_array_equal(iio.imread(tmp_path / "o" / "p_x4.png"), upscaler.upscale(photo))
    np.testing.assert_array_equal(
        upscaler.upscale_file(tmp_path / "p.png"), upscaler.upscale(photo)
    )


def test_errors_are_exceptions_with_the_commands_messages(tmp_path, upscaler):
    with pytest.raises(WeightFileError, match="nope.h5: no such file"):
        Upscaler.from_pretrained(str(tmp_path / "nope.h5"))
    with pytest.raises(WeightFileError, match="is a folder.*g.weights.h5"):
        Upscaler.from_pretrained(str(pretrained.folder("demo")))
    iio.imwrite(tmp_path / "photo.png", np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(WeightFileError):
        Upscaler.from_pretrained(str(tmp_path / "photo.png"))
    with pytest.raises(WeightFileError, match="does not fit"):
        Upscaler.from_pretrained("demo", filters=8)
    with pytest.raises(ConfigError, match="self-ensemble size"):
        Upscaler.from_pretrained("demo", self_ensemble=3)
    with pytest.raises(ValueError, match=r"shape \(2, 3, 5\)"):
        upscaler.upscale(np.zeros((2, 3, 5), np.uint8))
    with pytest.raises(ConfigError, match="cannot be exported"):
        Upscaler.from_pretrained("demo", tile=0).export(tmp_path / "e")
