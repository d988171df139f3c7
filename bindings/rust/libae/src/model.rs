//! The model handle.

use std::any::Any;
use std::ffi::{c_int, c_void, CStr, CString};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::ptr::{self, NonNull};

use crate::error::{check, Error, Result, Status};
use crate::options::{Loss, Opt, Optimizer, SaveFlags, Stat};
use crate::sys;

/// An autoencoder: an owned `ae_model *`, freed on drop.
///
/// Data are dense row-major `f32` matrices passed as a slice plus their rows
/// and columns; the slice length must be exactly `rows * cols` (checked here,
/// before C sees the pointer, giving [`Status::Shape`]). The library checks
/// the rest (columns against the model, at least one row, finite values) and
/// its message says what was wrong.
///
/// # Threads
///
/// The C contract (ae.h, "Threads"): a model may be used by one thread at a
/// time, except that the inference calls (`ae_encode`, `ae_decode`,
/// `ae_reconstruct`, `ae_score`), the introspection calls and the save calls
/// only read the model and may run from any number of threads at once;
/// `ae_train` and `ae_set_*` need the model to themselves.
///
/// This maps onto Rust's borrows:
///
/// * Every method that changes the model (`train*`, `set_option` and the
///   typed setters) takes `&mut self`, so the borrow checker guarantees
///   exclusive use and the library's `AE_ERR_BUSY` guard can never fire
///   through the safe API.
/// * Every `&self` method is one of the read-only calls: `encode`, `decode`,
///   `reconstruct`, `score` (and their `_into` forms), the save calls
///   (`save`, `to_bytes`, `save_to_slice`, `saved_size`) and introspection
///   (`input_size`, `code_size`, `output_size`, `param_count`,
///   `epochs_trained`, `spec`, plus `option` and `train_stat`, which read one
///   number of the const model -- `ae_get_option` / `ae_train_stat` take a
///   `const ae_model *` and touch no shared state; ae.h lets the training
///   thread's progress callback call `ae_train_stat` and introspection).
///
/// Hence `Model: Sync` -- sharing `&Model` between threads only ever runs
/// read-only calls concurrently, which the library allows. And `Model: Send`:
/// the handle has no thread affinity (nothing in it is tied to the creating
/// thread; the only per-thread state, `ae_last_error`, is read by this crate
/// on the calling thread right after each failing call, inside the method).
/// A new `&self` method may only be added if ae.h documents its C function as
/// safe to run concurrently with the inference calls.
pub struct Model {
    raw: NonNull<sys::ae_model>,
}

// SAFETY: see "Threads" above: no thread affinity, and ownership moves the
// whole handle.
unsafe impl Send for Model {}
// SAFETY: see "Threads" above: all `&self` methods are calls ae.h allows on
// one model from many threads at once; all mutating calls need `&mut self`.
unsafe impl Sync for Model {}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: we own the handle; `&mut self` means no call is running on
        // it; it is never used again.
        unsafe { sys::ae_model_free(self.raw.as_ptr()) }
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("spec", &self.spec())
            .field("param_count", &self.param_count())
            .field("epochs_trained", &self.epochs_trained())
            .finish()
    }
}

/// State shared with the progress trampoline for one `ae_train` call.
struct Progress<F> {
    callback: F,
    panic: Option<Box<dyn Any + Send + 'static>>,
}

/// The C progress callback: calls the closure, never lets a panic unwind into
/// C. A panic is stored, training is asked to stop, and the train method
/// resumes the panic once `ae_train` has returned.
unsafe extern "C" fn progress_trampoline<F>(
    user_data: *mut c_void,
    epoch: i64,
    step: i64,
    steps_per_epoch: i64,
    loss: f64,
) -> c_int
where
    F: FnMut(i64, i64, i64, f64) -> bool,
{
    // SAFETY: user_data is the `&mut Progress<F>` that `train_impl` installed
    // for the duration of its ae_train call, on this (the training) thread.
    let state = unsafe { &mut *(user_data as *mut Progress<F>) };
    if state.panic.is_some() {
        return 1;
    }
    let callback = &mut state.callback;
    match panic::catch_unwind(AssertUnwindSafe(|| callback(epoch, step, steps_per_epoch, loss))) {
        Ok(stop) => c_int::from(stop),
        Err(payload) => {
            state.panic = Some(payload);
            1
        }
    }
}

/// The signature shared by ae_encode, ae_decode and ae_reconstruct.
type InferFn =
    unsafe extern "C" fn(*const sys::ae_model, *const f32, i64, i64, *mut f32, i64) -> sys::ae_status;

fn to_i64(what: &str, v: usize) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::new(Status::Shape, format!("{what} = {v} does not fit in int64")))
}

/// Checks that `len` values are a (rows, cols) matrix; returns rows * cols.
fn check_len(method: &str, what: &str, len: usize, rows: usize, cols: usize) -> Result<()> {
    match rows.checked_mul(cols) {
        Some(n) if n == len => Ok(()),
        Some(n) => Err(Error::new(
            Status::Shape,
            format!("{method}: {what} has {len} values, but {rows} rows x {cols} columns need {n}"),
        )),
        None => Err(Error::new(
            Status::Shape,
            format!("{method}: {what} of {rows} rows x {cols} columns overflows"),
        )),
    }
}

/// A zeroed Vec of rows * cols f32, reporting overflow or allocation failure
/// as an Error instead of aborting.
fn alloc_output(method: &str, rows: usize, cols: usize) -> Result<Vec<f32>> {
    let n = rows.checked_mul(cols).ok_or_else(|| {
        Error::new(
            Status::Shape,
            format!("{method}: output of {rows} rows x {cols} columns overflows"),
        )
    })?;
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        Error::new(
            Status::NoMemory,
            format!("{method}: out of memory for {n} output values"),
        )
    })?;
    v.resize(n, 0.0);
    Ok(v)
}

fn size_of(v: i64) -> usize {
    // Sizes of a valid model are in [1, 1 << 24] (widths) or fit in memory
    // (parameter counts), so they always fit in usize.
    usize::try_from(v).unwrap_or(0)
}

#[cfg(unix)]
fn path_to_cstring(method: &str, path: &Path) -> Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        Error::new(
            Status::InvalidArgument,
            format!("{method}: path {} contains a NUL byte", path.display()),
        )
    })
}

#[cfg(not(unix))]
fn path_to_cstring(method: &str, path: &Path) -> Result<CString> {
    let s = path.to_str().ok_or_else(|| {
        Error::new(
            Status::InvalidArgument,
            format!("{method}: path {} is not valid Unicode", path.display()),
        )
    })?;
    CString::new(s).map_err(|_| {
        Error::new(
            Status::InvalidArgument,
            format!("{method}: path {s} contains a NUL byte"),
        )
    })
}

impl Model {
    // ------------------------------------------------------------------
    // Creating, loading, raw access
    // ------------------------------------------------------------------

    /// Builds a model from an architecture spec, e.g.
    /// `"input 784; dense 256 relu; code 32 linear; mirror sigmoid"`, with
    /// weights initialised from `seed`. All options take their defaults.
    /// Fails with `Spec`, `NoMemory`, or `InvalidArgument` (a NUL in `spec`).
    pub fn new(spec: &str, seed: u64) -> Result<Model> {
        let spec = CString::new(spec)
            .map_err(|_| Error::new(Status::InvalidArgument, "Model::new: spec contains a NUL byte"))?;
        let mut out = ptr::null_mut();
        // SAFETY: out and spec are valid for the call.
        check(unsafe { sys::ae_model_create(&mut out, spec.as_ptr(), seed) })?;
        Ok(unsafe { Model::from_raw_checked(out) })
    }

    /// Reads a model saved by [`save`](Model::save) (or by any libae binding).
    /// Fails with `Io`, `Format`, `Checksum`, `Version`, `Spec` or `NoMemory`.
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        let path = path_to_cstring("Model::load", path.as_ref())?;
        let mut out = ptr::null_mut();
        // SAFETY: out and path are valid for the call.
        check(unsafe { sys::ae_load(&mut out, path.as_ptr()) })?;
        Ok(unsafe { Model::from_raw_checked(out) })
    }

    /// Reads a model from the bytes [`to_bytes`](Model::to_bytes) (or a model
    /// file) holds. Same failures as [`load`](Model::load) except `Io`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        let mut out = ptr::null_mut();
        // SAFETY: the library reads at most bytes.len() bytes from the slice.
        check(unsafe { sys::ae_load_buffer(&mut out, bytes.as_ptr().cast(), bytes.len()) })?;
        Ok(unsafe { Model::from_raw_checked(out) })
    }

    /// # Safety
    /// `raw` is NULL or a model the caller owns.
    unsafe fn from_raw_checked(raw: *mut sys::ae_model) -> Model {
        Model {
            raw: NonNull::new(raw).expect("libae returned AE_OK and a NULL model"),
        }
    }

    /// Takes ownership of a raw handle, for example one made by a function
    /// of a newer ae.h called through [`sys`](crate::sys).
    ///
    /// # Safety
    /// `raw` must be a valid model that nothing else owns or uses; it will be
    /// freed with `ae_model_free` when the `Model` drops.
    pub unsafe fn from_raw(raw: NonNull<sys::ae_model>) -> Model {
        Model { raw }
    }

    /// Gives up ownership: the caller must free the handle with
    /// `ae_model_free`.
    pub fn into_raw(self) -> NonNull<sys::ae_model> {
        let raw = self.raw;
        std::mem::forget(self);
        raw
    }

    /// The handle, for read-only raw calls that ae.h documents as safe from
    /// many threads at once (this `Model` may be shared).
    pub fn as_ptr(&self) -> *const sys::ae_model {
        self.raw.as_ptr()
    }

    /// The handle, for any raw call (the model is borrowed exclusively).
    pub fn as_mut_ptr(&mut self) -> *mut sys::ae_model {
        self.raw.as_ptr()
    }

    // ------------------------------------------------------------------
    // Introspection (read-only; thread-safe in C)
    // ------------------------------------------------------------------

    /// Columns of `x` the model takes.
    pub fn input_size(&self) -> usize {
        size_of(unsafe { sys::ae_input_size(self.as_ptr()) })
    }

    /// Columns of a code.
    pub fn code_size(&self) -> usize {
        size_of(unsafe { sys::ae_code_size(self.as_ptr()) })
    }

    /// Columns of a reconstruction (and of training targets).
    pub fn output_size(&self) -> usize {
        size_of(unsafe { sys::ae_output_size(self.as_ptr()) })
    }

    /// Number of weights and biases.
    pub fn param_count(&self) -> usize {
        size_of(unsafe { sys::ae_param_count(self.as_ptr()) })
    }

    /// Epochs completed by all training so far (restored by loading).
    pub fn epochs_trained(&self) -> u64 {
        u64::try_from(unsafe { sys::ae_epochs_trained(self.as_ptr()) }).unwrap_or(0)
    }

    /// The canonical spec (with `mirror` expanded).
    pub fn spec(&self) -> String {
        // SAFETY: never NULL; owned by the model, valid while it lives; copied.
        unsafe { CStr::from_ptr(sys::ae_model_spec(self.as_ptr())) }
            .to_string_lossy()
            .into_owned()
    }

    // ------------------------------------------------------------------
    // Options and training figures
    // ------------------------------------------------------------------

    /// Sets an option (`ae_set_option`). Fails with `InvalidArgument` (unknown
    /// option, out of range, not whole where an integer is expected; the
    /// message gives the range); the model is then unchanged.
    pub fn set_option(&mut self, option: Opt, value: f64) -> Result<()> {
        check(unsafe { sys::ae_set_option(self.as_mut_ptr(), option.code(), value) })
    }

    /// An option's current value (`ae_get_option`).
    pub fn option(&self, option: Opt) -> Result<f64> {
        let mut value = 0.0;
        check(unsafe { sys::ae_get_option(self.as_ptr(), option.code(), &mut value) })?;
        Ok(value)
    }

    /// A figure of the last training (`ae_train_stat`); NaN before any.
    pub fn train_stat(&self, stat: Stat) -> Result<f64> {
        let mut value = 0.0;
        check(unsafe { sys::ae_train_stat(self.as_ptr(), stat.code(), &mut value) })?;
        Ok(value)
    }

    /// Epochs per train call ([`Opt::Epochs`]).
    pub fn set_epochs(&mut self, epochs: u32) -> Result<()> {
        self.set_option(Opt::Epochs, f64::from(epochs))
    }

    /// Samples per step ([`Opt::BatchSize`]).
    pub fn set_batch_size(&mut self, batch_size: u32) -> Result<()> {
        self.set_option(Opt::BatchSize, f64::from(batch_size))
    }

    /// Reshuffle every epoch ([`Opt::Shuffle`]).
    pub fn set_shuffle(&mut self, shuffle: bool) -> Result<()> {
        self.set_option(Opt::Shuffle, if shuffle { 1.0 } else { 0.0 })
    }

    /// Held-out fraction for validation ([`Opt::ValidationSplit`]).
    pub fn set_validation_split(&mut self, fraction: f64) -> Result<()> {
        self.set_option(Opt::ValidationSplit, fraction)
    }

    /// Early-stopping patience in epochs, 0 = off ([`Opt::Patience`]).
    pub fn set_patience(&mut self, epochs: u32) -> Result<()> {
        self.set_option(Opt::Patience, f64::from(epochs))
    }

    /// Progress callback every this many steps, 0 = epoch ends only
    /// ([`Opt::ProgressEvery`]).
    pub fn set_progress_every(&mut self, steps: u32) -> Result<()> {
        self.set_option(Opt::ProgressEvery, f64::from(steps))
    }

    /// The optimizer ([`Opt::Optimizer`]).
    pub fn set_optimizer(&mut self, optimizer: Optimizer) -> Result<()> {
        self.set_option(Opt::Optimizer, f64::from(optimizer.code()))
    }

    /// The learning rate ([`Opt::LearningRate`]).
    pub fn set_learning_rate(&mut self, rate: f64) -> Result<()> {
        self.set_option(Opt::LearningRate, rate)
    }

    /// The reconstruction loss ([`Opt::Loss`]).
    pub fn set_loss(&mut self, loss: Loss) -> Result<()> {
        self.set_option(Opt::Loss, f64::from(loss.code()))
    }

    /// L2 weight decay lambda ([`Opt::L2`]).
    pub fn set_l2(&mut self, lambda: f64) -> Result<()> {
        self.set_option(Opt::L2, lambda)
    }

    /// The current optimizer.
    pub fn optimizer(&self) -> Result<Optimizer> {
        Ok(Optimizer::from_code(self.option(Opt::Optimizer)? as u32))
    }

    /// The current loss.
    pub fn loss(&self) -> Result<Loss> {
        Ok(Loss::from_code(self.option(Opt::Loss)? as u32))
    }

    // ------------------------------------------------------------------
    // Training (exclusive)
    // ------------------------------------------------------------------

    /// Trains on `x`, (rows, cols), to reconstruct `x` itself, for
    /// [`Opt::Epochs`] epochs. Call again to continue. On failure the model
    /// is unchanged, except `Diverged`, which keeps the last finite weights.
    pub fn train(&mut self, x: &[f32], rows: usize, cols: usize) -> Result<()> {
        self.train_impl(
            "Model::train",
            x,
            rows,
            cols,
            None,
            None::<fn(i64, i64, i64, f64) -> bool>,
        )
    }

    /// Trains on `x`, (rows, x_cols), against `target`, (rows, target_cols),
    /// whose columns must equal [`output_size`](Model::output_size).
    pub fn train_with_target(
        &mut self,
        x: &[f32],
        rows: usize,
        x_cols: usize,
        target: &[f32],
        target_cols: usize,
    ) -> Result<()> {
        self.train_impl(
            "Model::train_with_target",
            x,
            rows,
            x_cols,
            Some((target, target_cols)),
            None::<fn(i64, i64, i64, f64) -> bool>,
        )
    }

    /// Trains like [`train`](Model::train) (or
    /// [`train_with_target`](Model::train_with_target) when `target` is
    /// `Some((target, target_cols))`), calling `progress(epoch, step,
    /// steps_per_epoch, loss)` at each epoch's end (and every
    /// [`Opt::ProgressEvery`] steps). `epoch` is 1-based within this call,
    /// `loss` is the epoch's mean training loss so far. Return `true` to
    /// stop training after this step (the call then returns `Ok` with the
    /// weights as they are), `false` to go on.
    ///
    /// The closure runs on the calling thread, only during this call. If it
    /// panics, the panic is caught before it reaches C, training stops, and
    /// the panic resumes here once the library has returned (the model is
    /// valid and keeps the progress made).
    pub fn train_with_progress<F>(
        &mut self,
        x: &[f32],
        rows: usize,
        cols: usize,
        target: Option<(&[f32], usize)>,
        progress: F,
    ) -> Result<()>
    where
        F: FnMut(i64, i64, i64, f64) -> bool,
    {
        self.train_impl(
            "Model::train_with_progress",
            x,
            rows,
            cols,
            target,
            Some(progress),
        )
    }

    fn train_impl<F>(
        &mut self,
        method: &str,
        x: &[f32],
        rows: usize,
        x_cols: usize,
        target: Option<(&[f32], usize)>,
        progress: Option<F>,
    ) -> Result<()>
    where
        F: FnMut(i64, i64, i64, f64) -> bool,
    {
        check_len(method, "x", x.len(), rows, x_cols)?;
        let (target_ptr, target_cols) = match target {
            Some((t, t_cols)) => {
                check_len(method, "target", t.len(), rows, t_cols)?;
                (t.as_ptr(), to_i64("target_cols", t_cols)?)
            }
            None => (ptr::null(), 0),
        };
        let n = to_i64("rows", rows)?;
        let x_cols = to_i64("cols", x_cols)?;
        let raw = self.as_mut_ptr();

        let Some(callback) = progress else {
            // SAFETY: slices checked against rows and cols above; target NULL
            // means "reconstruct x".
            return check(unsafe { sys::ae_train(raw, x.as_ptr(), n, x_cols, target_ptr, target_cols) });
        };

        let mut state = Progress {
            callback,
            panic: None,
        };
        // SAFETY: `state` outlives the ae_train call; the callback is removed
        // again before `state` goes out of scope. `&mut self` guarantees no
        // other call on the model meanwhile.
        check(unsafe {
            sys::ae_set_progress(
                raw,
                Some(progress_trampoline::<F>),
                (&mut state as *mut Progress<F>).cast(),
            )
        })?;
        let status = unsafe { sys::ae_train(raw, x.as_ptr(), n, x_cols, target_ptr, target_cols) };
        // Read the message now: ae_set_progress below resets it.
        let result = check(status);
        // SAFETY: removing the callback cannot fail on a model we hold
        // exclusively (no AE_ERR_BUSY), so its status is not needed.
        unsafe { sys::ae_set_progress(raw, None, ptr::null_mut()) };
        if let Some(payload) = state.panic.take() {
            panic::resume_unwind(payload);
        }
        result
    }

    // ------------------------------------------------------------------
    // Inference (read-only; thread-safe in C)
    // ------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn infer_into(
        &self,
        method: &str,
        f: InferFn,
        x: &[f32],
        rows: usize,
        cols: usize,
        out: &mut [f32],
        out_cols: usize,
    ) -> Result<()> {
        check_len(method, "input", x.len(), rows, cols)?;
        check_len(method, "output", out.len(), rows, out_cols)?;
        let n = to_i64("rows", rows)?;
        let cols = to_i64("cols", cols)?;
        let out_cols = to_i64("out_cols", out_cols)?;
        // SAFETY: both slices hold exactly their (rows, cols) matrices.
        check(unsafe { f(self.as_ptr(), x.as_ptr(), n, cols, out.as_mut_ptr(), out_cols) })
    }

    /// Encodes `x`, (rows, cols), into codes, (rows, code_size), row-major.
    pub fn encode(&self, x: &[f32], rows: usize, cols: usize) -> Result<Vec<f32>> {
        let mut out = alloc_output("Model::encode", rows, self.code_size())?;
        self.encode_into(x, rows, cols, &mut out)?;
        Ok(out)
    }

    /// Encodes into a caller's buffer of rows * code_size values.
    pub fn encode_into(&self, x: &[f32], rows: usize, cols: usize, codes: &mut [f32]) -> Result<()> {
        self.infer_into(
            "Model::encode",
            sys::ae_encode,
            x,
            rows,
            cols,
            codes,
            self.code_size(),
        )
    }

    /// Decodes `codes`, (rows, cols == code_size), into outputs,
    /// (rows, output_size).
    pub fn decode(&self, codes: &[f32], rows: usize, cols: usize) -> Result<Vec<f32>> {
        let mut out = alloc_output("Model::decode", rows, self.output_size())?;
        self.decode_into(codes, rows, cols, &mut out)?;
        Ok(out)
    }

    /// Decodes into a caller's buffer of rows * output_size values.
    pub fn decode_into(&self, codes: &[f32], rows: usize, cols: usize, out: &mut [f32]) -> Result<()> {
        self.infer_into(
            "Model::decode",
            sys::ae_decode,
            codes,
            rows,
            cols,
            out,
            self.output_size(),
        )
    }

    /// Encodes then decodes `x`, (rows, cols), into (rows, output_size).
    pub fn reconstruct(&self, x: &[f32], rows: usize, cols: usize) -> Result<Vec<f32>> {
        let mut out = alloc_output("Model::reconstruct", rows, self.output_size())?;
        self.reconstruct_into(x, rows, cols, &mut out)?;
        Ok(out)
    }

    /// Reconstructs into a caller's buffer of rows * output_size values.
    pub fn reconstruct_into(&self, x: &[f32], rows: usize, cols: usize, out: &mut [f32]) -> Result<()> {
        self.infer_into(
            "Model::reconstruct",
            sys::ae_reconstruct,
            x,
            rows,
            cols,
            out,
            self.output_size(),
        )
    }

    /// The anomaly score of each row of `x`, (rows, cols): its mean
    /// reconstruction error under the model's loss. Needs output width ==
    /// input width.
    pub fn score(&self, x: &[f32], rows: usize, cols: usize) -> Result<Vec<f32>> {
        let mut out = alloc_output("Model::score", rows, 1)?;
        self.score_into(x, rows, cols, &mut out)?;
        Ok(out)
    }

    /// Scores into a caller's buffer of `rows` values.
    pub fn score_into(&self, x: &[f32], rows: usize, cols: usize, errors: &mut [f32]) -> Result<()> {
        const METHOD: &str = "Model::score";
        check_len(METHOD, "x", x.len(), rows, cols)?;
        check_len(METHOD, "errors", errors.len(), rows, 1)?;
        let n = to_i64("rows", rows)?;
        let cols = to_i64("cols", cols)?;
        // SAFETY: x holds (rows, cols), errors holds rows values.
        check(unsafe { sys::ae_score(self.as_ptr(), x.as_ptr(), n, cols, errors.as_mut_ptr()) })
    }

    // ------------------------------------------------------------------
    // Saving (read-only; thread-safe in C)
    // ------------------------------------------------------------------

    /// Writes the model to `path` atomically (a crash leaves the old file or
    /// the new one). Fails with `Io` (the path is then untouched).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_with(path, SaveFlags::NONE)
    }

    /// [`save`](Model::save) with flags, e.g. [`SaveFlags::OPTIMIZER_STATE`].
    pub fn save_with(&self, path: impl AsRef<Path>, flags: SaveFlags) -> Result<()> {
        let path = path_to_cstring("Model::save", path.as_ref())?;
        check(unsafe { sys::ae_save(self.as_ptr(), path.as_ptr(), flags.bits()) })
    }

    /// The number of bytes [`to_bytes_with`](Model::to_bytes_with) gives.
    pub fn saved_size(&self, flags: SaveFlags) -> Result<usize> {
        let mut size = 0usize;
        check(unsafe { sys::ae_save_buffer(self.as_ptr(), flags.bits(), ptr::null_mut(), 0, &mut size) })?;
        Ok(size)
    }

    /// Serialises into `buf`, returning the number of bytes written. Fails
    /// with `BufferTooSmall` when `buf` is shorter than
    /// [`saved_size`](Model::saved_size).
    pub fn save_to_slice(&self, buf: &mut [u8], flags: SaveFlags) -> Result<usize> {
        let mut size = 0usize;
        // An empty slice's pointer is dangling but not NULL; C then only
        // computes the size and reports the buffer too small (capacity 0).
        check(unsafe {
            sys::ae_save_buffer(
                self.as_ptr(),
                flags.bits(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut size,
            )
        })?;
        Ok(size)
    }

    /// The model file's bytes (the same ones [`save`](Model::save) writes).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        self.to_bytes_with(SaveFlags::NONE)
    }

    /// [`to_bytes`](Model::to_bytes) with flags.
    pub fn to_bytes_with(&self, flags: SaveFlags) -> Result<Vec<u8>> {
        let size = self.saved_size(flags)?;
        let mut buf = Vec::new();
        buf.try_reserve_exact(size).map_err(|_| {
            Error::new(
                Status::NoMemory,
                format!("Model::to_bytes: out of memory for {size} bytes"),
            )
        })?;
        buf.resize(size, 0);
        let written = self.save_to_slice(&mut buf, flags)?;
        buf.truncate(written);
        Ok(buf)
    }
}
