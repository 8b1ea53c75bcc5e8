"""The photo corpus manifest (data/photo_corpus.json) and its builder's rules."""

import json
import re
from pathlib import Path

import pytest
from scripts import load_script

from srgan_tf.data import sample_data

ROOT = Path(__file__).parent.parent
MANIFEST = json.loads((ROOT / "data" / "photo_corpus.json").read_text())


def builder():
    return load_script("data/make_photo_corpus.py")


def test_every_image_is_described_and_split():
    fields = {"name", "file", "package", "version", "path", "size", "sha256", "licence", "split"}
    files = [im["file"] for im in MANIFEST["images"]]
    assert len(set(files)) == len(files)
    for im in MANIFEST["images"]:
        assert fields <= set(im), im
        assert re.fullmatch(r"[0-9a-f]{64}", im["sha256"])
        assert im["licence"] and im["split"] in ("train", "validation", "test")
        assert min(im["size"]) >= 300


def test_split_sizes_and_summary():
    by_split = {}
    for im in MANIFEST["images"]:
        by_split.setdefault(im["split"], []).append(im)
    assert len(by_split["test"]) >= 8 and len(by_split["validation"]) >= 4
    for split, summary in MANIFEST["splits"].items():
        chosen = by_split[split]
        assert summary["photos"] == len(chosen)
        mp = sum(im["size"][0] * im["size"][1] for im in chosen) / 1e6
        assert summary["megapixels"] == pytest.approx(mp, abs=0.05)


def test_kept_aside_and_benchmark_images_stay_out():
    make = builder()
    packages = {im["package"] for im in MANIFEST["images"]}
    assert not packages & make.FORBIDDEN_PACKAGES
    assert "mate-backgrounds" in make.FORBIDDEN_PACKAGES
    for im in MANIFEST["images"]:
        make.check_name(im["name"], im["path"], im["size"])  # exits on a benchmark name
    with pytest.raises(SystemExit):
        make.check_name("baboon", "usr/share/x/baboon.png")
    with pytest.raises(SystemExit):  # a large file named like one is refused unless looked at
        make.check_name("baboon", "usr/share/x/baboon.png", (3000, 2000))
    for path in make.NAMED_LIKE_A_BENCHMARK:  # ... and one that was, at a benchmark's size
        with pytest.raises(SystemExit):
            make.check_name("x", path, (256, 256))
    with pytest.raises(SystemExit):
        make.check_name("x", "Set14/zebra_GT.bmp")
    with pytest.raises(SystemExit):
        make.fetch_package("mate-backgrounds", "", Path("/nonexistent"))


def test_every_exclusion_has_a_reason():
    assert MANIFEST["excluded"]
    assert all(e["reason"] and e["package"] for e in MANIFEST["excluded"])


def test_sample_set_hold_out_never_reaches_the_corpus_train_split():
    """The 7 images `--mode=evaluate` scores on the sample set (its seeded hold-out, found by
    the split code itself) are test photos of the corpus, never train or validation."""
    from srgan_tf.config import DataConfig
    from srgan_tf.data import datasets

    split = datasets.make_split(
        sample_data.sample_dir(), "", DataConfig(), log=lambda *_: None, with_train=False
    )
    held = {Path(p).stem for p in split.test.paths}
    assert len(held) == 7
    for im in MANIFEST["images"]:
        if im["package"] == "scikit-image" and im["name"] in held:
            assert im["split"] == "test", im["name"]
    names = {n for group in sample_data.SAMPLE_CLASSES.values() for n in group}
    skimage_names = {im["name"] for im in MANIFEST["images"] if im["package"] == "scikit-image"}
    assert skimage_names <= names


def test_scikit_image_files_match_their_hashes():
    import skimage

    make = builder()
    if skimage.__version__ != MANIFEST["packages"]["scikit-image"]:
        pytest.skip(f"manifest made with scikit-image {MANIFEST['packages']['scikit-image']}")
    data_dir = Path(skimage.__file__).parent / "data"
    checked = 0
    for im in MANIFEST["images"]:
        if im["package"] == "scikit-image":
            assert make.sha256(data_dir / Path(im["path"]).name) == im["sha256"], im["name"]
            checked += 1
    assert checked >= 10


def test_licence_rules_follow_dep5():
    make = builder()
    rules = [("*", "GPL-2+"), ("16.04/a_by_b.jpg", "CC-BY-4.0"), ("debian/*", "Expat")]
    assert make.licence_of("usr/share/backgrounds/a_by_b.jpg", rules) == "CC-BY-4.0"
    assert make.licence_of("usr/share/backgrounds/other.jpg", rules) == "GPL-2+"


def test_splits_are_the_seeded_draws_and_added_photos_never_reach_test():
    """The first selection's splits are its seeded draw; photographs added later are drawn
    separately into validation and train, so the test split (and every number measured on it)
    stays as it was."""
    import numpy as np

    make = builder()
    by_path = {(im["package"], im["path"]): im for im in MANIFEST["images"]}
    first = [by_path[(pkg, path)] for pkg, photos in make.PHOTOS.items() for path in photos]
    order = np.random.default_rng(make.SPLIT_SEED).permutation(len(first))
    n_test, n_val = make.N_TEST, make.N_VALIDATION
    for rank, i in enumerate(order):
        want = "test" if rank < n_test else "validation" if rank < n_test + n_val else "train"
        assert first[i]["split"] == want, first[i]["name"]
    added = [by_path[(pkg, path)] for pkg, photos in make.ADDED.items() for path in photos]
    assert added and all(im["split"] in ("train", "validation") for im in added)
    assert sum(im["split"] == "validation" for im in added) == make.N_ADDED_VALIDATION
