"""libae: autoencoders in C, from Python.

    import numpy as np, libae
    ae = libae.AutoEncoder("input 16; dense 12 tanh; code 4 linear; mirror sigmoid",
                           seed=7, epochs=20, loss="bce")
    codes = ae.fit(x).transform(x)          # x: (n, 16) floats in [0, 1]

AutoEncoder is the scikit-learn style estimator; Model is the thin wrapper of
one ae_model handle that it is built on. Errors are LibaeError subclasses
carrying .status and .message. The shared library is found through
$LIBAE_LIBRARY, then pkg-config, then the system's search (see
libae.library_path()).
"""

from ._capi import (SAVE_OPTIMIZER_STATE, CodePart, LibraryNotFoundError, Loss, Optimizer,
                    Option, Reduction, Stat, Status, UnsupportedError, library_path)
from ._errors import (BufferTooSmallError, BusyError, ChecksumError, DivergedError,
                      InvalidArgumentError, LibaeError, LibaeIOError, LibaeMemoryError,
                      ModelFormatError, ModelVersionError, NonFiniteInputError,
                      NullArgumentError, ShapeError, SpecError)
from .estimator import OPTIONS, AutoEncoder
from .model import Model, as_matrix, version, version_string

__version__ = "0.1.0"

__all__ = [
    "AutoEncoder", "Model", "OPTIONS", "as_matrix", "version", "version_string",
    "library_path", "LibraryNotFoundError", "UnsupportedError",
    "Status", "Option", "Optimizer", "Loss", "Reduction", "Stat", "CodePart",
    "SAVE_OPTIMIZER_STATE",
    "LibaeError", "NullArgumentError", "InvalidArgumentError", "ShapeError",
    "NonFiniteInputError", "LibaeMemoryError", "SpecError", "LibaeIOError",
    "ModelFormatError", "ChecksumError", "ModelVersionError", "DivergedError",
    "BusyError", "BufferTooSmallError",
]
