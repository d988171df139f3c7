//! Status codes and the error type.

use std::ffi::CStr;
use std::fmt;

use crate::sys;

/// Declares [`Status`] from a table `Variant = AE_ERR_CONSTANT`. A status code
/// added to ae.h is one line here (and one `pub const` in libae-sys).
macro_rules! statuses {
    ($($(#[$doc:meta])* $variant:ident = $code:ident,)*) => {
        /// Why a libae call failed: the C `ae_status`, without `AE_OK`.
        ///
        /// Codes this version of the binding does not know (a newer libae)
        /// arrive as [`Status::Unknown`] with the raw number.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Status {
            $($(#[$doc])* $variant,)*
            /// A status code this binding does not know, as the library returned it.
            Unknown(u32),
        }

        impl Status {
            /// Every known status, in code order.
            pub const ALL: &'static [Status] = &[$(Status::$variant,)*];

            /// The status for a raw `ae_status` code. `AE_OK` (0) is not an
            /// error and maps to `Unknown(0)`.
            pub fn from_code(code: sys::ae_status) -> Status {
                match code {
                    $(sys::$code => Status::$variant,)*
                    other => Status::Unknown(other),
                }
            }

            /// The raw `ae_status` code.
            pub fn code(self) -> sys::ae_status {
                match self {
                    $(Status::$variant => sys::$code,)*
                    Status::Unknown(code) => code,
                }
            }

            /// The C name of the code, e.g. `"AE_ERR_SHAPE"`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Status::$variant => stringify!($code),)*
                    Status::Unknown(_) => "unknown status",
                }
            }
        }
    };
}

statuses! {
    /// A required pointer was NULL (only reachable through raw `sys` calls).
    NullArgument = AE_ERR_NULL_ARGUMENT,
    /// A value out of its documented range.
    InvalidArgument = AE_ERR_INVALID_ARGUMENT,
    /// Sizes that do not match the model or overflow.
    Shape = AE_ERR_SHAPE,
    /// NaN or Inf in the data.
    NonfiniteInput = AE_ERR_NONFINITE_INPUT,
    /// An allocation failed.
    NoMemory = AE_ERR_NO_MEMORY,
    /// The architecture spec cannot be parsed or built.
    Spec = AE_ERR_SPEC,
    /// A file could not be opened, read or written.
    Io = AE_ERR_IO,
    /// Not a libae model, truncated, or inconsistent.
    Format = AE_ERR_FORMAT,
    /// The model data fail their checksum.
    Checksum = AE_ERR_CHECKSUM,
    /// A model file from a newer format version.
    Version = AE_ERR_VERSION,
    /// The training loss or gradient became NaN or Inf.
    Diverged = AE_ERR_DIVERGED,
    /// Training and inference on one model at once.
    Busy = AE_ERR_BUSY,
    /// A caller's buffer cannot hold the result.
    BufferTooSmall = AE_ERR_BUFFER_TOO_SMALL,
}

impl Status {
    /// The library's static description, e.g.
    /// `"AE_ERR_SHAPE: sizes do not match the model"` (`ae_status_string`).
    pub fn description(self) -> &'static str {
        // SAFETY: ae_status_string is thread-safe and returns a static,
        // never-NULL, NUL-terminated ASCII string for any value.
        let s = unsafe { CStr::from_ptr(sys::ae_status_string(self.code())) };
        s.to_str().unwrap_or("unknown status")
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// A failed libae call: the status and the library's detail message, e.g.
/// `ae_train: x has 783 columns, model expects 784`.
///
/// Errors found by the binding itself before calling C (a slice whose length
/// does not match its rows and columns, a string with a NUL byte) use the same
/// statuses (`Shape`, `InvalidArgument`, ...) with a message naming the Rust
/// method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    /// An error with the given status and message.
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error {
            status,
            message: message.into(),
        }
    }

    /// The error of a failed C call: its status plus `ae_last_error()`. Must
    /// run on the thread that made the call, before that thread calls libae
    /// again (the message is per OS thread and reset by every call).
    pub(crate) fn from_last(code: sys::ae_status) -> Error {
        // SAFETY: ae_last_error never returns NULL; the string stays valid
        // until this thread's next libae call, and we copy it at once.
        let msg = unsafe { CStr::from_ptr(sys::ae_last_error()) };
        Error {
            status: Status::from_code(code),
            message: msg.to_string_lossy().into_owned(),
        }
    }

    /// The status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The detail message (may be empty if the library gave none).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(self.status.description())
        } else {
            write!(f, "{} [{}]", self.message, self.status.name())
        }
    }
}

impl std::error::Error for Error {}

/// `Result<T, libae::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Turns the status returned by a raw [`sys`](crate::sys) call into a
/// `Result`, reading `ae_last_error()` for the message.
///
/// Call it immediately after the raw call, on the same thread, with no other
/// libae call between: the message belongs to the calling OS thread and the
/// next libae call resets it. Every safe method uses this; it is public so
/// that a function of a newer ae.h can be called through `sys` before this
/// crate wraps it.
pub fn check(code: sys::ae_status) -> Result<()> {
    if code == sys::AE_OK {
        Ok(())
    } else {
        Err(Error::from_last(code))
    }
}
