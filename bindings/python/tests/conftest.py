"""Shared fixtures. The tests load the INSTALLED libae, found the way users'
programs find it (LIBAE_LIBRARY, pkg-config, or the system search); ci.sh sets
PKG_CONFIG_PATH to the install prefix."""

import os
import sys

import numpy as np
import pytest

import libae

SPEC = "input 16; dense 12 tanh; code 4 linear; mirror sigmoid"


def pytest_report_header(config):
    try:
        return "libae %s from %s" % (libae.version_string(), libae.library_path())
    except libae.LibraryNotFoundError as e:  # the tests will fail; say why up front
        return str(e)


@pytest.fixture
def x():
    """32 x 16 float32 in [0, 1), C-contiguous."""
    return np.random.default_rng(1).random((32, 16), dtype=np.float32)


@pytest.fixture
def model(x):
    """A lightly trained model of SPEC."""
    m = libae.Model(SPEC, seed=3)
    m.set_option(libae.Option.EPOCHS, 2)
    m.train(x)
    yield m
    m.close()


def subprocess_env(**overrides):
    """os.environ with overrides; a value of None removes the variable."""
    env = dict(os.environ)
    for k, v in overrides.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


PYTHON = sys.executable
