"""Recognises the official tensorlayer/srgan weight files by size and sha256.

A loaded file with an official file's hash is named in the log, with the LR protocol its
model was trained for; a file named like an official one with another hash gets a warning
(a partial download, or someone else's weights under that name).
"""

import hashlib
import os
from pathlib import Path

OFFICIAL = {
    "g_srgan.npz": {
        "bytes": 9_124_033,
        "sha256": "3a7818ce2a30bf477db18b815d579bfd2625437f7705540ec8a66298075f3610",
        "what": "official tensorlayer/srgan release 1.2.0 generator (TensorLayer 1; 173 arrays, "
        "1,522,371 parameters), trained on PIL-bicubic (antialiased) LR: evaluate it with "
        "--protocol=paper",
    },
    "vgg19.npy": {
        "bytes": 574_670_860,
        "sha256": "230f8aac6679445545743fa5ea3839f963677a38e008846f13364e6caa594f60",
        "what": "official tensorlayer/srgan VGG19 (the reference README's vgg19.npy)",
    },
}


# Where the official files are published (the reference README), for a missing one's error.
WHERE = (
    "g_srgan.npz: tensorlayer/srgan release 1.2.0 on GitHub; g.h5, d.h5 and vgg19.npy: the "
    "Google Drive folder linked in tensorlayer/srgan's README (docs/weights.md lists every file)"
)
OFFICIAL_NAMES = ("g_srgan.npz", "d_srgan.npz", "g.h5", "d.h5", "g.npz", "d.npz", "vgg19.npy")


def where_to_get(path: str | Path) -> str:
    """For a missing file named like an official one: where it is published; else ""."""
    return f" (an official file: {WHERE})" if Path(path).name in OFFICIAL_NAMES else ""


def sha256(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def identify(path: str | os.PathLike) -> tuple[str | None, str | None]:
    """`(kind, message)` for a weight file: ("official", ...) when its size and hash are an
    official file's, ("impostor", ...) when only its name is, (None, None) otherwise. The
    hash is computed only for a file with an official name or size."""
    path = Path(path)
    size = path.stat().st_size
    by_name = OFFICIAL.get(path.name)
    candidates = [o for o in OFFICIAL.values() if o["bytes"] == size]
    if not candidates and by_name is None:
        return None, None
    digest = sha256(path)
    for o in candidates:
        if o["sha256"] == digest:
            return "official", f"{path}: {o['what']}"
    if by_name is not None:
        return "impostor", (
            f"WARNING: {path} is named like the {by_name['what'].split(' (')[0]} but is not it "
            f"({size:,} bytes, sha256 {digest[:16]}...; the official file has "
            f"{by_name['bytes']:,} bytes, sha256 {by_name['sha256'][:16]}...). A partial "
            f"download, or other weights under that name."
        )
    return None, None
