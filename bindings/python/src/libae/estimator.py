"""AutoEncoder: a scikit-learn style estimator over libae.Model.

scikit-learn is not needed; the class follows its conventions (constructor
stores parameters only, fit returns self, fitted state in attributes ending in
"_", get_params/set_params, an explicit __init__ signature) so that sklearn's
clone, Pipeline and GridSearchCV work when it is installed.
"""

import inspect
import math
import sys

import numpy as np

from ._capi import CodePart, Loss, Option, Optimizer, Reduction, Stat
from .model import Model, as_matrix

__all__ = ["AutoEncoder", "OPTIONS"]


def _choice(mapping):
    def convert(value, name):
        if isinstance(value, str):
            try:
                return float(mapping[value.lower()])
            except KeyError:
                raise ValueError("%s must be one of %s, got %r"
                                 % (name, ", ".join(repr(k) for k in mapping), value)) from None
        return float(value)
    convert.decode = lambda v: {int(m): k for k, m in mapping.items()}.get(int(v), v)
    return convert


def _number(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError("%s must be a number, got %r" % (name, value))
    return float(value)


def _integer(value, name):
    return _number(value, name)  # libae itself rejects fractions, giving the range


_integer.decode = int


def _flag(value, name):
    if not isinstance(value, (bool, int, np.bool_, np.integer)):
        raise TypeError("%s must be a bool, got %r" % (name, value))
    return 1.0 if value else 0.0


_flag.decode = bool

# keyword -> (ae_option, converter to the double ae_set_option takes).
# A converter may carry .decode to turn a stored double back into the keyword's
# value (for estimators loaded from files). A new option is one line here.
OPTIONS = {
    "epochs": (Option.EPOCHS, _integer),
    "batch_size": (Option.BATCH_SIZE, _integer),
    "shuffle": (Option.SHUFFLE, _flag),
    "validation_split": (Option.VALIDATION_SPLIT, _number),
    "patience": (Option.PATIENCE, _integer),
    "progress_every": (Option.PROGRESS_EVERY, _integer),
    "optimizer": (Option.OPTIMIZER, _choice({"sgd": Optimizer.SGD, "adam": Optimizer.ADAM})),
    "learning_rate": (Option.LEARNING_RATE, _number),
    "momentum": (Option.MOMENTUM, _number),
    "adam_beta1": (Option.ADAM_BETA1, _number),
    "adam_beta2": (Option.ADAM_BETA2, _number),
    "adam_epsilon": (Option.ADAM_EPSILON, _number),
    "loss": (Option.LOSS, _choice({"mse": Loss.MSE, "bce": Loss.BCE})),
    "loss_reduction": (Option.LOSS_REDUCTION, _choice({"mean": Reduction.MEAN,
                                                       "sum": Reduction.SUM})),
    "l2": (Option.L2, _number),
}

# Estimator parameters that are not libae options, with their defaults.
_OTHER_PARAMS = {
    "standardize": False,   # fit() sets input scaling to X's column mean and std
    "threshold": None,      # fixed anomaly threshold on score_samples
    "contamination": None,  # or: fraction of training rows to flag, sets threshold_
    "progress": None,       # callable(epoch, step, steps_per_epoch, loss) -> stop
    "verbose": False,       # print a line per epoch
}


class AutoEncoder:
    """An autoencoder in the scikit-learn style.

    AutoEncoder(spec, seed=0, *, epochs=None, batch_size=None, ..., threshold=None,
                contamination=None, progress=None, verbose=False)

    spec      the architecture, e.g. "input 784; dense 128 relu; code 32 linear;
              mirror sigmoid" (grammar in ae.h)
    seed      initialisation and shuffling seed, an integer in [0, 2**64)
    options   every key of libae.OPTIONS (epochs, batch_size, shuffle,
              validation_split, patience, progress_every, optimizer ('adam' or
              'sgd'), learning_rate, momentum, adam_beta1, adam_beta2,
              adam_epsilon, loss ('mse' or 'bce'), loss_reduction ('mean' or
              'sum'), l2). None (the default) keeps libae's default; ranges are
              libae's (see Model.option_bounds).
    standardize
              True: fit() makes the model standardise its inputs with X's
              column means and standard deviations (ae_set_input_scaling;
              saved with the model; constant columns get scale 1).
    threshold, contamination
              how predict() flags anomalies; see predict().
    progress  callable(epoch, step, steps_per_epoch, loss) -> bool, called at
              each epoch's end (and every `progress_every` steps); return True
              to stop training. An exception it raises stops training and is
              re-raised by fit().
    verbose   print one line per epoch (loss, and validation loss with a split).

    Fitted attributes: model_ (the libae.Model), threshold_ (or None).
    """

    def __init__(self, spec, seed=0, **params):
        unknown = sorted(set(params) - set(OPTIONS) - set(_OTHER_PARAMS))
        if unknown:
            raise TypeError("AutoEncoder got unknown parameter(s) %s; options are %s"
                            % (", ".join(unknown), ", ".join(OPTIONS)))
        self.spec = spec
        self.seed = seed
        for name in OPTIONS:
            setattr(self, name, params.get(name))
        for name, default in _OTHER_PARAMS.items():
            setattr(self, name, params.get(name, default))

    # ---- parameters ----

    @classmethod
    def _param_names(cls):
        return ["spec", "seed"] + list(OPTIONS) + list(_OTHER_PARAMS)

    def get_params(self, deep=True):
        """The constructor parameters, as a dict."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Sets constructor parameters; they take effect at the next fit or
        partial_fit. Returns self."""
        valid = set(self._param_names())
        for name, value in params.items():
            if name not in valid:
                raise ValueError("invalid parameter %r for AutoEncoder; valid: %s"
                                 % (name, ", ".join(sorted(valid))))
            setattr(self, name, value)
        return self

    def __repr__(self):
        shown = ["%r" % (self.spec,)]
        for name in self._param_names()[1:]:
            value = getattr(self, name)
            default = 0 if name == "seed" else _OTHER_PARAMS.get(name)
            if value is not default and value != default:
                shown.append("%s=%r" % (name, value))
        return "AutoEncoder(%s)" % ", ".join(shown)

    # ---- fitting ----

    def _apply_options(self, model):
        for name, (option, convert) in OPTIONS.items():
            value = getattr(self, name)
            if value is not None:
                model.set_option(option, convert(value, name))

    def fit(self, X, y=None):
        """Builds a fresh model from spec and seed, sets the options and trains
        it on X against y (default: X itself). Returns self.

        X (n, input_size) and y (n, output_size): any real arrays; C-contiguous
        float32 is used without a copy, anything else is converted once.
        """
        old = getattr(self, "model_", None)
        X = as_matrix(X, "X")
        model = Model(self.spec, 0 if self.seed is None else self.seed)
        try:
            self._apply_options(model)
            if self.standardize:
                mean = X.mean(axis=0, dtype=np.float64)
                std = X.std(axis=0, dtype=np.float64)
                std[~(std > 0)] = 1.0
                model.set_input_scaling(mean, std)
        except BaseException:
            model.close()
            raise
        self.model_ = model
        self.threshold_ = None
        if old is not None:
            old.close()
        return self._train(X, y)

    def partial_fit(self, X, y=None):
        """Continues training the fitted model (or fits a new one) with the
        current options; optimizer state carries over. Returns self."""
        if getattr(self, "model_", None) is None:
            return self.fit(X, y)
        self._apply_options(self.model_)
        return self._train(X, y)

    def _train(self, X, y):
        X = as_matrix(X, "X")
        model = self.model_
        user = self.progress
        verbose = self.verbose
        total = int(model.get_option(Option.EPOCHS))
        unit = ("per sample" if model.get_option(Option.LOSS_REDUCTION) == Reduction.SUM
                else "per element")

        def progress(epoch, step, steps, loss):
            if verbose and step == steps:
                line = "epoch %d/%d  loss %.6g" % (epoch, total, loss)
                val = model.train_stat(Stat.VALIDATION_LOSS)
                if not math.isnan(val):
                    line += "  validation %.6g" % val
                print(line + "  (%s)" % unit, file=sys.stdout, flush=True)
            elif verbose:
                print("epoch %d/%d  step %d/%d  loss %.6g"
                      % (epoch, total, step, steps, loss), file=sys.stdout, flush=True)
            return bool(user(epoch, step, steps, loss)) if user is not None else False

        model.train(X, y, progress=progress)
        if self.contamination is not None:
            self.set_threshold(X, contamination=self.contamination)
        return self

    def _fitted(self):
        model = getattr(self, "model_", None)
        if model is None:
            raise AttributeError("this AutoEncoder is not fitted yet; call fit() or load()")
        return model

    # ---- transforming ----

    def transform(self, X, out=None):
        """The codes of X: (n, code_size) float32."""
        return self._fitted().encode(X, out=out)

    def fit_transform(self, X, y=None):
        return self.fit(X, y).transform(X)

    def inverse_transform(self, Z, out=None):
        """Decodes codes Z (n, code_size) into (n, output_size) float32."""
        return self._fitted().decode(Z, out=out)

    def reconstruct(self, X, out=None):
        """decode(encode(X)): (n, output_size) float32."""
        return self._fitted().reconstruct(X, out=out)

    def jacobian_norm(self, X):
        """|d code / d x|_F^2 at each row of X, (n,): how contracting the
        encoder is there."""
        return self._fitted().jacobian_norm(X)

    # ---- variational models (a `gaussian` code layer) ----

    def sample(self, n, seed=0):
        """n new items, (n, output_size) float32: codes drawn from N(0, I) with
        `seed`, decoded. The same seed gives the same items. Needs a
        variational model (InvalidArgumentError otherwise)."""
        return self._fitted().sample(n, seed)

    def encode_distribution(self, X, part="mean", seed=0):
        """The code distribution q(z|X): part 'mean' (what transform gives),
        'log_variance', or 'sample' (z = mu + sigma * eps, eps drawn from
        `seed`); (n, code_size) float32."""
        if isinstance(part, str):
            try:
                part = CodePart[part.upper()]
            except KeyError:
                raise ValueError("part must be 'mean', 'log_variance' or 'sample', got %r"
                                 % (part,)) from None
        return self._fitted().encode_distribution(X, part, seed)

    def negative_elbo(self, X, seed=0):
        """Per-sample one-sample estimate of -ELBO (reconstruction loss summed
        over the row, plus KL), (n,) float32."""
        return self._fitted().negative_elbo(X, seed)

    def loss_history(self):
        """(train_loss, validation_loss) of every epoch the model has finished,
        over all fits that continued it (and kept in model files); float64
        arrays, validation NaN without a split."""
        return self._fitted().loss_history()

    # ---- anomaly scores ----

    def score_samples(self, X):
        """Per-sample reconstruction error (n,) float32 from ae_score: each
        row's error under the model's loss (MSE or BCE), its mean over the row's
        values (loss_reduction 'mean', the default) or their sum ('sum').
        Higher means more anomalous. Needs output_size == input_size."""
        return self._fitted().score(X)

    def score(self, X, y=None):
        """Minus the mean reconstruction error (higher is better, as sklearn
        expects of score())."""
        return -float(np.mean(self.score_samples(X), dtype=np.float64))

    def set_threshold(self, X=None, contamination=None, threshold=None):
        """Sets threshold_, the score above which predict() flags a sample.

        Either threshold=value directly, or contamination=c in (0, 0.5]: the
        (1 - c) quantile of score_samples(X), so that a fraction c of X (usually
        the training data) lies above it. Returns self.
        """
        self._fitted()
        if (threshold is None) == (contamination is None):
            raise ValueError("give exactly one of threshold and contamination")
        if threshold is not None:
            self.threshold_ = float(threshold)
            return self
        if X is None:
            raise ValueError("contamination needs the data X to take the quantile of")
        if not 0 < contamination <= 0.5:
            raise ValueError("contamination must be in (0, 0.5], got %r" % (contamination,))
        scores = self.score_samples(X)
        self.threshold_ = float(np.quantile(scores.astype(np.float64), 1.0 - contamination))
        return self

    def predict(self, X, threshold=None):
        """Anomaly flags (n,) int: 1 where score_samples(X) > threshold, else 0.

        The threshold is, in order: the `threshold` argument; threshold_ set by
        set_threshold() or by fit() when the estimator has `contamination` (the
        (1 - contamination) quantile of the training scores); the `threshold`
        parameter. Without any of them predict() raises ValueError.
        """
        if threshold is None:
            threshold = getattr(self, "threshold_", None)
        if threshold is None:
            threshold = self.threshold
        if threshold is None:
            raise ValueError("no anomaly threshold: pass predict(X, threshold=...), or set "
                             "contamination= or threshold= on the estimator, or call "
                             "set_threshold()")
        return (self.score_samples(X) > float(threshold)).astype(np.int64)

    # ---- saving and loading ----

    def save(self, path, optimizer_state=False):
        """Writes the model file (atomically). optimizer_state=True also stores
        the optimizer moments, so partial_fit resumes exactly. The file holds
        spec, options and weights; threshold_, progress and verbose are not
        stored."""
        self._fitted().save(path, optimizer_state=optimizer_state)

    def to_bytes(self, optimizer_state=False):
        """The bytes save() would write."""
        return self._fitted().to_bytes(optimizer_state=optimizer_state)

    @classmethod
    def _from_model(cls, model):
        est = cls(model.spec, seed=None)
        for name, (option, convert) in OPTIONS.items():
            value = model.get_option(option)
            setattr(est, name, getattr(convert, "decode", float)(value))
        mean, scale = model.get_input_scaling()
        est.standardize = bool(np.any(mean != 0) or np.any(scale != 1))
        est.model_ = model
        est.threshold_ = None
        return est

    @classmethod
    def load(cls, path):
        """An estimator around a model file from any binding or C. Its params
        are read back from the file; seed is None (the C API does not report
        it; fit() then uses 0)."""
        return cls._from_model(Model.load(path))

    @classmethod
    def from_bytes(cls, data):
        return cls._from_model(Model.from_bytes(data))

    # ---- pickling (joblib, multiprocessing) ----

    def __getstate__(self):
        state = dict(self.__dict__)
        model = state.pop("model_", None)
        if model is not None:
            state["model_bytes_"] = model.to_bytes(optimizer_state=True)
        return state

    def __setstate__(self, state):
        data = state.pop("model_bytes_", None)
        self.__dict__.update(state)
        if data is not None:
            self.model_ = Model.from_bytes(data)

    # ---- introspection ----

    @property
    def input_size(self):
        return self._fitted().input_size

    @property
    def code_size(self):
        return self._fitted().code_size

    @property
    def output_size(self):
        return self._fitted().output_size

    @property
    def n_params(self):
        return self._fitted().n_params

    @property
    def epochs_trained(self):
        return self._fitted().epochs_trained

    @property
    def canonical_spec(self):
        """The fitted model's canonical spec (mirror expanded)."""
        return self._fitted().spec

    # ---- lifetime ----

    def close(self):
        """Frees the model now; the estimator is then unfitted."""
        model = self.__dict__.pop("model_", None)
        if model is not None:
            model.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _signature():
    P = inspect.Parameter
    params = [P("self", P.POSITIONAL_OR_KEYWORD), P("spec", P.POSITIONAL_OR_KEYWORD),
              P("seed", P.POSITIONAL_OR_KEYWORD, default=0)]
    params += [P(name, P.KEYWORD_ONLY, default=None) for name in OPTIONS]
    params += [P(name, P.KEYWORD_ONLY, default=d) for name, d in _OTHER_PARAMS.items()]
    return inspect.Signature(params)


# sklearn (clone, get_params) reads the parameters from __init__'s signature:
# give it the explicit one generated from OPTIONS instead of **params.
AutoEncoder.__init__.__signature__ = _signature()
