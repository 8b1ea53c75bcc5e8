"""`srgan-tf upscale` end to end, as a user runs it: a photo in, a PNG out, as a fraction of one
whole-image pass of the generator alone in the same precision, with the peak RSS, a profile of
where the time goes, and a folder of 10 photos against 10 single runs.

    python bench/end_to_end.py [--sizes=1020x678,2040x1356] [--save=end_to_end]

The photos are crops of the photo corpus' validation photographs (`python
data/make_photo_corpus.py`). Each command runs in a fresh process; its start-up (Python,
TensorFlow, the model, the first trace) is measured on a 16x16 image and subtracted. The
reference rate is one whole-image pass of the generator (no tiles, no steps, no gate) on the
1020x678 photo in the same precision, in its own process (2040x1356 whole would need ~32 GB).
The profile runs in this process through the API, with a timer around each stage.

The last line is one JSON object. Never run it while something else trains.
"""

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

_CLI = r"""
import atexit, json, runpy, sys, time
from common import peak_rss_gb
t0 = time.perf_counter()
def done():
    print(json.dumps({"seconds": time.perf_counter() - t0, "peak_rss_gb": peak_rss_gb()}),
          file=sys.stderr)
atexit.register(done)
sys.argv = ["srgan-tf", *sys.argv[1:]]
runpy.run_module("srgan_tf", run_name="__main__")
"""

_WHOLE = r"""
import json, sys, time
import numpy as np, tensorflow as tf
from common import peak_rss_gb
from srgan_tf import inference, pretrained, weights
from srgan_tf.inference import precision as precisions
from srgan_tf.models import build_generator
path, precision = sys.argv[1], sys.argv[2]
with precisions.building(precision):
    g = build_generator()
weights.load_weights(g, pretrained.path("upscale"), log=lambda *_: None)
predict = inference.predictor(g)
x = np.load(path).astype(np.float32) / 127.5 - 1.0
predict(tf.constant(x[None, :64, :64]))
best = 1e9
for _ in range(2):
    t0 = time.perf_counter()
    predict(tf.constant(x[None])).numpy()
    best = min(best, time.perf_counter() - t0)
mp = 16 * x.shape[0] * x.shape[1] / 1e6
print(json.dumps({"output_mp_per_s": mp / best, "seconds": best, "peak_rss_gb": peak_rss_gb()}))
"""


def _json(r: subprocess.CompletedProcess, stream: str = "stdout") -> dict:
    if r.returncode:
        raise RuntimeError(r.stderr[-3000:])
    text = getattr(r, stream)
    return json.loads([ln for ln in text.splitlines() if ln.startswith("{")][-1])


def _cli(*args) -> dict:
    r = subprocess.run([sys.executable, "-c", _CLI, *map(str, args)], capture_output=True,
                       text=True, env=common.child_env())  # fmt: skip
    return _json(r, "stderr")


def _photos(work: Path, sizes: list[tuple[int, int]], count: int = 10) -> dict:
    """`{(w, h): [png paths]}`: centre-ish crops of the validation photographs."""
    import numpy as np
    from PIL import Image

    from srgan_tf.data import images

    sources = [images.read_image(p)[0] for p in common.validation_photos()]
    out = {}
    for w, h in sizes:
        big = [s for s in sources if s.shape[0] >= h and s.shape[1] >= w]
        paths = []
        for i in range(count if (w, h) == sizes[0] else 1):
            s = big[i % len(big)]
            y = (s.shape[0] - h) * (i % 3) // 2 // 1
            y = min(y, s.shape[0] - h)
            x = (s.shape[1] - w) // 2
            path = work / f"photo_{w}x{h}_{i}.png"
            Image.fromarray(np.ascontiguousarray(s[y : y + h, x : x + w])).save(path)
            paths.append(path)
        out[(w, h)] = paths
    return out


def _profile(path: Path, precision: str) -> dict:
    """Seconds per stage of one upscale through the API: read, trunk, tail, steps and gate,
    stitching (the rest of the tiled pass), encode and write."""
    import tensorflow as tf

    from srgan_tf.api import Upscaler
    from srgan_tf.data import images
    from srgan_tf.inference import tiling_core

    up = Upscaler.from_pretrained("upscale", precision=precision)
    up.upscale(images.read_image(path)[0][:64, :64])  # trace
    spent = {"trunk": 0.0, "tail": 0.0, "steps and gate": 0.0}
    tiler = up._predict.tiler

    def timed(name, fn):
        def run(*a):
            t0 = time.perf_counter()
            out = fn(*a)
            tf.nest.map_structure(lambda t: t.numpy(), out)  # wait for it
            spent[name] += time.perf_counter() - t0
            return out

        return run

    tiler._trunk = timed("trunk", tiler._trunk)
    tiler._tail = timed("tail", tiler._tail)
    tiler._post = timed("steps and gate", tiler._post)
    t0 = time.perf_counter()
    rgb, _ = images.read_image(path)
    read = time.perf_counter() - t0
    t0 = time.perf_counter()
    sr = up.upscale(rgb)
    tiled = time.perf_counter() - t0
    work = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    images.write_image(work / "out.png", sr)
    write = time.perf_counter() - t0
    shutil.rmtree(work)
    stitch = tiled - sum(spent.values())
    return {
        "read": read,
        **spent,
        "stitching and the rest": stitch,
        "encode and write": write,
        "tile": tiling_core.auto_tile(*rgb.shape[:2], up._predict.precision, up._predict.context),
    }


def main(argv=None):
    ap = common.parser(__doc__)
    ap.add_argument("--sizes", default="1020x678,2040x1356", help="WxH photos")
    ap.add_argument("--precisions", default="", help="default: float32, and bfloat16 if native")
    args = ap.parse_args(argv)
    import numpy as np

    from srgan_tf.data import images
    from srgan_tf.inference import precision as precisions

    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    chosen = args.precisions.split(",") if args.precisions else (
        ["float32", "bfloat16"] if precisions.native_bf16() else ["float32"])  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="bench_end_to_end_"))
    photos = _photos(work, sizes)
    tiny = work / "tiny.png"
    images.write_image(tiny, np.full((16, 16, 3), 100, np.uint8))
    np.save(work / "ref.npy", images.read_image(photos[sizes[0]][0])[0])
    result = {"sizes": [list(s) for s in sizes], "rows": {}}
    for precision in chosen:
        whole = _json(subprocess.run([sys.executable, "-c", _WHOLE, str(work / "ref.npy"),
                                      precision], capture_output=True, text=True,
                                     env=common.child_env()))  # fmt: skip
        flags = [f"--infer_precision={precision}", "--progress=false", "--overwrite"]
        start = min(_cli("upscale", tiny, f"--output={work / 'o'}", *flags)["seconds"]
                    for _ in range(2))  # fmt: skip
        row = {"whole_pass": whole, "startup_seconds": start}
        for w, h in sizes:
            run = _cli("upscale", photos[(w, h)][0], f"--output={work / 'o'}", *flags)
            mp = 16 * w * h / 1e6
            rate = mp / (run["seconds"] - start)
            row[f"{w}x{h}"] = {**run, "output_mp_per_s": rate,
                               "fraction": rate / whole["output_mp_per_s"],
                               "profile": _profile(photos[(w, h)][0], precision)}  # fmt: skip
            print(f"{precision} {w}x{h}: {rate:.2f} MP/s = "
                  f"{rate / whole['output_mp_per_s']:.0%} of a whole pass "
                  f"({whole['output_mp_per_s']:.2f} MP/s), peak {run['peak_rss_gb']:.2f} GB",
                  flush=True)  # fmt: skip
        folder = work / "folder"
        folder.mkdir(exist_ok=True)
        for p in photos[sizes[0]]:
            shutil.copy(p, folder / p.name)
        run = _cli("upscale", folder, f"--output={work / 'of'}", *flags)
        single = row[f"{sizes[0][0]}x{sizes[0][1]}"]
        per_photo = (run["seconds"] - start) / len(photos[sizes[0]])
        row["folder_of_10"] = {**run, "seconds_per_photo": per_photo,
                               "vs_single": (single["seconds"] - start) / per_photo}  # fmt: skip
        print(
            f"{precision} folder of 10: {per_photo:.1f} s a photo, "
            f"{row['folder_of_10']['vs_single']:.0%} of the single-photo rate",
            flush=True,
        )
        result["rows"][precision] = row
    shutil.rmtree(work, ignore_errors=True)
    common.report(result, args.save)


if __name__ == "__main__":
    main()
