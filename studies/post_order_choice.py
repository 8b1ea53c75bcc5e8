"""Whether the detail gate should act before or after the back-projection steps, on validation
images only: a quality measurement, not a speed one.

Upscale runs the self-ensemble, then `UPSCALE_BACK_PROJECTION` steps, then the gate. Gating
first and back-projecting the gated output would let the steps restore, where the LR sees it,
the faint detail the gate drops (the gate costs smooth photos most). For every image of the
given folders (default: the photo corpus' validation photos and their stress variants) the
upscale generator's `UPSCALE_SELF_ENSEMBLE`-pass output (paper protocol) is post-processed both
ways at each floor of the grid. Fixed before measuring: the floors 1, 1.5 and 2 grey levels and
the rule: the other order replaces upscale's only if its best setting that passes (every image
above bicubic - 0.1 dB PSNR-Y, no channel mean more than 1 level off) gains at least `MIN_STEP`
dB more on average than upscale's own setting.

    python studies/post_order_choice.py [--g_weights=checkpoints/candidates/standalone/g.weights.h5]
        [--tile=256] [DIR ...]

Prints one row per setting and the verdict; the last line is one JSON object.
"""

import argparse
import json

import numpy as np
import validation_set as vs
from validation_set import BAR

from srgan_tf import inference, weights
from srgan_tf.inference import PostProcessing
from srgan_tf.models import build_generator
from srgan_tf.models.back_projection import BackProjection
from srgan_tf.models.detail_gate import DetailGate
from srgan_tf.modes.defaults import (
    UPSCALE_BACK_PROJECTION,
    UPSCALE_DETAIL_FLOOR,
    UPSCALE_SELF_ENSEMBLE,
)

FLOORS = (1.0, 1.5, 2.0)  # grey levels
ORDERS = ("steps, then gate", "gate, then steps")  # the first is upscale's
MIN_STEP = 0.02  # dB the other order must add


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dirs", nargs="*", default=list(vs.DIRS))
    parser.add_argument("--g_weights", default=str(vs.CHOSEN_WITH))
    parser.add_argument("--tile", type=int, default=0, help="0: whole images")
    args = parser.parse_args()
    g = build_generator()
    weights.load_weights(g, args.g_weights)
    predict = inference.predictor(
        g, PostProcessing(self_ensemble=UPSCALE_SELF_ENSEMBLE)
    )  # upscale's passes
    steps = BackProjection(UPSCALE_BACK_PROJECTION, "paper")
    gates = {f: DetailGate(f) for f in FLOORS}
    settings = {}
    for f in FLOORS:
        settings[(ORDERS[0], f)] = (steps, gates[f])
        settings[(ORDERS[1], f)] = (gates[f], steps)
    paths = vs.paths(args.dirs)
    gains = {s: [] for s in settings}
    colour = {s: [] for s in settings}
    for case in vs.cases(paths):
        sr = inference.upscale(predict, case.lr, args.tile)
        for s, stages in settings.items():
            out = sr[None]
            for stage in stages:
                out = stage([case.lr[None], out])
            p, c = case.score(np.asarray(out)[0])
            gains[s].append(p - case.bicubic)
            colour[s].append(c)
    rows = [{"order": o, "detail_floor": f, **vs.row(gains[(o, f)], colour[(o, f)])}
            for o, f in settings]  # fmt: skip
    shipped = next(r for r in rows
                   if r["order"] == ORDERS[0] and r["detail_floor"] == UPSCALE_DETAIL_FLOOR)  # fmt: skip
    other = max((r for r in rows if r["order"] == ORDERS[1] and r["passes"]),
                key=lambda r: r["mean_gain"], default=None)  # fmt: skip
    switch = bool(other and other["mean_gain"] >= shipped["mean_gain"] + MIN_STEP)
    print(f"{len(paths)} validation images, {UPSCALE_SELF_ENSEMBLE} generator passes, "
          f"{UPSCALE_BACK_PROJECTION} back-projection steps")  # fmt: skip
    print(
        f"| order | floor | mean gain | worst image | images <= {BAR} dB | largest colour offset |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['order']} | {r['detail_floor']:g} | {r['mean_gain']:+.3f} dB | "
              f"{r['worst']:+.3f} dB | {r['below_bar']} | {r['max_colour_offset']:.2f} |")  # fmt: skip
    print("verdict: " + ("gate first" if switch else "upscale's order stays (steps, then gate)"))
    print(json.dumps({"images": len(paths), "rows": rows, "switch": switch}))


if __name__ == "__main__":
    main()
