"""Finds a data folder's images and classes, and splits them as the study did, deterministically.

Layouts understood:
- a folder of HR images, flat or nested (DIV2K's `DIV2K_train_HR/`);
- the Kaggle "landscape-pictures" download as it comes: one flat folder, the class in the file
  name (`00000001.jpg` general, `00000001 (2).jpg` mountain, (3) desert, (4) sea, (5) beach,
  (6) island, (7) japan);
- one folder per class (`landscapes/desert/...`).

The user's files are never moved or deleted: a split is a manifest (lists of paths) that is
the same for the same files, settings and split seed (`split_seed`, not the training `seed`:
training with another seed never moves a held-out image into training).
"""

import dataclasses
import json
import os
import re
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from srgan_tf import atomic
from srgan_tf.config import DataConfig, smallest_scored_side
from srgan_tf.data import images
from srgan_tf.errors import DataError  # noqa: F401  (re-exported)

# Kaggle landscape-pictures: the "(n)" suffix of a file name is its class.
LANDSCAPE_SUFFIXES = {
    "": "general",
    "2": "mountain",
    "3": "desert",
    "4": "sea",
    "5": "beach",
    "6": "island",
    "7": "japan",
}
LANDSCAPE_CLASSES = tuple(LANDSCAPE_SUFFIXES.values())
GENERAL = "general"
_SUFFIX_RE = re.compile(r"\s*\((\d+)\)$")


def class_of(path: str | os.PathLike, root: str | os.PathLike) -> str:
    """The class of an image: its top folder under `root`, else its Kaggle file-name suffix.

    Returns:
        The class name, or None for a Kaggle suffix with no known class.
    """
    rel = Path(path).relative_to(root)
    if len(rel.parts) > 1:
        return rel.parts[0].lower()
    m = _SUFFIX_RE.search(rel.stem)
    return LANDSCAPE_SUFFIXES.get(m.group(1) if m else "")


def discover(root: str | os.PathLike) -> tuple[dict, list]:
    """Every non-hidden file under `root`, grouped by class.

    Returns:
        `(classes, unknown)`: `{class: [paths sorted]}` and files whose class is unknown.

    Raises:
        DataError: missing folder, or a folder with no files at all.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"data folder {root} does not exist or is not a folder")
    classes, unknown = {}, []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or any(p.startswith(".") for p in path.relative_to(root).parts):
            continue
        cls = class_of(path, root)
        if cls is None:
            unknown.append(path)
        else:
            classes.setdefault(cls, []).append(path)
    if not classes and not unknown:
        raise DataError(f"data folder {root} is empty")
    return classes, unknown


def select_classes(classes: set[str], cls: str, root: str | os.PathLike) -> list[str]:
    """The class names a selection covers: one class, or every class for "" and "general"
    (when the folder has no general class of its own).

    Raises:
        DataError: an unknown class, with the valid names and their file counts.
    """
    if not cls:
        return sorted(classes)
    cls = cls.lower()
    if cls in classes:
        return [cls]
    if cls == GENERAL:  # a per-class layout without a general folder: sample all classes
        return sorted(classes)
    found = ", ".join(f"{c} ({len(f)})" for c, f in sorted(classes.items())) or "none"
    raise DataError(
        f"class {cls!r} has no images in {root}. Classes found there: {found}. "
        f"Valid names: {', '.join(sorted(set(classes) | {GENERAL}))}"
    )


@dataclasses.dataclass
class ScanReport:
    """What happened to every file looked at: used, skipped (by reason, and which files) or
    converted. Every mode that reads a folder reports through one of these, the same way."""

    used: int = 0
    skipped: dict = dataclasses.field(default_factory=dict)
    converted: dict = dataclasses.field(default_factory=dict)
    skipped_files: list = dataclasses.field(default_factory=list)  # (path, reason)

    SHOWN = 5  # skipped files named in the summary line; all of them are in the manifest

    def add_skip(self, kind: str, path: str | os.PathLike | None = None, reason: str = "") -> None:
        """Counts a skipped file under `kind`, and names it (`reason`: what was wrong, when
        more can be said than the kind)."""
        self.skipped[kind] = self.skipped.get(kind, 0) + 1
        if path is not None:
            self.skipped_files.append((str(path), reason or kind.replace("_", " ")))

    def add_converted(self, kind: str) -> None:
        self.converted[kind] = self.converted.get(kind, 0) + 1

    def skipped_names(self) -> str:
        """`a.png (smaller than 20px), b.txt (not an image), and 3 more`, or "" when none."""
        shown = [f"{Path(p).name} ({why})" for p, why in self.skipped_files[: self.SHOWN]]
        more = len(self.skipped_files) - len(shown)
        return ", ".join(shown) + (f", and {more} more" if more > 0 else "")

    def summary(self, where: str | os.PathLike, verb: str = "used from") -> str:
        skipped = sum(self.skipped.values())
        parts = [f"{self.used} images {verb} {where}"]
        if skipped:
            reasons = ", ".join(
                f"{n} {k.replace('_', ' ')}" for k, n in sorted(self.skipped.items())
            )
            names = self.skipped_names()
            parts.append(f"{skipped} skipped ({reasons})" + (f": {names}" if names else ""))
        if self.converted:
            conv = ", ".join(f"{n} {k}" for k, n in sorted(self.converted.items()))
            parts.append(f"converted: {conv}")
        return "; ".join(parts)


class ImageSet:
    """Usable images: paths, sizes and, while they fit the cache budget, the decoded pixels."""

    def __init__(self) -> None:
        self.paths, self.sizes, self._arrays = [], [], []

    def __len__(self) -> int:
        return len(self.paths)

    def add(self, path: Path, rgb: np.ndarray | None, keep: bool) -> None:
        self.paths.append(Path(path))
        self.sizes.append(rgb.shape[:2])
        self._arrays.append(rgb if keep else None)

    def get(self, i: int) -> np.ndarray:
        """The `(h, w, 3)` uint8 pixels of image `i` (decoded again if not cached)."""
        cached = self._arrays[i]
        return cached if cached is not None else images.read_image(self.paths[i])[0]


@dataclasses.dataclass
class Split:
    """The train and held-out test images of one class, and the scan report."""

    cls: str
    root: Path
    train: ImageSet
    test: ImageSet
    report: ScanReport

    def manifest(self) -> dict:
        def rel(p):
            return str(Path(p).relative_to(self.root))

        return {
            "class": self.cls,
            "root": str(self.root),
            "train": [rel(p) for p in self.train.paths],
            "test": [rel(p) for p in self.test.paths],
            "used": self.report.used,
            "skipped": self.report.skipped,
            "skipped_files": [
                {"file": rel(p), "reason": why} for p, why in self.report.skipped_files
            ],
            "converted": self.report.converted,
        }

    def write_manifest(self, path: str | os.PathLike) -> None:
        atomic.write_text(path, json.dumps(self.manifest(), indent=1))


def _order(files, seed, cls):
    """A permutation of `files` fixed by the seed and class name (and the sorted file list)."""
    rng = np.random.default_rng([seed, zlib.crc32((cls or "all").encode())])
    return [files[i] for i in rng.permutation(len(files))]


def most_training_images(root: str | os.PathLike, cls: str, config: DataConfig) -> int:
    """The most images a split of `cls` can train on, from the file names alone (no decoding):
    a quick upper bound, so a folder too small for one batch is refused before any work."""
    classes, _ = discover(root)
    total = 0
    for name in select_classes(classes, cls, root):
        files = [p for p in classes[name] if images.is_image_name(p)]
        held = 0 if config.split == "none" else min(_n_test(name, config), len(files) // 2)
        n = len(files) - held
        total += min(n, config.n_images) if config.n_images > 0 else n
    return total


def _n_test(cls, config):
    """Held-out images asked for a class: the study took 50 from the general class, 20 others."""
    return config.n_test_general if cls == GENERAL else config.n_test


def _split_one(files, cls, config, report, with_train: bool = True):
    """Walks one class's files in seeded order: `n_test` decodable images to test, whatever
    their size (so the held-out set never depends on --crop_size), then up to `n_images`
    images at least `crop_size` on each side to train."""
    no_split = config.split == "none"  # training takes every image, evaluation scores every one
    n_test = (0 if with_train else len(files)) if no_split else _n_test(cls, config)
    n_train = (config.n_images if config.n_images > 0 else len(files)) if with_train else 0
    test, train = [], []
    decoded = []  # (path, rgb, conversions) of every readable file, in order, until enough
    order = _order(files, config.split_seed, cls)
    with ThreadPoolExecutor(max_workers=4) as pool:
        for start in range(0, len(order), 8):
            batch = order[start : start + 8]
            for path, result in zip(batch, pool.map(_try_read, batch)):
                if isinstance(result, images.BadImage):
                    report.add_skip(result.kind, path, result.reason)
                else:
                    decoded.append((path, *result))
            if len(decoded) >= n_test + n_train + 64:
                break  # enough candidates even if many are too small to train on
    # Small classes: hold out half of what can be read instead of n_test.
    if not no_split:
        n_test = min(n_test, len(decoded) // 2)
    min_test = smallest_scored_side(config.scale)
    for path, rgb, conversions in decoded:
        side = min(rgb.shape[:2])
        if len(test) < n_test:
            if side >= min_test:
                test.append((path, rgb, conversions))
            else:
                report.add_skip(f"smaller_than_{min_test}px", path)
        elif len(train) < n_train:
            if side >= config.crop_size:
                train.append((path, rgb, conversions))
            else:
                report.add_skip(f"smaller_than_{config.crop_size}px", path)
    return test, train, n_test


def make_split(
    root: str | os.PathLike,
    cls: str,
    config: DataConfig,
    log: Callable[..., None] = print,
    with_train: bool = True,
) -> "Split":
    """Decodes and splits images: per class, `n_test` held out first, then `n_images` to train.

    Every class is split on its own with a seed derived from its name, and a selection of
    several classes ("" or "general" without a general folder) is the union of their splits:
    a model trained on any selection never sees another selection's test images. Undecodable
    files, non-images and (for training) images smaller than the crop are skipped and counted.
    A class with fewer than twice `n_test` readable images holds out half of them (said in
    the log).

    Args:
        root: the data folder.
        cls: class name, or None / "" for all images.
        config: a `DataConfig` (crop_size, n_images, n_test, n_test_general, split_seed,
            cache_gb).
        log: where the summary line goes.
        with_train: False to decode only the held-out test images (evaluation).

    Raises:
        DataError: missing or empty folder, unknown class, or a class with no usable images.
    """
    root = Path(root)
    classes, unknown = discover(root)
    names = select_classes(classes, cls, root)
    report = ScanReport()
    for path in unknown:
        report.add_skip("unknown_class", path)
    budget = int(config.cache_gb * 2**30)
    cached = 0
    train, test = ImageSet(), ImageSet()
    for name in names:
        t_items, tr_items, n_test = _split_one(classes[name], name, config, report, with_train)
        asked = _n_test(name, config)
        if n_test < asked and config.split != "none":
            log(
                f"{root} class {name!r}: holding out {n_test} test images instead of {asked} (small class)"
            )
        for target, items in ((test, t_items), (train, tr_items)):
            for path, rgb, conversions in items:
                keep = cached + rgb.nbytes <= budget
                cached += rgb.nbytes if keep else 0
                target.add(path, rgb, keep)
                for c in conversions:
                    report.add_converted(c)
    report.used = len(train) + len(test)
    where = f"{root}" + (f" class {cls!r}" if cls else "")
    if not train and not test:
        raise DataError(f"no usable images in {where}: {report.summary(where)}")
    log(report.summary(where) + f" ({len(train)} train, {len(test)} test)")
    return Split(cls or "all", root, train, test, report)


def _try_read(path):
    try:
        return images.read_image(path)
    except images.BadImage as e:
        return e
