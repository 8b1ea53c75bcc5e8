"""Which precision inference runs in: bfloat16 only where the CPU computes it natively.

bfloat16 halves the bytes every activation moves and, on CPUs with AVX512_BF16 or AMX, runs
the convolutions on bfloat16 units at about twice the float32 rate; elsewhere TensorFlow
emulates it, slower than float32. GPUs are left to the caller.
"""

import contextlib
from collections.abc import Iterator
from pathlib import Path

NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_flags(cpuinfo: str | Path = "/proc/cpuinfo") -> set[str]:
    """The feature flags of the first CPU listed in `cpuinfo` (empty when unreadable)."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def native_bf16(cpuinfo: str | Path = "/proc/cpuinfo") -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512_BF16 or AMX-BF16)."""
    return bool(cpu_flags(cpuinfo) & set(NATIVE_BF16_FLAGS))


def resolve(asked: str, mode: str, cpuinfo: str | Path = "/proc/cpuinfo") -> str:
    """ "float32" or "bfloat16": `asked`, or for "auto" upscale's bfloat16 where the CPU computes
    it natively and float32 everywhere else (measurements and exports stay float32 unless
    asked)."""
    if asked != "auto":
        return asked
    return "bfloat16" if mode == "upscale" and native_bf16(cpuinfo) else "float32"


def describe(resolved: str, cpuinfo: str | Path = "/proc/cpuinfo") -> str:
    """The log line naming the precision that runs, and why."""
    native = sorted(cpu_flags(cpuinfo) & set(NATIVE_BF16_FLAGS))
    where = (f"this CPU computes bfloat16 natively: {', '.join(native)}" if native
             else "this CPU has no native bfloat16 (no AVX512_BF16 or AMX)")  # fmt: skip
    other = "float32" if resolved == "bfloat16" else "bfloat16"
    return f"Precision: {resolved} ({where}; --infer_precision={other} for {other})"


@contextlib.contextmanager
def building(precision: str) -> Iterator[None]:
    """Keras' dtype policy for models built inside: bfloat16 compute with float32 weights, or
    float32; the previous policy after."""
    import keras

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(
        "mixed_bfloat16" if precision == "bfloat16" else "float32"
    )
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)
