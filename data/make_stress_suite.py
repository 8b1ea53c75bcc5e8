"""Builds the stress suite: hard colours and tones made from the photo corpus' held-out photos.

    python data/make_stress_suite.py        # -> data/stress/{validation,test}/<transform>/*.png

Each validation and test photograph of `data/photo_corpus/` (never a training one) is cut to
its centre square of `CROP` pixels, and the HR square is transformed before any LR is made:

| transform     | what it does to the HR                                                   |
|---------------|--------------------------------------------------------------------------|
| original      | nothing (the reference row)                                              |
| saturated     | HSV saturation x1.8, clipped at full                                     |
| hue_plus120   | hue rotated by +120 degrees                                              |
| hue_minus120  | hue rotated by -120 degrees                                              |
| dark          | gamma 2.0 (x ** 2 on [0, 1])                                             |
| bright        | gamma 0.5 (x ** 0.5)                                                     |
| defocus       | a disk blur of radius 4 px (sigma 2 px), as an out-of-focus lens          |
| grayscale     | BT.601 luma in all three channels                                        |
| noise         | Gaussian sensor noise, sigma 3 levels, seeded per image                   |

plus `charts/`: synthetic colour charts, a grid of patches each holding a smooth gradient
between two fully saturated primaries or secondaries, with sharp edges between patches (seeded;
the validation and test charts differ), and `fields/`: synthetic smooth tones, a few slow
colour waves across the square (one plain, one stretched until channels clip at black and full
over large areas, one dark), the skies, studio backdrops, out-of-focus backgrounds and medical
images where bicubic is already near 60 dB PSNR-Y and any error a generator adds shows. Every
file is a PNG, the same bytes on every run.

The validation images may choose settings and snapshots; the test images only report. Score a
split like any benchmark folder (one row per transform):

    python main.py --mode=evaluate --split=none --protocol=paper --data_dir=data/stress/test
"""

import argparse
import hashlib
import json
import zlib
from pathlib import Path

import numpy as np

from srgan_tf.data import images  # the installed package (pip install -e .)

HERE = Path(__file__).resolve().parent


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


SPLITS = ("validation", "test")  # never train
CROP = 512  # HR side: 128x128 LR, big enough for texture, small enough to score quickly
SEED = 20
N_CHARTS = 3
FIELDS = ("plain", "clipped", "dark")  # one smooth field of each kind per split
_SATURATED = np.array(
    [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 0]], np.float64
)  # the primaries and secondaries


def _hsv_adjust(x, saturation=1.0, hue_turn=0.0):
    from skimage.color import hsv2rgb, rgb2hsv

    hsv = rgb2hsv(x)
    hsv[..., 1] = np.clip(hsv[..., 1] * saturation, 0.0, 1.0)
    hsv[..., 0] = (hsv[..., 0] + hue_turn) % 1.0
    return hsv2rgb(hsv)


def _disk_blur(x, radius=4):
    from scipy.ndimage import convolve

    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    disk = (yy**2 + xx**2 <= radius**2).astype(np.float64)
    disk /= disk.sum()
    return np.stack([convolve(x[..., c], disk, mode="reflect") for c in range(3)], axis=-1)


def _luma(x):
    y = x @ np.array([0.299, 0.587, 0.114])
    return np.repeat(y[..., None], 3, axis=-1)


def transforms(rng_for):
    """`{name: f(x in [0, 1], image name) -> x in [0, 1]}`; `rng_for(name)` seeds the noise."""
    return {
        "original": lambda x, _: x,
        "saturated": lambda x, _: _hsv_adjust(x, saturation=1.8),
        "hue_plus120": lambda x, _: _hsv_adjust(x, hue_turn=1 / 3),
        "hue_minus120": lambda x, _: _hsv_adjust(x, hue_turn=-1 / 3),
        "dark": lambda x, _: x**2.0,
        "bright": lambda x, _: x**0.5,
        "defocus": lambda x, _: _disk_blur(x),
        "grayscale": lambda x, _: _luma(x),
        "noise": lambda x, name: x + rng_for(name).normal(0.0, 3.0 / 255.0, x.shape),
    }


def colour_chart(rng, size=CROP, grid=4):
    """A `grid` x `grid` chart of smooth gradients between saturated colours, sharp edges."""
    side = size // grid
    t = np.linspace(0.0, 1.0, side)
    chart = np.zeros((size, size, 3))
    for i in range(grid):
        for j in range(grid):
            a, b = _SATURATED[rng.choice(6, size=2, replace=False)]
            ramp = t[:, None] if rng.random() < 0.5 else t[None, :]
            ramp = np.broadcast_to(ramp, (side, side))[..., None]
            chart[i * side : (i + 1) * side, j * side : (j + 1) * side] = a + (b - a) * ramp
    return chart


def smooth_field(rng, kind, size=CROP, waves=4):
    """A smooth colour field: per channel, `waves` plane waves of 0.5 to 3 cycles per square.

    kind: "plain" (spans [0.1, 0.9]), "clipped" (stretched x3 about mid-grey, so every channel
    sits at 0 or 1 over large areas with kinks where it clips), "dark" (plain, then gamma 2.2).
    """
    yy, xx = np.mgrid[0:size, 0:size] / size
    field = np.zeros((size, size, 3))
    for c in range(3):
        for _ in range(waves):
            fy, fx = rng.uniform(0.5, 3.0, 2) * rng.choice([-1.0, 1.0], 2)
            field[..., c] += rng.uniform(0.3, 1.0) * np.sin(
                2 * np.pi * (fy * yy + fx * xx) + rng.uniform(0, 2 * np.pi)
            )
        field[..., c] -= field[..., c].min()
        field[..., c] /= field[..., c].max()
    if kind == "plain":
        return 0.1 + 0.8 * field
    if kind == "clipped":
        return np.clip(0.5 + 3.0 * (field - 0.5), 0.0, 1.0)
    if kind == "dark":
        return (0.1 + 0.8 * field) ** 2.2
    raise ValueError(f"unknown field kind {kind!r}; expected one of {FIELDS}")


def _to_u8(x):
    return np.round(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)


def build(corpus: Path, out: Path, log=print) -> dict:
    """Writes the suite under `out` from the photos of `corpus`; returns the manifest."""
    manifest = {"description": __doc__.split("\n")[0], "crop": CROP, "seed": SEED, "files": {}}
    for split_index, split in enumerate(SPLITS):
        photos = sorted(p for p in (corpus / split).iterdir() if images.is_image_name(p))
        if not photos:
            raise SystemExit(f"no photos in {corpus / split}: run python data/make_photo_corpus.py")

        def rng_for(name, _split=split_index):
            return np.random.default_rng([SEED, _split, zlib.crc32(name.encode())])

        for path in photos:
            rgb, _ = images.read_image(path)
            h, w = rgb.shape[:2]
            side = min(CROP, h, w)
            y, x = (h - side) // 2, (w - side) // 2
            square = rgb[y : y + side, x : x + side].astype(np.float64) / 255.0
            for name, fn in transforms(rng_for).items():
                target = out / split / name / f"{path.stem}.png"
                images.write_image(target, _to_u8(fn(square, path.stem)))
                manifest["files"][str(target.relative_to(out))] = _sha256(target)
        charts = np.random.default_rng([SEED, split_index, 99])
        for k in range(N_CHARTS):
            target = out / split / "charts" / f"chart_{k}.png"
            images.write_image(target, _to_u8(colour_chart(charts)))
            manifest["files"][str(target.relative_to(out))] = _sha256(target)
        fields = np.random.default_rng([SEED, split_index, 98])
        for kind in FIELDS:
            target = out / split / "fields" / f"field_{kind}.png"
            images.write_image(target, _to_u8(smooth_field(fields, kind)))
            manifest["files"][str(target.relative_to(out))] = _sha256(target)
        log(
            f"{split}: {len(photos)} photos x {len(transforms(rng_for))} transforms"
            f" + {N_CHARTS} charts + {len(FIELDS)} fields"
        )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=HERE / "photo_corpus")
    parser.add_argument("--out", type=Path, default=HERE / "stress")
    args = parser.parse_args()
    build(args.corpus, args.out)
    print(f"Stress suite in {args.out}")


if __name__ == "__main__":
    main()
