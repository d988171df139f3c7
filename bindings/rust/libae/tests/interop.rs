//! Cross-language check: a model trained from any binding loads in all the
//! others and gives the same codes.
//!
//! Runs only when AE_INTEROP_DIR names a directory holding, made by C:
//!   x.f32         32 x 16 raw little-endian float32 in [0, 1]
//!   c.model       a model saved by C
//!   c.codes.f32   its codes of x, 32 x 4 float32
//! It (a) checks that this binding's codes of x under c.model are
//! bit-identical to C's, and (b) trains "input 16; dense 12 tanh; code 4
//! linear; mirror sigmoid" with seed 7 for 5 epochs (other options default)
//! on x and writes rust.model and rust.codes.f32 there for C to check.

use std::path::Path;

use libae::{Model, Opt};

const ROWS: usize = 32;
const COLS: usize = 16;
const CODE: usize = 4;
const SPEC: &str = "input 16; dense 12 tanh; code 4 linear; mirror sigmoid";

fn read_f32(path: &Path, count: usize) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert_eq!(
        bytes.len(),
        count * 4,
        "{} holds {} bytes, expected {}",
        path.display(),
        bytes.len(),
        count * 4
    );
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn write_f32(path: &Path, values: &[f32]) {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

#[test]
fn interop_with_c() {
    let Some(dir) = std::env::var_os("AE_INTEROP_DIR") else {
        println!("interop test skipped: AE_INTEROP_DIR is not set");
        return;
    };
    let dir = Path::new(&dir);
    let x = read_f32(&dir.join("x.f32"), ROWS * COLS);

    // (a) C's model, encoded here, gives C's codes bit for bit.
    let c_model = Model::load(dir.join("c.model")).expect("load c.model");
    assert_eq!(c_model.input_size(), COLS);
    assert_eq!(c_model.code_size(), CODE);
    let expected = read_f32(&dir.join("c.codes.f32"), ROWS * CODE);
    let codes = c_model.encode(&x, ROWS, COLS).expect("encode x with c.model");
    for (i, (got, want)) in codes.iter().zip(&expected).enumerate() {
        assert_eq!(
            got.to_bits(),
            want.to_bits(),
            "code [{}][{}]: Rust {got:e} vs C {want:e}",
            i / CODE,
            i % CODE
        );
    }

    // (b) Train the agreed model here and leave it for C to check.
    let mut m = Model::new(SPEC, 7).expect("create");
    m.set_option(Opt::Epochs, 5.0).expect("set epochs");
    m.train(&x, ROWS, COLS).expect("train");
    let codes = m.encode(&x, ROWS, COLS).expect("encode");
    m.save(dir.join("rust.model")).expect("save rust.model");
    write_f32(&dir.join("rust.codes.f32"), &codes);

    // What was written reads back to the same codes.
    let back = Model::load(dir.join("rust.model")).expect("load rust.model");
    assert_eq!(back.epochs_trained(), 5);
    let again = back.encode(&x, ROWS, COLS).unwrap();
    assert!(again.iter().zip(&codes).all(|(a, b)| a.to_bits() == b.to_bits()));
    println!("interop test ran in {}", dir.display());
}
