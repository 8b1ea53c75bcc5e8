"""The memory model behind `--tile` auto (srgan_tf/inference/tiling_core.py, `auto_tile`): the peak
RSS of upscale's default path on one tile of T x T input pixels, per precision, and its fit
`peak = fixed + per_pixel * T^2` (the output buffer, 48 bytes per input pixel in uint8, is
counted apart, as `auto_tile` counts it).

    python bench/tile_memory.py [--sides=256,512,768,1024] [--save=tile_memory]

Each side and precision runs in a fresh process on a photo crop (the photo corpus' largest
validation photo) that is exactly one tile. The fit is a bound, not an average: its slope is
the least-squares one, its intercept raised until no measured tile lies above the line (the
allocator's peaks do not grow smoothly with the tile). The last line is one JSON object; the
fitted constants are what `tiling_core.TILE_MEMORY` holds. `--refit=NAME` fits the rows of a saved
result again without measuring. Never run it while something else trains.
"""

import json
import subprocess
import sys

import common

_CHILD = r"""
import json, sys
from common import peak_rss_gb
from srgan_tf.api import Upscaler
from srgan_tf.data import images
path, side, precision = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rgb = images.read_image(path)[0][:side, :side]
up = Upscaler.from_pretrained("upscale", precision=precision, tile=side)
up.upscale(rgb)
print(json.dumps({"peak_rss_gb": peak_rss_gb(),
                  "output_gb": 48 * rgb.shape[0] * rgb.shape[1] / 2**30}))
"""


def main(argv=None):
    ap = common.parser(__doc__)
    ap.add_argument("--sides", default="256,512,768,1024")
    ap.add_argument("--precisions", default="float32,bfloat16")
    ap.add_argument("--refit", default="", help="fit bench/results/REFIT.json's rows again")
    args = ap.parse_args(argv)
    if args.refit:
        saved = json.loads((common.RESULTS / f"{args.refit}.json").read_text())
        saved.pop("machine", None)
        common.report({**saved, "fit": fit(saved["rows"])}, args.save)
        return

    photo = max(common.validation_photos(), key=lambda p: p.stat().st_size)
    rows = []
    for precision in args.precisions.split(","):
        for side in (int(s) for s in args.sides.split(",")):
            r = subprocess.run([sys.executable, "-c", _CHILD, str(photo), str(side), precision],
                               capture_output=True, text=True, env=common.child_env())  # fmt: skip
            if r.returncode:
                raise RuntimeError(r.stderr[-2000:])
            out = json.loads(r.stdout.strip().splitlines()[-1])
            row = {"precision": precision, "side": side, **out}
            rows.append(row)
            print(f"{precision} tile {side}: peak {out['peak_rss_gb']:.2f} GB", flush=True)
    common.report({"photo": photo.name, "rows": rows, "fit": fit(rows)}, args.save)


def fit(rows: list[dict]) -> dict:
    """`{precision: {fixed_gb, bytes_per_pixel}}`: per precision, peak less output against the
    tile's area, a line no measured tile lies above."""
    import numpy as np

    fits = {}
    for precision in dict.fromkeys(r["precision"] for r in rows):
        sel = [r for r in rows if r["precision"] == precision]
        x = np.array([r["side"] ** 2 for r in sel], float)
        y = np.array([r["peak_rss_gb"] - r["output_gb"] for r in sel])
        slope = float(np.polyfit(x, y, 1)[0])
        fixed = float(np.max(y - slope * x))
        fits[precision] = {"fixed_gb": fixed, "bytes_per_pixel": slope * 2**30}
    return fits


if __name__ == "__main__":
    main()
