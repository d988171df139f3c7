//! `Model: Sync`: many threads run inference through one `&Model` and get
//! identical results; `Model: Send`: a model trains on another thread.

mod common;

use common::{bits, data, CODE, COLS, SPEC};
use libae::{Model, SaveFlags};

fn trained() -> (Model, Vec<f32>) {
    let x = data(200, COLS, 8);
    let mut m = Model::new(SPEC, 21).unwrap();
    m.set_epochs(3).unwrap();
    m.train(&x, 200, COLS).unwrap();
    (m, x)
}

#[test]
fn many_threads_encode_through_one_shared_model() {
    let (m, x) = trained();
    let codes = bits(&m.encode(&x, 200, COLS).unwrap());
    let recon = bits(&m.reconstruct(&x, 200, COLS).unwrap());
    let scores = bits(&m.score(&x, 200, COLS).unwrap());
    let saved = m.to_bytes().unwrap();
    let model = &m;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let (x, codes, recon, scores, saved) = (&x, &codes, &recon, &scores, &saved);
                s.spawn(move || {
                    for i in 0..40 {
                        assert_eq!(&bits(&model.encode(x, 200, COLS).unwrap()), codes, "thread {t}");
                        match (t + i) % 4 {
                            0 => assert_eq!(&bits(&model.reconstruct(x, 200, COLS).unwrap()), recon),
                            1 => assert_eq!(&bits(&model.score(x, 200, COLS).unwrap()), scores),
                            2 => assert_eq!(&model.to_bytes().unwrap(), saved),
                            _ => {
                                let c = model.encode(x, 200, COLS).unwrap();
                                assert_eq!(model.decode(&c, 200, CODE).unwrap().len(), 200 * COLS);
                                assert_eq!(model.spec().len(), model.spec().len());
                                assert_eq!(model.saved_size(SaveFlags::NONE).unwrap(), saved.len());
                            }
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
}

#[test]
fn a_model_moves_to_another_thread_to_train() {
    let x = data(64, COLS, 9);
    let mut here = Model::new(SPEC, 4).unwrap();
    here.set_epochs(2).unwrap();
    let mut there = Model::new(SPEC, 4).unwrap();
    there.set_epochs(2).unwrap();
    let x2 = x.clone();
    let there = std::thread::spawn(move || {
        there.train(&x2, 64, COLS).unwrap();
        there
    })
    .join()
    .unwrap();
    here.train(&x, 64, COLS).unwrap();
    assert_eq!(here.to_bytes().unwrap(), there.to_bytes().unwrap());
}

#[test]
fn different_models_train_in_parallel() {
    let x = data(64, COLS, 10);
    let mut models: Vec<Model> = (0..4).map(|s| Model::new(SPEC, s).unwrap()).collect();
    std::thread::scope(|s| {
        for m in models.iter_mut() {
            let x = &x;
            s.spawn(move || {
                m.set_epochs(3).unwrap();
                m.train(x, 64, COLS).unwrap();
            });
        }
    });
    assert!(models.iter().all(|m| m.epochs_trained() == 3));
}
