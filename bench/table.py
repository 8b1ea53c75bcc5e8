"""docs/performance.md's benchmark table, rendered from the results the benchmarks saved.

Each benchmark run with `--save NAME` keeps its final JSON object as `bench/results/NAME.json`,
with the machine it ran on. This script turns those files into the table between the
`<!-- bench table -->` markers of docs/performance.md, so no figure there is typed by hand:

    python bench/train_speed.py --step=init --precision=mixed_bfloat16 --save=init_bf16
    python bench/train_speed.py --step=init --precision=float32 --rss_batch=0 --save=init_fp32
    python bench/train_speed.py --step=adversarial --precision=mixed_bfloat16 --rounds=2 --steps=1 --save=adversarial_bf16
    python bench/inference.py --save=inference
    python bench/data_throughput.py --save=data_throughput
    python bench/inference.py --shipped --width=1020 --height=678 --save=inference_shipped
    python bench/inference.py --fraction --width=340 --height=256 --repeats=3 --save=inference_fraction
    python bench/inference.py --shipped --width=2040 --height=1356 --save=inference_shipped_large
    python bench/serving.py --default_export --width=1020 --height=680 --repeats=3 --save=serving_default
    python bench/bf16_quality.py --save=bf16_quality
    python bench/serving_memory.py --sizes=1,4,15.9 --save=serving_memory
    python bench/table.py            # rewrite the table; --check: exit 1 if it differs (or a
                                     # result is missing or names no CPU)

It also writes README's sentence on speed (between `<!-- bench summary -->` markers).
tests/test_docs.py checks that both are this rendering of the committed results.
"""

import json
import sys
from pathlib import Path

import common

DOC = common.ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench table -->", "<!-- end bench table -->"
README = common.ROOT / "README.md"
SUMMARY = "<!-- bench summary -->", "<!-- end bench summary -->"

# name of the results file -> the command that writes it (shown in the table)
COMMANDS = {
    "init_bf16": "python bench/train_speed.py --step=init --precision=mixed_bfloat16 --save=init_bf16",
    "init_fp32": "python bench/train_speed.py --step=init --precision=float32 --rss_batch=0 --save=init_fp32",
    "adversarial_bf16": "python bench/train_speed.py --step=adversarial --precision=mixed_bfloat16 --rounds=2 --steps=1 --save=adversarial_bf16",
    "inference": "python bench/inference.py --save=inference",
    "data_throughput": "python bench/data_throughput.py --save=data_throughput",
    "inference_shipped": "python bench/inference.py --shipped --width=1020 --height=678 --save=inference_shipped",
    "inference_fraction": "python bench/inference.py --fraction --width=340 --height=256 --repeats=3 --save=inference_fraction",
    "inference_shipped_large": "python bench/inference.py --shipped --width=2040 --height=1356 --save=inference_shipped_large",
    "bf16_quality": "python bench/bf16_quality.py --save=bf16_quality",
    "serving_default": "python bench/serving.py --default_export --width=1020 --height=680 --repeats=3 --save=serving_default",
    "serving_memory": "python bench/serving_memory.py --sizes=1,4,15.9 --save=serving_memory",
    "end_to_end": "python bench/end_to_end.py --save=end_to_end",
    "tile_memory": "python bench/tile_memory.py --save=tile_memory",
    "png_level": "python bench/png_level.py --save=png_level",
    "tile_identity": "python bench/tile_identity.py --save=tile_identity",
}


def load(results: Path = common.RESULTS) -> dict:
    found = {}
    for name in COMMANDS:
        path = results / f"{name}.json"
        if path.is_file():
            found[name] = json.loads(path.read_text())
    return found


def _speed_row(what, name, r, unit, target=""):
    ratio = f"**{r['ratio']:.2f}x**"
    if r.get("ceiling_ratio"):
        ratio += (f" (ceiling {r['ceiling_ratio']:.2f}x; the port at "
                  f"{100 * r['port_fraction_of_peak']:.0f}% of the conv peak)")  # fmt: skip
    return (what, name, f"{r['port_patches_per_s']:.2f} {unit}",
            f"{r['reference_patches_per_s']:.2f} {unit}", ratio, target)  # fmt: skip


def rows(res: dict) -> list[tuple]:
    out = []
    if "init_bf16" in res:
        out.append(_speed_row("init step, batch 4, 96->384, bf16", "init_bf16",
                              res["init_bf16"], "patches/s", "3.5x"))  # fmt: skip
    if "init_fp32" in res:
        out.append(_speed_row("init step, float32", "init_fp32", res["init_fp32"], "patches/s",
                              "1.5x"))  # fmt: skip
    if "adversarial_bf16" in res:
        out.append(_speed_row("adversarial step (G, D, VGG19 pool4), bf16", "adversarial_bf16",
                              res["adversarial_bf16"], "patches/s", "3x"))  # fmt: skip
    if "inference" in res:
        inf = res["inference"]
        for s in inf["side_by_side"]:
            size = s["lr_size"]
            out.append((f"inference, {size}x{size} -> {4 * size}x{4 * size} whole image, "
                        f"{_precision(s['precision'])}", "inference",
                        f"{s['port_output_mp_per_s']:.2f} MP/s",
                        f"{s['reference_output_mp_per_s']:.2f} MP/s", f"**{s['ratio']:.2f}x**",
                        "4x" if s["precision"] != "float32" else ""))  # fmt: skip
    for name, step in (("init_bf16", "init"), ("adversarial_bf16", "adversarial")):
        r = res.get(name, {})
        keys = sorted(k for k in r if k.startswith("port_peak_rss_gb_batch"))
        for key in keys:
            batch = key.rsplit("batch", 1)[1]
            port, ref = r[key], r.get(f"reference_peak_rss_gb_batch{batch}")
            out.append((f"peak RSS, {step} step at batch {batch} (bf16 port)", name,
                        f"{port:.2f} GB", f"{ref:.2f} GB" if ref else "",
                        f"{port / ref:.2f}x" if ref else "", ""))  # fmt: skip
    if "data_throughput" in res:
        d = res["data_throughput"]
        out.append((f"input pipeline vs. init step ({d['crop_size']} px, batch {d['batch_size']})",
                    "data_throughput", f"{d['pipeline_patches_per_s']:.0f} patch pairs/s", "",
                    f"{d['ratio']:.0f}x the step", "10x"))  # fmt: skip
    if "inference" in res:
        inf = res["inference"]
        h, w = inf["input"]
        tiled = {r["precision"]: r for r in inf["results"] if r["tile"] == inf["tile"]}
        if tiled:
            names = " / ".join(_precision(p) for p in tiled)
            speed = " / ".join(f"{r['output_mp_per_s']:.2f}" for r in tiled.values())
            rss = " / ".join(f"{r['peak_rss_gb']:.2f}" for r in tiled.values())
            out.append((f"tiled upscale {w}x{h} -> {4 * w}x{4 * h}, {names}", "inference",
                        f"{speed} MP/s, peak RSS {rss} GB", "", "", ""))  # fmt: skip
    for name in ("inference_shipped", "inference_shipped_large"):
        if name in res:
            out.append(_shipped_row(name, res[name]))
    if "inference_fraction" in res:
        out.append(_fraction_row(res["inference_fraction"]))
    if "end_to_end" in res:
        out.extend(_end_to_end_rows(res["end_to_end"]))
    if "tile_memory" in res:
        fits = "; ".join(f"{_precision(p)}: {f['fixed_gb']:.2f} GB + {f['bytes_per_pixel']:.0f} "
                         f"bytes per input pixel" for p, f in res["tile_memory"]["fit"].items())  # fmt: skip
        sides = sorted({r["side"] for r in res["tile_memory"]["rows"]})
        out.append((f"memory of one tile of upscale's default path, one-tile crops of "
                    f"{', '.join(map(str, sides))} px, fresh processes (a bound: no tile above it)",
                    "tile_memory", fits, "", "sizes `--tile=-1`'s tiles", "<= 2 GB"))  # fmt: skip
    if "tile_identity" in res:
        t = res["tile_identity"]
        w, h = t["size"]
        parts = [f"{_precision(p)} (one tile of {r['auto_tile']}): {r['differing']:,} of "
                 f"{r['values']:,} values differ, largest {r['largest_difference']} levels"
                 for p, r in t["rows"].items()]  # fmt: skip
        f32 = t["rows"].get("float32")
        out.append((f"tiles sized by memory against tiles of 512, upscale's default path, "
                    f"{len(t['images'])} validation crops {w}x{h} (quality, not speed)",
                    "tile_identity", "; ".join(parts), "",
                    ("float32 bit-identical" if f32 and not f32["differing"] else
                     "float32 differs") if f32 else "", "bit-identical in float32"))  # fmt: skip
    if "png_level" in res:
        g = res["png_level"]
        lv, chosen = g["levels"], str(g["chosen"])
        out.append((f"PNG zlib level of upscale's outputs, {len(g['images'])} validation crops "
                    f"512 -> 2048", "png_level",
                    f"level {chosen}: {lv[chosen]['seconds']:.2f} s, {lv[chosen]['bytes'] / 2**20:.1f} MB; "
                    f"level 6: {lv['6']['seconds']:.2f} s, {lv['6']['bytes'] / 2**20:.1f} MB", "",
                    f"level {chosen}: {lv['6']['seconds'] / lv[chosen]['seconds']:.1f}x faster, "
                    f"{lv[chosen]['bytes'] / lv['6']['bytes'] - 1:+.0%} size",
                    f"fastest within +{g['max_growth'] - 1:.0%} of level 6's size"))  # fmt: skip
    if "bf16_quality" in res:
        q = res["bf16_quality"]
        out.append((f"bfloat16 against float32, {q['images']} validation images, upscale's "
                    f"post-processed output (quality, not speed)", "bf16_quality",
                    f"mean PSNR-Y change {q['mean_change_db']:+.4f} dB, largest "
                    f"{q['max_abs_change_db']:.4f} dB", "",
                    "passes" if q["passes"] else "fails", "<= 0.02 dB mean, <= 0.1 dB any"))  # fmt: skip
    if "serving_default" in res:
        s = res["serving_default"]
        h, w = s["input"]
        peaks = [r["peak_rss_gb"] for r in s["runs"]]
        seconds = min(r["seconds"] for r in s["runs"])
        out.append((f"serving one {w}x{h} photo through the default export, fresh processes",
                    "serving_default", f"peak RSS {min(peaks):.2f} to {max(peaks):.2f} GB over "
                    f"{len(peaks)} runs, {seconds:.1f} s", "", "", "<= 2 GB"))  # fmt: skip
    if "serving_memory" in res:
        m = res["serving_memory"]
        fits = "; ".join(f"{sig}: {f['fixed_gb']:.2f} GB + {f['output_copies']:.2f} x output"
                         for sig, f in m["fit"].items())  # fmt: skip
        out.append(("serving memory, default export, 1 / 4 / 15.9 MP requests, fresh processes "
                    "(random pixels: PNG's worst case)", "serving_memory", fits, "",
                    f"the rule's max_pixels: {_rule_megapixels(m['fit'])} MP",
                    "<= 3 GB at max_pixels"))  # fmt: skip
    return out


def _rule_megapixels(fit: dict, budget_gb: float = 3.0) -> int:
    """docs/serving.md's rule: the largest whole number of input megapixels whose worse
    predicted peak (48 bytes of uint8 output per input pixel) stays within the budget."""
    per_mp = 48e6 / 2**30
    return max(int((budget_gb - f["fixed_gb"]) / (f["output_copies"] * per_mp))
               for f in [max(fit.values(), key=lambda f: f["output_copies"])])  # fmt: skip


def _post(post: dict) -> str:
    n = post["self_ensemble"]
    return (f"{f'{n}-pass self-ensemble' if n > 1 else 'one pass'}, "
            f"{post['back_projection']} steps, gate")  # fmt: skip


def _shipped_row(name: str, s: dict) -> tuple:
    h, w = s["input"]
    raw, shipped = s["raw"], s["shipped"]
    target = "<= 2 GB" if (w, h) == (2040, 1356) else ""
    from srgan_tf.modes import defaults

    now = defaults.post_processing("upscale").to_dict()
    current = all(s["post_processing"][k] == now[k] for k in s["post_processing"])
    which = "upscale's default" if current else "upscale's default when measured"
    return (f"{which} ({_post(s['post_processing'])}) vs. the generator alone, tiled "
            f"{w}x{h} -> {4 * w}x{4 * h}, float32", name,
            f"{shipped['output_mp_per_s']:.3f} MP/s, peak RSS {shipped['peak_rss_gb']:.2f} GB "
            f"(alone {raw['output_mp_per_s']:.3f} MP/s, {raw['peak_rss_gb']:.2f} GB)", "",
            f"{s['cost']:.2f}x the time of one pass", target)  # fmt: skip


def _fraction_row(s: dict) -> tuple:
    h, w = s["input"]
    rows = s["rows"]
    parts = [f"{name}: {r['output_mp_per_s']:.2f} MP/s ({r['fraction']:.0%}), "
             f"{r['peak_rss_gb']:.2f} GB" for name, r in rows.items()]  # fmt: skip
    default = rows["default path, float32"]["fraction"]
    bf16 = rows.get("default path, bfloat16")
    ratio = f"default path at {default:.0%} of a whole float32 pass (float32)"
    if bf16:
        ratio += f", {bf16['fraction']:.0%} (bf16, native here)"
    return (f"upscale's default path ({_post(s['post_processing'])}, tiles of {s['tile']}) "
            f"against one whole-image float32 pass, {w}x{h} -> {4 * w}x{4 * h}",
            "inference_fraction", "; ".join(parts), "", ratio, ">= 60%")  # fmt: skip


def _end_to_end_rows(e: dict) -> list[tuple]:
    """One row per precision: the CLI's rate on each photo against one whole-image pass in the
    same precision, its peak, and a folder of 10 against 10 single runs."""
    out = []
    for precision, r in e["rows"].items():
        sizes = [f"{w}x{h}" for w, h in e["sizes"]]
        parts = [f"{s}: {r[s]['output_mp_per_s']:.2f} MP/s ({r[s]['fraction']:.0%}), peak "
                 f"{r[s]['peak_rss_gb']:.2f} GB" for s in sizes]  # fmt: skip
        folder = r["folder_of_10"]
        parts.append(f"folder of 10 {sizes[0]}: {folder['seconds_per_photo']:.1f} s a photo, "
                     f"peak {folder['peak_rss_gb']:.2f} GB")  # fmt: skip
        out.append((f"upscale end to end (the CLI: read, tiles by memory, steps and gate, PNG) "
                    f"against one whole-image pass of the generator, {precision}", "end_to_end",
                    "; ".join(parts), "",
                    " / ".join(f"{r[s]['fraction']:.0%}" for s in sizes)
                    + f"; folder {folder['vs_single']:.0%} of the single rate",
                    ">= 90% / >= 75%, <= 2 GB; folder >= 90%"))  # fmt: skip
    return out


def _precision(policy: str) -> str:
    return {"mixed_bfloat16": "bf16", "mixed_float16": "fp16"}.get(policy, policy)


def _cpu(machine: dict) -> str:
    extras = [f for f in ("avx512_bf16", "amx") if machine.get(f)]
    missing = [f for f in ("avx512_bf16", "amx") if not machine.get(f)]
    return (f"{machine['cpu']}, {machine['cores']} cores"
            + (f", with {' and '.join(extras)}" if extras else "")
            + (f", no {' or '.join(missing)}" if missing else ""))  # fmt: skip


def _cpu_short(machine: dict | None) -> str:
    """The CPU a row was measured on, in a few words (the full names follow the table)."""
    if not machine:
        return "unknown"
    maker = "Intel Xeon" if "Intel" in machine["cpu"] else machine["cpu"].split(" Processor")[0]
    maker = "AMD EPYC" if "EPYC" in machine["cpu"] else maker
    what = "AMX" if machine.get("amx") else ("AVX-512 BF16" if machine.get("avx512_bf16")
                                             else "no native bf16")  # fmt: skip
    return f"{maker} ({what}), {machine['cores']} cores"


def render(res: dict) -> str:
    lines = ["| what | command | port | reference | ratio | target | CPU |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for what, name, port, ref, ratio, target in rows(res):
        cpu = _cpu_short(res[name].get("machine"))
        lines.append(
            f"| {what} | `{COMMANDS[name]}` | {port} | {ref} | {ratio} | {target} | {cpu} |"
        )
    cpus = sorted({_cpu(r["machine"]) for r in res.values() if "machine" in r})
    lines.append("")
    lines.append("Measured on: " + ("; ".join(cpus) if cpus else "unknown") + ".")
    return "\n".join(lines)


def summary(res: dict) -> str:
    """README's sentence on speed, from the same results."""
    train = [res[k] for k in ("init_fp32", "init_bf16", "adversarial_bf16") if k in res]
    if not train:
        return "No benchmark results saved yet."
    fp32 = [r["ratio"] for r in train if r["precision"] == "float32"]
    bf16 = [r["ratio"] for r in train if r["precision"] == "mixed_bfloat16"]
    memory = [r[k] / r[k.replace("port_", "reference_")] for r in train for k in r
              if k.startswith("port_peak_rss_gb")]  # fmt: skip
    cpus = sorted({_cpu(r["machine"]) for r in res.values() if "machine" in r})
    parts = []
    if fp32:
        parts.append(f"{min(fp32):.2f}x (float32)")
    if bf16:
        parts.append(f"{min(bf16):.2f}x to {max(bf16):.2f}x (bfloat16)")
    text = (f"Measured side by side with the tensorlayer reference in one process ({'; '.join(cpus)}), "
            f"the port's training steps run {' and '.join(parts)} the reference's speed")  # fmt: skip
    if memory:
        text += f", with {min(memory):.2f}x to {max(memory):.2f}x its peak memory"
    text += "."
    if "end_to_end" in res:
        e = res["end_to_end"]
        w, h = e["sizes"][0]
        runs = ", ".join(f"{r[f'{w}x{h}']['output_mp_per_s']:.2f} output MP/s in {p} "
                         f"({r[f'{w}x{h}']['fraction']:.0%} of one whole pass)"
                         for p, r in e["rows"].items())  # fmt: skip
        text += (f" `srgan-tf upscale` on a {w}x{h} photo, end to end: {runs} "
                 f"({_cpu(e['machine'])}).")  # fmt: skip
    return text


def replace(doc: str, table: str, markers: tuple = (BEGIN, END)) -> str:
    begin, end = markers
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{table}\n{end}{tail}"


def main(argv=None):
    ap = common.parser(__doc__)
    ap.add_argument("--check", action="store_true", help="exit 1 if the committed table differs")
    args = ap.parse_args(argv)
    from srgan_tf.atomic import write_text

    results = load()
    problems = [f"no saved results for {name}: run {COMMANDS[name]}" for name in COMMANDS
                if name not in results]  # fmt: skip
    problems += [f"bench/results/{name}.json does not name its CPU" for name, r in results.items()
                 if not r.get("machine", {}).get("cpu")]  # fmt: skip
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    for path, markers, text in ((DOC, (BEGIN, END), render(results)),
                                (README, SUMMARY, summary(results))):  # fmt: skip
        doc = path.read_text()
        new = replace(doc, text, markers)
        if new == doc:
            continue
        if args.check:
            print(f"{path} is not the rendering of {common.RESULTS}: run python bench/table.py")
            sys.exit(1)
        write_text(path, new)
    print(f"{DOC}: table of {len(rows(results))} rows; {README}: the speed summary")


if __name__ == "__main__":
    main()
