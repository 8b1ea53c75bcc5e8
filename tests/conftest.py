"""Shared pytest setup: quiet TensorFlow logs, deterministic seeds (markers and warning
filters are in pytest.ini)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow's oneDNN kernels, on by default only on some CPUs (those with AVX-512): the
# TensorLayerX oracle computes channels_first, and only oneDNN has an NCHW convolution on CPU.
# Set before anything imports TensorFlow; subprocesses the tests start inherit it.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
