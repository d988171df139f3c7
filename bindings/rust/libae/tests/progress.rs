//! The progress closure: arguments, stopping, and panics that must not
//! unwind through C.

mod common;

use std::panic::{self, AssertUnwindSafe};

use common::{data, COLS, SPEC};
use libae::Model;

fn model(epochs: u32, batch: u32) -> Model {
    let mut m = Model::new(SPEC, 17).unwrap();
    m.set_epochs(epochs).unwrap();
    m.set_batch_size(batch).unwrap();
    m
}

#[test]
fn called_at_each_epoch_end_with_its_figures() {
    let x = data(50, COLS, 1);
    let mut m = model(4, 16);
    let mut calls = Vec::new();
    m.train_with_progress(&x, 50, COLS, None, |epoch, step, steps, loss| {
        calls.push((epoch, step, steps, loss));
        false
    })
    .unwrap();
    assert_eq!(calls.len(), 4);
    for (i, &(epoch, step, steps, loss)) in calls.iter().enumerate() {
        assert_eq!(epoch, i as i64 + 1);
        assert_eq!(steps, 4, "ceil(50 / 16) steps per epoch");
        assert_eq!(step, steps);
        assert!(loss.is_finite() && loss > 0.0);
    }
    assert_eq!(calls.last().unwrap().3, m.train_stat(libae::Stat::Loss).unwrap());
}

#[test]
fn progress_every_adds_calls_within_epochs() {
    let x = data(64, COLS, 2);
    let mut m = model(2, 8);
    m.set_progress_every(3).unwrap();
    let mut steps_seen = Vec::new();
    m.train_with_progress(&x, 64, COLS, None, |epoch, step, _, _| {
        steps_seen.push((epoch, step));
        false
    })
    .unwrap();
    assert_eq!(steps_seen, vec![(1, 3), (1, 6), (1, 8), (2, 3), (2, 6), (2, 8)]);
}

#[test]
fn returning_true_stops_training() {
    let x = data(64, COLS, 3);
    let mut m = model(10, 16);
    let mut calls = 0;
    m.train_with_progress(&x, 64, COLS, None, |epoch, _, _, _| {
        calls += 1;
        epoch == 3
    })
    .unwrap();
    assert_eq!(calls, 3);
    assert_eq!(m.epochs_trained(), 3);

    // Stopping mid-epoch: the unfinished epoch is not counted.
    m.set_progress_every(1).unwrap();
    m.train_with_progress(&x, 64, COLS, None, |_, step, _, _| step == 2)
        .unwrap();
    assert_eq!(m.epochs_trained(), 3);
}

#[test]
fn works_with_a_target_too() {
    let x = data(32, COLS, 4);
    let mut m = model(2, 32);
    let mut n = 0;
    m.train_with_progress(&x, 32, COLS, Some((&x, COLS)), |_, _, _, _| {
        n += 1;
        false
    })
    .unwrap();
    assert_eq!(n, 2);
}

#[test]
fn a_panic_stops_training_and_resumes_after_c_returns() {
    let x = data(64, COLS, 5);
    let mut m = model(10, 16);
    let mut calls = 0;
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        m.train_with_progress(&x, 64, COLS, None, |epoch, _, _, _| {
            calls += 1;
            if epoch == 2 {
                panic!("boom at epoch {epoch}");
            }
            false
        })
    }));
    let payload = result.expect_err("the panic comes back out of train_with_progress");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("boom at epoch 2")
    );
    assert_eq!(calls, 2, "training stopped at the panic");
    assert_eq!(m.epochs_trained(), 2, "progress before the panic is kept");

    // The callback was removed: plain training no longer calls into the dead
    // closure, and the model keeps working.
    m.set_epochs(2).unwrap();
    m.train(&x, 64, COLS).unwrap();
    assert_eq!(m.epochs_trained(), 4);
    let mut again = 0;
    m.train_with_progress(&x, 64, COLS, None, |_, _, _, _| {
        again += 1;
        false
    })
    .unwrap();
    assert_eq!(again, 2);
}

#[test]
fn a_panic_with_any_payload() {
    let x = data(16, COLS, 6);
    let mut m = model(3, 16);
    let payload = panic::catch_unwind(AssertUnwindSafe(|| {
        let _ = m.train_with_progress(&x, 16, COLS, None, |_, _, _, _| -> bool {
            panic::panic_any(42u32)
        });
    }))
    .unwrap_err();
    assert_eq!(payload.downcast_ref::<u32>(), Some(&42));
    assert_eq!(m.epochs_trained(), 1);
}
