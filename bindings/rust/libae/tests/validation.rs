//! Slice lengths are checked on the Rust side: a mismatch is an `Error`
//! (status `Shape`), never a panic or an out-of-bounds read by C.

mod common;

use common::{data, CODE, COLS, SPEC};
use libae::{Error, Model, Status};

fn shape_err<T: std::fmt::Debug>(r: libae::Result<T>, method: &str) -> Error {
    let e = r.expect_err("length mismatch should fail");
    assert_eq!(e.status(), Status::Shape, "{e}");
    assert!(e.message().starts_with(method), "{e} should name {method}");
    e
}

#[test]
fn input_lengths() {
    let mut m = Model::new(SPEC, 1).unwrap();
    let x = data(4, COLS, 1);
    let short = &x[..x.len() - 1];
    let e = shape_err(m.encode(short, 4, COLS), "Model::encode");
    assert!(
        e.message().contains("63 values") && e.message().contains("need 64"),
        "{e}"
    );
    shape_err(m.encode(&x, 5, COLS), "Model::encode");
    shape_err(m.encode(&x, 3, COLS), "Model::encode");
    shape_err(m.decode(&x[..4 * CODE - 1], 4, CODE), "Model::decode");
    shape_err(m.reconstruct(short, 4, COLS), "Model::reconstruct");
    shape_err(m.score(short, 4, COLS), "Model::score");
    shape_err(m.train(short, 4, COLS), "Model::train");
    shape_err(
        m.train_with_target(&x, 4, COLS, short, COLS),
        "Model::train_with_target",
    );
    shape_err(
        m.train_with_progress(short, 4, COLS, None, |_, _, _, _| false),
        "Model::train_with_progress",
    );
    assert_eq!(m.epochs_trained(), 0, "nothing trained after the failures");
}

#[test]
fn output_lengths() {
    let m = Model::new(SPEC, 1).unwrap();
    let x = data(4, COLS, 1);
    let mut codes = vec![0.0; 4 * CODE + 1];
    shape_err(m.encode_into(&x, 4, COLS, &mut codes), "Model::encode");
    let mut out = vec![0.0; 4 * COLS - 1];
    shape_err(m.decode_into(&x[..4 * CODE], 4, CODE, &mut out), "Model::decode");
    shape_err(m.reconstruct_into(&x, 4, COLS, &mut out), "Model::reconstruct");
    let mut scores = vec![0.0; 3];
    shape_err(m.score_into(&x, 4, COLS, &mut scores), "Model::score");
    // The short buffers were not written.
    assert!(codes.iter().chain(&out).chain(&scores).all(|&v| v == 0.0));
}

#[test]
fn overflowing_sizes() {
    let mut m = Model::new(SPEC, 1).unwrap();
    let x = data(1, COLS, 1);
    let e = shape_err(m.encode(&x, usize::MAX, COLS), "Model::encode");
    assert!(e.message().contains("overflows"), "{e}");
    shape_err(m.train(&x, usize::MAX / 2, 4), "Model::train");
    // rows * cols fits in usize but rows does not fit in int64.
    let e = m.encode(&[], usize::MAX, 0).unwrap_err();
    assert_eq!(e.status(), Status::Shape, "{e}");
}

#[test]
fn wrong_model_width_with_consistent_slices_is_reported_by_c() {
    let m = Model::new(SPEC, 1).unwrap();
    let x = data(4, 8, 1);
    let e = m.encode(&x, 4, 8).unwrap_err();
    assert_eq!(e.status(), Status::Shape);
    assert!(e.message().starts_with("ae_encode"), "{e}");
}
