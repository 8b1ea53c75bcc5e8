"""Installs srgan-tf: `pip install -e .` to use it, `pip install -e ".[test]"` to develop
(the test extra adds the reference libraries used as oracles, about 2.8 GB in all)."""

import re
from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent
# One source for the version: srgan_tf/__init__.py.
VERSION = re.search(r'__version__ = "([^"]+)"', (ROOT / "srgan_tf" / "__init__.py").read_text())[1]

setup(
    name="srgan-tf",
    version=VERSION,
    description="TensorFlow 2 / Keras 3 port of tensorlayer/srgan (4x SRGAN super-resolution) and "
    "the Specialized SR-GAN study, with shipped generators, a CLI and a Python API",
    long_description=(ROOT / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    license_files=["LICENSE"],
    project_urls={
        "Reference implementation": "https://github.com/tensorlayer/srgan",
        "TensorLayer": "https://github.com/tensorlayer/TensorLayer",
    },
    classifiers=[
        "Development Status :: 4 - Beta",
        "Intended Audience :: Science/Research",
        "Intended Audience :: Developers",
        "Operating System :: POSIX :: Linux",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.11",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
        "Topic :: Scientific/Engineering :: Image Processing",
    ],
    keywords="super-resolution srgan tensorflow keras gan niqe",
    python_requires=">=3.11",
    # `srgan_reference/` (the tensorlayer oracles of the tests and benchmarks) stays in the
    # checkout: it imports tensorlayer, which only the test extra brings. `flags/` keeps the
    # study's flagfiles; the flag definitions are the package's (srgan_tf/cli/).
    packages=find_packages(include=["srgan_tf", "srgan_tf.*"]),
    entry_points={"console_scripts": ["srgan-tf = srgan_tf.cli.main:run"]},
    # NIQE's pristine model (12 KB) and its provenance travel with the package.
    package_data={
        "srgan_tf.evaluation": ["data/niqe_pris_params.npz", "data/NIQE_PARAMS.md"],
        # The shipped generators (6 MB each) and their records: found by name from any folder.
        "srgan_tf.pretrained": ["*/g.weights.h5", "*/config.json", "*/manifest.json"],
    },
    install_requires=[
        # `tensorflow`, not `tensorflow-cpu`: tensorflow-serving-api depends on it by name.
        "tensorflow>=2.21,<2.22",
        "keras>=3.10",
        "numpy>=1.26",
        "h5py>=3.10",
        "imageio>=2.31",
        "scikit-image>=0.22",
        # NIQE's image filters and gamma function (scikit-image needs SciPy already).
        "scipy>=1.11",
        "absl-py>=2.0",
        # Progress bars with rate and time left on long loops; small and well kept.
        "tqdm>=4.66",
        # Plots of loss curves, heatmaps and comparison figures.
        "matplotlib>=3.8",
        # tf.summary's writers live in tensorboard, which TensorFlow 2.21 no longer installs.
        "tensorboard>=2.17",
    ],
    extras_require={
        "test": [
            "pytest>=8",
            # Two test processes: most tests wait on process start-up and TensorFlow imports,
            # so two workers on two cores halve the suite's time (CI's budget is 20 minutes).
            "pytest-xdist>=3.5",
            # The reference implementation, used only as the oracle in tests and benchmarks.
            "tensorlayer==2.2.5",
            # The second oracle: tensorlayer/srgan's current code is written for TensorLayerX.
            "tensorlayerx==0.5.8",
            "opencv-python-headless",
            # Builds TF Serving PredictRequests in the export tests (client side only).
            "tensorflow-serving-api>=2.21,<2.22",
            # Runs the exported TFLite files in the tests and benchmarks: LiteRT, the successor
            # of tf.lite.Interpreter (deprecated in TensorFlow 2.21), the same Interpreter API.
            "ai-edge-litert>=2.1",
            "ruff>=0.6",
            # BasicSR's NIQE, the independent oracle in tests/test_niqe.py, resizes with
            # PyTorch. Pinned to the CPU build this project's machines and CI keep on disk
            # (a range would fetch a newer CUDA build of several GB); elsewhere, install
            # torch 2.13.0 from PyTorch's CPU index first.
            "torch==2.13.0",
        ],
    },
)
