"""Serving memory and speed: the exported SavedModel and TFLite file, each in a fresh process.

1. Tiled SavedModel: a fresh process that imports only TensorFlow loads the export and serves
   one `--width` x `--height` uint8 image (default 2040x1356) through `serving_default`; its
   peak RSS and time are reported, and its output is compared with the Python tiled upscale
   (`srgan_tf.inference.upscale`, computed in another process).
2. Untiled: the same generator exported with one tile as large as the image (what the export
   did before tiling), on a `--untiled_width` x `--untiled_height` image (a whole 2040x1356
   pass needs ~32 GB, more than this machine has); its peak RSS per input pixel, extrapolated.
3. TFLite float32 and float16 files: size and the time of one 128x128 input, beside the
   SavedModel's time for the same input.

    python bench/serving.py [--g_weights=srgan_tf/pretrained/demo/g.weights.h5 --tile=256]
    python bench/serving.py --default_export --width=1020 --height=680 --repeats=3

With `--default_export`: `python main.py --mode=export` as a user runs it (the shipped
generator and upscale's post-processing), one photo through it in fresh processes: the peak
RSS of each (serving's memory bound) and the time.

The last line is one JSON object. Never run it while something else trains: the numbers are
this machine's.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import common

from srgan_tf.config import DEFAULT_TILE

_SERVE = """
import json, sys, time
import numpy as np, tensorflow as tf
from common import peak_rss_gb
path, inp, out, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
m = tf.saved_model.load(path)
x = np.load(inp)
f = m.signatures["serving_default"]
f(images=tf.constant(x[:, :64, :64]))  # warm-up: loading and tracing
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    y = f(images=tf.constant(x))["sr_images"].numpy()
    times.append(time.perf_counter() - t0)
if out != "-":
    np.save(out, y)
rss = peak_rss_gb()
mods = sorted({k.split(".")[0] for k in sys.modules} & {"srgan_tf"})
print(json.dumps({"seconds": min(times), "peak_rss_gb": rss, "srgan_tf_imported": bool(mods)}))
"""

_TFLITE = """
import json, sys, time
import numpy as np
from ai_edge_litert.interpreter import Interpreter
path, size, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
it = Interpreter(model_path=path, num_threads=2)
inp = it.get_input_details()[0]
it.resize_tensor_input(inp["index"], [1, size, size, 3])
it.allocate_tensors()
x = np.random.default_rng(0).uniform(-1, 1, (1, size, size, 3)).astype(np.float32)
times = []
for _ in range(repeats + 1):
    it.set_tensor(inp["index"], x)
    t0 = time.perf_counter()
    it.invoke()
    times.append(time.perf_counter() - t0)
print(json.dumps({"seconds": min(times[1:])}))
"""

_PYTHON_TILED = """
import sys
import numpy as np
from srgan_tf import inference, weights
from srgan_tf.models import build_generator
g = build_generator()
if sys.argv[1]:
    weights.load_weights(g, sys.argv[1], log=lambda *_: None)
x = np.load(sys.argv[2])[0]
y = inference.upscale(inference.predictor(g), x.astype(np.float32) / 127.5 - 1.0,
                      tile=int(sys.argv[4]), to_uint8=True)
np.save(sys.argv[3], y)
"""


def _run(code, *args):
    r = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                       text=True, env=common.child_env())  # fmt: skip
    if r.returncode:
        raise RuntimeError(r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {}


def default_export(width, height, repeats, save):
    """`python main.py --mode=export` with every default, then one `width` x `height` uint8
    photo through its `serving_default` in a fresh process importing only TensorFlow, `repeats`
    times: peak RSS and the fastest time."""
    import numpy as np

    work = Path(tempfile.mkdtemp(prefix="bench_default_export_"))
    r = subprocess.run([sys.executable, str(common.ROOT / "main.py"), "--mode=export",
                        f"--export_dir={work / 'srgan'}", "--version=1", "--progress=false"],
                       capture_output=True, text=True)  # fmt: skip
    if r.returncode:
        raise RuntimeError(f"the default export failed:\n{r.stderr[-2000:]}")
    photo = np.random.default_rng(0).integers(0, 256, (1, height, width, 3), dtype=np.uint8)
    np.save(work / "photo.npy", photo)
    runs = [_run(_SERVE, work / "srgan" / "1", work / "photo.npy", "-", 1) for _ in range(repeats)]
    peaks = [run["peak_rss_gb"] for run in runs]
    print(f"default export, one {width}x{height} photo: peak RSS {min(peaks):.2f} to "
          f"{max(peaks):.2f} GB over {repeats} fresh processes, "
          f"{min(run['seconds'] for run in runs):.1f} s")  # fmt: skip
    common.report({"input": [height, width], "export": r.stdout.strip().splitlines(),
                   "runs": runs}, save)  # fmt: skip


def main(argv=None):
    ap = common.parser(__doc__)
    ap.add_argument("--width", type=int, default=2040, help="width of the served image")
    ap.add_argument("--height", type=int, default=1356, help="height of the served image")
    ap.add_argument("--untiled_width", type=int, default=512, help="width of the untiled run")
    ap.add_argument("--untiled_height", type=int, default=340, help="height of the untiled run")
    ap.add_argument("--tile", type=int, default=DEFAULT_TILE, help="tile baked into the export")
    ap.add_argument("--g_weights", default="demo", help="a shipped name or a weight file")
    ap.add_argument(
        "--default_export", action="store_true", help="serve one photo through the default export"
    )
    ap.add_argument("--repeats", type=int, default=3, help="fresh processes (--default_export)")
    args = ap.parse_args(argv)
    if args.default_export:
        return default_export(args.width, args.height, args.repeats, args.save)
    width, height, uw, uh = args.width, args.height, args.untiled_width, args.untiled_height
    tile, g_weights = args.tile, args.g_weights
    import numpy as np

    from srgan_tf import pretrained, weights
    from srgan_tf.inference import export
    from srgan_tf.models import build_generator

    g_weights = pretrained.resolve(g_weights)
    g = build_generator()
    weights.load_weights(g, g_weights, log=lambda *_: None)
    work = Path(tempfile.mkdtemp(prefix="bench_serving_"))
    tiled = export.export_saved_model(g, work / "tiled", tile=tile, max_pixels=10**9)
    untiled = export.export_saved_model(g, work / "untiled", tile=10**6, max_pixels=10**9)
    rng = np.random.default_rng(0)
    big = rng.integers(0, 256, (1, height, width, 3), dtype=np.uint8)
    np.save(work / "big.npy", big)

    served = _run(_SERVE, tiled, work / "big.npy", work / "served.npy", 1)
    _run(_PYTHON_TILED, g_weights, work / "big.npy", work / "python.npy", tile)
    diff = int(
        np.abs(np.load(work / "served.npy")[0].astype(int) - np.load(work / "python.npy")).max()
    )
    small = big[:, :uh, :uw]
    np.save(work / "small.npy", small)
    untiled_small = _run(_SERVE, untiled, work / "small.npy", "-", 1)
    tiled_small = _run(_SERVE, tiled, work / "small.npy", "-", 1)
    # The process's fixed cost (TensorFlow, the loaded SavedModel, the 64x64 warm-up), measured
    # on a 64x64 request and taken out before the per-pixel figure is extrapolated.
    np.save(work / "tiny.npy", big[:, :64, :64])
    baseline = _run(_SERVE, untiled, work / "tiny.npy", "-", 1)["peak_rss_gb"]
    per_px = max(untiled_small["peak_rss_gb"] - baseline, 0.0) / (uw * uh - 64 * 64)
    result = {
        "input": [height, width],
        "tile": tile,
        "tiled": {**served, "max_abs_diff_vs_python_tiled_upscale": diff},
        "untiled_small": {"input": [uh, uw], **untiled_small},
        "tiled_small": {"input": [uh, uw], **tiled_small},
        "baseline_rss_gb": round(baseline, 2),
        "untiled_kb_per_input_pixel": round(per_px * 2**20, 2),
        "untiled_extrapolated_gb": round(baseline + per_px * width * height, 1),
    }
    print(f"tiled SavedModel, {width}x{height} in a fresh TensorFlow-only process: peak RSS "
          f"{served['peak_rss_gb']:.2f} GB, {served['seconds']:.1f} s, max |diff| vs the Python "
          f"tiled upscale {diff} levels")  # fmt: skip
    print(f"untiled (one tile), {uw}x{uh}: peak RSS {untiled_small['peak_rss_gb']:.2f} GB "
          f"(tiled: {tiled_small['peak_rss_gb']:.2f} GB; a 64x64 request: {baseline:.2f} GB): "
          f"{result['untiled_kb_per_input_pixel']} KB per input pixel, so about "
          f"{result['untiled_extrapolated_gb']} GB at {width}x{height}")  # fmt: skip

    tfl = {}
    x128 = rng.integers(0, 256, (1, 128, 128, 3), dtype=np.uint8)
    np.save(work / "x128.npy", x128)
    tfl["saved_model_128_seconds"] = _run(_SERVE, tiled, work / "x128.npy", "-", 5)["seconds"]
    for fp16 in (False, True):
        path = export.export_tflite(g, work / f"g_{'fp16' if fp16 else 'fp32'}.tflite", fp16)
        timing = _run(_TFLITE, path, 128, 5)
        key = "tflite_fp16" if fp16 else "tflite_fp32"
        tfl[key] = {"mb": round(path.stat().st_size / 2**20, 2), "seconds_128": timing["seconds"]}
        print(f"{key}: {tfl[key]['mb']} MB, one 128x128 input {timing['seconds'] * 1000:.0f} ms "
              f"(SavedModel {tfl['saved_model_128_seconds'] * 1000:.0f} ms)")  # fmt: skip
    result["tflite"] = tfl
    common.report(result, args.save)


if __name__ == "__main__":
    main()
