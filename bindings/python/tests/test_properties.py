"""Property-based tests (hypothesis): specs and sizes, array shapes, dtypes and
layouts, and byte round trips."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import libae

ACTS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus"]
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

_models = {}


def model_for(cols):
    """One small trained model per input width, shared between examples."""
    if cols not in _models:
        m = libae.Model("input %d; dense 5 tanh; code 3 linear; mirror sigmoid" % cols, seed=cols)
        m.set_option(libae.Option.EPOCHS, 1)
        m.train(np.random.default_rng(cols).random((10, cols), dtype=np.float32))
        _models[cols] = m
    return _models[cols]


@st.composite
def specs(draw):
    """A random spec and the sizes it must give: plain or variational code
    layer, optional input noise and tied decoder weights."""
    widths = draw(st.lists(st.integers(1, 24), min_size=0, max_size=3))
    code = draw(st.integers(1, 8))
    inp = draw(st.integers(1, 24))
    gaussian = draw(st.booleans())
    tied = not gaussian and draw(st.booleans())
    acts = [draw(st.sampled_from(ACTS)) for _ in widths]
    text = "input %d; " % inp
    if draw(st.booleans()):
        text += "noise mask 0.25; "
    text += "".join("dense %d %s; " % (w, a) for w, a in zip(widths, acts))
    text += ("gaussian %d; " % code if gaussian
             else "code %d %s; " % (code, draw(st.sampled_from(ACTS))))
    text += "mirror %s" % draw(st.sampled_from(ACTS))
    if tied:
        text += "; tied"
    enc = [inp] + widths + [code]
    dec = [code] + widths[::-1] + [inp]
    weights = sum(a * b for a, b in zip(enc, enc[1:]))
    if gaussian:  # a second head, for the log-variance
        weights += enc[-2] * code
    if not tied:
        weights += sum(a * b for a, b in zip(dec, dec[1:]))
    biases = sum(enc[1:]) + (code if gaussian else 0) + sum(dec[1:])
    return text, inp, code, weights + biases


@FAST
@given(specs(), st.integers(0, 2 ** 64 - 1))
def test_spec_sizes(spec, seed):
    text, inp, code, params = spec
    with libae.Model(text, seed=seed) as m:
        assert (m.input_size, m.code_size, m.output_size, m.n_params) == (inp, code, inp, params)
        assert m.epochs_trained == 0
        z = m.encode(np.zeros((2, inp)))
        assert z.shape == (2, code) and np.all(np.isfinite(z))
        again = libae.Model(m.spec, seed=seed)  # the canonical spec builds the same model
        assert again.to_bytes() == m.to_bytes()


DTYPES = st.sampled_from([np.float32, np.float64, np.float16, ">f4", "<f8", np.int8,
                          np.int16, np.int32, np.int64, np.uint8, np.uint16, np.bool_])


@st.composite
def arrays(draw):
    """(array, values as float32) in any dtype and memory layout."""
    n = draw(st.integers(1, 12))
    cols = draw(st.integers(1, 6))
    dtype = np.dtype(draw(DTYPES))
    if dtype.kind == "f":
        elems = st.floats(-4, 4, width=16 if dtype.itemsize == 2 else 32)
    elif dtype.kind == "b":
        elems = st.booleans()
    else:
        info = np.iinfo(dtype)
        elems = st.integers(max(info.min, -100), min(info.max, 100))
    side = 2 * max(n, cols)
    base = draw(hnp.arrays(dtype, (side, side), elements=elems))
    layout = draw(st.sampled_from(["C", "F", "step", "reverse", "T"]))
    if layout == "C":
        a = np.ascontiguousarray(base[:n, :cols])
    elif layout == "F":
        a = np.asfortranarray(base[:n, :cols])
    elif layout == "step":
        a = base[:2 * n:2, :2 * cols:2]
    elif layout == "reverse":
        a = base[:n, :cols][::-1, ::-1]
    else:
        a = np.ascontiguousarray(base[:cols, :n]).T
    assert a.shape == (n, cols)
    return a, cols


@FAST
@given(arrays())
def test_any_dtype_and_layout_equals_the_float32_copy(arg):
    a, cols = arg
    m = model_for(cols)
    ref = np.ascontiguousarray(a, dtype=np.float32)
    for fn in (m.encode, m.reconstruct, m.score, m.encode_distribution, m.jacobian_norm):
        got = fn(a)
        assert got.dtype == np.float32 and got.flags.c_contiguous
        assert got.shape[0] == a.shape[0]
        assert np.array_equal(got, fn(ref))
    assert libae.as_matrix(ref) is ref
    est_codes = libae.AutoEncoder.from_bytes(m.to_bytes()).transform(a)
    assert np.array_equal(est_codes, m.encode(ref))


@FAST
@given(st.integers(1, 6), st.integers(0, 20), st.integers(1, 9))
def test_wrong_widths_raise_shape_error(cols, n, other):
    m = model_for(cols)
    if n == 0:
        with pytest.raises(libae.ShapeError, match="at least 1 row"):
            m.encode(np.zeros((0, cols)))
        return
    if other != cols:
        with pytest.raises(libae.ShapeError, match="has %d columns" % other):
            m.encode(np.zeros((n, other)))
        with pytest.raises(libae.ShapeError):
            m.train(np.zeros((n, other)))
    if other != m.code_size:
        with pytest.raises(libae.ShapeError):
            m.decode(np.zeros((n, other)))
    assert m.decode(np.zeros((n, m.code_size))).shape == (n, cols)


@FAST
@given(st.sampled_from([(), (3,), (2, 3, 4), (1, 1, 1, 1)]))
def test_non_matrices_are_refused(shape):
    with pytest.raises(ValueError, match="2-D"):
        model_for(3).encode(np.zeros(shape))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2 ** 32), st.integers(1, 5), st.booleans(),
       hnp.arrays(np.float32, st.tuples(st.integers(1, 8), st.just(4)),
                  elements=st.floats(0, 1, width=32)))
def test_bytes_round_trip(seed, epochs, optimizer_state, x):
    m = libae.Model("input 4; dense 3 relu; code 2 linear; mirror sigmoid", seed=seed)
    m.set_option(libae.Option.EPOCHS, epochs)
    m.train(x)
    data = m.to_bytes(optimizer_state=optimizer_state)
    back = libae.Model.from_bytes(data)
    assert back.to_bytes(optimizer_state=optimizer_state) == data
    assert np.array_equal(back.encode(x), m.encode(x))
    assert np.array_equal(back.score(x), m.score(x))
    assert back.epochs_trained == epochs
