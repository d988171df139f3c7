"""The C API of libae (include/ae.h) as ctypes declarations, and the loader.

Everything that mirrors ae.h lives in this one file: the enums (as IntEnums with
the header's values) and one table row per exported function. Adding a function
to the binding is one row in FUNCTIONS (plus a method that calls it); adding an
option is one member of Option (plus one row in estimator.OPTIONS).

Only functions and opaque pointers cross the boundary: a model is a void
pointer, data are float pointers with int64 sizes. No C struct is mirrored.

ctypes.CDLL (not PyDLL) releases the GIL for the duration of every foreign call,
so training and inference run in parallel with other Python threads.
"""

import ctypes
import ctypes.util
import enum
import os
import subprocess
import sys
import threading

__all__ = ["Status", "Option", "Optimizer", "Loss", "Reduction", "Stat", "CodePart",
           "SAVE_OPTIMIZER_STATE", "lib", "library_path", "LibraryNotFoundError",
           "UnsupportedError", "PROGRESS_FN"]

# The major version this binding speaks: the SONAME is libae.so.<major>.
ABI_MAJOR = 0


class Status(enum.IntEnum):
    """ae_status. Values are the header's; new ones are appended there."""
    OK = 0
    ERR_NULL_ARGUMENT = 1
    ERR_INVALID_ARGUMENT = 2
    ERR_SHAPE = 3
    ERR_NONFINITE_INPUT = 4
    ERR_NO_MEMORY = 5
    ERR_SPEC = 6
    ERR_IO = 7
    ERR_FORMAT = 8
    ERR_CHECKSUM = 9
    ERR_VERSION = 10
    ERR_DIVERGED = 11
    ERR_BUSY = 12
    ERR_BUFFER_TOO_SMALL = 13


class Option(enum.IntEnum):
    """ae_option: training options, all set as doubles."""
    EPOCHS = 100
    BATCH_SIZE = 101
    SHUFFLE = 102
    VALIDATION_SPLIT = 103
    PATIENCE = 104
    PROGRESS_EVERY = 105
    OPTIMIZER = 200
    LEARNING_RATE = 201
    MOMENTUM = 202
    ADAM_BETA1 = 203
    ADAM_BETA2 = 204
    ADAM_EPSILON = 205
    LOSS = 300
    LOSS_REDUCTION = 301
    L2 = 400


class Optimizer(enum.IntEnum):
    """ae_optimizer_kind, the values of Option.OPTIMIZER."""
    SGD = 0
    ADAM = 1


class Loss(enum.IntEnum):
    """ae_loss_kind, the values of Option.LOSS."""
    MSE = 0
    BCE = 1


class Reduction(enum.IntEnum):
    """ae_reduction, the values of Option.LOSS_REDUCTION."""
    MEAN = 0
    SUM = 1


class Stat(enum.IntEnum):
    """ae_stat: figures of the training in progress or just finished."""
    LOSS = 0
    RECONSTRUCTION = 1
    L2_PENALTY = 2
    VALIDATION_LOSS = 3
    BEST_EPOCH = 4
    L1_PENALTY = 5
    KL_PENALTY = 6
    CONTRACTIVE_PENALTY = 7
    VAE_KL = 8


class CodePart(enum.IntEnum):
    """ae_code_part: what ae_encode_distribution returns."""
    MEAN = 0
    LOG_VARIANCE = 1
    SAMPLE = 2


SAVE_OPTIMIZER_STATE = 1  # AE_SAVE_OPTIMIZER_STATE

# ---------------------------------------------------------------------------
# Function table
# ---------------------------------------------------------------------------

_model = ctypes.c_void_p            # ae_model * (opaque)
_model_out = ctypes.POINTER(ctypes.c_void_p)  # ae_model **
_fptr = ctypes.c_void_p             # const float * / float * (passed as an address)
_i64 = ctypes.c_int64
_status = ctypes.c_int
_dptr = ctypes.POINTER(ctypes.c_double)

# int (*ae_progress_fn)(void *user_data, int64_t epoch, int64_t step,
#                       int64_t steps_per_epoch, double loss)
PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, _i64, _i64, _i64,
                               ctypes.c_double)

# name: (restype, argtypes). The functions in REQUIRED must be there; any
# other one missing from the loaded library (an older libae) is replaced by a
# function that raises UnsupportedError, so every call site stays the same.
FUNCTIONS = {
    "ae_version": (ctypes.c_uint32, []),
    "ae_version_string": (ctypes.c_char_p, []),
    "ae_status_string": (ctypes.c_char_p, [_status]),
    "ae_last_error": (ctypes.c_char_p, []),
    "ae_model_create": (_status, [_model_out, ctypes.c_char_p, ctypes.c_uint64]),
    "ae_model_free": (None, [_model]),
    "ae_input_size": (_i64, [_model]),
    "ae_code_size": (_i64, [_model]),
    "ae_output_size": (_i64, [_model]),
    "ae_param_count": (_i64, [_model]),
    "ae_epochs_trained": (_i64, [_model]),
    "ae_model_spec": (ctypes.c_char_p, [_model]),
    "ae_set_option": (_status, [_model, ctypes.c_int, ctypes.c_double]),
    "ae_get_option": (_status, [_model, ctypes.c_int, _dptr]),
    "ae_option_bounds": (_status, [ctypes.c_int, _dptr, _dptr, _dptr]),
    "ae_set_progress": (_status, [_model, PROGRESS_FN, ctypes.c_void_p]),
    "ae_train_stat": (_status, [_model, ctypes.c_int, _dptr]),
    "ae_train": (_status, [_model, _fptr, _i64, _i64, _fptr, _i64]),
    "ae_encode": (_status, [_model, _fptr, _i64, _i64, _fptr, _i64]),
    "ae_decode": (_status, [_model, _fptr, _i64, _i64, _fptr, _i64]),
    "ae_reconstruct": (_status, [_model, _fptr, _i64, _i64, _fptr, _i64]),
    "ae_score": (_status, [_model, _fptr, _i64, _i64, _fptr]),
    "ae_save": (_status, [_model, ctypes.c_char_p, ctypes.c_uint32]),
    "ae_load": (_status, [_model_out, ctypes.c_char_p]),
    "ae_save_buffer": (_status, [_model, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_size_t,
                                 ctypes.POINTER(ctypes.c_size_t)]),
    "ae_load_buffer": (_status, [_model_out, ctypes.c_void_p, ctypes.c_size_t]),
    "ae_loss_history": (_status, [_model, _i64, _dptr, _dptr]),
    "ae_set_input_scaling": (_status, [_model, _fptr, _fptr, _i64]),
    "ae_get_input_scaling": (_status, [_model, _fptr, _fptr, _i64]),
    "ae_encode_distribution": (_status, [_model, _fptr, _i64, _i64, ctypes.c_int,
                                         ctypes.c_uint64, _fptr, _i64]),
    "ae_sample": (_status, [_model, _i64, ctypes.c_uint64, _fptr, _i64]),
    "ae_negative_elbo": (_status, [_model, _fptr, _i64, _i64, ctypes.c_uint64, _fptr]),
    "ae_jacobian_norm": (_status, [_model, _fptr, _i64, _i64, _fptr]),
}
# The first functions of libae 0.1, which every usable library has.
REQUIRED = frozenset([
    "ae_version", "ae_version_string", "ae_status_string", "ae_last_error",
    "ae_model_create", "ae_model_free", "ae_input_size", "ae_code_size", "ae_output_size",
    "ae_param_count", "ae_epochs_trained", "ae_model_spec", "ae_set_option",
    "ae_get_option", "ae_option_bounds", "ae_set_progress", "ae_train_stat", "ae_train",
    "ae_encode", "ae_decode", "ae_reconstruct", "ae_score", "ae_save", "ae_load",
    "ae_save_buffer", "ae_load_buffer",
])


# ---------------------------------------------------------------------------
# Finding and loading the shared library
# ---------------------------------------------------------------------------

ENV_VAR = "LIBAE_LIBRARY"


class LibraryNotFoundError(OSError):
    """libae's shared library could not be found or loaded.

    .attempts lists (what was tried, why it failed) in order.
    """

    def __init__(self, attempts):
        self.attempts = list(attempts)
        lines = ["could not load libae (the shared library libae.so.%d); tried, in order:"
                 % ABI_MAJOR]
        lines += ["  - %s: %s" % (what, why) for what, why in self.attempts]
        lines.append("Install libae and make it findable: set %s to the full path of "
                     "libae.so.%d, or add PREFIX/lib/pkgconfig to PKG_CONFIG_PATH, or add "
                     "PREFIX/lib to LD_LIBRARY_PATH." % (ENV_VAR, ABI_MAJOR))
        super().__init__("\n".join(lines))


class UnsupportedError(NotImplementedError):
    """The loaded libae is too old to have a function this binding offers."""


def _unsupported(name, target):
    def call(*args):
        raise UnsupportedError("%s: the loaded libae (%s) does not have this function; "
                               "install a newer libae" % (name, target))
    call.__name__ = name
    return call


def _file_names():
    """File names of the shared library in a directory, best first."""
    if sys.platform == "darwin":
        return ["libae.%d.dylib" % ABI_MAJOR, "libae.dylib"]
    if sys.platform == "win32":
        return ["ae.dll", "libae.dll"]
    return ["libae.so.%d" % ABI_MAJOR, "libae.so"]


def _pkg_config_libdir():
    """Returns (libdir or None, why not)."""
    exe = os.environ.get("PKG_CONFIG", "pkg-config")
    try:
        proc = subprocess.run([exe, "--variable=libdir", "ae"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        return None, "%s not runnable (%s)" % (exe, e)
    out = proc.stdout.decode(errors="replace").strip()
    if proc.returncode != 0 or not out:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        return None, "package 'ae' not found (exit %d%s; PKG_CONFIG_PATH=%r)" % (
            proc.returncode, ": " + err[0] if err else "", os.environ.get("PKG_CONFIG_PATH", ""))
    return out, ""


def _candidates():
    """Yields (description, path or name for CDLL or None, why None, strict)."""
    env = os.environ.get(ENV_VAR)
    if env:
        # An explicit choice is not second-guessed: no fallback when it fails.
        yield "%s=%s" % (ENV_VAR, env), env, "", True
        return
    yield ENV_VAR, None, "not set", False
    libdir, why = _pkg_config_libdir()
    if libdir is None:
        yield "pkg-config --variable=libdir ae", None, why, False
    else:
        for name in _file_names():
            yield "pkg-config libdir %s" % libdir, os.path.join(libdir, name), "", False
    found = ctypes.util.find_library("ae")
    if found:
        yield "ctypes.util.find_library('ae')", found, "", False
    else:
        yield "ctypes.util.find_library('ae')", None, "found nothing", False
    yield ("the dynamic loader's search (LD_LIBRARY_PATH, ld.so.cache)", _file_names()[0],
           "", False)


def _declare(cdll, target):
    missing = []
    for name, (restype, argtypes) in FUNCTIONS.items():
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            if name in REQUIRED:
                missing.append(name)
            else:
                setattr(cdll, name, _unsupported(name, target))
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    return missing


def _try(target):
    """Loads and checks one candidate: returns (CDLL, "") or (None, why not)."""
    if os.path.isabs(target) and not os.path.exists(target):
        return None, "no file %s" % target
    try:
        cdll = ctypes.CDLL(target)
    except OSError as e:
        return None, "cannot load %s (%s)" % (target, e)
    missing = _declare(cdll, target)
    if missing:
        return None, "%s lacks %s: not libae %d.x" % (target, ", ".join(missing), ABI_MAJOR)
    if cdll.ae_version() // 10000 != ABI_MAJOR:
        return None, "%s is libae %s, this binding needs %d.x" % (
            target, cdll.ae_version_string().decode(), ABI_MAJOR)
    return cdll, ""


def _load():
    attempts = []
    for what, target, why, strict in _candidates():
        if target is not None:
            cdll, why = _try(target)
            if cdll is not None:
                return cdll, _resolved_path(cdll, target)
        attempts.append((what, why))
        if strict:
            break
    raise LibraryNotFoundError(attempts)


def _resolved_path(cdll, target):
    """The file the loader actually mapped, where the platform can tell."""
    if sys.platform.startswith("linux"):
        try:
            addr = ctypes.cast(cdll.ae_version, ctypes.c_void_p).value
            with open("/proc/self/maps") as maps:
                for line in maps:
                    parts = line.split(None, 5)
                    lo, hi = (int(v, 16) for v in parts[0].split("-"))
                    if lo <= addr < hi and len(parts) == 6:
                        return parts[5].strip()
        except (OSError, ValueError):
            pass
    return target


_lock = threading.Lock()
_loaded = None  # (CDLL, path)


def lib():
    """The loaded library (loaded on first use). Raises LibraryNotFoundError."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = _load()
    return _loaded[0]


def library_path():
    """The path of the libae shared library in use (loading it if needed)."""
    lib()
    return _loaded[1]
