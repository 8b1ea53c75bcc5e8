"""bfloat16 against float32 on the validation images, as upscale runs the shipped generator.

The rule (issue 32, fixed before measuring): upscale may run bfloat16 where the CPU computes
it natively only if, on the 86 validation images (the corpus' validation photos and their
stress variants, paper protocol, one pass, the 2 steps and the gate), it changes the mean
PSNR-Y by at most 0.02 dB and no image by more than 0.1 dB.

    python bench/bf16_quality.py [--save=bf16_quality]

runs `--mode=evaluate` twice (`--infer_precision=float32`, then `bfloat16`; about 4 minutes
each on 2 cores) and compares the post-processed column image by image. The last line is
one JSON object.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import common
import numpy as np

DIRS = "data/photo_corpus/validation,data/stress/validation"
MEAN_LIMIT, IMAGE_LIMIT = 0.02, 0.1  # dB


def evaluate(precision: str, out: Path) -> dict:
    cmd = [sys.executable, str(common.ROOT / "main.py"), "--mode=evaluate", "--split=none",
           "--protocol=paper", f"--data_dir={DIRS}", "--checkpoint_dir=none",
           "--g_weights=upscale", f"--infer_precision={precision}",
           f"--output={out}", "--progress=false"]  # fmt: skip
    subprocess.run(cmd, check=True, cwd=common.ROOT, capture_output=True)
    return json.loads((out / "results.json").read_text())["images"]


def compare(f32: dict, bf16: dict) -> dict:
    """Per image of the post-processed column: the PSNR-Y change, and both gains."""
    column = next(k.split("/")[0] for k in f32 if "+" in k.split("/")[0])
    change, gains = [], {"float32": [], "bfloat16": []}
    for key in (k for k in f32 if k.split("/")[0] == column):
        bicubic = {r["image"]: r["psnr_y"] for r in f32["bicubic/" + key.split("/", 1)[1]]}
        for a, b in zip(f32[key], bf16[key], strict=True):
            change.append(b["psnr_y"] - a["psnr_y"])
            gains["float32"].append(a["psnr_y"] - bicubic[a["image"]])
            gains["bfloat16"].append(b["psnr_y"] - bicubic[b["image"]])
    change = np.array(change)
    result = {
        "column": column,
        "images": len(change),
        "mean_change_db": round(float(change.mean()), 4),
        "max_abs_change_db": round(float(np.abs(change).max()), 4),
        **{f"mean_gain_{p}": round(float(np.mean(g)), 3) for p, g in gains.items()},
    }
    result["passes"] = bool(
        abs(result["mean_change_db"]) <= MEAN_LIMIT and result["max_abs_change_db"] <= IMAGE_LIMIT
    )
    return result


def main(argv=None):
    ap = common.parser(__doc__)
    ap.add_argument("--from_dirs", nargs=2, default=None, metavar=("F32_DIR", "BF16_DIR"),
                    help="compare two evaluate outputs made already with the commands above")  # fmt: skip
    args = ap.parse_args(argv)
    if args.from_dirs:
        f32, bf16 = (json.loads((Path(d) / "results.json").read_text())["images"]
                     for d in args.from_dirs)  # fmt: skip
    else:
        work = Path(tempfile.mkdtemp(prefix="bf16_quality_"))
        f32, bf16 = evaluate("float32", work / "f32"), evaluate("bfloat16", work / "bf16")
    result = compare(f32, bf16)
    print(f"{result['images']} images: mean PSNR-Y change {result['mean_change_db']:+.4f} dB, "
          f"largest {result['max_abs_change_db']:.4f} dB: "
          f"{'passes' if result['passes'] else 'fails'} the rule")  # fmt: skip
    common.report(result, args.save)


if __name__ == "__main__":
    main()
