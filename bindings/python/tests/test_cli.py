"""The binding and the `ae` command give the same results.

Needs AE_CLI, the path of a built `ae` (.ci/run sets it to build/src/cli/ae);
without it the tests are skipped visibly."""

import os
import subprocess

import numpy as np
import pytest

import libae

AE_CLI = os.environ.get("AE_CLI")
pytestmark = pytest.mark.skipif(not AE_CLI, reason="AE_CLI (the path of the ae command) is not set")

SPEC = "input 16; dense 12 tanh; code 4 linear; mirror sigmoid"


def ae(*args):
    subprocess.run([AE_CLI, *map(str, args), "--quiet", "--force"], check=True)


@pytest.fixture
def data(tmp_path):
    x = np.random.default_rng(7).random((64, 16), dtype=np.float32)
    path = tmp_path / "x.npy"
    np.save(path, x)
    return x, path


def test_cli_inference_matches_python(data, tmp_path):
    x, x_path = data
    model = libae.Model(SPEC, seed=5)
    model.set_option(libae.Option.EPOCHS, 3)
    model.train(x)
    model_path = tmp_path / "m.ae"
    model.save(str(model_path))
    for command, expected in [("encode", model.encode(x)),
                              ("reconstruct", model.reconstruct(x))]:
        out = tmp_path / (command + ".npy")
        ae(command, model_path, x_path, "-o", out)
        got = np.load(out)
        assert got.dtype == np.float32
        assert np.array_equal(got, expected), command
    model.close()


def test_python_reads_what_the_cli_trained(data, tmp_path):
    x, x_path = data
    test_path = tmp_path / "test.npy"
    np.save(test_path, x[:8])
    model_path = tmp_path / "cli.ae"
    ae("train", x_path, "-o", model_path, "--spec", SPEC, "--seed", 9, "--epochs", 2,
       "--test", test_path)
    codes_path = tmp_path / "codes.npy"
    ae("encode", model_path, x_path, "-o", codes_path)
    with libae.Model.load(str(model_path)) as model:
        assert model.spec == SPEC.replace("mirror sigmoid", "dense 12 tanh; dense 16 sigmoid")
        assert np.array_equal(model.encode(x), np.load(codes_path))
