"""Builds the photo corpus: real, freely licensed photographs from Debian packages, offline.

    python data/make_photo_corpus.py                  # -> data/photo_corpus/{train,validation,test}/

Every image comes from a Debian package fetched with `apt-get download` (no root install, no
network beyond Debian's archive) or from the photos scikit-image ships, and is copied byte for
byte, so its sha256 must equal the one in `data/photo_corpus.json`, the committed manifest.
The manifest lists each image's package, version, path inside the package, size, sha256,
licence (from the package's `copyright` file) and split, and every picture of those packages
that was looked at and left out, with the reason.

The selection below was checked by hand, picture by picture: photographs only (no renders,
gradients, logos or drawings); one copy of each picture, the largest; nothing from the standard
SR test sets (Set5, Set14, BSD100, Urban100), which users benchmark on; nothing from
`mate-backgrounds`, kept aside for an independent check. `--update_manifest` rewrites the
manifest from this selection (the splits are drawn once with a fixed seed, never chosen;
photographs found later are drawn separately into validation and train, so the test split and
every number measured on it stay as they were).
"""

import argparse
import fnmatch
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np


def sha256(path: str | os.PathLike) -> str:
    """The file's sha256, hex, read in chunks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "photo_corpus.json"
DEFAULT_OUT = HERE / "photo_corpus"
SPLITS = ("train", "validation", "test")
SPLIT_SEED = 0
N_TEST, N_VALIDATION = 8, 4  # wallpaper photographs; the scikit-image photos are placed below

# Never used, for training or evaluation: kept aside for an independent check of this work.
FORBIDDEN_PACKAGES = {"mate-backgrounds"}
# File names of the standard SR benchmark images (Set5, Set14; BSD100 and Urban100 are
# numbered files such as 3096.png and img_001.png); a selected file named like one is refused.
BENCHMARK_NAMES = {
    "baby", "bird", "butterfly", "head", "woman",  # Set5
    "baboon", "barbara", "bridge", "coastguard", "comic", "face", "flowers", "foreman",
    "lena", "lenna", "man", "monarch", "pepper", "peppers", "ppt3", "zebra",  # Set14
}  # fmt: skip
BENCHMARK_PATTERN = "img_[0-9][0-9][0-9]"  # Urban100; BSD100 files are all digits
# Files whose names match a benchmark image's but which were looked at and are not one.
NAMED_LIKE_A_BENCHMARK = {
    "usr/share/lxqt/wallpapers/butterfly.png": "a 3000x1994 photograph of a swallowtail on a "
    "scabious flower; Set5's butterfly is a 256x256 close-up of a monarch's wing",
    "usr/share/lxqt/wallpapers/flowers.png": "a 3000x1993 photograph of a meadow; Set14's "
    "flowers is a 500x362 picture of a flower bed",
}

# package -> {path inside the package: short name}. The photographs kept.
PHOTOS = {
    "lomiri-wallpapers-16.04": {
        f"usr/share/backgrounds/{name}.jpg": short
        for name, short in [
            ("Bridge_by_Sander_Klootwijk", "bridge_cables"),
            ("Dragonfly_by_Bolly", "dragonfly"),
            ("Picture_0B_by_freespace", "fig_bowl"),
            ("Picture_1A_by_freespace", "brushes"),
            ("Wine_by_Jakkub_Mede", "wine_drum"),
            ("aitzgorri_by_Aitzol_Berasategi", "aitzgorri"),
            ("analogpattern_by_Peter_Nerlich", "glass_texture"),
            ("free_by_Peter_Nerlich", "figurine_lamps"),
            ("friends_by_Aitzol_Berasategi", "dogs"),
            ("greentock_by_Peter_Nerlich", "wall_clock"),
            ("life_by_Aitzol_Berasategi", "stream"),
            ("picosdeeuropa_by_Aitzol_Berasategi", "picos_de_europa"),
            ("seeding_by_Clements_Engelhardt", "dandelions"),
            ("sunset_by_Aitzol_Berasategi", "sunset"),
        ]
    },
    "lomiri-wallpapers-20.04": {
        "usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg": "nuthatch",
    },
    "plasma-workspace-wallpapers": {
        # Each of these ships as 11-12 identical files named by screen size: one is kept.
        f"usr/share/wallpapers/{name}/contents/images/{size}.jpg": short
        for name, size, short in [
            ("BytheWater", "2560x1600", "jetty_boards"),
            ("ColdRipple", "2560x1600", "grey_pier"),
            ("ColorfulCups", "2560x1600", "cups"),
            ("DarkestHour", "2560x1600", "foggy_lake"),
            ("EveningGlow", "2560x1600", "rowing_boats"),
            ("FallenLeaf", "2560x1600", "fallen_leaf"),
            ("Grey", "2560x1600", "grey_facade"),
            ("Kite", "2560x1600", "kite"),
            ("OneStandsOut", "2560x1600", "moss"),
            ("Path", "2560x1600", "forest_path"),
            ("summer_1am", "2560x1600", "summer_lake"),
        ]
    },
}

# Photographs added after the first draw, with their own seeded draw into validation and train
# only: the test split stays as it was, so every number measured on it stays comparable.
ADDED = {
    "lxqt-themes": {
        f"usr/share/lxqt/wallpapers/{name}": short
        for name, short in [
            ("after-the-rain.jpg", "sunset_clouds"),
            ("appleflower.png", "apple_blossom"),
            ("beam.png", "light_beam"),
            ("butterfly.png", "swallowtail"),
            ("Butterfly-Kenneth-Wimer.jpg", "fritillary"),
            ("cloud.png", "cloud_field"),
            ("drop.png", "dew_drop"),
            ("flowers.png", "meadow_flowers"),
            ("fog.jpg", "morning_fog"),
            ("this-is-not-windows.jpg", "green_hills"),
            ("Valendas.png", "valendas"),
        ]
    },
}
ADDED_SEED, N_ADDED_VALIDATION = 1, 4
# What a package's own files say about its photographs' licence beyond debian/copyright.
LICENCE_NOTES = {
    "lxqt-themes": "usr/share/lxqt/wallpapers/License: CC-BY-SA-3.0; photographs credited to "
    "stefonarch (beam, flowers, butterfly, fog, not-windows, appleflower, after-the-rain, drop)",
}

# package -> {glob of paths inside the package: why it is left out}.
EXCLUDED = {
    "lomiri-wallpapers-16.04": {
        "usr/share/backgrounds/umang_by_Abhishek_Mudgal.jpg": "render: colour gradient",
    },
    "lomiri-wallpapers-20.04": {
        "usr/share/backgrounds/Fossa_by_Jasper_Roks.jpg": "artwork: drawn shapes",
        "usr/share/backgrounds/Infinite-Sea_by_Aury88.jpg": "artwork: rendered sky and sea",
        "usr/share/backgrounds/Painting-Colors_by__herobrine7gamer.jpg": "artwork: flat stripes",
    },
    "lxqt-themes": {
        "usr/share/lxqt/wallpapers/*.png": "renders and logos (origami, plasma, triangles, waves)",
        "usr/share/lxqt/wallpapers/*.jpg": "a render (waves-purple-logo)",
    },
    "plasma-workspace-wallpapers": {
        "usr/share/wallpapers/*/contents/screenshot.*": "preview thumbnail of a wallpaper",
        "usr/share/wallpapers/*/contents/images/*": (
            "another screen size of a kept photograph (identical bytes), or a render/drawing: "
            "Altai, Autumn, Canopee, Cascade, Cluster, Elarun, Flow, FlyingKonqui, Honeywave, "
            "IceCold, Kay, Kokkini, MilkyWay, Opal, PastelHills, Patak, SafeLanding, Shell, Volna"
        ),
        "usr/share/wallpapers/*/contents/images_dark/*": "dark variant of a render",
    },
}
# Looked at and left out whole: only renders, logos or drawings.
EXCLUDED_PACKAGES = {
    "lomiri-wallpapers": "the Ubuntu warty/Lomiri default background: a render",
    "ukui-wallpapers": "renders and drawings (calla, city, desert, goldfish, rhythm, ...)",
    "gnome-backgrounds": "renders and patterns (adwaita, blobs, pixels, truchet, ...)",
    "sway-backgrounds": "the sway logo on a drawn background",
    "opencv-doc": "small, heavily compressed JPEGs of unclear licence, and Set14's baboon",
}

# scikit-image's photos, as the built-in sample set uses them: its held-out images go to the
# corpus' test split and its training images to train, so no model trained on the corpus has
# seen an image the sample set holds out.
SKIMAGE = {
    # file in skimage/data: (short name, split)
    "astronaut.png": ("astronaut", "train"),
    "rocket.jpg": ("rocket", "train"),
    "coffee.png": ("coffee", "train"),
    "ihc.png": ("immunohistochemistry", "train"),
    "cell.png": ("cell", "train"),
    "gravel.png": ("gravel", "train"),
    "brick.png": ("brick", "train"),
    "chelsea.png": ("chelsea", "test"),
    "clock_motion.png": ("clock", "test"),
    "hubble_deep_field.jpg": ("hubble_deep_field", "test"),
    "retina.jpg": ("retina", "test"),
    "grass.png": ("grass", "test"),
    "camera.png": ("camera", "test"),
}
SKIMAGE_EXCLUDED = {
    "colorwheel": "synthetic colour wheel, not a photograph",
    "moon.png": "no licence stated by scikit-image",
    "motorcycle_left.png": "no licence stated by scikit-image (Middlebury stereo data)",
}


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def fetch_package(name, version, cache):
    """Downloads `name` (at `version` when given) with apt-get and unpacks it; returns its root."""
    if name in FORBIDDEN_PACKAGES:
        fail(f"{name} is kept aside for an independent check and must not be used")
    cache.mkdir(parents=True, exist_ok=True)
    root = cache / f"{name}_{version or 'current'}"
    if (root / ".complete").exists():
        return root
    spec = f"{name}={version}" if version else name
    debs = set(cache.glob(f"{name}_*.deb"))
    result = subprocess.run(
        ["apt-get", "download", spec], cwd=cache, capture_output=True, text=True
    )
    if result.returncode != 0:
        hint = "run `apt-get update` first" if "Unable to locate" in result.stderr else ""
        fail(f"apt-get download {spec} failed: {result.stderr.strip()[-400:]} {hint}")
    new = sorted(set(cache.glob(f"{name}_*.deb")) - debs) or sorted(cache.glob(f"{name}_*.deb"))
    if not new:
        fail(f"apt-get download {spec} wrote no .deb into {cache}")
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run(["dpkg-deb", "-x", str(new[-1]), str(root)], check=True)
    (root / ".complete").write_text(spec)
    return root


def package_version(deb_root, name):
    """The version apt-get fetched, from the package's changelog (first line)."""
    for log in ("changelog.Debian.gz", "changelog.gz"):
        p = deb_root / "usr/share/doc" / name / log
        if p.exists():
            first = gzip.open(p, "rt").readline()
            return first.split("(", 1)[1].split(")", 1)[0]
    return ""


def licences(deb_root, name):
    """[(file pattern, licence)] from the package's machine-readable copyright file."""
    text = (deb_root / "usr/share/doc" / name / "copyright").read_text(errors="replace")
    out = []
    for stanza in text.split("\n\n"):
        fields, key = {}, None
        for line in stanza.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        if "Files" in fields and "License" in fields:
            for pattern in fields["Files"].split():
                out.append((pattern, fields["License"].split()[0]))
    return out


def licence_of(path, rules):
    """DEP-5: the last stanza whose pattern matches wins. Patterns name paths in the source
    tree, not the installed ones, so a pattern naming one file also matches by base name."""
    found = ""
    for pattern, lic in rules:
        one_file = not any(c in pattern for c in "*?[")
        if (
            pattern == "*"
            or fnmatch.fnmatch(path, pattern)
            or (one_file and Path(pattern).name == Path(path).name)
        ):
            found = lic
    return found


def check_name(short, path, size=None):
    """Refuses a file named like an SR benchmark image, unless `NAMED_LIKE_A_BENCHMARK` says
    (after a look) why it is not one and its `size` (w, h) is far beyond any benchmark image's."""
    for stem in (short.lower(), Path(path).stem.lower().removesuffix("_gt")):
        if stem in BENCHMARK_NAMES or stem.isdigit() or fnmatch.fnmatch(stem, BENCHMARK_PATTERN):
            # Set5/Set14 images are at most 720 px on a side.
            if path in NAMED_LIKE_A_BENCHMARK and size is not None and min(size) >= 1000:
                continue
            fail(f"{path} is named like an SR benchmark image ({stem}): benchmark sets stay out")


def image_size(path):
    from PIL import Image

    with Image.open(path) as im:
        return list(im.size)


def update_manifest(cache):
    """Rewrites the manifest from the selection above (run when the selection changes)."""
    import skimage

    images, excluded, packages = [], [], {}
    _select(PHOTOS, cache, images, excluded, packages)
    for name, reason in EXCLUDED_PACKAGES.items():
        excluded.append({"package": name, "path": "*", "reason": reason})
    # The splits: a seeded draw over the wallpaper photographs, made once.
    order = np.random.default_rng(SPLIT_SEED).permutation(len(images))
    for rank, i in enumerate(order):
        images[i]["split"] = (
            "test" if rank < N_TEST else "validation" if rank < N_TEST + N_VALIDATION else "train"
        )
    # The photographs added later: their own draw, validation and train only.
    added = []
    _select(ADDED, cache, added, excluded, packages)
    order = np.random.default_rng(ADDED_SEED).permutation(len(added))
    for rank, i in enumerate(order):
        added[i]["split"] = "validation" if rank < N_ADDED_VALIDATION else "train"
    images += added
    data_dir = Path(skimage.__file__).parent / "data"
    packages["scikit-image"] = skimage.__version__
    for file_name, (short, split) in SKIMAGE.items():
        file = data_dir / file_name
        images.append(
            {
                "name": short,
                "file": f"{short}{file.suffix.lower()}",
                "source": "scikit-image",
                "package": "scikit-image",
                "version": skimage.__version__,
                "path": f"skimage/data/{file_name}",
                "size": image_size(file),
                "bytes": file.stat().st_size,
                "sha256": sha256(file),
                "licence": _skimage_licence(short),
                "split": split,
            }
        )
    for file_name, reason in SKIMAGE_EXCLUDED.items():
        excluded.append({"package": "scikit-image", "path": file_name, "reason": reason})
    names = [im["file"] for im in images]
    if len(set(names)) != len(names):
        fail("two images share a file name")
    manifest = {
        "description": "Real photographs for training and testing srgan-tf; built by "
        "data/make_photo_corpus.py",
        "split_seed": SPLIT_SEED,
        "packages": packages,
        "splits": _split_summary(images),
        "images": images,
        "excluded": excluded,
    }
    _write_json(MANIFEST, manifest)
    print(f"wrote {MANIFEST}: {len(images)} images, {len(excluded)} exclusions")
    return manifest


def _select(selection, cache, images, excluded, packages):
    """Appends the kept photographs of `selection` ({package: {path: short name}}) to `images`
    and every other picture its `EXCLUDED` globs match to `excluded`, with its reason."""
    for name, photos in selection.items():
        root = fetch_package(name, "", cache)
        version = package_version(root, name)
        packages[name] = version
        rules = licences(root, name)
        for path, short in photos.items():
            file = root / path
            if not file.is_file():
                fail(f"{path} is not in {name} {version}")
            size = image_size(file)
            check_name(short, path, size)
            images.append(
                {
                    "name": short,
                    "file": f"{short}{file.suffix.lower()}",
                    "source": "debian",
                    "package": name,
                    "version": version,
                    "path": path,
                    "size": size,
                    "bytes": file.stat().st_size,
                    "sha256": sha256(file),
                    "licence": licence_of(path, rules),
                    **({"licence_note": LICENCE_NOTES[name]} if name in LICENCE_NOTES else {}),
                }
            )
        kept = set(photos)
        for pattern, reason in EXCLUDED.get(name, {}).items():
            for file in sorted(root.glob(pattern)):
                rel = str(file.relative_to(root))
                if rel not in kept and file.is_file():
                    excluded.append({"package": name, "path": rel, "reason": reason})


def _skimage_licence(short):
    """The licence scikit-image states in the image's docstring (CC0 or public domain)."""
    from skimage import data

    doc = getattr(data, short).__doc__ or ""
    if "CC0" in doc:
        return "CC0-1.0"
    if "public domain" in doc.lower():
        return "public-domain"
    if "No known copyright restrictions" in doc:
        return "no-known-copyright-restrictions"
    fail(f"scikit-image states no licence for {short}")


def _split_summary(images):
    out = {}
    for split in SPLITS:
        chosen = [im for im in images if im["split"] == split]
        mp = sum(im["size"][0] * im["size"][1] for im in chosen) / 1e6
        out[split] = {"photos": len(chosen), "megapixels": round(mp, 1)}
    return out


def _write_json(path, obj):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, indent=1) + "\n")
    os.replace(tmp, path)


def build(out, cache):
    """Copies every manifest image into `out/<split>/` and checks its sha256."""
    import skimage

    manifest = json.loads(MANIFEST.read_text())
    roots = {}
    n = 0
    for im in manifest["images"]:
        if im["source"] == "debian":
            key = im["package"]
            if key not in roots:
                roots[key] = fetch_package(key, im["version"], cache)
            src = roots[key] / im["path"]
        else:
            if skimage.__version__ != im["version"]:
                print(
                    f"note: scikit-image {skimage.__version__} installed, manifest made with "
                    f"{im['version']}; hashes are checked all the same"
                )
            src = Path(skimage.__file__).parent / "data" / Path(im["path"]).name
        if not src.is_file():
            fail(f"{im['path']} not found in {im['package']} {im['version']}")
        digest = sha256(src)
        if digest != im["sha256"]:
            fail(
                f"{im['package']} {im['version']} {im['path']}: sha256 {digest}, manifest "
                f"{im['sha256']}: the package changed; rerun with --update_manifest and recheck"
            )
        dst = out / im["split"] / im["file"]
        dst.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=dst.parent, delete=False, suffix=".part") as f:
            tmp = Path(f.name)
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
        n += 1
    for split, s in manifest["splits"].items():
        print(f"{split}: {s['photos']} photos, {s['megapixels']} MP in {out / split}")
    print(f"{n} images written and checked against {MANIFEST.name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where the corpus is written")
    parser.add_argument(
        "--cache",
        default=str(Path.home() / ".cache" / "srgan_tf" / "debs"),
        help="where the .deb files are downloaded and unpacked",
    )
    parser.add_argument(
        "--update_manifest",
        action="store_true",
        help="rewrite data/photo_corpus.json from the selection in this script, then build",
    )
    args = parser.parse_args()
    if args.update_manifest:
        update_manifest(Path(args.cache))
    build(Path(args.out), Path(args.cache))


if __name__ == "__main__":
    main()
