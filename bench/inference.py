"""Inference speed and memory: output megapixels per second and peak RSS, float32 and bfloat16,
and the same side by side with the tensorlayer reference.

Each precision runs in its own process so its peak RSS is its own. Default input: 2040x1356
(DIV2K-sized LR), output 8160x5424, through tiled inference.

Side by side: one `--compare_size` square LR image (default 256), the port
(`inference.predictor`, traced; tiled with `--compare_tile`, whole with 0, the default)
alternating with tensorlayer's generator called eagerly in float32 on the whole image, as the
reference's `evaluate()` does; medians over `--rounds`, and the ratio.

    python bench/inference.py [--width=2040 --height=1356 --tile=256 --precisions=float32,mixed_bfloat16]
    python bench/inference.py --tiles=256,384,512,640,768 --precisions=float32   # tile table

With `--tiles`, upscale's default path (`--shipped`'s) runs with each tile size in its own
process per precision, and the rule that picks `srgan_tf.config.DEFAULT_TILE` names its tile:
written before the tiling core's first measurement (docs/performance.md, "Tiles"), the fastest
float32 tile whose peak RSS stays at most 1.6 GB (issue 32's bound is 2 GB for this very
image; the rest is room for a larger photo's output), the smallest of those within 5% of it.

    python bench/inference.py --shipped --width=1020 --height=678 --save=inference_shipped
    python bench/inference.py --fraction --width=340 --height=256 --repeats=3 --save=inference_fraction

With `--shipped`, what `upscale` runs by default (the generator self-ensembled over
`UPSCALE_SELF_ENSEMBLE` passes, `UPSCALE_BACK_PROJECTION` steps and the detail gate, tiled,
float32) and the generator alone, each in its own process on the same image: the default's
cost as a ratio to one raw pass, and both peak RSS.

With `--fraction`, the default path (what `upscale` runs: tiled, with its post-processing) as a
fraction of one whole-image float32 pass of the generator alone on the same image and machine,
float32 and, where the CPU has native bfloat16 (AVX512_BF16 or AMX), bfloat16 beside it.

The last line is one JSON object.
"""

import argparse
import json
import subprocess
import sys
import time

import common

from srgan_tf.config import DEFAULT_TILE


def child(precision, width, height, tile, shipped=False, repeats=1):
    import keras
    import numpy as np

    keras.mixed_precision.set_global_policy(precision)
    from srgan_tf import inference
    from srgan_tf.models import build_generator
    from srgan_tf.modes import defaults

    if shipped:  # what `upscale` runs when no flag says otherwise
        predict = inference.predictor(build_generator(), defaults.post_processing("upscale"))
    else:
        predict = inference.predictor(build_generator())
    lr = np.random.default_rng(0).uniform(-1, 1, (height, width, 3)).astype(np.float32)
    warm = tile or 64
    inference.upscale(predict, lr[:warm, :warm], tile=tile)  # warm-up (tracing)
    seconds = float("inf")
    for _ in range(repeats):  # the fastest of `repeats` runs
        t0 = time.perf_counter()
        out = inference.upscale(predict, lr, tile=tile, to_uint8=True)
        seconds = min(seconds, time.perf_counter() - t0)
    rss_gb = common.peak_rss_gb()
    mp = out.shape[0] * out.shape[1] / 1e6
    print(
        json.dumps(
            {
                "precision": precision,
                "shipped": shipped,
                "seconds": round(seconds, 2),
                "output_mp_per_s": round(mp / seconds, 4),
                "peak_rss_gb": round(rss_gb, 2),
                "output": list(out.shape),
            }
        )
    )


def compare(precision, size, rounds, tile=0):
    """The port (tiled with `tile`, or whole with 0) and the tensorlayer reference (whole, as
    its evaluate() runs) alternating on one image; prints one JSON line."""
    import statistics

    import keras
    import numpy as np

    from srgan_tf import inference
    from srgan_tf.models import build_generator

    ref = common.reference("tl_reference").get_G((1, None, None, 3))
    ref.eval()
    keras.mixed_precision.set_global_policy(precision)
    predict = inference.predictor(build_generator())
    lr = np.random.default_rng(0).uniform(-1, 1, (size, size, 3)).astype(np.float32)

    def port():
        return inference.upscale(predict, lr, tile=tile)

    def reference():
        return ref(lr[None]).numpy()[0]

    port(), reference()  # warm-up
    times = {"port": [], "reference": []}
    for _ in range(rounds):
        for name, fn in (("port", port), ("reference", reference)):
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    mp = (4 * size) ** 2 / 1e6
    port_rate = mp / statistics.median(times["port"])
    ref_rate = mp / statistics.median(times["reference"])
    print(
        json.dumps(
            {
                "precision": precision,
                "lr_size": size,
                "port_tile": tile,
                "port_output_mp_per_s": round(port_rate, 4),
                "reference_output_mp_per_s": round(ref_rate, 4),
                "ratio": round(port_rate / ref_rate, 3),
            }
        )
    )


def _child_json(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def shipped_cost(width, height, tile, save):
    """`upscale`'s default path and the raw generator, float32, tiled, each in its own process."""
    from srgan_tf.modes import defaults

    base = [sys.executable, __file__, "--child=float32", f"--width={width}",
            f"--height={height}", f"--tile={tile}"]  # fmt: skip
    raw = _child_json(base)
    shipped = _child_json([*base, "--child_shipped"])
    for r in (raw, shipped):
        print(f"{'shipped' if r['shipped'] else 'raw':>8}: {r['output_mp_per_s']:.3f} output "
              f"MP/s, {r['seconds']:.1f} s, peak RSS {r['peak_rss_gb']:.2f} GB")  # fmt: skip
    cost = raw["output_mp_per_s"] / shipped["output_mp_per_s"]
    print(f"upscale's default costs {cost:.2f}x a raw generator pass")
    common.report({
        "input": [height, width], "tile": tile, "raw": raw, "shipped": shipped,
        "cost": round(cost, 3),
        "post_processing": {"self_ensemble": defaults.UPSCALE_SELF_ENSEMBLE,
                            "back_projection": defaults.UPSCALE_BACK_PROJECTION,
                            "detail_floor": defaults.UPSCALE_DETAIL_FLOOR},
    }, save)  # fmt: skip


def default_fraction(width, height, tile, repeats, save):
    """The default path's output rate as a fraction of one whole-image float32 pass of the
    same generator on the same machine (the yardstick), and with bfloat16 where the CPU runs it
    natively; each in its own process (its own peak RSS), the fastest of `repeats` runs."""
    from srgan_tf.inference.precision import native_bf16
    from srgan_tf.modes import defaults

    def run(precision, t, shipped):
        cmd = [sys.executable, __file__, f"--child={precision}", f"--width={width}",
               f"--height={height}", f"--tile={t}", f"--repeats={repeats}"]  # fmt: skip
        return _child_json(cmd + (["--child_shipped"] if shipped else []))

    rows = {"whole float32 pass": run("float32", 0, False),
            "default path, float32": run("float32", tile, True)}  # fmt: skip
    if native_bf16():
        rows["default path, bfloat16"] = run("mixed_bfloat16", tile, True)
        rows["whole bfloat16 pass"] = run("mixed_bfloat16", 0, False)
    base = rows["whole float32 pass"]["output_mp_per_s"]
    for name, r in rows.items():
        r["fraction"] = round(r["output_mp_per_s"] / base, 3)
        print(f"{name:>24}: {r['output_mp_per_s']:.3f} output MP/s ({r['fraction']:.0%} of one "
              f"whole float32 pass), {r['seconds']:.2f} s, peak RSS {r['peak_rss_gb']:.2f} GB")  # fmt: skip
    common.report({"input": [height, width], "tile": tile, "repeats": repeats, "rows": rows,
                   "native_bf16": native_bf16(),
                   "post_processing": defaults.post_processing("upscale").to_dict()}, save)  # fmt: skip


def main(argv=None):
    ap = common.parser(__doc__)
    ap.add_argument("--width", type=int, default=2040, help="LR width of the tiled run")
    ap.add_argument("--height", type=int, default=1356, help="LR height of the tiled run")
    ap.add_argument("--tile", type=int, default=DEFAULT_TILE, help="tile of the tiled run")
    ap.add_argument("--tiles", default="", help="comma-separated tiles: the tile-size table")
    ap.add_argument("--precisions", default="float32,mixed_bfloat16")
    ap.add_argument("--compare_size", type=int, default=256, help="side-by-side LR square side")
    ap.add_argument(
        "--compare_tile", type=int, default=0, help="port's tile side by side (0: whole)"
    )
    ap.add_argument("--rounds", type=int, default=3, help="side-by-side alternating rounds")
    ap.add_argument("--shipped", action="store_true", help="upscale's default path vs. raw")
    ap.add_argument(
        "--fraction", action="store_true", help="the default path as a fraction of a whole pass"
    )
    ap.add_argument("--repeats", type=int, default=1, help="runs per measurement (fastest kept)")
    ap.add_argument("--child", default="", help=argparse.SUPPRESS)
    ap.add_argument("--child_shipped", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--compare_child", default="", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    width, height, tile = args.width, args.height, args.tile
    size, rounds = args.compare_size, args.rounds
    if args.child:
        return child(args.child, width, height, tile, args.child_shipped, args.repeats)
    if args.fraction:
        return default_fraction(width, height, tile, args.repeats, args.save)
    if args.shipped:
        return shipped_cost(width, height, tile, args.save)
    if args.compare_child:
        return compare(args.compare_child, size, rounds, args.compare_tile)
    results = []
    tiles = [int(t) for t in (args.tiles or str(tile)).split(",")]
    precisions = args.precisions.split(",")
    for precision in precisions:
        for t in tiles:
            cmd = [
                sys.executable,
                __file__,
                f"--child={precision}",
                f"--width={width}",
                f"--height={height}",
                f"--tile={t}",
            ]
            r = {"tile": t, **_child_json(cmd + (["--child_shipped"] if len(tiles) > 1 else []))}
            results.append(r)
            print(
                f"{precision:>15} tile {t:>4}: {r['output_mp_per_s']:.3f} output MP/s, "
                f"{r['seconds']:.1f} s, peak RSS {r['peak_rss_gb']:.2f} GB, output {r['output']}"
            )
    if len(tiles) > 1:
        # The rule, fixed before measuring (docs/performance.md, "Tiles").
        fits = [r for r in results if r["precision"] == "float32" and r["peak_rss_gb"] <= 1.6]
        if fits:
            fastest = max(r["output_mp_per_s"] for r in fits)
            near = [r for r in fits if r["output_mp_per_s"] >= 0.95 * fastest]
            best = min(near, key=lambda r: r["tile"])
            print(
                f"the rule's tile (fastest float32 at <= 1.6 GB, smallest within 5%): "
                f"{best['tile']}"
            )
    side_by_side = []
    for precision in precisions:
        if len(tiles) > 1:
            break  # the table only
        r = _child_json(
            [
                sys.executable,
                __file__,
                f"--compare_child={precision}",
                f"--compare_size={size}",
                f"--rounds={rounds}",
                f"--compare_tile={args.compare_tile}",
            ]
        )
        side_by_side.append(r)
        print(
            f"{precision:>15} vs reference, {size}x{size} (port tile {r['port_tile'] or 'none'}): port "
            f"{r['port_output_mp_per_s']:.3f} MP/s, reference (float32, eager) "
            f"{r['reference_output_mp_per_s']:.3f} MP/s, ratio {r['ratio']:.2f}x"
        )
    result = {
        "input": [height, width],
        "tile": tile,
        "results": results,
        "side_by_side": side_by_side,
    }
    common.report(result, args.save)


if __name__ == "__main__":
    main()
