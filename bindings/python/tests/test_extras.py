"""Variational models (sampling, the code distribution, -ELBO), input
standardisation, the loss history, Jacobian norms, training figures, and
functions missing from an older libae."""

import numpy as np
import pytest

import libae
import libae._capi as capi
from conftest import SPEC

VAE = "input 16; dense 12 tanh; gaussian 3 kl_weight=0.5 warmup=2; mirror sigmoid"


@pytest.fixture
def vae(x):
    return libae.AutoEncoder(VAE, seed=1, epochs=3, loss="bce").fit(x)


def test_sample(vae, tmp_path):
    items = vae.sample(5, seed=3)
    assert items.shape == (5, 16) and items.dtype == np.float32
    assert np.all((items > 0) & (items < 1))  # a sigmoid output
    assert np.array_equal(items, vae.sample(5, seed=3))      # same seed, same items
    assert not np.array_equal(items, vae.sample(5, seed=4))
    # The draws of a smaller batch are the first rows' (up to BLAS rounding).
    assert np.allclose(vae.sample(2, seed=3), items[:2], rtol=1e-5, atol=1e-6)
    vae.save(tmp_path / "vae.model")
    assert np.array_equal(libae.AutoEncoder.load(tmp_path / "vae.model").sample(5, seed=3), items)
    out = np.empty((5, 16), np.float32)
    assert vae.model_.sample(5, seed=3, out=out) is out and np.array_equal(out, items)
    with pytest.raises(libae.ShapeError, match="at least 1 row"):
        vae.sample(0)
    with pytest.raises(ValueError):
        vae.sample(2, seed=-1)
    with pytest.raises(TypeError):
        vae.sample(2.5)


def test_code_distribution(vae, x):
    mu = vae.encode_distribution(x)
    assert mu.shape == (32, 3) and np.array_equal(mu, vae.transform(x))
    lv = vae.encode_distribution(x, "log_variance")
    assert np.all((lv >= -30) & (lv <= 20))
    z = vae.encode_distribution(x, "sample", seed=9)
    assert np.array_equal(z, vae.encode_distribution(x, libae.CodePart.SAMPLE, seed=9))
    assert not np.array_equal(z, vae.encode_distribution(x, "sample", seed=10))
    assert not np.array_equal(z, mu)
    with pytest.raises(ValueError, match="part must be"):
        vae.encode_distribution(x, "median")


def test_negative_elbo(vae, x):
    nelbo = vae.negative_elbo(x, seed=1)
    assert nelbo.shape == (32,) and np.all(nelbo > 0)
    assert np.array_equal(nelbo, vae.negative_elbo(x, seed=1))
    assert vae.model_.train_stat(libae.Stat.VAE_KL) > 0
    assert vae.model_.get_option(libae.Option.LOSS_REDUCTION) == libae.Reduction.SUM


def test_variational_calls_need_a_variational_model(x):
    plain = libae.AutoEncoder(SPEC, epochs=1).fit(x)
    for call in (lambda: plain.sample(3), lambda: plain.encode_distribution(x, "sample"),
                 lambda: plain.negative_elbo(x)):
        with pytest.raises(libae.InvalidArgumentError, match="not variational"):
            call()
    assert np.array_equal(plain.encode_distribution(x, "mean"), plain.transform(x))


def test_input_scaling(model, x):
    mean, scale = model.get_input_scaling()
    assert np.array_equal(mean, np.zeros(16)) and np.array_equal(scale, np.ones(16))
    before = model.encode(x)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    model.set_input_scaling(mu, sd.astype(np.float64))  # any real 1-D arrays
    got_mean, got_scale = model.get_input_scaling()
    assert np.array_equal(got_mean, mu) and np.array_equal(got_scale, sd)
    scaled = model.encode(x)
    plain = libae.Model.from_bytes(model.to_bytes())
    plain.set_input_scaling(None, None)
    assert np.allclose(scaled, plain.encode((x - mu) / sd), rtol=1e-5, atol=1e-6)
    assert not np.allclose(scaled, before)
    back = libae.Model.from_bytes(model.to_bytes())  # saved with the model
    assert np.array_equal(back.get_input_scaling()[1], sd)
    model.set_input_scaling(None, None)
    assert np.array_equal(model.encode(x), before)
    with pytest.raises(libae.InvalidArgumentError):
        model.set_input_scaling(mu, np.zeros(16))
    with pytest.raises(libae.ShapeError):
        model.set_input_scaling(mu[:3], sd[:3])
    with pytest.raises(ValueError, match="both"):
        model.set_input_scaling(mu, None)
    with pytest.raises(ValueError, match="1-D"):
        model.set_input_scaling(mu[None], sd[None])


def test_standardize_in_the_estimator(x):
    wide = x * np.arange(1, 17, dtype=np.float32) + 100
    wide[:, 3] = 7  # a constant column gets scale 1
    est = libae.AutoEncoder("input 16; dense 8 tanh; code 3 linear; mirror linear",
                            epochs=2, standardize=True).fit(wide)
    mean, scale = est.model_.get_input_scaling()
    assert np.allclose(mean, wide.mean(axis=0)) and scale[3] == 1
    assert np.allclose(scale[:3], wide.std(axis=0)[:3], rtol=1e-6)
    assert libae.AutoEncoder.from_bytes(est.to_bytes()).standardize is True
    assert libae.AutoEncoder.from_bytes(
        libae.AutoEncoder(SPEC, epochs=1).fit(x).to_bytes()).standardize is False


def test_loss_history(x, tmp_path):
    m = libae.Model(SPEC)
    assert [a.size for a in m.loss_history()] == [0, 0]
    m.set_option(libae.Option.EPOCHS, 3)
    seen = []
    m.train(x, progress=lambda e, s, n, loss: seen.append(loss))
    m.set_option(libae.Option.VALIDATION_SPLIT, 0.25)
    m.set_option(libae.Option.EPOCHS, 2)
    m.train(x)
    train, val = m.loss_history()
    assert train.dtype == np.float64 and train.shape == (5,)
    assert list(train[:3]) == seen
    assert np.all(np.isnan(val[:3])) and np.all(val[3:] > 0)
    m.save(tmp_path / "m")
    for a, b in zip(libae.Model.load(tmp_path / "m").loss_history(), (train, val)):
        assert np.array_equal(a, b, equal_nan=True)


def test_jacobian_norm():
    """For a linear encoder the Jacobian is constant: its squared norm follows
    from encoding the unit vectors."""
    m = libae.Model("input 5; code 3 linear; mirror linear", seed=4)
    x = np.random.default_rng(2).random((7, 5), dtype=np.float32)
    norms = m.jacobian_norm(x)
    jac = m.encode(np.eye(5)).astype(np.float64) - m.encode(np.zeros((1, 5)))
    assert norms.shape == (7,) and np.allclose(norms, np.sum(jac ** 2), rtol=1e-5)
    nonlinear = libae.Model(SPEC)
    assert np.all(nonlinear.jacobian_norm(x.repeat(4, axis=1)[:, :16]) > 0)


def test_every_training_figure(x):
    m = libae.Model("input 16; dense 12 sigmoid kl=0.1; code 4 linear contractive=0.01; "
                    "mirror sigmoid")
    m.set_option(libae.Option.EPOCHS, 2)
    m.set_option(libae.Option.L2, 1e-3)
    assert all(np.isnan(m.train_stat(s)) for s in libae.Stat if s != libae.Stat.BEST_EPOCH)
    m.train(x)
    for stat in (libae.Stat.LOSS, libae.Stat.RECONSTRUCTION, libae.Stat.L2_PENALTY,
                 libae.Stat.KL_PENALTY, libae.Stat.CONTRACTIVE_PENALTY):
        assert m.train_stat(stat) > 0, stat
    with pytest.raises(libae.InvalidArgumentError):
        m.train_stat(99)


def test_getters_and_writers_exclude_each_other_across_threads(model):
    """A writer (train, setters) refuses to start while a getter runs on another
    thread. (The reverse, a getter during training, is in test_threads.)"""
    import threading
    from libae.model import _GET

    def other_thread_getter(entered, release):
        model._enter(_GET)
        entered.set()
        release.wait(30)
        model._leave(_GET)

    entered, release = threading.Event(), threading.Event()
    t = threading.Thread(target=other_thread_getter, args=(entered, release))
    t.start()
    try:
        assert entered.wait(30)
        with pytest.raises(libae.BusyError, match="being read by another thread"):
            model.set_option(libae.Option.EPOCHS, 2)
        model.encode(np.zeros((1, 16)))  # inference is fine alongside getters
    finally:
        release.set()
        t.join(30)
    model.set_option(libae.Option.EPOCHS, 2)


def test_a_function_missing_from_an_older_libae():
    call = capi._unsupported("ae_future", "/old/libae.so.0")
    with pytest.raises(libae.UnsupportedError, match="ae_future: the loaded libae"):
        call(1, 2)
    assert issubclass(libae.UnsupportedError, NotImplementedError)
    # Every function this binding declares is there in the library under test.
    assert not [n for n in capi.FUNCTIONS if not hasattr(getattr(capi.lib(), n), "argtypes")]
