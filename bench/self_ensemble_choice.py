"""The choice of upscale's self-ensemble (`UPSCALE_SELF_ENSEMBLE`) and the detail gate's floor
with it, on validation images only: a quality measurement, not a speed one.

For every image of the given folders (default: the photo corpus' validation photos and their
stress variants), the upscale generator runs on the 4 orientations of an ensemble of 4 (paper
protocol, tiled); the ensembles of 1, 2 and 4 are the means of their first 1, 2 and 4 turned-back
outputs (`self_ensemble.TRANSFORMS`; tests/test_self_ensemble.py checks that this is what
`self_ensembled` computes), each followed by upscale's back-projection steps and the detail gate
at each floor of the grid. Fixed before measuring: the grid (ensembles of at most 4 passes, so
serving costs at most 4 times a pass; floors 1, 1.5 and 2 grey levels, sigma 1) and the rule:
among the settings with which every image beats bicubic by more than -0.1 dB PSNR-Y with no
channel mean more than 1 level off, the highest mean gain; a larger ensemble only when it gains
at least `MIN_STEP` dB more than the best smaller one (each doubling of the cost must earn it).

    python bench/self_ensemble_choice.py [--g_weights=checkpoints/upscale/g.weights.h5]
        [--tile=0] [DIR ...]

`--tile=0` runs whole images (about twice as fast as tiles of 256, which recompute their
overlap; the same pixels, tests/test_inference.py; about 4.4 GB for the largest validation
photo, 6 megapixels).

Prints one row per setting and the chosen one; the last line is one JSON object.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from srgan_tf import data, inference, weights  # noqa: E402
from srgan_tf.config import DEFAULT_TILE, DataConfig  # noqa: E402
from srgan_tf.data import images, protocols  # noqa: E402
from srgan_tf.evaluation.metrics import all_metrics  # noqa: E402
from srgan_tf.models import build_generator, post_processing, self_ensemble  # noqa: E402
from srgan_tf.modes.defaults import SHIPPED_UPSCALE, UPSCALE_BACK_PROJECTION  # noqa: E402

ENSEMBLES = (1, 2, 4)  # generator passes
FLOORS = (1.0, 1.5, 2.0)  # grey levels
MIN_STEP = 0.02  # dB a larger ensemble must add
BAR = -0.1  # dB against bicubic, every image
MAX_COLOUR = 1.0  # levels


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dirs", nargs="*", default=[
        str(ROOT / "data" / "photo_corpus" / "validation"),
        str(ROOT / "data" / "stress" / "validation"),
    ])  # fmt: skip
    parser.add_argument("--g_weights", default=str(SHIPPED_UPSCALE))
    parser.add_argument("--tile", type=int, default=DEFAULT_TILE, help="0: whole images")
    args = parser.parse_args()
    cfg = DataConfig(protocol="paper")
    g = build_generator()
    weights.load_weights(g, args.g_weights)
    predict = inference.predictor(g)
    posts = {f: post_processing.Post(UPSCALE_BACK_PROJECTION, f, "paper") for f in FLOORS}
    settings = [(n, f) for n in ENSEMBLES for f in FLOORS]
    paths = []
    for d in args.dirs:
        paths += sorted(p for p in Path(d).rglob("*") if p.is_file() and images.is_image_name(p))
    if not paths:
        raise SystemExit(f"no images in {args.dirs}")
    gains = {s: [] for s in settings}
    colour = {s: [] for s in settings}
    for path in tqdm(paths, desc="validation", unit="image"):
        try:
            rgb, _ = images.read_image(path)
        except images.BadImage as e:
            print(f"skipped {e}", file=sys.stderr)
            continue
        lr, hr = data.eval_pair(rgb, cfg)  # read_image gives RGB uint8 whatever the file held
        hr_u8 = images.to_uint8(hr)

        def score(sr, hr=hr, hr_u8=hr_u8):
            m = all_metrics(images.to_uint8(sr), hr_u8, sr, hr, border=cfg.scale)
            return m["psnr_y"], m["colour_offset"]

        base = score(protocols.bicubic_up(lr, cfg.scale))[0]
        turned = []
        for t in self_ensemble.TRANSFORMS[: max(ENSEMBLES)]:
            x = np.asarray(self_ensemble.forward(lr[None], t))[0]
            y = inference.upscale(predict, np.ascontiguousarray(x), cfg.scale, args.tile)
            turned.append(np.asarray(self_ensemble.inverse(y[None], t))[0])
        for n, f in settings:
            p, c = score(posts[f](lr, np.mean(turned[:n], axis=0)))
            gains[(n, f)].append(p - base)
            colour[(n, f)].append(c)
    rows = []
    for n, f in settings:
        g_, c_ = np.array(gains[(n, f)]), np.array(colour[(n, f)])
        rows.append({"self_ensemble": n, "detail_floor": f, "mean_gain": float(g_.mean()),
                     "worst": float(g_.min()), "below_bar": int((g_ <= BAR).sum()),
                     "max_colour_offset": float(c_.max()),
                     "passes": bool(g_.min() > BAR and c_.max() <= MAX_COLOUR)})  # fmt: skip
    chosen = None
    for n in ENSEMBLES:  # cheapest first: a larger ensemble must beat the best so far by MIN_STEP
        ok = [r for r in rows if r["self_ensemble"] == n and r["passes"]]
        best = max(ok, key=lambda r: r["mean_gain"], default=None)
        if best and (chosen is None or best["mean_gain"] >= chosen["mean_gain"] + MIN_STEP):
            chosen = best
    print(f"{len(paths)} validation images, {UPSCALE_BACK_PROJECTION} back-projection steps "
          f"after the ensemble, then the gate")  # fmt: skip
    print(
        "| passes | floor | mean gain | worst image | images <= -0.1 dB | largest colour offset |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['self_ensemble']} | {r['detail_floor']:g} | {r['mean_gain']:+.3f} dB | "
              f"{r['worst']:+.3f} dB | {r['below_bar']} | {r['max_colour_offset']:.2f} |")  # fmt: skip
    print("chosen: " + (f"{chosen['self_ensemble']} passes, floor {chosen['detail_floor']:g}"
                        if chosen else "none passes the bar"))  # fmt: skip
    print(json.dumps({"images": len(paths), "rows": rows, "chosen": chosen}))


if __name__ == "__main__":
    main()
