"""What every benchmark script shares: one argument parser, the reference oracles, the results.

Benchmarks run as scripts (`python bench/<name>.py`), against the installed `srgan_tf`
(`pip install -e .`). The tensorlayer reference models the parity tests hold the port against,
`srgan_reference/`, live in the checkout only (they import tensorlayer, which users do not
install): `reference()` reads them from there, the one place a script reaches past `bench/`.
"""

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


def parser(doc: str) -> argparse.ArgumentParser:
    """The argument parser of a benchmark: its docstring as help, and `--save NAME` to keep the
    final JSON object as `bench/results/NAME.json` (what docs/performance.md's table is made of)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    ap = argparse.ArgumentParser(
        description=doc.split("\n\n")[0], epilog=doc, formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--save", default="", help="also write the result to bench/results/SAVE.json")
    return ap


def peak_rss_gb() -> float:
    """This process's peak resident set, GB (VmHWM). Not `ru_maxrss`: Linux keeps it across
    fork and exec, so a child started from a big parent reports at least the parent's peak
    (bench/end_to_end.py's children did: 2.17 GB for a 1.59 GB upscale)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def child_env() -> dict:
    """The environment of a benchmark's child process: `import common` works in its `-c`
    code, and TensorFlow's C++ start-up lines are quiet."""
    path = os.pathsep.join(p for p in (str(Path(__file__).resolve().parent),
                                       os.environ.get("PYTHONPATH", "")) if p)  # fmt: skip
    return {**os.environ, "PYTHONPATH": path, "TF_CPP_MIN_LOG_LEVEL": "2"}


VALIDATION = ROOT / "data" / "photo_corpus" / "validation"


def validation_photos() -> list[Path]:
    """The photo corpus' validation photos, sorted (what the inference benchmarks measure on),
    or an exit naming the command that builds them."""
    from srgan_tf.data import images

    paths = sorted(p for p in VALIDATION.iterdir() if images.is_image_name(p)) if (
        VALIDATION.is_dir()) else []  # fmt: skip
    if not paths:
        raise SystemExit(f"{VALIDATION}: no photos; run python data/make_photo_corpus.py")
    return paths


def machine() -> dict:
    """The CPU the figures were measured on: speed only means something beside it."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((ln.split(":", 1)[1].strip() for ln in info.splitlines()
                  if ln.startswith("model name")), "unknown")  # fmt: skip
    flags = set(next((ln.split(":", 1)[1].split() for ln in info.splitlines()
                      if ln.startswith("flags")), []))  # fmt: skip
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "avx512_bf16": "avx512_bf16" in flags,
        "amx": any(f.startswith("amx") for f in flags),
    }


def report(result: dict, save: str = "") -> None:
    """Print the result as the last line (one JSON object), and keep it, with the machine it
    was measured on, if asked."""
    if save:
        result = {**result, "machine": machine()}
        from srgan_tf.atomic import write_text

        text = json.dumps(result, indent=1, sort_keys=True) + "\n"
        write_text(RESULTS / f"{save}.json", text)
    print(json.dumps(result))


def reference(name: str):
    """`srgan_reference.<name>` (`tl_reference`, `tlx_reference`): tensorlayer/srgan's models,
    from the checkout's `srgan_reference/` (not installed)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(f"srgan_reference.{name}")
