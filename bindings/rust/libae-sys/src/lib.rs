//! Raw FFI declarations of libae, hand-written to match `include/ae.h`
//! (libae 0.1) one for one.
//!
//! Everything here is `unsafe` and follows the C contract to the letter; the
//! `libae` crate is the safe wrapper. Only functions, constants and an opaque
//! handle type are declared: no C struct is mirrored (the ABI never depends on
//! a struct layout).
//!
//! C enums (`ae_status`, `ae_option`, ...) are declared as `c_uint` type
//! aliases with one constant per value, as bindgen would: an enum value the
//! header adds later then arrives as a plain number instead of being undefined
//! behaviour in a Rust `enum`. All values are non-negative, so the C compiler
//! gives these enums the size and passing convention of `unsigned int`.
//!
//! To add a function of a newer ae.h: copy its prototype into the `extern`
//! block below, translating `int64_t` to `i64`, `size_t` to `usize`,
//! `const T *` to `*const T`; to add an option or status: one `pub const`.
#![no_std]
#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_int, c_uint, c_void};
use core::marker::{PhantomData, PhantomPinned};

// ---------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------

/// The header version these declarations were written from.
pub const AE_VERSION_MAJOR: u32 = 0;
pub const AE_VERSION_MINOR: u32 = 1;
pub const AE_VERSION_PATCH: u32 = 0;
pub const AE_VERSION_NUMBER: u32 = AE_VERSION_MAJOR * 10000 + AE_VERSION_MINOR * 100 + AE_VERSION_PATCH;

// ---------------------------------------------------------------------------
// Status codes (values explicit, never renumbered, new ones appended)
// ---------------------------------------------------------------------------

pub type ae_status = c_uint;
pub const AE_OK: ae_status = 0;
pub const AE_ERR_NULL_ARGUMENT: ae_status = 1;
pub const AE_ERR_INVALID_ARGUMENT: ae_status = 2;
pub const AE_ERR_SHAPE: ae_status = 3;
pub const AE_ERR_NONFINITE_INPUT: ae_status = 4;
pub const AE_ERR_NO_MEMORY: ae_status = 5;
pub const AE_ERR_SPEC: ae_status = 6;
pub const AE_ERR_IO: ae_status = 7;
pub const AE_ERR_FORMAT: ae_status = 8;
pub const AE_ERR_CHECKSUM: ae_status = 9;
pub const AE_ERR_VERSION: ae_status = 10;
pub const AE_ERR_DIVERGED: ae_status = 11;
pub const AE_ERR_BUSY: ae_status = 12;
pub const AE_ERR_BUFFER_TOO_SMALL: ae_status = 13;

// ---------------------------------------------------------------------------
// The model handle
// ---------------------------------------------------------------------------

/// `typedef struct ae_model ae_model;` -- opaque. Only ever behind a pointer.
/// The markers make it `!Send`, `!Sync` and `!Unpin`; the safe wrapper states
/// its own thread-safety reasoning.
#[repr(C)]
pub struct ae_model {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

// ---------------------------------------------------------------------------
// Options, optimizers, losses, statistics
// ---------------------------------------------------------------------------

pub type ae_option = c_uint;
// -- the training loop --
pub const AE_OPT_EPOCHS: ae_option = 100;
pub const AE_OPT_BATCH_SIZE: ae_option = 101;
pub const AE_OPT_SHUFFLE: ae_option = 102;
pub const AE_OPT_VALIDATION_SPLIT: ae_option = 103;
pub const AE_OPT_PATIENCE: ae_option = 104;
pub const AE_OPT_PROGRESS_EVERY: ae_option = 105;
// -- the optimizer --
pub const AE_OPT_OPTIMIZER: ae_option = 200;
pub const AE_OPT_LEARNING_RATE: ae_option = 201;
pub const AE_OPT_MOMENTUM: ae_option = 202;
pub const AE_OPT_ADAM_BETA1: ae_option = 203;
pub const AE_OPT_ADAM_BETA2: ae_option = 204;
pub const AE_OPT_ADAM_EPSILON: ae_option = 205;
// -- the loss --
pub const AE_OPT_LOSS: ae_option = 300;
// -- regularizers --
pub const AE_OPT_L2: ae_option = 400;

pub type ae_optimizer_kind = c_uint;
pub const AE_OPTIMIZER_SGD: ae_optimizer_kind = 0;
pub const AE_OPTIMIZER_ADAM: ae_optimizer_kind = 1;

pub type ae_loss_kind = c_uint;
pub const AE_LOSS_MSE: ae_loss_kind = 0;
pub const AE_LOSS_BCE: ae_loss_kind = 1;

pub type ae_stat = c_uint;
pub const AE_STAT_LOSS: ae_stat = 0;
pub const AE_STAT_RECONSTRUCTION: ae_stat = 1;
pub const AE_STAT_L2_PENALTY: ae_stat = 2;
pub const AE_STAT_VALIDATION_LOSS: ae_stat = 3;
pub const AE_STAT_BEST_EPOCH: ae_stat = 4;

/// `typedef int (*ae_progress_fn)(void *user_data, int64_t epoch, int64_t step,
/// int64_t steps_per_epoch, double loss);` -- `None` is the C NULL.
/// Must not unwind: the safe wrapper catches panics before they reach C.
pub type ae_progress_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        epoch: i64,
        step: i64,
        steps_per_epoch: i64,
        loss: f64,
    ) -> c_int,
>;

// ---------------------------------------------------------------------------
// Saving flags
// ---------------------------------------------------------------------------

pub const AE_SAVE_OPTIMIZER_STATE: u32 = 1;

// ---------------------------------------------------------------------------
// Functions, in the order of ae.h
// ---------------------------------------------------------------------------

extern "C" {
    // Versions
    pub fn ae_version() -> u32;
    pub fn ae_version_string() -> *const c_char;

    // Status codes
    pub fn ae_status_string(status: ae_status) -> *const c_char;
    pub fn ae_last_error() -> *const c_char;

    // Models
    pub fn ae_model_create(out: *mut *mut ae_model, spec: *const c_char, seed: u64) -> ae_status;
    pub fn ae_model_free(model: *mut ae_model);

    // Introspection
    pub fn ae_input_size(model: *const ae_model) -> i64;
    pub fn ae_code_size(model: *const ae_model) -> i64;
    pub fn ae_output_size(model: *const ae_model) -> i64;
    pub fn ae_param_count(model: *const ae_model) -> i64;
    pub fn ae_epochs_trained(model: *const ae_model) -> i64;
    pub fn ae_model_spec(model: *const ae_model) -> *const c_char;

    // Options
    pub fn ae_set_option(model: *mut ae_model, option: ae_option, value: f64) -> ae_status;
    pub fn ae_get_option(model: *const ae_model, option: ae_option, value: *mut f64) -> ae_status;
    pub fn ae_option_bounds(
        option: ae_option,
        min: *mut f64,
        max: *mut f64,
        default_value: *mut f64,
    ) -> ae_status;

    // Progress and training statistics
    pub fn ae_set_progress(model: *mut ae_model, fn_: ae_progress_fn, user_data: *mut c_void) -> ae_status;
    pub fn ae_train_stat(model: *const ae_model, stat: ae_stat, value: *mut f64) -> ae_status;

    // Training and inference
    pub fn ae_train(
        model: *mut ae_model,
        x: *const f32,
        n: i64,
        x_cols: i64,
        target: *const f32,
        target_cols: i64,
    ) -> ae_status;
    pub fn ae_encode(
        model: *const ae_model,
        x: *const f32,
        n: i64,
        x_cols: i64,
        code: *mut f32,
        code_cols: i64,
    ) -> ae_status;
    pub fn ae_decode(
        model: *const ae_model,
        code: *const f32,
        n: i64,
        code_cols: i64,
        out: *mut f32,
        out_cols: i64,
    ) -> ae_status;
    pub fn ae_reconstruct(
        model: *const ae_model,
        x: *const f32,
        n: i64,
        x_cols: i64,
        out: *mut f32,
        out_cols: i64,
    ) -> ae_status;
    pub fn ae_score(
        model: *const ae_model,
        x: *const f32,
        n: i64,
        x_cols: i64,
        errors: *mut f32,
    ) -> ae_status;

    // Saving and loading
    pub fn ae_save(model: *const ae_model, path: *const c_char, flags: u32) -> ae_status;
    pub fn ae_load(out: *mut *mut ae_model, path: *const c_char) -> ae_status;
    pub fn ae_save_buffer(
        model: *const ae_model,
        flags: u32,
        buffer: *mut c_void,
        capacity: usize,
        size: *mut usize,
    ) -> ae_status;
    pub fn ae_load_buffer(out: *mut *mut ae_model, buffer: *const c_void, size: usize) -> ae_status;
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::ffi::CStr;

    #[test]
    fn header_and_library_versions_agree() {
        let v = unsafe { ae_version() };
        assert_eq!(
            v / 10000,
            AE_VERSION_MAJOR,
            "libae major version differs from the header"
        );
        assert!(
            v >= AE_VERSION_NUMBER,
            "libae {v} is older than the header {AE_VERSION_NUMBER}"
        );
        let s = unsafe { CStr::from_ptr(ae_version_string()) }.to_str().unwrap();
        assert_eq!(s.split('.').count(), 3);
    }

    #[test]
    fn raw_create_encode_free() {
        unsafe {
            let mut m: *mut ae_model = core::ptr::null_mut();
            let spec = b"input 3; code 2 linear; mirror linear\0";
            assert_eq!(ae_model_create(&mut m, spec.as_ptr().cast(), 1), AE_OK);
            assert!(!m.is_null());
            assert_eq!(ae_input_size(m), 3);
            assert_eq!(ae_code_size(m), 2);
            let x = [0.1f32, 0.2, 0.3];
            let mut code = [0f32; 2];
            assert_eq!(ae_encode(m, x.as_ptr(), 1, 3, code.as_mut_ptr(), 2), AE_OK);
            // NULL is a no-op; the model itself is freed once.
            ae_model_free(core::ptr::null_mut());
            ae_model_free(m);
        }
    }

    #[test]
    fn raw_failure_sets_last_error() {
        unsafe {
            let st = ae_model_create(core::ptr::null_mut(), b"input 1\0".as_ptr().cast(), 0);
            assert_eq!(st, AE_ERR_NULL_ARGUMENT);
            let msg = CStr::from_ptr(ae_last_error()).to_str().unwrap();
            assert!(msg.contains("ae_model_create"), "{msg}");
        }
    }
}
