"""The choice of the detail gate's floor and window (`UPSCALE_DETAIL_FLOOR`, `detail_gate.SIGMA`),
on validation images only: a quality measurement, not a speed one.

For every image of the given folders (default: the photo corpus' validation photos and their stress
variants), the generator (by default the one the choice was made with,
`validation_set.CHOSEN_WITH`) runs once with upscale's back-projection steps (paper protocol,
tiled); then each (sigma, floor) of the grid fixed before measuring gates it. The rule: among the
settings with which every image beats bicubic by more than -0.1 dB PSNR-Y with no channel mean more
than 1 level off, the highest mean gain; `steps only` is the reference row.

    python studies/detail_gate_choice.py [--g_weights=checkpoints/candidates/standalone/g.weights.h5] [DIR ...]

Prints one row per setting (mean gain, worst image, images below -0.1 dB, largest colour
offset) and the chosen one; the last line is one JSON object.
"""

import argparse
import json

import validation_set as vs
from validation_set import BAR

from srgan_tf import inference, weights
from srgan_tf.inference import PostProcessing
from srgan_tf.models import build_generator
from srgan_tf.models.detail_gate import DetailGate
from srgan_tf.modes.defaults import UPSCALE_BACK_PROJECTION

FLOORS = (0.5, 1.0, 1.5, 2.0)  # grey levels
SIGMAS = (1.0, 2.0)  # HR pixels


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dirs", nargs="*", default=list(vs.DIRS))
    parser.add_argument("--g_weights", default=str(vs.CHOSEN_WITH))
    args = parser.parse_args()
    g = build_generator()
    weights.load_weights(g, args.g_weights)
    predict = inference.predictor(g, PostProcessing(back_projection=UPSCALE_BACK_PROJECTION))
    gates = {(s, f): DetailGate(f, s) for s in SIGMAS for f in FLOORS}
    paths = vs.paths(args.dirs)
    names = ["steps only", *(f"sigma {s:g}, floor {f:g}" for s, f in gates)]
    gains = {n: [] for n in names}
    colour = {n: [] for n in names}
    for case in vs.cases(paths):
        lr = case.lr
        sr = inference.upscale(predict, lr)
        outputs = {"steps only": sr}
        for (s, f), gate in gates.items():
            outputs[f"sigma {s:g}, floor {f:g}"] = gate([lr[None], sr[None]]).numpy()[0]
        for n, out in outputs.items():
            p, c = case.score(out)
            gains[n].append(p - case.bicubic)
            colour[n].append(c)
    rows, chosen = [], None
    for n in names:
        rows.append({"setting": n, **vs.row(gains[n], colour[n])})
        if (
            n != "steps only"
            and rows[-1]["passes"]
            and (chosen is None or rows[-1]["mean_gain"] > chosen["mean_gain"])
        ):
            chosen = rows[-1]
    print(f"{len(paths)} validation images, {UPSCALE_BACK_PROJECTION} back-projection steps first")
    print(f"| setting | mean gain | worst image | images <= {BAR} dB | largest colour offset |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['setting']} | {r['mean_gain']:+.3f} dB | {r['worst']:+.2f} dB | "
              f"{r['below_bar']} | {r['max_colour_offset']:.2f} |")  # fmt: skip
    print(f"chosen: {chosen['setting'] if chosen else 'none passes the bar'}")
    print(json.dumps({"images": len(paths), "rows": rows, "chosen": chosen}))


if __name__ == "__main__":
    main()
