"""Installs srgan-tf: `pip install -e .` to use it, `pip install -e ".[test]"` to develop
(the test extra adds the reference libraries used as oracles, about 2.8 GB in all)."""

from setuptools import find_packages, setup

setup(
    name="srgan-tf",
    version="0.1.0",
    description="TensorFlow 2 / Keras 3 port of tensorlayer/srgan and the Specialized SR-GAN study",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    # flags/ (main.py's flag definitions and the study's flagfiles) stays in the checkout: a
    # top-level package named `flags` would shadow other packages' modules of that name.
    # srgan_reference: the tensorlayer oracles that tests and benchmarks import (dev only: its
    # libraries are the test extra's).
    packages=find_packages(include=["srgan_tf", "srgan_tf.*", "srgan_reference"]),
    # NIQE's pristine model (12 KB) and its provenance travel with the package.
    package_data={"srgan_tf.evaluation": ["data/niqe_pris_params.npz", "data/NIQE_PARAMS.md"]},
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
