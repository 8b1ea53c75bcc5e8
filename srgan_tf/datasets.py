"""Finds a data folder's images and classes, and splits them as the study did, deterministically.

Layouts understood:
- a folder of HR images, flat or nested (DIV2K's `DIV2K_train_HR/`);
- the Kaggle "landscape-pictures" download as it comes: one flat folder, the class in the file
  name (`00000001.jpg` general, `00000001 (2).jpg` mountain, (3) desert, (4) sea, (5) beach,
  (6) island, (7) japan);
- one folder per class (`landscapes/desert/...`).

The user's files are never moved or deleted: a split is a manifest (lists of paths) that is
the same for the same files, settings and seed.
"""

import dataclasses
import json
import re
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from srgan_tf import images

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


class DataError(ValueError):
    """A data folder or class that cannot be used; the message names the path and class."""


def class_of(path, root):
    """The class of an image: its top folder under `root`, else its Kaggle file-name suffix.

    Returns:
        The class name, or None for a Kaggle suffix with no known class.
    """
    rel = Path(path).relative_to(root)
    if len(rel.parts) > 1:
        return rel.parts[0].lower()
    m = _SUFFIX_RE.search(rel.stem)
    return LANDSCAPE_SUFFIXES.get(m.group(1) if m else "")


def discover(root):
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


def select_class(classes, cls, root):
    """The files of class `cls` (None or "" for every file; "general" falls back to all).

    Raises:
        DataError: an unknown class, with the valid names and their file counts.
    """
    if not cls:
        return [p for files in classes.values() for p in files]
    cls = cls.lower()
    if cls in classes:
        return classes[cls]
    if cls == GENERAL:  # a per-class layout without a general folder: sample all classes
        return sorted(p for files in classes.values() for p in files)
    found = ", ".join(f"{c} ({len(f)})" for c, f in sorted(classes.items())) or "none"
    raise DataError(
        f"class {cls!r} has no images in {root}. Classes found there: {found}. "
        f"Valid names: {', '.join(sorted(set(classes) | {GENERAL}))}"
    )


@dataclasses.dataclass
class ScanReport:
    """What happened to every file looked at: used, skipped (by reason) or converted."""

    used: int = 0
    skipped: dict = dataclasses.field(default_factory=dict)
    converted: dict = dataclasses.field(default_factory=dict)

    def add_skip(self, kind):
        self.skipped[kind] = self.skipped.get(kind, 0) + 1

    def summary(self, where):
        skipped = sum(self.skipped.values())
        parts = [f"{self.used} images used from {where}"]
        if skipped:
            reasons = ", ".join(
                f"{n} {k.replace('_', ' ')}" for k, n in sorted(self.skipped.items())
            )
            parts.append(f"{skipped} skipped ({reasons})")
        if self.converted:
            conv = ", ".join(f"{n} {k}" for k, n in sorted(self.converted.items()))
            parts.append(f"converted: {conv}")
        return "; ".join(parts)


class ImageSet:
    """Usable images: paths, sizes and, while they fit the cache budget, the decoded pixels."""

    def __init__(self):
        self.paths, self.sizes, self._arrays = [], [], []

    def __len__(self):
        return len(self.paths)

    def add(self, path, rgb, keep):
        self.paths.append(Path(path))
        self.sizes.append(rgb.shape[:2])
        self._arrays.append(rgb if keep else None)

    def get(self, i):
        """The `(h, w, 3)` uint8 pixels of image `i` (decoded again if not cached)."""
        cached = self._arrays[i]
        return cached if cached is not None else images.read_image(self.paths[i])[0]

    @property
    def cached_bytes(self):
        return sum(a.nbytes for a in self._arrays if a is not None)


@dataclasses.dataclass
class Split:
    """The train and held-out test images of one class, and the scan report."""

    cls: str
    root: Path
    train: ImageSet
    test: ImageSet
    report: ScanReport

    def manifest(self):
        def rel(p):
            return str(Path(p).relative_to(self.root))

        return {
            "class": self.cls,
            "root": str(self.root),
            "train": [rel(p) for p in self.train.paths],
            "test": [rel(p) for p in self.test.paths],
            "used": self.report.used,
            "skipped": self.report.skipped,
            "converted": self.report.converted,
        }

    def write_manifest(self, path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(self.manifest(), indent=1))
        tmp.replace(path)


def _order(files, seed, cls):
    """A permutation of `files` fixed by the seed and class name (and the sorted file list)."""
    rng = np.random.default_rng([seed, zlib.crc32((cls or "all").encode())])
    return [files[i] for i in rng.permutation(len(files))]


def make_split(root, cls, config, log=print):
    """Decodes and splits one class's images: `n_test` held out first, then `n_images` to train.

    Images smaller than the crop, undecodable files and non-images are skipped and counted.
    When a class has fewer than twice `n_test` usable images, half of them are held out instead
    (said in the log), so small sets still get a test split.

    Args:
        root: the data folder.
        cls: class name, or None / "" for all images.
        config: a `DataConfig` (crop_size, n_images, n_test, n_test_general, seed, cache_gb).
        log: where the summary line goes.

    Raises:
        DataError: missing or empty folder, unknown class, or a class with no usable images.
    """
    root = Path(root)
    classes, unknown = discover(root)
    files = select_class(classes, cls, root)
    n_test = config.n_test_general if (cls or "").lower() == GENERAL else config.n_test
    n_train = config.n_images if config.n_images > 0 else len(files)
    report = ScanReport()
    for _ in unknown:
        report.add_skip("unknown_class")
    usable = []  # (path, rgb) in split order
    budget = int(config.cache_gb * 2**30)
    cached = 0
    order = _order(files, config.seed, cls)
    want = n_test + n_train
    with ThreadPoolExecutor(max_workers=4) as pool:
        chunk = 8
        for start in range(0, len(order), chunk):
            if len(usable) >= want:
                break
            batch = order[start : start + chunk]
            for path, result in zip(batch, pool.map(_try_read, batch)):
                if len(usable) >= want:
                    break
                if isinstance(result, images.BadImage):
                    report.add_skip(result.kind)
                    continue
                rgb, conversions = result
                if min(rgb.shape[:2]) < config.crop_size:
                    report.add_skip(f"smaller_than_{config.crop_size}px")
                    continue
                for c in conversions:
                    report.converted[c] = report.converted.get(c, 0) + 1
                usable.append((path, rgb))
    where = f"{root}" + (f" class {cls!r}" if cls else "")
    if not usable:
        raise DataError(f"no usable images in {where}: {ScanReport.summary(report, where)}")
    if len(usable) < 2 * n_test:
        held = len(usable) // 2
        log(
            f"{where}: only {len(usable)} usable images; holding out {held} for test instead of {n_test}"
        )
        n_test = held
    report.used = min(len(usable), n_test + n_train)
    train, test = ImageSet(), ImageSet()
    for k, (path, rgb) in enumerate(usable[: n_test + n_train]):
        keep = cached + rgb.nbytes <= budget
        cached += rgb.nbytes if keep else 0
        (test if k < n_test else train).add(path, rgb, keep)
    log(report.summary(where))
    return Split(cls or "all", root, train, test, report)


def _try_read(path):
    try:
        return images.read_image(path)
    except images.BadImage as e:
        return e
