"""Exceptions: one class per ae_status, all under LibaeError.

Each subclass also derives from the built-in exception a Python programmer
would expect (ValueError for bad arguments, MemoryError, OSError, ...), so
`except ValueError` catches a shape mismatch just as it would with NumPy.
"""

from ._capi import Status, lib

__all__ = [
    "LibaeError", "NullArgumentError", "InvalidArgumentError", "ShapeError",
    "NonFiniteInputError", "LibaeMemoryError", "SpecError", "LibaeIOError",
    "ModelFormatError", "ChecksumError", "ModelVersionError", "DivergedError",
    "BusyError", "BufferTooSmallError", "error_for_status", "check",
]


class LibaeError(Exception):
    """A libae call failed.

    .status  the ae_status (a Status member, or an int for a code newer than
             this binding)
    .message the library's detail message (ae_last_error), e.g.
             "ae_encode: x has 15 columns, model expects 16"
    str()    "<ae_status_string>: <message>"
    """

    def __init__(self, status, message=""):
        try:
            status = Status(status)
        except ValueError:
            status = int(status)
        self.status = status
        self.message = message
        try:
            name = lib().ae_status_string(int(status)).decode("utf-8", "replace")
        except Exception:  # pragma: no cover - the library is loaded when calls fail
            name = "status %d" % int(status)
        super().__init__("%s: %s" % (name, message) if message else name)

    def __reduce__(self):
        return (error_for_status, (self.status, self.message))


class NullArgumentError(LibaeError, ValueError):
    """AE_ERR_NULL_ARGUMENT: a required pointer was NULL."""


class InvalidArgumentError(LibaeError, ValueError):
    """AE_ERR_INVALID_ARGUMENT: a value out of its documented range."""


class ShapeError(LibaeError, ValueError):
    """AE_ERR_SHAPE: sizes that do not match the model or overflow."""


class NonFiniteInputError(LibaeError, ValueError):
    """AE_ERR_NONFINITE_INPUT: NaN or Inf in the data."""


class LibaeMemoryError(LibaeError, MemoryError):
    """AE_ERR_NO_MEMORY: an allocation failed."""


class SpecError(LibaeError, ValueError):
    """AE_ERR_SPEC: the architecture spec cannot be parsed or built."""


class LibaeIOError(LibaeError, OSError):
    """AE_ERR_IO: a file could not be opened, read or written."""


class ModelFormatError(LibaeError, ValueError):
    """AE_ERR_FORMAT: not a libae model, truncated, or inconsistent."""


class ChecksumError(ModelFormatError):
    """AE_ERR_CHECKSUM: the model data fail their checksum."""


class ModelVersionError(ModelFormatError):
    """AE_ERR_VERSION: a model file from a newer format version."""


class DivergedError(LibaeError, FloatingPointError):
    """AE_ERR_DIVERGED: the training loss or gradient became NaN or Inf.

    The model keeps the last finite weights (see ae_train in ae.h).
    """


class BusyError(LibaeError, RuntimeError):
    """AE_ERR_BUSY: training and inference on one model at once."""


class BufferTooSmallError(LibaeError, ValueError):
    """AE_ERR_BUFFER_TOO_SMALL: a caller's buffer cannot hold the result."""


_CLASSES = {
    Status.ERR_NULL_ARGUMENT: NullArgumentError,
    Status.ERR_INVALID_ARGUMENT: InvalidArgumentError,
    Status.ERR_SHAPE: ShapeError,
    Status.ERR_NONFINITE_INPUT: NonFiniteInputError,
    Status.ERR_NO_MEMORY: LibaeMemoryError,
    Status.ERR_SPEC: SpecError,
    Status.ERR_IO: LibaeIOError,
    Status.ERR_FORMAT: ModelFormatError,
    Status.ERR_CHECKSUM: ChecksumError,
    Status.ERR_VERSION: ModelVersionError,
    Status.ERR_DIVERGED: DivergedError,
    Status.ERR_BUSY: BusyError,
    Status.ERR_BUFFER_TOO_SMALL: BufferTooSmallError,
}


def error_for_status(status, message=""):
    """The exception object for a failed status (LibaeError for unknown codes)."""
    try:
        cls = _CLASSES.get(Status(status), LibaeError)
    except ValueError:
        cls = LibaeError
    return cls(status, message)


def check(status):
    """Raises the matching LibaeError when status != AE_OK.

    Must run on the thread that made the call, before that thread calls libae
    again: ae_last_error() is per OS thread, and a ctypes call runs on the
    calling Python thread's OS thread.
    """
    if status != 0:
        message = lib().ae_last_error().decode("utf-8", "replace")
        raise error_for_status(status, message)
