"""The thin Model wrapper: round trips, options, introspection, array
conversion and zero-copy, the progress callback, and freeing."""

import copy
import gc
import pickle
import signal
import subprocess
import time

import numpy as np
import pytest

import libae
import libae.model as model_module
from conftest import PYTHON, SPEC, subprocess_env


# ---- introspection and options ----

def test_introspection(model):
    assert model.input_size == 16 and model.code_size == 4 and model.output_size == 16
    assert model.n_params == (16 * 12 + 12) + (12 * 4 + 4) + (4 * 12 + 12) + (12 * 16 + 16)
    assert model.spec == ("input 16; dense 12 tanh; code 4 linear; dense 12 tanh; "
                          "dense 16 sigmoid")
    assert model.epochs_trained == 2
    assert repr(model) == "<libae.Model %r, 524 parameters>" % model.spec


def test_options_and_bounds_agree_with_the_library():
    m = libae.Model(SPEC)
    assert set(libae.OPTIONS.values()) and {o for o, _ in libae.OPTIONS.values()} == set(libae.Option)
    for option in libae.Option:
        lo, hi, default = libae.Model.option_bounds(option)
        assert lo <= default <= hi
        assert m.get_option(option) == default
    m.set_option(libae.Option.LEARNING_RATE, 0.01)
    assert m.get_option(libae.Option.LEARNING_RATE) == 0.01
    assert libae.Model.option_bounds(libae.Option.EPOCHS) == (1, 1e6, 10)


def test_train_stats(x):
    m = libae.Model(SPEC)
    assert np.isnan(m.train_stat(libae.Stat.LOSS))
    m.set_option(libae.Option.VALIDATION_SPLIT, 0.25)
    m.set_option(libae.Option.EPOCHS, 3)
    m.train(x)
    assert m.train_stat(libae.Stat.LOSS) > 0
    assert m.train_stat(libae.Stat.VALIDATION_LOSS) > 0
    assert 1 <= m.train_stat(libae.Stat.BEST_EPOCH) <= 3


def test_train_with_target_of_another_width(x):
    m = libae.Model("input 16; output 3; code 4 relu; dense 3 linear", seed=2)
    t = x[:, :3] * 2
    m.train(x, t)
    assert m.reconstruct(x).shape == (32, 3)
    with pytest.raises(libae.ShapeError, match="pass a target"):
        m.train(x)


# ---- round trips ----

def test_file_and_bytes_round_trips_give_identical_outputs(model, x, tmp_path):
    path = tmp_path / "m.ae"
    model.save(path)
    outputs = lambda m: (m.encode(x), m.decode(m.encode(x)), m.reconstruct(x), m.score(x))
    want = outputs(model)
    for other in (libae.Model.load(path), libae.Model.load(str(path)),
                  libae.Model.from_bytes(model.to_bytes()),
                  libae.Model.from_bytes(bytearray(model.to_bytes())),
                  libae.Model.from_bytes(np.frombuffer(model.to_bytes(), np.uint8))):
        for a, b in zip(want, outputs(other)):
            assert a.dtype == b.dtype and np.array_equal(a, b)
        assert other.spec == model.spec and other.epochs_trained == model.epochs_trained
        assert other.to_bytes() == model.to_bytes()
    assert path.read_bytes() == model.to_bytes()


def test_pickle_and_copy_make_independent_models(model, x):
    for other in (pickle.loads(pickle.dumps(model)), copy.copy(model), copy.deepcopy(model)):
        assert other._handle != model._handle
        assert other.to_bytes(optimizer_state=True) == model.to_bytes(optimizer_state=True)
        other.train(x)
        assert other.epochs_trained == model.epochs_trained + 2


def test_optimizer_state_resumes_exactly(x):
    def fresh():
        m = libae.Model(SPEC, seed=5)
        m.set_option(libae.Option.EPOCHS, 2)
        return m.train(x)

    straight = fresh().train(x)
    resumed = libae.Model.from_bytes(fresh().to_bytes(optimizer_state=True)).train(x)
    assert resumed.to_bytes() == straight.to_bytes()
    assert len(fresh().to_bytes(optimizer_state=True)) > len(fresh().to_bytes())


def test_same_seed_same_model(x):
    a = libae.Model(SPEC, seed=11).train(x)
    b = libae.Model(SPEC, seed=11).train(x)
    c = libae.Model(SPEC, seed=12).train(x)
    assert a.to_bytes() == b.to_bytes() != c.to_bytes()


# ---- arrays: conversion and zero-copy ----

def layouts(x):
    """The same values in other dtypes and layouts."""
    yield "float64", x.astype(np.float64)
    yield "fortran", np.asfortranarray(x)
    yield "strided", np.repeat(x, 2, axis=1)[:, ::2]
    yield "negative strides", x[::-1]
    yield "big-endian", x.astype(">f4")
    yield "list", x.tolist()
    yield "read-only", _readonly(x.copy())
    yield "float16-exact", (x * 8).round().astype(np.float16)


def _readonly(a):
    a.flags.writeable = False
    return a


def test_every_dtype_and_layout_gives_the_float32_result(model, x):
    for name, arr in layouts(x):
        ref = np.ascontiguousarray(np.asarray(arr), dtype=np.float32)
        got = model.encode(arr)
        assert got.dtype == np.float32 and got.flags.c_contiguous, name
        assert np.array_equal(got, model.encode(ref)), name
    ints = np.arange(32 * 16).reshape(32, 16) % 2
    for dtype in (np.int8, np.int32, np.int64, np.uint8, np.bool_):
        assert np.array_equal(model.encode(ints.astype(dtype)),
                              model.encode(ints.astype(np.float32)))


def test_as_matrix_copies_only_when_needed(x):
    assert libae.as_matrix(x) is x
    assert libae.as_matrix(_readonly(x.copy())).flags.writeable is False
    for name, arr in layouts(x):
        conv = libae.as_matrix(arr)
        assert conv.dtype == np.float32 and conv.flags.c_contiguous, name
        assert (conv is arr) == (name == "read-only"), name  # read-only float32: no copy
    # A C-contiguous float32 view (a row slice) is also passed as is.
    view = x[4:9]
    assert libae.as_matrix(view) is view


def test_zero_copy_passes_the_callers_pointer(model, x, monkeypatch):
    """The address libae receives is the array's own data pointer."""
    seen = []
    real = model_module._ptr
    monkeypatch.setattr(model_module, "_ptr", lambda a: seen.append(a) or real(a))
    out = np.empty((32, 4), np.float32)
    assert model.encode(x, out=out) is out
    assert seen[0] is x and seen[1] is out
    seen.clear()
    model.encode(x.astype(np.float64))
    assert seen[0] is not x and seen[0].dtype == np.float32


def test_out_arrays(model, x):
    codes = model.encode(x)
    out = np.full((32, 4), 7, np.float32)
    model.encode(x, out=out)
    assert np.array_equal(out, codes)
    rec = np.empty((32, 16), np.float32)
    assert model.reconstruct(x, out=rec) is rec and np.array_equal(rec, model.reconstruct(x))
    dec = np.empty((32, 16), np.float32)
    assert model.decode(codes, out=dec) is dec
    s = np.empty(32, np.float32)
    assert model.score(x, out=s) is s and np.array_equal(s, model.score(x))
    for bad in (np.empty((32, 4)), np.empty((31, 4), np.float32),
                np.empty((4, 32), np.float32).T, _readonly(np.empty((32, 4), np.float32))):
        with pytest.raises(ValueError):
            model.encode(x, out=bad)


def test_score_is_the_row_mean_error(model, x):
    rec = model.reconstruct(x).astype(np.float64)
    want = ((rec - x) ** 2).mean(axis=1)
    assert np.allclose(model.score(x), want, rtol=1e-5, atol=1e-7)


# ---- the progress callback ----

def test_progress_arguments_and_stop(x):
    m = libae.Model(SPEC)
    m.set_option(libae.Option.EPOCHS, 4)
    m.set_option(libae.Option.BATCH_SIZE, 8)
    calls = []
    m.train(x, progress=lambda *a: calls.append(a))
    assert [c[:3] for c in calls] == [(e, 4, 4) for e in (1, 2, 3, 4)]
    assert all(isinstance(c[3], float) and c[3] > 0 for c in calls)

    m.set_option(libae.Option.PROGRESS_EVERY, 1)
    calls.clear()
    m.train(x, progress=lambda *a: calls.append(a) or len(calls) == 6)
    assert [c[:2] for c in calls] == [(1, 1), (1, 2), (1, 3), (1, 4), (2, 1), (2, 2)]
    assert m.epochs_trained == 4 + 1


def test_exception_in_progress_stops_and_is_reraised(x):
    m = libae.Model(SPEC)
    m.set_option(libae.Option.EPOCHS, 50)

    class Boom(Exception):
        pass

    def progress(epoch, step, steps, loss):
        if epoch == 2:
            raise Boom("stop at 2")

    with pytest.raises(Boom, match="stop at 2") as info:
        m.train(x, progress=progress)
    assert "progress" in str(info.traceback[-1].name)
    assert m.epochs_trained == 2  # stopped right there
    m.encode(x)  # usable afterwards, and the callback is gone:
    m.set_option(libae.Option.EPOCHS, 1)
    m.train(x)
    assert m.epochs_trained == 3


def test_keyboard_interrupt_in_progress_is_reraised(x):
    m = libae.Model(SPEC)
    m.set_option(libae.Option.EPOCHS, 50)

    def progress(*a):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        m.train(x, progress=progress)
    assert m.epochs_trained == 1


# ---- lifetime ----

class CountingLib:
    """Delegates to the real library, counting ae_model_free per handle."""

    def __init__(self, real):
        self._real = real
        self.freed = []

    def ae_model_free(self, handle):
        self.freed.append(handle)
        self._real.ae_model_free(handle)

    def __getattr__(self, name):
        return getattr(self._real, name)


def test_every_model_is_freed_exactly_once(monkeypatch, x):
    counting = CountingLib(libae._capi.lib())
    monkeypatch.setattr(model_module, "lib", lambda: counting)
    handles = []

    def make():
        m = libae.Model(SPEC)
        handles.append(m._handle)
        return m

    m = make()                      # closed explicitly, twice
    m.close()
    m.close()
    assert m.closed and "closed" in repr(m)
    with pytest.raises(ValueError, match="closed"):
        m.encode(x)
    with pytest.raises(ValueError, match="closed"):
        m.input_size
    del m
    with make() as m:               # context manager
        m.encode(x)
    del m
    make()                          # dropped at once
    cycle = [make()]                # in a reference cycle, freed by the collector
    cycle.append(cycle)
    del cycle
    ae = libae.AutoEncoder(SPEC, epochs=1).fit(x)   # estimator: refit frees the old one
    handles.append(ae.model_._handle)
    ae.fit(x)
    handles.append(ae.model_._handle)
    ae.close()
    del ae
    gc.collect()
    # The same multiset: one free per creation (addresses may be reused).
    assert len(handles) == 6 and sorted(counting.freed) == sorted(handles)


def test_close_during_use_defers_the_free(model, x):
    """close() from inside a call (here the progress callback) waits for it."""
    def progress(*a):
        model.close()
        assert model.closed
        assert model._finalizer.alive  # still in use: not freed yet

    model.train(x, progress=progress)
    assert not model._finalizer.alive


def test_no_double_free_under_malloc_checks():
    """Create, close, drop and collect many models in a fresh process with
    glibc's heap checking on: a double free would abort it."""
    code = (
        "import gc, numpy as np, libae\n"
        "x = np.random.default_rng(0).random((16, 16), dtype=np.float32)\n"
        "keep = []\n"
        "for i in range(300):\n"
        "    m = libae.Model(%r, seed=i)\n"
        "    m.encode(x)\n"
        "    if i %% 3 == 0: m.close()\n"
        "    if i %% 3 == 1: keep.append(m)\n"
        "    if i %% 5 == 0: gc.collect()\n"
        "    if i %% 7 == 0: m.close()\n"
        "keep[0].close()\n"
        "ae = libae.AutoEncoder(%r, epochs=1)\n"
        "for i in range(20): ae.fit(x)\n"
        "print('done')\n" % (SPEC, SPEC))
    proc = subprocess.run([PYTHON, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=subprocess_env(MALLOC_CHECK_="3", MALLOC_PERTURB_="165"),
                          timeout=120)
    assert proc.returncode == 0 and proc.stdout.decode().strip() == "done", proc.stderr.decode()


def test_ctrl_c_stops_training():
    """SIGINT during a long ae_train raises KeyboardInterrupt at the next epoch
    end, through the callback the binding always installs."""
    code = (
        "import sys, numpy as np, libae\n"
        "m = libae.Model(%r)\n"
        "m.set_option(libae.Option.EPOCHS, 1000000)\n"
        "x = np.random.default_rng(0).random((64, 16), dtype=np.float32)\n"
        "print('training', flush=True)\n"
        "try:\n"
        "    m.train(x)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted after', m.epochs_trained, 'epochs', flush=True)\n" % SPEC)
    proc = subprocess.Popen([PYTHON, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline().decode().strip() == "training"
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err.decode()
    assert out.decode().startswith("interrupted after"), out.decode()
