"""AutoEncoder, the scikit-learn style estimator."""

import inspect
import pickle

import numpy as np
import pytest

import libae
from conftest import SPEC


@pytest.fixture
def ae(x):
    return libae.AutoEncoder(SPEC, seed=7, epochs=3, batch_size=8).fit(x)


def test_params_signature_and_repr():
    est = libae.AutoEncoder(SPEC, seed=3, epochs=4, loss="bce", verbose=True)
    params = est.get_params()
    sig = inspect.signature(libae.AutoEncoder)
    assert list(params) == list(sig.parameters)  # what sklearn.clone relies on
    assert all(p.kind != p.VAR_KEYWORD for p in sig.parameters.values())
    assert set(libae.OPTIONS) <= set(params)
    assert params["epochs"] == 4 and params["loss"] == "bce" and params["batch_size"] is None
    assert est.set_params(epochs=9, learning_rate=0.01) is est
    assert est.get_params()["epochs"] == 9
    with pytest.raises(ValueError, match="invalid parameter"):
        est.set_params(epoch=2)
    assert repr(est) == ("AutoEncoder(%r, seed=3, epochs=9, learning_rate=0.01, loss='bce', "
                         "verbose=True)" % SPEC)
    again = libae.AutoEncoder(**est.get_params())
    assert again.get_params() == est.get_params()


def test_sklearn_clone_and_pipeline(x):
    pytest.importorskip("sklearn")
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler
    est = libae.AutoEncoder(SPEC, seed=3, epochs=2)
    assert clone(est).get_params() == est.get_params()
    codes = make_pipeline(MinMaxScaler(), est).fit_transform(x)
    assert codes.shape == (32, 4)


def test_fit_and_transforms(ae, x):
    assert ae.input_size == 16 and ae.code_size == 4 and ae.output_size == 16
    assert ae.n_params == 524 and ae.epochs_trained == 3
    assert ae.spec == SPEC and ae.canonical_spec.endswith("dense 16 sigmoid")
    z = ae.transform(x)
    assert z.shape == (32, 4) and z.dtype == np.float32
    assert np.array_equal(ae.inverse_transform(z), ae.reconstruct(x))
    assert ae.reconstruct(x).shape == (32, 16)
    s = ae.score_samples(x)
    assert s.shape == (32,) and np.all(s > 0)
    assert ae.score(x) == pytest.approx(-float(np.mean(s, dtype=np.float64)))
    train, val = ae.loss_history()
    assert train.shape == val.shape == (3,) and np.all(train > 0) and np.all(np.isnan(val))


def test_fit_is_deterministic_and_restarts(ae, x):
    first = ae.transform(x)
    assert np.array_equal(ae.fit(x).transform(x), first)  # a fresh model, same seed
    assert ae.epochs_trained == 3
    assert np.array_equal(libae.AutoEncoder(SPEC, seed=7, epochs=3, batch_size=8)
                          .fit_transform(x), first)
    ae.partial_fit(x)
    assert ae.epochs_trained == 6
    assert not np.array_equal(ae.transform(x), first)
    fresh = libae.AutoEncoder(SPEC, epochs=1).partial_fit(x)  # fits when unfitted
    assert fresh.epochs_trained == 1


def test_options_reach_the_model(x):
    est = libae.AutoEncoder(SPEC, epochs=2, batch_size=5, shuffle=False, validation_split=0.25,
                            patience=3, optimizer="sgd", learning_rate=0.05, momentum=0.5,
                            loss="bce", loss_reduction="sum", l2=1e-4, adam_beta1=0.8,
                            adam_beta2=0.99, adam_epsilon=1e-6, progress_every=2).fit(x)
    assert set(libae.OPTIONS) <= set(k for k, v in est.get_params().items() if v is not None)
    m = est.model_
    assert m.get_option(libae.Option.BATCH_SIZE) == 5
    assert m.get_option(libae.Option.SHUFFLE) == 0
    assert m.get_option(libae.Option.OPTIMIZER) == libae.Optimizer.SGD
    assert m.get_option(libae.Option.LOSS) == libae.Loss.BCE
    assert m.get_option(libae.Option.L2) == 1e-4
    assert m.get_option(libae.Option.LOSS_REDUCTION) == libae.Reduction.SUM
    assert not np.isnan(est.loss_history()[1][-1])
    # Read back from the file: the same params (seed is not reported by the C API).
    loaded = libae.AutoEncoder.from_bytes(est.to_bytes()).get_params()
    for name, value in est.get_params().items():
        if name in libae.OPTIONS:
            assert loaded[name] == value, name
    assert loaded["seed"] is None


def test_target_y(x):
    est = libae.AutoEncoder("input 16; output 2; code 3 tanh; dense 2 linear", epochs=2)
    y = x[:, :2]
    assert est.fit(x, y).reconstruct(x).shape == (32, 2)
    with pytest.raises(libae.ShapeError):
        est.score_samples(x)  # scores need output width == input width


def test_predict_thresholds(ae, x):
    s = ae.score_samples(x)
    cut = float(np.median(s))
    flags = ae.predict(x, threshold=cut)
    assert flags.dtype == np.int64 and set(np.unique(flags)) <= {0, 1}
    assert np.array_equal(flags, (s > cut).astype(int))
    with pytest.raises(ValueError, match="no anomaly threshold"):
        ae.predict(x)
    ae.set_params(threshold=cut)
    assert np.array_equal(ae.predict(x), flags)
    ae.set_threshold(x, contamination=0.25)
    assert ae.predict(x).sum() == 8  # a quarter of the 32 rows lie above
    assert ae.threshold_ == pytest.approx(np.quantile(s.astype(np.float64), 0.75))
    assert np.array_equal(ae.predict(x, threshold=cut), flags)  # the argument wins
    ae.set_threshold(threshold=1.0)
    assert ae.predict(x).sum() == 0
    for bad in (dict(), dict(threshold=1, contamination=0.1), dict(contamination=0.1),
                dict(X=x, contamination=0.9)):
        with pytest.raises(ValueError):
            ae.set_threshold(**bad)


def test_contamination_at_fit(x):
    est = libae.AutoEncoder(SPEC, epochs=2, contamination=0.125).fit(x)
    assert est.threshold_ is not None and est.predict(x).sum() == 4
    # An outlier far from the data is flagged.
    odd = np.vstack([x[:3], 1 - x[3:4]])
    assert est.predict(odd)[-1] == 1


def test_save_load_and_bytes(ae, x, tmp_path):
    path = tmp_path / "ae.model"
    ae.save(path)
    for other in (libae.AutoEncoder.load(path), libae.AutoEncoder.from_bytes(ae.to_bytes()),
                  pickle.loads(pickle.dumps(ae))):
        assert np.array_equal(other.transform(x), ae.transform(x))
        assert np.array_equal(other.score_samples(x), ae.score_samples(x))
        assert other.epochs_trained == 3 and other.canonical_spec == ae.canonical_spec
    # Pickles keep the optimizer state and the estimator's own attributes.
    ae.set_threshold(threshold=0.5)
    back = pickle.loads(pickle.dumps(ae))
    assert back.threshold_ == 0.5 and back.get_params() == ae.get_params()
    assert back.partial_fit(x).to_bytes() == ae.partial_fit(x).to_bytes()


def test_unfitted(x):
    est = libae.AutoEncoder(SPEC)
    for call in (lambda: est.transform(x), lambda: est.input_size, lambda: est.save("x"),
                 lambda: est.predict(x, threshold=1)):
        with pytest.raises(AttributeError, match="not fitted"):
            call()
    assert pickle.loads(pickle.dumps(est)).get_params() == est.get_params()


def test_progress_and_verbose(x, capsys):
    seen = []
    est = libae.AutoEncoder(SPEC, epochs=20, verbose=True,
                            progress=lambda e, s, n, loss: seen.append((e, loss)) or e == 3)
    est.fit(x)
    assert [e for e, _ in seen] == [1, 2, 3] and est.epochs_trained == 3
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and out[0].startswith("epoch 1/20  loss ")
    assert out[0].endswith("(per element)")
    assert list(est.loss_history()[0]) == [loss for _, loss in seen]
    est.set_params(progress=None, loss_reduction="sum", validation_split=0.25, epochs=2).fit(x)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "validation" in out[0] and out[0].endswith("(per sample)")


def test_exception_in_progress_reaches_fit(x):
    def progress(*a):
        raise RuntimeError("from the callback")

    est = libae.AutoEncoder(SPEC, epochs=5, progress=progress)
    with pytest.raises(RuntimeError, match="from the callback"):
        est.fit(x)
    assert est.epochs_trained == 1


def test_close_and_context_manager(x):
    with libae.AutoEncoder(SPEC, epochs=1).fit(x) as est:
        model = est.model_
        est.transform(x)
    assert model.closed
    with pytest.raises(AttributeError, match="not fitted"):
        est.transform(x)
