"""The PNG level `upscale` writes with, by the rule of docs/performance.md ("Writing the
output"): the fastest zlib level whose files are at most 10% larger than level 6's.

    python bench/png_level.py [--save=png_level]

On the 8 validation photos of the photo corpus (`python data/make_photo_corpus.py`), centre
crops of 512x512 upscaled by the shipped generator as `upscale` runs it, each output encoded
and written at every level 0-9, three times (the fastest kept). The last line is one JSON
object. Never run it while something else trains.
"""

import io
import time
from pathlib import Path

import common

MAX_GROWTH = 1.10  # at most 10% larger than level 6's files, in total


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    from PIL import Image

    from srgan_tf.api import Upscaler
    from srgan_tf.data import images

    paths = common.validation_photos()
    if len(paths) != 8:
        raise SystemExit(f"{common.VALIDATION}: expected the 8 validation photos, found "
                         f"{len(paths)}; run python data/make_photo_corpus.py")  # fmt: skip
    upscaler = Upscaler.from_pretrained("upscale")
    outputs = []
    for path in paths:
        rgb, _ = images.read_image(path)
        h, w = rgb.shape[:2]
        crop = rgb[(h - 512) // 2 : (h + 512) // 2, (w - 512) // 2 : (w + 512) // 2]
        outputs.append(upscaler.upscale(crop))
    work = Path(common.ROOT / "bench" / ".png_level")
    work.mkdir(exist_ok=True)
    levels = {}
    for level in range(10):
        size, seconds = 0, 0.0
        for i, out in enumerate(outputs):
            best = None
            for _ in range(3):
                t0 = time.perf_counter()
                buf = io.BytesIO()
                Image.fromarray(out).save(buf, format="PNG", compress_level=level)
                (work / f"{i}.png").write_bytes(buf.getvalue())
                best = min(best or 1e9, time.perf_counter() - t0)
            size += len(buf.getvalue())
            seconds += best
        levels[level] = {"bytes": size, "seconds": seconds,
                         "output_mp_per_s": len(outputs) * 2048 * 2048 / 1e6 / seconds}  # fmt: skip
        print(f"level {level}: {size / 2**20:.1f} MB, {seconds:.2f} s", flush=True)
    allowed = [lv for lv, r in levels.items() if r["bytes"] <= MAX_GROWTH * levels[6]["bytes"]]
    chosen = min(allowed, key=lambda lv: levels[lv]["seconds"])
    for f in work.iterdir():
        f.unlink()
    work.rmdir()
    common.report({"levels": levels, "chosen": chosen, "precision": upscaler.precision,
                   "images": [p.name for p in paths], "max_growth": MAX_GROWTH}, args.save)  # fmt: skip


if __name__ == "__main__":
    main()
