"""The choice of the detail gate's floor and window (`UPSCALE_DETAIL_FLOOR`, `detail_gate.SIGMA`),
on validation images only: a quality measurement, not a speed one.

For every image of the given folders (default: the photo corpus' validation photos and their
stress variants), the upscale generator runs once with upscale's back-projection steps (paper
protocol, tiled); then each (sigma, floor) of the grid fixed before measuring gates it. The
rule: among the settings with which every image beats bicubic by more than -0.1 dB PSNR-Y with
no channel mean more than 1 level off, the highest mean gain; `steps only` is the reference row.

    python bench/detail_gate_choice.py [--g_weights=checkpoints/upscale/g.weights.h5] [DIR ...]

Prints one row per setting (mean gain, worst image, images below -0.1 dB, largest colour
offset) and the chosen one; the last line is one JSON object.
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
from srgan_tf.config import DataConfig  # noqa: E402
from srgan_tf.data import images, protocols  # noqa: E402
from srgan_tf.evaluation.metrics import all_metrics  # noqa: E402
from srgan_tf.models import build_generator  # noqa: E402
from srgan_tf.models.detail_gate import DetailGate  # noqa: E402
from srgan_tf.modes.defaults import SHIPPED_UPSCALE, UPSCALE_BACK_PROJECTION  # noqa: E402

FLOORS = (0.5, 1.0, 1.5, 2.0)  # grey levels
SIGMAS = (1.0, 2.0)  # HR pixels
BAR = -0.1  # dB against bicubic, every image
MAX_COLOUR = 1.0  # levels


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dirs", nargs="*", default=[
        str(ROOT / "data" / "photo_corpus" / "validation"),
        str(ROOT / "data" / "stress" / "validation"),
    ])  # fmt: skip
    parser.add_argument("--g_weights", default=str(SHIPPED_UPSCALE))
    args = parser.parse_args()
    cfg = DataConfig(protocol="paper")
    g = build_generator()
    weights.load_weights(g, args.g_weights)
    predict = inference.predictor(g, UPSCALE_BACK_PROJECTION, "paper")
    gates = {(s, f): DetailGate(f, s) for s in SIGMAS for f in FLOORS}
    paths = []
    for d in args.dirs:
        paths += sorted(p for p in Path(d).rglob("*") if p.is_file() and images.is_image_name(p))
    if not paths:
        raise SystemExit(f"no images in {args.dirs}")
    names = ["steps only", *(f"sigma {s:g}, floor {f:g}" for s, f in gates)]
    gains = {n: [] for n in names}
    colour = {n: [] for n in names}
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
        sr = inference.upscale(predict, lr, cfg.scale)
        outputs = {"steps only": sr}
        for (s, f), gate in gates.items():
            outputs[f"sigma {s:g}, floor {f:g}"] = gate([lr[None], sr[None]]).numpy()[0]
        for n, out in outputs.items():
            p, c = score(out)
            gains[n].append(p - base)
            colour[n].append(c)
    rows, chosen = [], None
    for n in names:
        g_, c_ = np.array(gains[n]), np.array(colour[n])
        passes = bool(g_.min() > BAR and c_.max() <= MAX_COLOUR)
        rows.append({"setting": n, "mean_gain": float(g_.mean()), "worst": float(g_.min()),
                     "below_bar": int((g_ <= BAR).sum()), "max_colour_offset": float(c_.max()),
                     "passes": passes})  # fmt: skip
        if n != "steps only" and passes and (chosen is None or g_.mean() > chosen["mean_gain"]):
            chosen = rows[-1]
    print(f"{len(paths)} validation images, {UPSCALE_BACK_PROJECTION} back-projection steps first")
    print("| setting | mean gain | worst image | images <= -0.1 dB | largest colour offset |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['setting']} | {r['mean_gain']:+.3f} dB | {r['worst']:+.2f} dB | "
              f"{r['below_bar']} | {r['max_colour_offset']:.2f} |")  # fmt: skip
    print(f"chosen: {chosen['setting'] if chosen else 'none passes the bar'}")
    print(json.dumps({"images": len(paths), "rows": rows, "chosen": chosen}))


if __name__ == "__main__":
    main()
