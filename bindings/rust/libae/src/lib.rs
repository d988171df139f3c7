//! Safe Rust binding of libae, autoencoders in C.
//!
//! A thin layer over `include/ae.h`: a [`Model`] owns an opaque `ae_model *`
//! and frees it on drop; every fallible call returns [`Result`] whose
//! [`Error`] carries the [`Status`] and the library's detail message; options
//! are set through the [`Opt`] enum (plus typed setters); data are row-major
//! `f32` slices with explicit rows and columns.
//!
//! ```
//! use libae::{Model, Opt};
//!
//! # fn main() -> Result<(), libae::Error> {
//! let (rows, cols) = (256, 16);
//! let x: Vec<f32> = (0..rows * cols).map(|i| (i % 7) as f32 / 7.0).collect();
//!
//! let mut model = Model::new("input 16; dense 12 tanh; code 4 linear; mirror sigmoid", 7)?;
//! model.set_option(Opt::Epochs, 20.0)?;
//! model.train_with_progress(&x, rows, cols, None, |epoch, _step, _steps, loss| {
//!     println!("epoch {epoch}: loss {loss:.5} per element");
//!     false // true would stop training
//! })?;
//! let codes = model.encode(&x, rows, cols)?; // rows x 4
//! let bytes = model.to_bytes()?; // or model.save("model.ae")?
//! let again = Model::from_bytes(&bytes)?; // or Model::load("model.ae")?
//! assert_eq!(again.encode(&x, rows, cols)?, codes);
//! # Ok(()) }
//! ```
//!
//! Threads: `Model` is `Send` and `Sync`; methods taking `&self` are exactly
//! the calls the C library allows from many threads at once (inference,
//! introspection, saving), and everything that changes the model takes
//! `&mut self`. See [`Model`] for the reasoning.
//!
//! Growing with ae.h: a new option or training figure is one line in the
//! tables of `options.rs`, a new status one line in `error.rs` (each plus a
//! `pub const` in `libae-sys`); a new function is its prototype in
//! `libae-sys` and a short method here using [`check`]. Until then, raw
//! calls through [`sys`] with [`Model::as_ptr`] / [`Model::as_mut_ptr`] and
//! [`check`] work.

#![warn(missing_docs)]

pub use libae_sys as sys;

mod error;
mod model;
mod options;

pub use error::{check, Error, Result, Status};
pub use model::Model;
pub use options::{Bounds, Loss, Opt, Optimizer, SaveFlags, Stat};

/// The version of the linked library as `MAJOR * 10000 + MINOR * 100 + PATCH`
/// (`ae_version`).
pub fn version() -> u32 {
    // SAFETY: thread-safe, never fails.
    unsafe { sys::ae_version() }
}

/// The version of the linked library as `"MAJOR.MINOR.PATCH"`.
pub fn version_string() -> &'static str {
    // SAFETY: a static, NUL-terminated ASCII string.
    unsafe { std::ffi::CStr::from_ptr(sys::ae_version_string()) }
        .to_str()
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    // Compile-time statement of the thread-safety claims.
    const _: fn() = || {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Model>();
        send_sync::<Error>();
    };

    #[test]
    fn linked_library_matches_header_major() {
        assert_eq!(version() / 10000, sys::AE_VERSION_MAJOR);
        assert!(version() >= sys::AE_VERSION_NUMBER);
        let expected = format!(
            "{}.{}.{}",
            version() / 10000,
            version() / 100 % 100,
            version() % 100
        );
        assert_eq!(version_string(), expected);
    }
}
