//! Every status maps to its `Status` variant with the library's message, and
//! a failed call leaves the model as it was.

mod common;

use std::cell::RefCell;

use common::{data, TempDir, COLS, SPEC};
use libae::{check, sys, Error, Model, Opt, SaveFlags, Stat, Status};

fn err<T: std::fmt::Debug>(r: libae::Result<T>) -> Error {
    r.expect_err("the call should have failed")
}

fn assert_status(e: &Error, status: Status, needle: &str) {
    assert_eq!(e.status(), status, "{e}");
    assert!(
        e.message().contains(needle),
        "message {:?} should contain {:?}",
        e.message(),
        needle
    );
    assert_eq!(e.to_string(), format!("{} [{}]", e.message(), status.name()));
}

#[test]
fn status_table_matches_the_library() {
    let codes: Vec<u32> = Status::ALL.iter().map(|s| s.code()).collect();
    assert_eq!(codes, (1..=13).collect::<Vec<u32>>());
    for &s in Status::ALL {
        assert_eq!(Status::from_code(s.code()), s);
        assert!(
            s.description().starts_with(s.name()),
            "{} vs {}",
            s.description(),
            s.name()
        );
        assert_eq!(s.to_string(), s.description());
    }
    assert_eq!(Status::from_code(999), Status::Unknown(999));
    assert_eq!(Status::Unknown(999).code(), 999);
    assert_eq!(Status::Unknown(999).description(), "unknown status");
    assert_eq!(Status::from_code(0), Status::Unknown(0));
    assert!(check(sys::AE_OK).is_ok());
}

#[test]
fn error_is_a_std_error() {
    let e: Box<dyn std::error::Error + Send + Sync> = Box::new(err(Model::new("nonsense", 1)));
    assert!(e.to_string().ends_with("[AE_ERR_SPEC]"), "{e}");
    let bare = Error::new(Status::Io, "");
    assert_eq!(bare.to_string(), Status::Io.description());
}

#[test]
fn null_argument() {
    // Unreachable through the safe API; the raw call shows the mapping.
    let spec = std::ffi::CString::new(SPEC).unwrap();
    let e = err(check(unsafe {
        sys::ae_model_create(std::ptr::null_mut(), spec.as_ptr(), 1)
    }));
    assert_status(&e, Status::NullArgument, "out is NULL");
}

#[test]
fn invalid_argument() {
    let mut m = Model::new(SPEC, 1).unwrap();
    assert_status(
        &err(m.set_option(Opt::Epochs, 0.0)),
        Status::InvalidArgument,
        "ae_set_option",
    );
    assert_status(
        &err(m.set_option(Opt::Epochs, 1.5)),
        Status::InvalidArgument,
        "ae_set_option",
    );
    assert_status(
        &err(m.set_option(Opt::LearningRate, f64::NAN)),
        Status::InvalidArgument,
        "ae_set_option",
    );
    assert_status(
        &err(m.set_validation_split(0.95)),
        Status::InvalidArgument,
        "ae_set_option",
    );
    assert_status(
        &err(m.set_option(Opt::Raw(9999), 1.0)),
        Status::InvalidArgument,
        "unknown option 9999",
    );
    assert_status(
        &err(m.option(Opt::Raw(9999))),
        Status::InvalidArgument,
        "unknown option",
    );
    assert_status(
        &err(Opt::Raw(9999).bounds()),
        Status::InvalidArgument,
        "unknown option",
    );
    assert_status(
        &err(m.train_stat(Stat::Raw(77))),
        Status::InvalidArgument,
        "unknown stat",
    );
    assert_status(
        &err(m.to_bytes_with(SaveFlags::from_bits(0x80))),
        Status::InvalidArgument,
        "flag",
    );
    // The model is unchanged by the failures.
    assert_eq!(m.option(Opt::Epochs).unwrap(), 10.0);
    assert_eq!(m.option(Opt::ValidationSplit).unwrap(), 0.0);
    // Patience needs a validation split.
    m.set_patience(2).unwrap();
    let x = data(8, COLS, 1);
    assert_status(&err(m.train(&x, 8, COLS)), Status::InvalidArgument, "ae_train");
    // BCE scores need x in [0, 1].
    let mut b = Model::new(SPEC, 1).unwrap();
    b.set_loss(libae::Loss::Bce).unwrap();
    let mut bad = x.clone();
    bad[3] = 2.0;
    assert_status(&err(b.score(&bad, 8, COLS)), Status::InvalidArgument, "ae_score");
    // Strings with NUL bytes are refused before C sees them.
    assert_status(
        &err(Model::new("input 4\0; code 2 linear", 1)),
        Status::InvalidArgument,
        "NUL",
    );
    assert_status(&err(Model::load("a\0b")), Status::InvalidArgument, "NUL");
}

#[test]
fn shape() {
    let mut m = Model::new(SPEC, 1).unwrap();
    let x = data(4, 15, 1);
    assert_status(
        &err(m.encode(&x, 4, 15)),
        Status::Shape,
        "15 columns, model expects 16",
    );
    assert_status(&err(m.train(&x, 4, 15)), Status::Shape, "ae_train");
    let codes = vec![0.0f32; 4 * 3];
    assert_status(&err(m.decode(&codes, 4, 3)), Status::Shape, "ae_decode");
    assert_status(&err(m.encode(&[], 0, COLS)), Status::Shape, "n = 0");
}

#[test]
fn nonfinite_input() {
    let mut m = Model::new(SPEC, 1).unwrap();
    let mut x = data(4, COLS, 1);
    x[2 * COLS + 3] = f32::NAN;
    assert_status(
        &err(m.encode(&x, 4, COLS)),
        Status::NonfiniteInput,
        "[2][3] is NaN",
    );
    x[2 * COLS + 3] = f32::INFINITY;
    assert_status(&err(m.reconstruct(&x, 4, COLS)), Status::NonfiniteInput, "Inf");
    let before = m.to_bytes().unwrap();
    assert_status(&err(m.train(&x, 4, COLS)), Status::NonfiniteInput, "ae_train");
    assert_eq!(
        m.to_bytes().unwrap(),
        before,
        "a failed train leaves the model as it was"
    );
}

#[test]
fn too_many_parameters() {
    // 2^24 x 2^24 weights: past libae's 2^31 - 1, refused before any allocation.
    let e = err(Model::new(
        "input 16777216; code 16777216 linear; mirror linear",
        1,
    ));
    assert_status(&e, Status::Spec, "more than 2147483647 parameters");
}

#[test]
fn spec() {
    assert_status(
        &err(Model::new("input 16; code 4 swish; mirror sigmoid", 1)),
        Status::Spec,
        "unknown activation",
    );
    assert_status(&err(Model::new("", 1)), Status::Spec, "ae_model_create");
    assert_status(
        &err(Model::new("input 0; code 1 linear; mirror linear", 1)),
        Status::Spec,
        "ae_model_create",
    );
}

#[test]
fn io() {
    let dir = TempDir::new("io");
    let missing = dir.path().join("missing.ae");
    assert_status(&err(Model::load(&missing)), Status::Io, "missing.ae");
    let m = Model::new(SPEC, 1).unwrap();
    assert_status(
        &err(m.save(dir.path().join("no/such/dir/m.ae"))),
        Status::Io,
        "ae_save",
    );
    assert_status(&err(Model::load(dir.path())), Status::Io, "ae_load");
}

#[test]
fn format() {
    assert_status(&err(Model::from_bytes(b"")), Status::Format, "ae_load_buffer");
    assert_status(
        &err(Model::from_bytes(b"hello, world")),
        Status::Format,
        "ae_load_buffer",
    );
    let bytes = Model::new(SPEC, 1).unwrap().to_bytes().unwrap();
    assert_status(
        &err(Model::from_bytes(&bytes[..bytes.len() - 1])),
        Status::Format,
        "ae_load_buffer",
    );
    let dir = TempDir::new("format");
    let path = dir.path().join("junk.ae");
    std::fs::write(&path, b"not a model at all").unwrap();
    assert_status(&err(Model::load(&path)), Status::Format, "ae_load");
}

#[test]
fn checksum() {
    let mut bytes = Model::new(SPEC, 1).unwrap().to_bytes().unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    assert_status(
        &err(Model::from_bytes(&bytes)),
        Status::Checksum,
        "ae_load_buffer",
    );
}

#[test]
fn version() {
    let mut bytes = Model::new(SPEC, 1).unwrap().to_bytes().unwrap();
    bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
    assert_status(&err(Model::from_bytes(&bytes)), Status::Version, "ae_load_buffer");
}

#[test]
fn diverged() {
    // Finite but enormous inputs through linear layers: the squared error
    // overflows float at once.
    let mut m = Model::new("input 16; dense 12 linear; code 4 linear; mirror linear", 1).unwrap();
    m.set_learning_rate(10.0).unwrap();
    m.set_epochs(3).unwrap();
    let x: Vec<f32> = data(32, COLS, 2).iter().map(|v| v * 1e30).collect();
    let e = err(m.train(&x, 32, COLS));
    assert_status(&e, Status::Diverged, "ae_train");
    // The model keeps finite weights and stays usable.
    let small = data(4, COLS, 3);
    assert!(m.encode(&small, 4, COLS).unwrap().iter().all(|v| v.is_finite()));
}

#[test]
fn busy() {
    // Unreachable through the safe API (training needs `&mut Model`); a raw
    // inference call from inside the progress callback shows the mapping.
    let mut m = Model::new(SPEC, 1).unwrap();
    m.set_epochs(1).unwrap();
    let raw = m.as_ptr() as usize;
    let x = data(8, COLS, 1);
    let seen = RefCell::new(None);
    m.train_with_progress(&x, 8, COLS, None, |_, _, _, _| {
        let mut code = [0f32; 4];
        let st = unsafe {
            sys::ae_encode(
                raw as *const sys::ae_model,
                x.as_ptr(),
                1,
                COLS as i64,
                code.as_mut_ptr(),
                4,
            )
        };
        *seen.borrow_mut() = Some(check(st));
        true
    })
    .unwrap();
    let e = seen.into_inner().expect("callback ran").unwrap_err();
    assert_status(&e, Status::Busy, "being trained");
}

#[test]
fn buffer_too_small() {
    let m = Model::new(SPEC, 1).unwrap();
    let need = m.saved_size(SaveFlags::NONE).unwrap();
    let mut buf = vec![0u8; need - 1];
    assert_status(
        &err(m.save_to_slice(&mut buf, SaveFlags::NONE)),
        Status::BufferTooSmall,
        &need.to_string(),
    );
    assert_status(
        &err(m.save_to_slice(&mut [], SaveFlags::NONE)),
        Status::BufferTooSmall,
        "ae_save_buffer",
    );
    assert!(
        buf.iter().all(|&b| b == 0),
        "nothing written into a too-small buffer"
    );
}

#[test]
fn messages_are_per_thread() {
    // Two threads fail differently at the same time; each sees its own message.
    let m = Model::new(SPEC, 1).unwrap();
    std::thread::scope(|s| {
        let a = s.spawn(|| {
            (0..200)
                .map(|_| err(m.encode(&data(2, 15, 1), 2, 15)))
                .all(|e| e.status() == Status::Shape && e.message().contains("15 columns"))
        });
        let b = s.spawn(|| {
            let mut x = data(2, COLS, 1);
            x[0] = f32::NAN;
            (0..200)
                .map(|_| err(m.encode(&x, 2, COLS)))
                .all(|e| e.status() == Status::NonfiniteInput && e.message().contains("NaN"))
        });
        assert!(a.join().unwrap());
        assert!(b.join().unwrap());
    });
}
