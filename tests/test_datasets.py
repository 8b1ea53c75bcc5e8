"""Data folders, classes, splits and bad input (srgan_tf/data/datasets.py, images.py, sample_data.py)."""

import dataclasses
import json

import imageio.v3 as iio
import numpy as np
import pytest
from oracles import require

from srgan_tf.config import DataConfig
from srgan_tf.data import datasets, images, sample_data

CFG = DataConfig(crop_size=16, n_images=100, n_test=2, n_test_general=3, seed=0)


def write(path, h=20, w=24, rng=None, **kw):
    rng = rng or np.random.default_rng(abs(hash(str(path))) % 2**32)
    path.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(path, rng.integers(0, 256, (h, w, 3), dtype=np.uint8), **kw)
    return path


def kaggle_folder(root, per_class=6):
    for i in range(per_class):
        write(root / f"{i:08d}.jpg")
        for n in (2, 3, 4, 5, 6, 7):
            write(root / f"{i:08d} ({n}).jpg")
    return root


def test_kaggle_flat_layout_classes(tmp_path):
    root = kaggle_folder(tmp_path / "landscapes")
    classes, unknown = datasets.discover(root)
    assert set(classes) == set(datasets.LANDSCAPE_CLASSES)
    assert all(len(files) == 6 for files in classes.values())
    assert not unknown
    assert datasets.class_of(root / "00000003 (3).jpg", root) == "desert"
    assert datasets.class_of(root / "00000003.jpg", root) == "general"


def test_per_class_folder_layout(tmp_path):
    for cls in ("desert", "Sea"):
        for i in range(3):
            write(tmp_path / cls / "nested" / f"{i}.png")
    classes, _ = datasets.discover(tmp_path)
    assert {c: len(f) for c, f in classes.items()} == {"desert": 3, "sea": 3}


def test_unknown_class_lists_valid_names(tmp_path):
    root = kaggle_folder(tmp_path / "k", per_class=1)
    with pytest.raises(datasets.DataError, match=r"'tundra'.*Valid names: .*beach.*desert"):
        datasets.make_split(root, "tundra", CFG, log=lambda *_: None)


def test_empty_and_missing_folders_are_clear_errors(tmp_path):
    with pytest.raises(datasets.DataError, match="does not exist"):
        datasets.make_split(tmp_path / "nope", "", CFG)
    (tmp_path / "empty").mkdir()
    with pytest.raises(datasets.DataError, match="empty"):
        datasets.make_split(tmp_path / "empty", "", CFG)


def test_split_sizes_and_determinism(tmp_path):
    root = kaggle_folder(tmp_path / "k", per_class=10)
    cfg = dataclasses.replace(CFG, n_images=5)
    a = datasets.make_split(root, "desert", cfg, log=lambda *_: None)
    assert (len(a.test), len(a.train)) == (2, 5)
    assert not set(a.test.paths) & set(a.train.paths)
    assert all("(3)" in p.name for p in a.train.paths + a.test.paths)
    b = datasets.make_split(root, "desert", cfg, log=lambda *_: None)
    assert a.manifest() == b.manifest()
    c = datasets.make_split(
        root, "desert", dataclasses.replace(cfg, split_seed=1), log=lambda *_: None
    )
    assert a.manifest()["train"] != c.manifest()["train"]
    # The training seed (crops, augmentation, weights) never changes what is held out.
    e = datasets.make_split(root, "desert", dataclasses.replace(cfg, seed=7), log=lambda *_: None)
    assert e.manifest() == a.manifest()
    # The test set does not depend on how many training images are asked for.
    d = datasets.make_split(
        root, "desert", dataclasses.replace(cfg, n_images=2), log=lambda *_: None
    )
    assert d.manifest()["test"] == a.manifest()["test"]
    g = datasets.make_split(root, "general", cfg, log=lambda *_: None)
    assert len(g.test) == 3  # the general class has its own, larger test sample


def test_manifest_is_written_and_files_untouched(tmp_path):
    root = kaggle_folder(tmp_path / "k", per_class=5)
    before = sorted(p.name for p in root.iterdir())
    split = datasets.make_split(root, "beach", CFG, log=lambda *_: None)
    split.write_manifest(tmp_path / "run" / "manifest.json")
    m = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert m["class"] == "beach" and len(m["test"]) == 2 and len(m["train"]) == 3
    assert sorted(p.name for p in root.iterdir()) == before


def test_bad_inputs_are_skipped_converted_and_counted(tmp_path):
    root = tmp_path / "mixed"
    rng = np.random.default_rng(0)
    write(root / "good.png")
    write(root / "tiny.png", h=8, w=40)
    iio.imwrite(root / "gray.png", rng.integers(0, 256, (20, 20), dtype=np.uint8))
    iio.imwrite(root / "rgba.png", rng.integers(0, 256, (20, 20, 4), dtype=np.uint8))
    deep = rng.integers(0, 65536, (20, 20, 3), dtype=np.uint16)
    cv2 = require("cv2")  # Pillow cannot write 16-bit RGB PNGs; OpenCV can
    cv2.imwrite(str(root / "deep.png"), deep[..., ::-1])
    good_jpg = write(root / "ok.jpg").read_bytes()
    (root / "truncated.jpg").write_bytes(good_jpg[: len(good_jpg) // 3])
    (root / "garbage.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    (root / "notes.txt").write_text("not an image")
    lines = []
    split = datasets.make_split(
        root, "", dataclasses.replace(CFG, n_test=0, n_test_general=0), log=lines.append
    )
    names = sorted(p.name for p in split.train.paths)
    assert names == ["deep.png", "good.png", "gray.png", "ok.jpg", "rgba.png"]
    r = split.report
    assert r.skipped == {"corrupt": 2, "not_image": 1, "smaller_than_16px": 1}
    assert r.converted == {"grayscale": 1, "rgba": 1, "16-bit": 1}
    assert len(lines) == 1 and "4 skipped" in lines[0] and "converted" in lines[0]
    # 16-bit is scaled to 8-bit, not truncated.
    got = split.train.get([p.name for p in split.train.paths].index("deep.png"))
    np.testing.assert_array_equal(got, np.round(deep / 257.0).astype(np.uint8))


def test_class_with_only_bad_images_is_a_clear_error(tmp_path):
    (tmp_path / "desert").mkdir()
    (tmp_path / "desert" / "a.png").write_bytes(b"broken")
    write(tmp_path / "sea" / "b.png")
    with pytest.raises(
        datasets.DataError, match=r"no usable images in .* class 'desert'.*1 corrupt"
    ):
        datasets.make_split(tmp_path, "desert", CFG)


def test_read_image_reasons(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(images.BadImage) as e:
        images.read_image(tmp_path / "a.txt")
    assert e.value.kind == "not_image"


def test_sample_set_is_built_from_scikit_image(tmp_path):
    root = sample_data.sample_dir(tmp_path / "sample")
    classes, _ = datasets.discover(root)
    assert set(classes) == set(sample_data.SAMPLE_CLASSES)
    split = datasets.make_split(
        root, "photo", dataclasses.replace(CFG, crop_size=96), log=lambda *_: None
    )
    assert len(split.train) + len(split.test) == len(sample_data.SAMPLE_CLASSES["photo"])
    assert sample_data.sample_dir(tmp_path / "sample") == root  # second call reuses the files
    # No two sample pictures are the same picture (skimage's `cat` is `chelsea`).
    pixels = [images.read_image(p)[0].tobytes() for p in sorted(root.glob("*/*.png"))]
    assert len(set(pixels)) == len(pixels)


def test_an_older_sample_set_is_replaced_stale_files_included(tmp_path):
    root = tmp_path / "sample"
    (root / "photo").mkdir(parents=True)
    images.write_image(root / "photo" / "cat.png", np.zeros((8, 8, 3), np.uint8))
    (root / ".complete").write_text("1")
    sample_data.sample_dir(root)
    assert not (root / "photo" / "cat.png").exists()
    assert (root / "photo" / "clock.png").exists()


def test_held_out_set_is_the_same_for_every_selection_and_crop(tmp_path):
    """A model trained on any selection or crop size never sees another run's test images."""
    for cls in ("desert", "sea"):
        for i in range(8):
            write(tmp_path / cls / f"{i}.png", h=20 + 10 * (i % 3), w=40)
    quiet = {"log": lambda *_: None}
    runs = [
        datasets.make_split(tmp_path, sel, dataclasses.replace(CFG, crop_size=crop), **quiet)
        for sel in ("", "general", "desert", "sea")
        for crop in (16, 30)
    ]
    all_test = set(runs[0].test.paths)
    for r in runs:
        assert set(r.test.paths) <= all_test
        assert not set(r.train.paths) & all_test
        assert all(
            min(r.train.sizes[i]) >= (16 if r in runs[::2] else 30) for i in range(len(r.train))
        )
    per_class = set(runs[4].test.paths) | set(runs[6].test.paths)
    assert per_class == all_test


def test_split_none_trains_on_every_image_and_evaluates_every_image(tmp_path):
    root = tmp_path / "bench"
    for i in range(5):
        write(root / f"img_{i}.png", h=20 + i)
    write(root / "tiny.png", h=20, w=20)  # too small to train on, big enough to score
    write(root / "too_small.png", h=16, w=16)  # no SSIM window fits once the border is cropped
    cfg = dataclasses.replace(CFG, split="none", crop_size=21)
    train = datasets.make_split(root, "", cfg, log=lambda *_: None)
    assert len(train.test) == 0 and len(train.train) == 4  # img_0 is 20 pixels high
    scored = datasets.make_split(root, "", cfg, log=lambda *_: None, with_train=False)
    assert sorted(p.name for p in scored.test.paths) == sorted(
        [f"img_{i}.png" for i in range(5)] + ["tiny.png"]
    )
    assert scored.report.skipped == {"smaller_than_20px": 1}
    assert "too_small.png (smaller than 20px)" in scored.report.summary(root)
