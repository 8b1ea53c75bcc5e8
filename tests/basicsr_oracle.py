"""BasicSR 1.4.2's NIQE (tests/third_party/basicsr/, verbatim), loaded as the test oracle.

BasicSR computes in float32 in three places that MATLAB's release computes in double: its
`to_y_channel` returns float32, so a colour image's luma enters `niqe()` as float32, and its
PyTorch `imresize` makes `FloatTensor`s. In float32 the local variance `E[y^2] - E[y]^2` of a
smooth region loses most of its digits (y^2 reaches 65,025), which moved BasicSR's scores by up
to 0.04 from the float64 computation on smooth skies and backdrops. The oracle therefore runs
BasicSR's own functions in double: `imresize` with `.double()` / `DoubleTensor` in place of
`.float()` / `FloatTensor` (the two textual substitutions below, applied at load, the files
on disk untouched), and the luma cast to float64 after BasicSR's `to_y_channel` and rounding.
Every other line (blocks, MSCN, AGGD fit, shifts, covariance, the resize weights) is BasicSR's.
"""

import contextlib
import sys
import types
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parent / "third_party" / "basicsr"
DOUBLE = [(".float()", ".double()"), ("torch.FloatTensor(", "torch.DoubleTensor(")]


def _load(name: str, path: Path, patches=()) -> types.ModuleType:
    source = path.read_text()
    for old, new in patches:
        assert old in source, (path, old)
        source = source.replace(old, new)
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def _modules():
    """basicsr.metrics.niqe and metric_util, without BasicSR's package __init__ (networks)."""
    if "basicsr.metrics.niqe" in sys.modules:
        return sys.modules["basicsr.metrics.niqe"], sys.modules["basicsr.metrics.metric_util"]
    for package, folder in (("basicsr", ROOT), ("basicsr.metrics", ROOT / "metrics"),
                            ("basicsr.utils", ROOT / "utils")):  # fmt: skip
        module = types.ModuleType(package)
        module.__path__ = [str(folder)]
        sys.modules[package] = module
    colour = _load("basicsr.utils.color_util", ROOT / "utils" / "color_util.py")
    sys.modules["basicsr.utils"].bgr2ycbcr = colour.bgr2ycbcr
    _load("basicsr.utils.registry", ROOT / "utils" / "registry.py")
    _load("basicsr.utils.matlab_functions", ROOT / "utils" / "matlab_functions.py", DOUBLE)
    util = _load("basicsr.metrics.metric_util", ROOT / "metrics" / "metric_util.py")
    with warnings.catch_warnings():  # its `scipy.ndimage.filters` import is deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        return _load("basicsr.metrics.niqe", ROOT / "metrics" / "niqe.py"), util


@contextlib.contextmanager
def _torch_double():
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # the resize weights (torch.linspace) in double
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def niqe(image_u8: np.ndarray, border: int = 0) -> float:
    """BasicSR's `calculate_niqe(img, border, convert_to='y')` of an RGB (or gray) uint8 image,
    in double precision."""
    niqe_module, util = _modules()
    img = np.asarray(image_u8, np.float64)
    if img.ndim == 3:  # BasicSR takes BGR
        img = np.squeeze(util.to_y_channel(img[..., ::-1]))
    img = np.asarray(img, np.float64)
    if border:
        img = img[border:-border, border:-border]
    params = np.load(ROOT / "metrics" / "niqe_pris_params.npz")
    with _torch_double():
        return niqe_module.niqe(
            img.round(), params["mu_pris_param"], params["cov_pris_param"],
            params["gaussian_window"],
        )  # fmt: skip
