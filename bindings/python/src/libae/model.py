"""Model: a thin, owning wrapper of one ae_model handle.

Each method is one libae call plus argument conversion and error checking. The
scikit-learn style estimator (libae.AutoEncoder) is built on this class; use
Model directly when you want the C API's shape without the estimator
conventions.

Arrays
------
Inputs are 2-D (n, cols) matrices. A C-contiguous float32 array (native byte
order) is passed to libae as is: its data pointer goes straight to C, nothing is
copied. Anything else (float64, integers, Fortran order, strided views, lists)
is converted once with np.ascontiguousarray(x, dtype=np.float32). Outputs are
new C-contiguous float32 arrays, or, when given, an `out=` array that must
already be C-contiguous, writeable float32 of the right shape (written in place,
zero-copy).

Threads
-------
Every libae call releases the GIL. Inference (encode, decode, reconstruct,
score, encode_distribution, sample, negative_elbo, jacobian_norm), save,
to_bytes and the getters may run on one Model from many threads at once;
train and the setters need the model to themselves. Mixing them raises
BusyError instead of racing: libae checks inference and saving against
training, and this class also checks the getters (which libae leaves to the
caller), so a getter called from another thread during train() raises
BusyError; the progress callback, on the training thread, may use them.

Lifetime
--------
The handle is freed exactly once: by close() (also via `with`), or when the
Model is garbage-collected (weakref.finalize). close() while another thread is
inside a libae call on this model defers the free to the end of that call.
"""

import ctypes
import operator
import os
import signal
import threading
import weakref

import numpy as np

from . import _capi
from ._capi import SAVE_OPTIMIZER_STATE, CodePart, Status, lib
from ._errors import BusyError, LibaeError, check

__all__ = ["Model", "as_matrix", "version", "version_string"]


def version():
    """ae_version() of the loaded library, e.g. 100 for 0.1.0."""
    return int(lib().ae_version())


def version_string():
    """ae_version_string() of the loaded library, e.g. "0.1.0"."""
    return lib().ae_version_string().decode()


def as_matrix(x, name="x", ndim=2):
    """x as a C-contiguous native float32 array of ndim dimensions (2: a
    (rows, cols) matrix), copying only if needed.

    Returns x itself (no copy) when it already is one. Complex data are refused
    rather than silently losing their imaginary part.
    """
    if (type(x) is np.ndarray and x.dtype == np.float32 and x.ndim == ndim
            and x.flags.c_contiguous and x.dtype.isnative):
        return x
    arr = np.asarray(x)
    if arr.dtype.kind == "c":
        raise TypeError("%s is complex (%s); libae takes real numbers" % (name, arr.dtype))
    if arr.dtype.kind not in "biuf":
        raise TypeError("%s has dtype %s; libae takes numbers (converted to float32)"
                        % (name, arr.dtype))
    if arr.ndim != ndim:
        if ndim == 1:
            raise ValueError("%s must be a 1-D array, got shape %s" % (name, arr.shape))
        raise ValueError("%s must be a 2-D array (n_samples, n_columns), got %d-D shape %s%s"
                         % (name, arr.ndim, arr.shape,
                            "; use x.reshape(1, -1) for a single sample" if arr.ndim == 1
                            else ""))
    return np.ascontiguousarray(arr, dtype=np.float32)


def _ptr(a):
    return a.ctypes.data


def _output(out, shape, name):
    if out is None:
        return np.empty(shape, dtype=np.float32)
    if not (isinstance(out, np.ndarray) and out.dtype == np.float32 and out.dtype.isnative
            and out.flags.c_contiguous and out.flags.writeable):
        raise ValueError("%s must be a writeable C-contiguous float32 array" % name)
    if out.shape != shape:
        raise ValueError("%s has shape %s, expected %s" % (name, out.shape, shape))
    return out


def _count(n, name):
    try:
        return operator.index(n)
    except TypeError:
        raise TypeError("%s must be an integer, got %r" % (name, n)) from None


def _as_seed(seed, name="seed"):
    value = _count(seed, name)
    if not 0 <= value < 2 ** 64:
        raise ValueError("%s must be an integer in [0, 2**64), got %r" % (name, seed))
    return value


def _fspath(path):
    p = os.fsencode(path)
    if b"\0" in p:
        raise ValueError("path contains a NUL byte")
    return p


# How a call uses the model, for the Python-side guard (see "Threads").
_READ, _GET, _WRITE = 0, 1, 2


class Model:
    """One libae model. Create with Model(spec, seed), Model.load(path) or
    Model.from_bytes(data)."""

    __slots__ = ("_handle", "_finalizer", "_guard", "_users", "_getters", "_writer",
                 "_closing", "_progress_fn", "__weakref__")

    def __init__(self, spec, seed=0):
        if not isinstance(spec, str):
            raise TypeError("spec must be a str, got %s" % type(spec).__name__)
        seed = _as_seed(seed)
        out = ctypes.c_void_p()
        check(lib().ae_model_create(ctypes.byref(out), spec.encode("utf-8"), seed))
        self._adopt(out)

    @classmethod
    def _from_handle(cls, out):
        self = cls.__new__(cls)
        self._adopt(out)
        return self

    def _adopt(self, out):
        handle = out.value
        self._handle = handle
        self._guard = threading.Lock()
        self._users = 0        # calls in flight, of any kind
        self._getters = 0      # getter calls in flight
        self._writer = None    # the thread in train() or a setter, if any
        self._closing = False
        self._progress_fn = None  # the installed C callback, kept alive while installed
        # Holds no reference to self; runs at most once (close() or GC). Not at
        # interpreter exit, where a daemon thread might still be using the model:
        # the process's end releases the memory anyway.
        self._finalizer = weakref.finalize(self, lib().ae_model_free, handle)
        self._finalizer.atexit = False

    # ---- lifetime and the guard ----

    def _enter(self, kind=_READ):
        with self._guard:
            if self._closing:
                raise ValueError("the model is closed")
            me = threading.get_ident()
            if kind == _GET and self._writer not in (None, me):
                raise BusyError(Status.ERR_BUSY, "the model is being trained or configured "
                                "by another thread")
            if kind == _WRITE:
                if self._writer is not None:
                    raise BusyError(Status.ERR_BUSY, "the model is being trained or "
                                    "configured%s" % ("" if self._writer == me
                                                      else " by another thread"))
                if self._getters:
                    raise BusyError(Status.ERR_BUSY, "the model is being read by another "
                                    "thread")
                self._writer = me
            elif kind == _GET:
                self._getters += 1
            self._users += 1
            return self._handle

    def _leave(self, kind=_READ):
        with self._guard:
            self._users -= 1
            if kind == _WRITE:
                self._writer = None
            elif kind == _GET:
                self._getters -= 1
            free_now = self._closing and self._users == 0
        if free_now:
            self._finalizer()

    def close(self):
        """Frees the model now (idempotent). Later calls raise ValueError."""
        with self._guard:
            if self._closing:
                return
            self._closing = True
            free_now = self._users == 0
        if free_now:
            self._finalizer()

    @property
    def closed(self):
        return self._closing

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, kind, fn, *args):
        """fn(handle, *args), checked; the handle stays alive during the call."""
        h = self._enter(kind)
        try:
            check(fn(h, *args))
        finally:
            self._leave(kind)

    def _size(self, fn):
        """A size getter (sizes never change after creation)."""
        h = self._enter()
        try:
            return int(fn(h))
        finally:
            self._leave()

    # ---- loading and saving ----

    @classmethod
    def load(cls, path):
        """ae_load: a model saved by save() (from any binding or C)."""
        out = ctypes.c_void_p()
        check(lib().ae_load(ctypes.byref(out), _fspath(path)))
        return cls._from_handle(out)

    @classmethod
    def from_bytes(cls, data):
        """ae_load_buffer: a model from the bytes to_bytes() gives (any
        contiguous buffer: bytes, bytearray, memoryview, uint8 array; not copied)."""
        buf = np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8)
        out = ctypes.c_void_p()
        check(lib().ae_load_buffer(ctypes.byref(out), _ptr(buf), buf.size))
        return cls._from_handle(out)

    def save(self, path, optimizer_state=False):
        """ae_save, atomically. optimizer_state=True also stores the optimizer
        moments so that training resumes exactly."""
        flags = SAVE_OPTIMIZER_STATE if optimizer_state else 0
        self._call(_READ, lib().ae_save, _fspath(path), flags)

    def to_bytes(self, optimizer_state=False):
        """ae_save_buffer: the bytes save() would write."""
        flags = SAVE_OPTIMIZER_STATE if optimizer_state else 0
        size = ctypes.c_size_t()
        h = self._enter()
        try:
            check(lib().ae_save_buffer(h, flags, None, 0, ctypes.byref(size)))
            buf = ctypes.create_string_buffer(size.value)
            check(lib().ae_save_buffer(h, flags, buf, size.value, ctypes.byref(size)))
        finally:
            self._leave()
        return buf.raw[:size.value]

    def __reduce__(self):
        """Pickling and copy.copy/deepcopy go through to_bytes (with the
        optimizer state): an independent model with the same weights."""
        return (Model.from_bytes, (self.to_bytes(optimizer_state=True),))

    # ---- introspection ----

    @property
    def input_size(self):
        return self._size(lib().ae_input_size)

    @property
    def code_size(self):
        return self._size(lib().ae_code_size)

    @property
    def output_size(self):
        return self._size(lib().ae_output_size)

    @property
    def n_params(self):
        return self._size(lib().ae_param_count)

    @property
    def epochs_trained(self):
        h = self._enter(_GET)
        try:
            return int(lib().ae_epochs_trained(h))
        finally:
            self._leave(_GET)

    @property
    def spec(self):
        """The canonical spec (mirror expanded)."""
        h = self._enter()
        try:
            return lib().ae_model_spec(h).decode("utf-8")
        finally:
            self._leave()

    def loss_history(self):
        """ae_loss_history for every finished epoch: (train_loss,
        validation_loss), two float64 arrays of epochs_trained values
        (validation NaN without a split). Kept in model files."""
        h = self._enter(_GET)
        try:
            n = int(lib().ae_epochs_trained(h))
            train, val = np.empty(n), np.empty(n)
            t, v = ctypes.c_double(), ctypes.c_double()
            for i in range(n):
                check(lib().ae_loss_history(h, i + 1, ctypes.byref(t), ctypes.byref(v)))
                train[i], val[i] = t.value, v.value
        finally:
            self._leave(_GET)
        return train, val

    # ---- options and settings ----

    def set_option(self, option, value):
        """ae_set_option(option, float(value)); option is an Option or its int."""
        self._call(_WRITE, lib().ae_set_option, int(option), float(value))

    def get_option(self, option):
        value = ctypes.c_double()
        self._call(_GET, lib().ae_get_option, int(option), ctypes.byref(value))
        return value.value

    @staticmethod
    def option_bounds(option):
        """(min, max, default) of an option, from ae_option_bounds."""
        lo, hi, default = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
        check(lib().ae_option_bounds(int(option), ctypes.byref(lo), ctypes.byref(hi),
                                     ctypes.byref(default)))
        return lo.value, hi.value, default.value

    def train_stat(self, stat):
        """ae_train_stat: a figure of the last or running training (NaN before any)."""
        value = ctypes.c_double()
        self._call(_GET, lib().ae_train_stat, int(stat), ctypes.byref(value))
        return value.value

    def set_input_scaling(self, mean, scale):
        """ae_set_input_scaling: standardise every input row as
        (x - mean) / scale before the first layer (in training and inference;
        outputs stay in the data's units). mean and scale: (input_size,) each.
        set_input_scaling(None, None) removes it. Saved with the model."""
        if mean is None and scale is None:
            self._call(_WRITE, lib().ae_set_input_scaling, None, None, self.input_size)
            return
        if mean is None or scale is None:
            raise ValueError("give both mean and scale, or neither")
        mean = as_matrix(mean, "mean", ndim=1)
        scale = as_matrix(scale, "scale", ndim=1)
        if mean.shape != scale.shape:
            raise ValueError("mean has %d values, scale %d" % (mean.size, scale.size))
        self._call(_WRITE, lib().ae_set_input_scaling, _ptr(mean), _ptr(scale), mean.size)

    def get_input_scaling(self):
        """(mean, scale), float32 arrays of input_size values (0 and 1 without
        a standardisation)."""
        cols = self.input_size
        mean, scale = np.empty(cols, np.float32), np.empty(cols, np.float32)
        self._call(_GET, lib().ae_get_input_scaling, _ptr(mean), _ptr(scale), cols)
        return mean, scale

    # ---- training ----

    def train(self, x, target=None, progress=None):
        """ae_train on x (n, input_size), against target (n, output_size) or x.

        progress: callable(epoch, step, steps_per_epoch, loss) -> truthy to stop,
        called on this thread at each epoch's end (and every PROGRESS_EVERY
        steps). An exception raised by it stops training and is re-raised here
        once ae_train has returned; the model keeps the weights trained so far.

        Ctrl-C: called from the main thread with Python's default SIGINT
        handler in place, train() swaps in a handler that only records the
        signal for the duration of the call; training then stops at the next
        epoch end (or PROGRESS_EVERY step) and KeyboardInterrupt is raised here.
        Returns self.
        """
        x = as_matrix(x, "x")
        t = None if target is None else as_matrix(target, "target")
        raised = []
        interrupted = []

        def trampoline(_user, epoch, step, steps, loss):
            if interrupted:
                return 1
            try:
                return 1 if (progress is not None and progress(epoch, step, steps, loss)) else 0
            except BaseException as e:  # noqa: B902 - re-raised after ae_train
                raised.append(e)
                return 1

        # A callback is always installed, so that Ctrl-C can stop the training
        # loop (signals are only seen while Python code runs, i.e. in it).
        fn = _capi.PROGRESS_FN(trampoline)
        h = self._enter(_WRITE)
        old_handler = None
        pending = None
        try:
            check(lib().ae_set_progress(h, fn, None))
            self._progress_fn = fn
            if (threading.current_thread() is threading.main_thread()
                    and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
                old_handler = signal.signal(signal.SIGINT,
                                            lambda signum, frame: interrupted.append(signum))
            status = lib().ae_train(h, _ptr(x), x.shape[0], x.shape[1],
                                    None if t is None else _ptr(t),
                                    0 if t is None else t.shape[1])
            # Read the detail message now, before any other libae call here.
            try:
                check(status)
            except LibaeError as e:
                pending = e
            # Uninstall; should inference have grabbed the model meanwhile (BUSY),
            # fn stays installed and referenced until the next train().
            if lib().ae_set_progress(h, _capi.PROGRESS_FN(), None) == 0:
                self._progress_fn = None
        finally:
            if old_handler is not None:
                signal.signal(signal.SIGINT, old_handler)
            self._leave(_WRITE)
        if interrupted and not raised:
            raised.append(KeyboardInterrupt())
        if raised:
            if pending is not None:
                raised[0].__context__ = pending
            raise raised[0]
        if pending is not None:
            raise pending
        return self

    # ---- inference ----

    def _rows_to_matrix(self, fn, x, name, out, out_cols, *extra):
        """fn(model, x, n, x_cols, *extra, out, out_cols): the common shape."""
        x = as_matrix(x, name)
        h = self._enter()
        try:
            cols = int(out_cols(h))
            out = _output(out, (x.shape[0], cols), "out")
            check(fn(h, _ptr(x), x.shape[0], x.shape[1], *extra, _ptr(out), cols))
        finally:
            self._leave()
        return out

    def _rows_to_vector(self, fn, x, out, *extra):
        """fn(model, x, n, x_cols, *extra, out): one float per row."""
        x = as_matrix(x, "x")
        out = _output(out, (x.shape[0],), "out")
        self._call(_READ, fn, _ptr(x), x.shape[0], x.shape[1], *extra, _ptr(out))
        return out

    def encode(self, x, out=None):
        """ae_encode: codes (n, code_size) of x (n, input_size); for a
        variational model the mean mu."""
        return self._rows_to_matrix(lib().ae_encode, x, "x", out, lib().ae_code_size)

    def decode(self, code, out=None):
        """ae_decode: outputs (n, output_size) of codes (n, code_size)."""
        return self._rows_to_matrix(lib().ae_decode, code, "code", out, lib().ae_output_size)

    def reconstruct(self, x, out=None):
        """ae_reconstruct: decode(encode(x)), (n, output_size)."""
        return self._rows_to_matrix(lib().ae_reconstruct, x, "x", out, lib().ae_output_size)

    def score(self, x, out=None):
        """ae_score: per-row reconstruction error (n,) under the model's loss
        and reduction (mean or sum over the row)."""
        return self._rows_to_vector(lib().ae_score, x, out)

    def encode_distribution(self, x, part=CodePart.MEAN, seed=0, out=None):
        """ae_encode_distribution: the code distribution's `part` (CodePart.MEAN,
        LOG_VARIANCE, or SAMPLE drawn from `seed`), (n, code_size). Parts other
        than MEAN need a variational model."""
        return self._rows_to_matrix(lib().ae_encode_distribution, x, "x", out,
                                    lib().ae_code_size, int(part), _as_seed(seed))

    def sample(self, n, seed=0, out=None):
        """ae_sample: n new items (n, output_size), decoded from codes drawn
        from N(0, I) with `seed` (same seed, same items). Needs a variational
        model (a `gaussian` code layer)."""
        n = _count(n, "n")
        h = self._enter()
        try:
            cols = int(lib().ae_output_size(h))
            out = _output(out, (max(n, 0), cols), "out")
            check(lib().ae_sample(h, n, _as_seed(seed), _ptr(out), cols))
        finally:
            self._leave()
        return out

    def negative_elbo(self, x, seed=0, out=None):
        """ae_negative_elbo: per-row one-sample estimate of -ELBO (n,), the
        reconstruction loss summed over the row plus the KL term. Needs a
        variational model."""
        return self._rows_to_vector(lib().ae_negative_elbo, x, out, _as_seed(seed))

    def jacobian_norm(self, x, out=None):
        """ae_jacobian_norm: |d code / d x|_F^2 at each row of x, (n,)."""
        return self._rows_to_vector(lib().ae_jacobian_norm, x, out)

    def __repr__(self):
        if self._closing:
            return "<libae.Model closed>"
        return "<libae.Model %r, %d parameters>" % (self.spec, self.n_params)
