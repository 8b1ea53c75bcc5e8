"""Inference speed and memory: output megapixels per second and peak RSS, float32 and bfloat16.

Each precision runs in its own process so its peak RSS is its own. Default input: 2040x1356
(DIV2K-sized LR), output 8160x5424, through tiled inference.

    python bench/inference.py [--width=2040 --height=1356 --tile=256 --precisions=float32,mixed_bfloat16]

The last line is one JSON object.
"""

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(precision, width, height, tile):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(ROOT))
    import keras
    import numpy as np

    keras.mixed_precision.set_global_policy(precision)
    from srgan_tf import inference
    from srgan_tf.models import build_generator

    predict = inference.predictor(build_generator())
    lr = np.random.default_rng(0).uniform(-1, 1, (height, width, 3)).astype(np.float32)
    inference.upscale(predict, lr[:tile, :tile], tile=tile)  # warm-up (tracing)
    t0 = time.perf_counter()
    out = inference.upscale(predict, lr, tile=tile, to_uint8=True)
    seconds = time.perf_counter() - t0
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    mp = out.shape[0] * out.shape[1] / 1e6
    print(
        json.dumps(
            {
                "precision": precision,
                "seconds": round(seconds, 2),
                "output_mp_per_s": round(mp / seconds, 4),
                "peak_rss_gb": round(rss_gb, 2),
                "output": list(out.shape),
            }
        )
    )


def main():
    args = dict(a.lstrip("-").split("=", 1) for a in sys.argv[1:] if "=" in a)
    width, height = int(args.get("width", 2040)), int(args.get("height", 1356))
    tile = int(args.get("tile", 256))
    if "child" in args:
        return child(args["child"], width, height, tile)
    results = []
    for precision in args.get("precisions", "float32,mixed_bfloat16").split(","):
        cmd = [
            sys.executable,
            __file__,
            f"--child={precision}",
            f"--width={width}",
            f"--height={height}",
            f"--tile={tile}",
        ]
        line = (
            subprocess.run(cmd, capture_output=True, text=True, check=True)
            .stdout.strip()
            .splitlines()[-1]
        )
        r = json.loads(line)
        results.append(r)
        print(
            f"{precision:>15}: {r['output_mp_per_s']:.3f} output MP/s, {r['seconds']:.1f} s, peak RSS {r['peak_rss_gb']:.2f} GB, output {r['output']}"
        )
    print(json.dumps({"input": [height, width], "tile": tile, "results": results}))


if __name__ == "__main__":
    main()
