"""Threads: concurrent inference on one model, the GIL released during libae
calls, per-thread error messages, and BUSY between training and inference."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import libae
from conftest import SPEC

BIG_SPEC = "input 256; dense 256 relu; code 32 linear; mirror sigmoid"


def test_concurrent_transform_gives_identical_results(model):
    xs = [np.random.default_rng(i).random((64 + i, 16), dtype=np.float32) for i in range(8)]
    want = [model.encode(x) for x in xs]
    want_scores = [model.score(x) for x in xs]
    start = threading.Barrier(8)

    def work(i):
        start.wait()
        for _ in range(40):
            j = (i + _) % len(xs)
            if not np.array_equal(model.encode(xs[j]), want[j]):
                return "codes differ"
            if not np.array_equal(model.score(xs[j]), want_scores[j]):
                return "scores differ"
            model.to_bytes()
        return "ok"

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(work, range(8))) == ["ok"] * 8


def test_concurrent_estimators_on_separate_models_match_serial(x):
    def fit(seed):
        return libae.AutoEncoder(SPEC, seed=seed, epochs=3).fit(x).to_bytes()

    serial = [fit(s) for s in range(4)]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(fit, range(4))) == serial


def longest_stall(call):
    """Runs call() on this thread while another Python thread ticks; returns
    (seconds the call took, longest time the ticking thread went without a
    tick during the call). Were the GIL held through the call, the ticker
    would stall for the whole call."""
    ticks = []
    stop = threading.Event()

    def ticker():  # mostly asleep, so as not to slow the BLAS threads down
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    while len(ticks) < 10:
        time.sleep(0.001)
    t0 = time.perf_counter()
    call()
    t1 = time.perf_counter()
    stop.set()
    t.join()
    inside = [t0] + [s for s in ticks if t0 < s < t1] + [t1]
    return t1 - t0, max(b - a for a, b in zip(inside, inside[1:]))


def assert_runs_alongside(call, what):
    """A GIL-holding call stalls the other thread for all of its duration,
    every time; a busy machine may stall it now and then. So: best of three."""
    tries = []
    for _ in range(3):
        took, stall = longest_stall(call)
        assert took > 0.1, "%s too short to tell (%.3f s)" % (what, took)
        if stall < took / 4:
            return
        tries.append("%.3f s of %.3f s" % (stall, took))
    pytest.fail("another thread stalled during %s: %s" % (what, "; ".join(tries)))


def test_gil_is_released_while_training():
    x = np.random.default_rng(0).random((5000, 256), dtype=np.float32)
    m = libae.Model(BIG_SPEC)
    m.set_option(libae.Option.EPOCHS, 1)  # the one callback comes at the end
    assert_runs_alongside(lambda: m.train(x), "training")


def test_gil_is_released_while_encoding():
    x = np.random.default_rng(0).random((60000, 256), dtype=np.float32)
    m = libae.Model(BIG_SPEC)
    assert_runs_alongside(lambda: m.encode(x), "encoding")


def test_error_messages_are_per_thread(model):
    """Threads failing at once each get their own detail message."""
    start = threading.Barrier(6)

    def work(cols):
        bad = np.zeros((3, cols), np.float32)
        start.wait()
        for _ in range(200):
            try:
                model.encode(bad)
            except libae.ShapeError as e:
                if e.message != "ae_encode: x has %d columns, model expects 16" % cols:
                    return e.message
            else:
                return "no error"
        return "ok"

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(work, [1, 2, 3, 5, 7, 11])) == ["ok"] * 6


def test_busy_between_training_and_inference(x):
    m = libae.Model(SPEC)
    m.set_option(libae.Option.EPOCHS, 2)
    in_training, go_on = threading.Event(), threading.Event()

    def progress(epoch, step, steps, loss):
        in_training.set()
        assert go_on.wait(30)

    trainer = threading.Thread(target=lambda: m.train(x, progress=progress))
    trainer.start()
    try:
        assert in_training.wait(30)
        with pytest.raises(libae.BusyError, match="being trained"):
            m.encode(x)
        with pytest.raises(libae.BusyError, match="being trained"):
            m.to_bytes()
        # Setters and getters from another thread: libae leaves these to the
        # caller (a data race), the binding refuses them.
        for call in (lambda: m.set_option(libae.Option.EPOCHS, 3), lambda: m.train(x),
                     lambda: m.epochs_trained, lambda: m.get_option(libae.Option.EPOCHS),
                     lambda: m.train_stat(libae.Stat.LOSS), m.loss_history,
                     m.get_input_scaling, lambda: m.set_input_scaling(None, None)):
            with pytest.raises(libae.BusyError, match="another thread"):
                call()
        assert m.input_size == 16 and m.spec  # fixed at creation: always fine
    finally:
        go_on.set()
        trainer.join(30)
    assert not trainer.is_alive()
    assert m.epochs_trained == 2
    m.encode(x)
