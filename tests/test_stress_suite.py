"""The stress suite builder (data/make_stress_suite.py): held-out photos only, deterministic,
and each transform does to any photo what its name says (checked on several photos and seeds,
not on one)."""

import json
from pathlib import Path

import numpy as np
import pytest
from scripts import load_script
from skimage import data as skdata

from srgan_tf.data import images


def builder():
    return load_script("data/make_stress_suite.py")


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """A small corpus of scikit-image photos, built twice into two folders."""
    root = tmp_path_factory.mktemp("stress")
    corpus = root / "corpus"
    photos = {
        "train": {"astronaut": skdata.astronaut()},
        "validation": {"coffee": skdata.coffee(), "chelsea": skdata.chelsea()},
        "test": {"rocket": skdata.rocket(), "coffee_too": skdata.coffee()[::-1]},
    }
    for split, named in photos.items():
        for name, rgb in named.items():
            images.write_image(corpus / split / f"{name}.png", rgb[:200, :240])
    b = builder()
    first = b.build(corpus, root / "first", log=lambda *_: None)
    second = b.build(corpus, root / "second", log=lambda *_: None)
    return b, root, first, second, photos


def _read(path):
    return images.read_image(path)[0].astype(np.float64)


def test_held_out_photos_only_every_transform_and_the_same_bytes_twice(suite):
    b, root, first, second, photos = suite
    assert first["files"] == second["files"]  # same sha256 for every file
    on_disk = json.loads((root / "first" / "manifest.json").read_text())
    assert on_disk["files"] == first["files"]
    names = {Path(f).stem for f in first["files"]}
    assert "astronaut" not in names  # never a training photo
    for split in b.SPLITS:
        for transform in b.transforms(lambda _: None):
            got = sorted(p.stem for p in (root / "first" / split / transform).iterdir())
            assert got == sorted(photos[split]), (split, transform)
        assert len(list((root / "first" / split / "charts").iterdir())) == b.N_CHARTS
        fields = sorted(p.stem for p in (root / "first" / split / "fields").iterdir())
        assert fields == sorted(f"field_{k}" for k in b.FIELDS)
    # The validation and test synthetic images are different draws.
    for name in ("charts/chart_0.png", "fields/field_plain.png"):
        assert first["files"][f"validation/{name}"] != first["files"][f"test/{name}"]


def test_each_transform_does_what_its_name_says(suite):
    from skimage.color import rgb2hsv

    b, root, *_ = suite
    for split in b.SPLITS:
        for photo in (root / "first" / split / "original").iterdir():
            x = {t: _read(root / "first" / split / t / photo.name) for t in b.transforms(None)}
            hsv = {t: rgb2hsv(x[t] / 255.0) for t in ("original", "saturated")}
            lit = hsv["original"][..., 2] > 0.2  # rounding blurs the saturation of dark pixels
            wanted = np.minimum(1.0, 1.8 * hsv["original"][..., 1])
            assert np.median(np.abs(hsv["saturated"][..., 1] - wanted)[lit]) < 0.02, photo
            assert x["dark"].mean() < x["original"].mean() < x["bright"].mean()
            assert np.ptp(x["grayscale"], axis=2).max() == 0
            detail = {t: np.abs(np.diff(x[t], axis=1)).mean() for t in ("original", "defocus")}
            assert detail["defocus"] < 0.6 * detail["original"], photo
            noise = x["noise"] - x["original"]
            assert 2.0 < noise.std() < 4.0, photo  # sigma 3 levels, a little clipped and rounded


@pytest.mark.parametrize("seed", range(4))
def test_smooth_fields_are_smooth_and_the_clipped_one_clips_every_channel(seed):
    b = builder()
    fields = {k: b.smooth_field(np.random.default_rng(seed), k, size=256) for k in b.FIELDS}
    for kind, f in fields.items():
        assert f.shape == (256, 256, 3) and f.min() >= 0.0 and f.max() <= 1.0
        # Smooth: a pixel step changes a channel by at most a few hundredths of the range.
        assert np.abs(np.diff(f, axis=0)).max() < 0.15, kind
        assert np.abs(np.diff(f, axis=1)).max() < 0.15, kind
    for c in range(3):
        channel = fields["clipped"][..., c]
        assert (channel == 0.0).mean() > 0.05 and (channel == 1.0).mean() > 0.05, c
    assert fields["dark"].mean() < fields["plain"].mean()
    with pytest.raises(ValueError, match="unknown field kind"):
        b.smooth_field(np.random.default_rng(seed), "neon")
