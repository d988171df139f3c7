"""Every ae_status becomes its exception, with the library's detail message."""

import ctypes
import pickle

import numpy as np
import pytest

import libae
from libae._capi import lib
from libae._errors import check, error_for_status
from conftest import SPEC

EXPECTED = {
    libae.Status.ERR_NULL_ARGUMENT: (libae.NullArgumentError, ValueError),
    libae.Status.ERR_INVALID_ARGUMENT: (libae.InvalidArgumentError, ValueError),
    libae.Status.ERR_SHAPE: (libae.ShapeError, ValueError),
    libae.Status.ERR_NONFINITE_INPUT: (libae.NonFiniteInputError, ValueError),
    libae.Status.ERR_NO_MEMORY: (libae.LibaeMemoryError, MemoryError),
    libae.Status.ERR_SPEC: (libae.SpecError, ValueError),
    libae.Status.ERR_IO: (libae.LibaeIOError, OSError),
    libae.Status.ERR_FORMAT: (libae.ModelFormatError, ValueError),
    libae.Status.ERR_CHECKSUM: (libae.ChecksumError, libae.ModelFormatError),
    libae.Status.ERR_VERSION: (libae.ModelVersionError, libae.ModelFormatError),
    libae.Status.ERR_DIVERGED: (libae.DivergedError, FloatingPointError),
    libae.Status.ERR_BUSY: (libae.BusyError, RuntimeError),
    libae.Status.ERR_BUFFER_TOO_SMALL: (libae.BufferTooSmallError, ValueError),
}


def test_every_status_has_a_class_and_a_library_name():
    assert set(EXPECTED) == set(libae.Status) - {libae.Status.OK}
    for status, (cls, builtin) in EXPECTED.items():
        e = error_for_status(status, "detail")
        assert type(e) is cls and isinstance(e, builtin) and isinstance(e, libae.LibaeError)
        assert e.status is status and e.message == "detail"
        name = lib().ae_status_string(int(status)).decode()
        assert name != "unknown status" and name.startswith("AE_" + status.name)
        assert str(e) == name + ": detail"
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is cls and back.status == status and back.message == "detail"


def test_unknown_status_is_the_base_class():
    e = error_for_status(99, "from a newer libae")
    assert type(e) is libae.LibaeError and e.status == 99
    assert str(e) == "unknown status: from a newer libae"


def test_ok_does_not_raise():
    check(0)


def expect(cls, fn, *args, match=None, **kwargs):
    with pytest.raises(cls) as info:
        fn(*args, **kwargs)
    e = info.value
    assert type(e) is cls
    assert e.message and e.message in str(e)
    if match:
        assert match in e.message, e.message
    return e


# ---- one real failure per status ----

def test_null_argument():
    e = expect(libae.NullArgumentError,
               lambda: check(lib().ae_model_create(None, SPEC.encode(), 0)))
    assert e.message == "ae_model_create: out is NULL"


def test_invalid_argument(model, x):
    e = expect(libae.InvalidArgumentError, model.set_option, libae.Option.EPOCHS, 0)
    assert "AE_OPT_EPOCHS" in e.message and "[1, 1e+06]" in e.message
    expect(libae.InvalidArgumentError, model.set_option, libae.Option.EPOCHS, 1.5,
           match="whole number")
    expect(libae.InvalidArgumentError, model.set_option, 12345, 1, match="unknown option")
    model.set_option(libae.Option.PATIENCE, 2)  # without a validation split
    expect(libae.InvalidArgumentError, model.train, x)
    ae = libae.AutoEncoder(SPEC, loss="bce", epochs=1)
    expect(libae.InvalidArgumentError, ae.fit, x * 3)  # BCE targets outside [0, 1]
    expect(libae.InvalidArgumentError, libae.Model.option_bounds, 999)


def test_shape(model, x):
    e = expect(libae.ShapeError, model.encode, x[:, :15])
    assert e.message == "ae_encode: x has 15 columns, model expects 16"
    expect(libae.ShapeError, model.encode, x[:0], match="need at least 1 row")
    expect(libae.ShapeError, model.decode, np.zeros((3, 5)), match="ae_decode")
    expect(libae.ShapeError, model.train, x, x[:, :3], match="target")
    expect(libae.ShapeError, model.score, x[:, :1], match="ae_score")


def test_nonfinite_input(model, x):
    x = x.copy()
    x[5, 7] = np.nan
    e = expect(libae.NonFiniteInputError, model.encode, x)
    assert e.message == "ae_encode: x[5][7] is NaN"
    x[5, 7] = np.inf
    expect(libae.NonFiniteInputError, model.train, x, match="Inf")


def test_too_many_parameters():
    # 2**49 parameters: past libae's 2**31 - 1, refused before any allocation.
    e = expect(libae.SpecError, libae.Model,
               "input 16777216; code 16777216 linear; mirror linear")
    assert "more than 2147483647 parameters" in e.message


def test_spec():
    e = expect(libae.SpecError, libae.Model, "input 16; dense 12 tanhh; code 4 linear")
    assert "statement 2" in e.message and "unknown activation" in e.message
    expect(libae.SpecError, libae.AutoEncoder("code 4 linear").fit, np.zeros((2, 4)))


def test_io(model, tmp_path):
    missing = tmp_path / "no" / "such.model"
    e = expect(libae.LibaeIOError, libae.Model.load, missing)
    assert str(missing) in e.message and isinstance(e, OSError)
    expect(libae.LibaeIOError, model.save, missing)
    expect(libae.LibaeIOError, libae.AutoEncoder.load, str(tmp_path))  # a directory


def test_format(model):
    data = model.to_bytes()
    expect(libae.ModelFormatError, libae.Model.from_bytes, b"hello, not a model")
    expect(libae.ModelFormatError, libae.Model.from_bytes, data[:-1])
    expect(libae.ModelFormatError, libae.Model.from_bytes, b"")


def test_checksum(model):
    data = bytearray(model.to_bytes())
    data[len(data) // 2] ^= 0x40
    expect(libae.ChecksumError, libae.Model.from_bytes, data)


def test_version(model):
    data = bytearray(model.to_bytes())
    data[8:12] = (2).to_bytes(4, "little")  # format version 2
    expect(libae.ModelVersionError, libae.Model.from_bytes, data)


def test_diverged():
    m = libae.Model("input 4; code 2 linear; mirror linear", seed=1)
    m.set_option(libae.Option.OPTIMIZER, libae.Optimizer.SGD)
    m.set_option(libae.Option.LEARNING_RATE, 10)
    x = np.full((8, 4), 1e18, np.float32)
    e = expect(libae.DivergedError, m.train, x, match="LEARNING_RATE")
    assert isinstance(e, FloatingPointError)
    m.encode(np.ones((1, 4)))  # keeps the last finite weights, still usable


def test_busy(model, x):
    """Inference while training runs (here from the training thread's callback)."""
    caught = []

    def progress(epoch, step, steps, loss):
        try:
            model.encode(x)
        except libae.BusyError as e:
            caught.append(e)
        return True

    model.train(x, progress=progress)
    assert len(caught) == 1 and "being trained" in caught[0].message


def test_buffer_too_small(model):
    size = ctypes.c_size_t()
    buf = ctypes.create_string_buffer(4)
    h = model._enter()
    try:
        e = expect(libae.BufferTooSmallError,
                   lambda: check(lib().ae_save_buffer(h, 0, buf, 4, ctypes.byref(size))))
    finally:
        model._leave()
    assert size.value == len(model.to_bytes())
    assert e.message


def test_python_side_argument_errors(model, x):
    with pytest.raises(TypeError):
        libae.Model(b"input 2; code 1 linear; mirror linear")
    with pytest.raises(ValueError):
        libae.Model(SPEC, seed=-1)
    with pytest.raises(ValueError):
        libae.Model(SPEC, seed=2 ** 64)
    with pytest.raises(TypeError):
        libae.Model(SPEC, seed="7")
    with pytest.raises(ValueError, match="2-D"):
        model.encode(x[0])
    with pytest.raises(ValueError, match="2-D"):
        model.encode(x[None])
    with pytest.raises(TypeError, match="complex"):
        model.encode(x.astype(np.complex64))
    with pytest.raises(TypeError, match="dtype"):
        model.encode(np.array([["a"] * 16]))
    with pytest.raises(ValueError, match="NUL"):
        model.save("bad\0path")
    with pytest.raises(TypeError, match="unknown parameter"):
        libae.AutoEncoder(SPEC, epoch=3)
    with pytest.raises(ValueError, match="one of 'mse', 'bce'"):
        libae.AutoEncoder(SPEC, loss="mae").fit(x)
    with pytest.raises(TypeError):
        libae.AutoEncoder(SPEC, epochs="3").fit(x)
