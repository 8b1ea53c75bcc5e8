"""docs/upscale.md's two test tables, rendered from the `results.json` that evaluate wrote.

    python docs/upscale_tables.py photos RESULTS_JSON    # the per-photo table
    python docs/upscale_tables.py stress RESULTS_JSON    # one row per stress transform

RESULTS_JSON is from `--mode=evaluate --split=none --protocol=paper` of one generator with
upscale's post-processing flags (the command above each table in docs/upscale.md); the model
without a `+` (`upscale`) is the generator alone, the one with a post-processing label
(`upscale+x4+bp2+gate1.5`) what upscale ships. Printed as markdown, so no figure is typed by
hand; tests/test_demo.py re-measures the photo rows.
"""

import json
import sys
from pathlib import Path

import numpy as np


def _columns(results):
    """`(alone, shipped)` model names of the evaluation."""
    models = {key.split("/", 1)[0] for key in results["images"]} - {"bicubic"}
    alone = [m for m in models if "+" not in m]
    if (
        len(alone) != 1
        or models != {alone[0], *(m for m in models if m.startswith(alone[0] + "+"))}
        or len(models) != 2
    ):
        raise SystemExit(
            f"expected one generator and its post-processed column, found {sorted(models)}"
        )
    return alone[0], next(m for m in models if m != alone[0])


def _rows(results, cls):
    """`[(stem, bicubic, alone, shipped, colour offset as shipped)]` of one class."""
    alone, shipped = _columns(results)
    images = results["images"]
    out = []
    for b, a, s in zip(
        images[f"bicubic/{cls}"], images[f"{alone}/{cls}"], images[f"{shipped}/{cls}"]
    ):
        assert b["image"] == a["image"] == s["image"]
        stem = Path(s["image"]).stem
        out.append((stem, b["psnr_y"], a["psnr_y"], s["psnr_y"], s["colour_offset"]))
    return out


def photos(results):
    """The per-photo table (class `test`), in the evaluation's order, and its mean row."""
    rows = _rows(results, "test")
    lines = [
        "| test photo | bicubic | generator alone | as upscale ships it | gain | colour offset |",
        "|---|---|---|---|---|---|",
    ]
    for stem, b, a, s, c in rows:
        lines.append(f"| {stem} | {b:.2f} | {a:.2f} | {s:.2f} | **{s - b:+.2f}** | {c:.2f} |")
    b, a, s = (np.mean([r[i] for r in rows]) for i in (1, 2, 3))
    c = max(r[4] for r in rows)
    lines.append(
        f"| **mean of {len(rows)}** | {b:.2f} | {a:.2f} | {s:.2f} | **{s - b:+.2f}** | max {c:.2f} |"
    )
    return "\n".join(lines)


def stress(results):
    """One row per stress transform (class): bicubic, the mean gains, the worst image and the
    largest colour offset as shipped."""
    classes = sorted({key.split("/", 1)[1] for key in results["images"]})
    lines = [
        "| stress transform | images | bicubic | gain alone | gain as upscale ships it "
        "| worst image, as shipped | largest colour offset, as shipped |",
        "|---|---|---|---|---|---|---|",
    ]
    for cls in classes:
        rows = _rows(results, cls)
        b = np.mean([r[1] for r in rows])
        alone = np.mean([r[2] - r[1] for r in rows])
        shipped = np.mean([r[3] - r[1] for r in rows])
        worst = min(rows, key=lambda r: r[3] - r[1])
        cast = max(rows, key=lambda r: r[4])
        lines.append(
            f"| {cls} | {len(rows)} | {b:.2f} | {alone:+.2f} | {shipped:+.2f} "
            f"| {worst[0]} {worst[3] - worst[1]:+.3f} | {cast[4]:.2f} ({cast[0]}) |"
        )
    every = [r for cls in classes for r in _rows(results, cls)]
    worst = min(every, key=lambda r: r[3] - r[1])
    cast = max(every, key=lambda r: r[4])
    lines.append(
        f"\n{len(every)} images; worst as shipped {worst[0]} {worst[3] - worst[1]:+.3f} dB; "
        f"largest colour offset {cast[4]:.2f} ({cast[0]}); mean gain as shipped "
        f"{np.mean([r[3] - r[1] for r in every]):+.2f} dB, alone "
        f"{np.mean([r[2] - r[1] for r in every]):+.2f} dB"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("photos", "stress"):
        raise SystemExit(__doc__)
    path = Path(sys.argv[2])
    if not path.is_file():
        raise SystemExit(f"{path}: no such results.json")
    results = json.loads(path.read_text())
    print(photos(results) if sys.argv[1] == "photos" else stress(results))
