"""Cross-language check: "a model trained from any binding loads in all the
others and gives the same codes". Runs when AE_INTEROP_DIR is set; the lead's C
program writes x.f32, c.model and c.codes.f32 there first, and afterwards checks
python.model and python.codes.f32 written here."""

import os

import numpy as np
import pytest

import libae

SPEC = "input 16; dense 12 tanh; code 4 linear; mirror sigmoid"
DIR = os.environ.get("AE_INTEROP_DIR")

pytestmark = pytest.mark.skipif(not DIR, reason="AE_INTEROP_DIR is not set: no "
                                "cross-language files to check")


def read_f32(name, rows, cols):
    data = np.fromfile(os.path.join(DIR, name), dtype="<f4")
    assert data.size == rows * cols, "%s holds %d floats, expected %d" % (name, data.size,
                                                                          rows * cols)
    return np.ascontiguousarray(data.reshape(rows, cols), dtype=np.float32)


def test_c_model_gives_c_codes():
    x = read_f32("x.f32", 32, 16)
    want = read_f32("c.codes.f32", 32, 4)
    with libae.AutoEncoder.load(os.path.join(DIR, "c.model")) as ae:
        got = ae.transform(x)
    assert got.tobytes() == want.tobytes(), "max difference %g" % np.max(np.abs(got - want))


def test_python_model_for_the_others():
    x = read_f32("x.f32", 32, 16)
    ae = libae.AutoEncoder(SPEC, seed=7, epochs=5).fit(x)
    assert ae.epochs_trained == 5
    ae.save(os.path.join(DIR, "python.model"))
    codes = ae.transform(x)
    codes.astype("<f4").tofile(os.path.join(DIR, "python.codes.f32"))
    # What the others will do with it, done here too.
    again = libae.AutoEncoder.load(os.path.join(DIR, "python.model"))
    assert again.transform(x).tobytes() == codes.tobytes()
    assert read_f32("python.codes.f32", 32, 4).tobytes() == codes.tobytes()
