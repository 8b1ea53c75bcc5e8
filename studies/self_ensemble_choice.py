"""The choice of upscale's self-ensemble (`UPSCALE_SELF_ENSEMBLE`) and the detail gate's floor
with it, on validation images only: a quality measurement, not a speed one.

For every image of the given folders (default: the photo corpus' validation photos and their stress
variants), the generator (by default the one the choice was made with,
`validation_set.CHOSEN_WITH`) runs on the 4 orientations of an ensemble of 4 (paper protocol,
tiled); the ensembles of 1, 2 and 4 are the means of their first 1, 2 and 4 turned-back outputs
(`self_ensemble.TRANSFORMS`; tests/test_self_ensemble.py checks that this is what `self_ensembled`
computes), each followed by upscale's back-projection steps and the detail gate at each floor of
the grid. Fixed before measuring: the grid (ensembles of at most 4 passes, so serving costs at most
4 times a pass; floors 1, 1.5 and 2 grey levels, sigma 1) and the rule: among the settings with
which every image beats bicubic by more than -0.1 dB PSNR-Y with no channel mean more than 1 level
off, the highest mean gain; a larger ensemble only when it gains at least `MIN_STEP` dB more than
the best smaller one (each doubling of the cost must earn it).

    python studies/self_ensemble_choice.py [--g_weights=checkpoints/candidates/standalone/g.weights.h5]
        [--tile=0] [DIR ...]

`--tile=0` runs whole images (about twice as fast as tiles of 256, which recompute their
overlap; the same pixels, tests/test_inference.py; about 4.4 GB for the largest validation
photo, 6 megapixels).

Prints one row per setting and the chosen one; the last line is one JSON object.
"""

import argparse
import json

import numpy as np
import validation_set as vs
from validation_set import BAR

from srgan_tf import inference, weights
from srgan_tf.config import DEFAULT_TILE
from srgan_tf.inference import PostProcessing
from srgan_tf.models import build_generator
from srgan_tf.modes.defaults import UPSCALE_BACK_PROJECTION

ENSEMBLES = (1, 2, 4)  # generator passes
FLOORS = (1.0, 1.5, 2.0)  # grey levels
MIN_STEP = 0.02  # dB a larger ensemble must add


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dirs", nargs="*", default=list(vs.DIRS))
    parser.add_argument("--g_weights", default=str(vs.CHOSEN_WITH))
    parser.add_argument("--tile", type=int, default=DEFAULT_TILE, help="0: whole images")
    args = parser.parse_args()
    g = build_generator()
    weights.load_weights(g, args.g_weights)
    predict = inference.predictor(g)
    posts = {f: inference.PostProcessed(g, PostProcessing(self_ensemble=1, back_projection=UPSCALE_BACK_PROJECTION, detail_floor=f))
             for f in FLOORS}  # fmt: skip
    settings = [(n, f) for n in ENSEMBLES for f in FLOORS]
    paths = vs.paths(args.dirs)
    gains = {s: [] for s in settings}
    colour = {s: [] for s in settings}
    for case in vs.cases(paths):
        turned = vs.turned_back(predict, case.lr, max(ENSEMBLES), args.tile)
        for n, f in settings:
            p, c = case.score(posts[f](case.lr, np.mean(turned[:n], axis=0)))
            gains[(n, f)].append(p - case.bicubic)
            colour[(n, f)].append(c)
    rows = [
        {"self_ensemble": n, "detail_floor": f, **vs.row(gains[(n, f)], colour[(n, f)])}
        for n, f in settings
    ]
    chosen = None
    for n in ENSEMBLES:  # cheapest first: a larger ensemble must beat the best so far by MIN_STEP
        ok = [r for r in rows if r["self_ensemble"] == n and r["passes"]]
        best = max(ok, key=lambda r: r["mean_gain"], default=None)
        if best and (chosen is None or best["mean_gain"] >= chosen["mean_gain"] + MIN_STEP):
            chosen = best
    print(f"{len(paths)} validation images, {UPSCALE_BACK_PROJECTION} back-projection steps "
          f"after the ensemble, then the gate")  # fmt: skip
    print(
        f"| passes | floor | mean gain | worst image | images <= {BAR} dB | largest colour offset |"
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
