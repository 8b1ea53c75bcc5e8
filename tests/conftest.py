"""Shared pytest setup: quiet TensorFlow logs, deterministic seeds, a `slow` marker."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow's oneDNN kernels, on by default only on some CPUs (those with AVX-512): the
# TensorLayerX oracle computes channels_first, and only oneDNN has an NCHW convolution on CPU.
# Set before anything imports TensorFlow; subprocesses the tests start inherit it.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
