//! Ownership: every model is freed exactly once (a double free would abort
//! the test process under glibc's checks), whichever way it was made.

mod common;

use common::{data, COLS, SPEC};
use libae::{sys, Model};

#[test]
fn many_models_created_and_dropped() {
    for seed in 0..2000 {
        let m = Model::new(SPEC, seed).unwrap();
        assert_eq!(m.code_size(), 4);
    }
    let bytes = Model::new(SPEC, 1).unwrap().to_bytes().unwrap();
    let models: Vec<Model> = (0..500).map(|_| Model::from_bytes(&bytes).unwrap()).collect();
    assert!(models.iter().all(|m| m.param_count() == 524));
    drop(models);
}

#[test]
fn failed_creations_leak_nothing_to_drop() {
    for _ in 0..200 {
        assert!(Model::new("input 16; code 4 nope", 1).is_err());
        assert!(Model::from_bytes(b"junk").is_err());
    }
}

#[test]
fn trained_models_and_clones_through_bytes() {
    let x = data(32, COLS, 1);
    for seed in 0..50 {
        let mut m = Model::new(SPEC, seed).unwrap();
        m.set_epochs(1).unwrap();
        m.train(&x, 32, COLS).unwrap();
        let copy = Model::from_bytes(&m.to_bytes().unwrap()).unwrap();
        drop(m);
        assert_eq!(copy.epochs_trained(), 1);
    }
}

#[test]
fn into_raw_and_from_raw() {
    let m = Model::new(SPEC, 3).unwrap();
    let raw = m.into_raw();
    assert_eq!(unsafe { sys::ae_code_size(raw.as_ptr()) }, 4);
    let back = unsafe { Model::from_raw(raw) };
    assert_eq!(back.code_size(), 4);
    // Freed by hand after into_raw: exactly once.
    let raw = back.into_raw();
    unsafe { sys::ae_model_free(raw.as_ptr()) };
    unsafe { sys::ae_model_free(std::ptr::null_mut()) };
}

#[test]
fn dropped_on_another_thread() {
    let models: Vec<Model> = (0..16).map(|s| Model::new(SPEC, s).unwrap()).collect();
    std::thread::spawn(move || drop(models)).join().unwrap();
}
