"""Serving's memory as a formula: the default export's peak RSS per request size and signature,
each request in a fresh process that imports only TensorFlow, and oversized files refused.

    python bench/serving_memory.py [--sizes=1,4,16] [--save=serving_memory]

1. `srgan-tf --mode=export` with every default (the shipped upscale generator, its steps and
   gate, tiles of 512, the default `max_pixels`), once.
2. For each size (input megapixels, 4:3 photos of random pixels, the worst case for PNG) and
   each signature (`serving_default`: a uint8 array; `encoded`: the PNG file): a fresh process
   loads the model, serves a 64x64 image (loading and tracing), records its RSS (the fixed
   part), serves the photo once and records the peak RSS and the time.
3. A PNG, JPEG, BMP and GIF declaring more pixels than `max_pixels` through `encoded`: each
   must be refused (InvalidArgument) with the peak of a small image: never decoded.

The last line is one JSON object; the fit `peak = fixed + k * output bytes` and the table go
to docs/serving.md. Never run it while something else trains.
"""

import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import common

_SERVE = r"""
import json, sys, time
import numpy as np, tensorflow as tf
from common import peak_rss_gb as rss
path, inp, signature = sys.argv[1], sys.argv[2], sys.argv[3]
m = tf.saved_model.load(path)
f = m.signatures[signature]
small = np.zeros((1, 64, 64, 3), np.uint8)
if signature == "encoded":
    f(image_bytes=tf.constant([tf.io.encode_png(small[0]).numpy()]))
else:
    f(images=tf.constant(small))
fixed = rss()
data = open(inp, "rb").read() if signature == "encoded" else np.load(inp)
t0 = time.perf_counter()
try:
    if signature == "encoded":
        out = f(image_bytes=tf.constant([data]))["png_bytes"].numpy()
        shape = list(tf.io.decode_png(out[0]).shape)
    else:
        shape = list(f(images=tf.constant(data))["sr_images"].shape)
    error = ""
except tf.errors.InvalidArgumentError as e:
    lines = str(e.message).splitlines()
    shape, error = [], next((ln for ln in lines if "too large" in ln), lines[0])[:200]
print(json.dumps({"fixed_gb": fixed, "peak_gb": rss(), "seconds": time.perf_counter() - t0,
                  "output_shape": shape, "refused": error}))
"""


def _run(*args):
    r = subprocess.run([sys.executable, "-c", _SERVE, *map(str, args)], capture_output=True,
                       text=True, env=common.child_env())  # fmt: skip
    if r.returncode:
        raise RuntimeError(r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def _photo(megapixels, rng):
    import numpy as np

    h = int(round((megapixels * 1e6 * 3 / 4) ** 0.5))
    w = int(round(megapixels * 1e6 / h))
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def _oversized(work, pixels):
    """Files that declare `pixels` (more than max_pixels) in their headers, flat, small."""
    import numpy as np
    from PIL import Image

    h = int(pixels**0.5) + 1
    flat = Image.fromarray(np.full((h, h, 3), 90, np.uint8))
    files = {}
    for fmt, ext in (("PNG", "png"), ("JPEG", "jpg"), ("BMP", "bmp"), ("GIF", "gif")):
        buf = io.BytesIO()
        flat.save(buf, format=fmt)
        files[ext] = work / f"oversized.{ext}"
        files[ext].write_bytes(buf.getvalue())
    return files


def main(argv=None):
    ap = common.parser(__doc__)
    ap.add_argument("--sizes", default="1,4,16", help="input megapixels, comma-separated")
    args = ap.parse_args(argv)
    import numpy as np
    from PIL import Image

    from srgan_tf.config import DEFAULT_MAX_PIXELS

    work = Path(tempfile.mkdtemp(prefix="bench_serving_memory_"))
    r = subprocess.run([sys.executable, "-m", "srgan_tf", "--mode=export", "--version=1",
                        f"--export_dir={work / 'srgan'}", "--progress=false"],
                       capture_output=True, text=True)  # fmt: skip
    if r.returncode:
        raise RuntimeError(f"the default export failed:\n{r.stderr[-2000:]}")
    model = work / "srgan" / "1"
    rng = np.random.default_rng(0)
    rows = []
    for mp in (float(s) for s in args.sizes.split(",")):
        photo = _photo(mp, rng)
        np.save(work / "photo.npy", photo[None])
        Image.fromarray(photo).save(work / "photo.png", compress_level=1)
        for signature, inp in (("serving_default", "photo.npy"), ("encoded", "photo.png")):
            run = _run(model, work / inp, signature)
            out_bytes = 16 * photo.shape[0] * photo.shape[1] * 3
            rows.append({"megapixels": mp, "signature": signature, "output_gb": out_bytes / 2**30,
                         **run})  # fmt: skip
            print(f"{mp:g} MP {signature}: fixed {run['fixed_gb']:.2f} GB, peak "
                  f"{run['peak_gb']:.2f} GB, output {out_bytes / 2**30:.2f} GB, "
                  f"{run['seconds']:.0f} s", flush=True)  # fmt: skip
    refused = {}
    for ext, path in _oversized(work, DEFAULT_MAX_PIXELS * 1.25).items():
        refused[ext] = _run(model, path, "encoded")
        print(f"oversized {ext}: refused={bool(refused[ext]['refused'])} peak "
              f"{refused[ext]['peak_gb']:.2f} GB", flush=True)  # fmt: skip
    fits = {}
    for signature in ("serving_default", "encoded"):
        sel = [x for x in rows if x["signature"] == signature]
        k, fixed = np.polyfit([x["output_gb"] for x in sel], [x["peak_gb"] for x in sel], 1)
        fits[signature] = {"fixed_gb": float(fixed), "output_copies": float(k)}
    common.report({"rows": rows, "refused": refused, "fit": fits,
                   "max_pixels": DEFAULT_MAX_PIXELS}, args.save)  # fmt: skip


if __name__ == "__main__":
    main()
