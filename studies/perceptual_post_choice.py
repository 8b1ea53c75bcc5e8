"""Rule 2 of docs/perceptual.md: which post-processing the perceptual generator ships with.

On the validation photos alone (the photo corpus' 8, whole, paper protocol, as the run
validated them), the generator is scored with none, 2 back-projection steps, and 2 steps with
the 1.5-level detail gate (upscale's default); the shipped upscale generator as upscale runs it
is scored beside them for reference (its NIQE is the default's, the bar's other end). Kept: the
lowest mean NIQE among the settings that pass rule 1's guards (mean PSNR-Y gain >= +0.5 dB,
every photo above bicubic - 0.5 dB, no channel mean more than 1 level off).

    python studies/perceptual_post_choice.py [--g_weights=runs/perceptual/srgan/g_best.weights.h5]
        [--save=studies/results/perceptual_post_choice.json]

The test split chooses nothing.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAL = ROOT / "data" / "photo_corpus" / "validation"
MIN_MEAN_GAIN, MIN_GAIN, MAX_COLOUR = 0.5, -0.5, 1.0  # rule 1's guards
SETTINGS = {"none": (0, 0.0), "+bp2": (2, 0.0), "+bp2+gate1.5": (2, 1.5)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--g_weights", default=str(ROOT / "runs/perceptual/srgan/g_best.weights.h5"))
    ap.add_argument("--save", default="")
    args = ap.parse_args(argv)
    from srgan_tf import pretrained, weights
    from srgan_tf.atomic import write_text
    from srgan_tf.config import DataConfig
    from srgan_tf.inference import PostProcessing
    from srgan_tf.models import build_generator
    from srgan_tf.modes import defaults
    from srgan_tf.training.validation import Validator

    if not Path(args.g_weights).is_file():
        sys.exit(f"{args.g_weights}: no such generator file")
    cfg = DataConfig(protocol="paper")
    rows = {}

    def score(name, file, post):
        g = build_generator()
        weights.load_weights(g, file, log=lambda *_: None)
        v = Validator(str(VAL), cfg, crop=0, protocols=["paper"], post=post, niqe=True,
                      log=lambda *_: None)  # fmt: skip
        r = v(g)
        r["passes"] = bool(r["psnr_y_gain"] >= MIN_MEAN_GAIN and r["min_psnr_y_gain"] >= MIN_GAIN
                           and r["max_colour_offset"] <= MAX_COLOUR)  # fmt: skip
        rows[name] = r
        print(f"{name}: NIQE {r['niqe']:.3f} (bicubic {r['niqe_bicubic']:.3f}, HR "
              f"{r['niqe_hr']:.3f}), PSNR-Y gain {r['psnr_y_gain']:+.3f} dB (worst "
              f"{r['min_psnr_y_gain']:+.3f}), colour {r['max_colour_offset']:.2f}"
              f"{'' if r['passes'] else ', fails the guards'}", flush=True)  # fmt: skip

    for name, (steps, floor) in SETTINGS.items():
        score(name, args.g_weights, PostProcessing(back_projection=steps, detail_floor=floor))
    shipped = defaults.post_processing("upscale")
    score(f"shipped upscale{shipped.label}", pretrained.path("upscale"), shipped)
    passing = [n for n in SETTINGS if rows[n]["passes"]]
    chosen = min(passing, key=lambda n: rows[n]["niqe"]) if passing else None
    print(f"chosen: {chosen}")
    result = {"g_weights": str(args.g_weights), "rows": rows, "chosen": chosen,
              "guards": {"min_mean_gain": MIN_MEAN_GAIN, "min_gain": MIN_GAIN,
                         "max_colour": MAX_COLOUR}}  # fmt: skip
    if args.save:
        write_text(Path(args.save), json.dumps(result, indent=1) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
