//! Round trips: create, train, encode/decode/reconstruct/score, options,
//! save/load through files and bytes.

mod common;

use common::{bits, data, TempDir, CODE, COLS, SPEC};
use libae::{Loss, Model, Opt, Optimizer, SaveFlags, Stat};

fn trained(seed: u64, epochs: u32) -> (Model, Vec<f32>) {
    let x = data(64, COLS, 1);
    let mut m = Model::new(SPEC, seed).unwrap();
    m.set_epochs(epochs).unwrap();
    m.train(&x, 64, COLS).unwrap();
    (m, x)
}

#[test]
fn introspection_of_a_new_model() {
    let m = Model::new(SPEC, 42).unwrap();
    assert_eq!(m.input_size(), COLS);
    assert_eq!(m.code_size(), CODE);
    assert_eq!(m.output_size(), COLS);
    // 16*12+12 + 12*4+4 + 4*12+12 + 12*16+16
    assert_eq!(m.param_count(), 524);
    assert_eq!(m.epochs_trained(), 0);
    let spec = m.spec();
    assert!(!spec.contains("mirror"), "canonical spec expands mirror: {spec}");
    assert!(spec.contains("dense 16 sigmoid"), "{spec}");
    // The canonical spec builds the same model.
    let again = Model::new(&spec, 42).unwrap();
    assert_eq!(again.spec(), spec);
    assert_eq!(again.to_bytes().unwrap(), m.to_bytes().unwrap());
    assert!(format!("{m:?}").contains("param_count: 524"));
    // Before any training every figure is NaN (best epoch 0).
    assert!(m.train_stat(Stat::Loss).unwrap().is_nan());
    assert_eq!(m.train_stat(Stat::BestEpoch).unwrap(), 0.0);
}

#[test]
fn seeds_decide_the_weights() {
    let a = Model::new(SPEC, 1).unwrap().to_bytes().unwrap();
    let b = Model::new(SPEC, 1).unwrap().to_bytes().unwrap();
    let c = Model::new(SPEC, 2).unwrap().to_bytes().unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn training_lowers_the_loss_and_is_deterministic() {
    let x = data(128, COLS, 3);
    let mut m = Model::new(SPEC, 5).unwrap();
    m.set_epochs(1).unwrap();
    m.train(&x, 128, COLS).unwrap();
    let first = m.train_stat(Stat::Loss).unwrap();
    m.set_epochs(30).unwrap();
    m.set_learning_rate(0.01).unwrap();
    m.train(&x, 128, COLS).unwrap();
    let last = m.train_stat(Stat::Loss).unwrap();
    assert!(last.is_finite() && last < first, "loss {first} -> {last}");
    assert_eq!(m.epochs_trained(), 31);
    assert_eq!(m.train_stat(Stat::Reconstruction).unwrap(), last);
    assert_eq!(m.train_stat(Stat::L2Penalty).unwrap(), 0.0);

    // Same spec, seed, options, data and calls: bit-identical weights.
    let mut twin = Model::new(SPEC, 5).unwrap();
    twin.set_epochs(1).unwrap();
    twin.train(&x, 128, COLS).unwrap();
    twin.set_epochs(30).unwrap();
    twin.set_learning_rate(0.01).unwrap();
    twin.train(&x, 128, COLS).unwrap();
    assert_eq!(twin.to_bytes().unwrap(), m.to_bytes().unwrap());
}

#[test]
fn inference_shapes_and_consistency() {
    let (m, x) = trained(9, 5);
    let rows = 64;
    let codes = m.encode(&x, rows, COLS).unwrap();
    assert_eq!(codes.len(), rows * CODE);
    let decoded = m.decode(&codes, rows, CODE).unwrap();
    assert_eq!(decoded.len(), rows * COLS);
    let recon = m.reconstruct(&x, rows, COLS).unwrap();
    assert_eq!(recon.len(), rows * COLS);
    for (a, b) in decoded.iter().zip(&recon) {
        assert!(
            (a - b).abs() <= 1e-6,
            "decode(encode(x)) {a} vs reconstruct(x) {b}"
        );
        assert!((0.0..=1.0).contains(a), "sigmoid output {a}");
    }
    // Scores are the per-row mean squared error (MSE is the default loss).
    let scores = m.score(&x, rows, COLS).unwrap();
    assert_eq!(scores.len(), rows);
    for r in 0..rows {
        let mse: f64 = (0..COLS)
            .map(|c| {
                let d = f64::from(recon[r * COLS + c]) - f64::from(x[r * COLS + c]);
                d * d
            })
            .sum::<f64>()
            / COLS as f64;
        assert!(
            (f64::from(scores[r]) - mse).abs() < 1e-5,
            "row {r}: {} vs {mse}",
            scores[r]
        );
    }
    // Encoding a row alone gives its codes (rows are independent).
    let one = m.encode(&x[5 * COLS..6 * COLS], 1, COLS).unwrap();
    for (a, b) in one.iter().zip(&codes[5 * CODE..6 * CODE]) {
        assert!((a - b).abs() <= 1e-6);
    }
}

#[test]
fn into_variants_match_allocating_ones() {
    let (m, x) = trained(10, 2);
    let rows = 64;
    let mut codes = vec![f32::NAN; rows * CODE];
    m.encode_into(&x, rows, COLS, &mut codes).unwrap();
    assert_eq!(bits(&codes), bits(&m.encode(&x, rows, COLS).unwrap()));
    let mut out = vec![f32::NAN; rows * COLS];
    m.decode_into(&codes, rows, CODE, &mut out).unwrap();
    assert_eq!(bits(&out), bits(&m.decode(&codes, rows, CODE).unwrap()));
    m.reconstruct_into(&x, rows, COLS, &mut out).unwrap();
    assert_eq!(bits(&out), bits(&m.reconstruct(&x, rows, COLS).unwrap()));
    let mut scores = vec![f32::NAN; rows];
    m.score_into(&x, rows, COLS, &mut scores).unwrap();
    assert_eq!(bits(&scores), bits(&m.score(&x, rows, COLS).unwrap()));
}

#[test]
fn save_and_load_file() {
    let dir = TempDir::new("file");
    let (mut m, x) = trained(11, 3);
    m.set_loss(Loss::Bce).unwrap();
    m.set_batch_size(16).unwrap();
    let path = dir.path().join("m.ae");
    m.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        bytes,
        m.to_bytes().unwrap(),
        "save and to_bytes write the same bytes"
    );

    let l = Model::load(&path).unwrap();
    assert_eq!(l.spec(), m.spec());
    assert_eq!(l.epochs_trained(), 3);
    assert_eq!(l.loss().unwrap(), Loss::Bce);
    assert_eq!(l.option(Opt::BatchSize).unwrap(), 16.0);
    assert_eq!(
        bits(&l.encode(&x, 64, COLS).unwrap()),
        bits(&m.encode(&x, 64, COLS).unwrap())
    );
    assert_eq!(
        l.to_bytes().unwrap(),
        bytes,
        "load then save gives the same bytes"
    );

    // Saving over an existing file replaces it (atomically).
    let other = Model::new(SPEC, 99).unwrap();
    other.save(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), other.to_bytes().unwrap());
}

#[test]
fn save_and_load_bytes() {
    let (m, x) = trained(12, 2);
    let bytes = m.to_bytes().unwrap();
    assert_eq!(bytes.len(), m.saved_size(SaveFlags::NONE).unwrap());
    assert_eq!(&bytes[..4], b"\x89AEM");
    let l = Model::from_bytes(&bytes).unwrap();
    assert_eq!(
        bits(&l.reconstruct(&x, 64, COLS).unwrap()),
        bits(&m.reconstruct(&x, 64, COLS).unwrap())
    );

    // save_to_slice into a larger buffer writes exactly saved_size bytes.
    let mut big = vec![0xAAu8; bytes.len() + 10];
    let n = m.save_to_slice(&mut big, SaveFlags::NONE).unwrap();
    assert_eq!(n, bytes.len());
    assert_eq!(&big[..n], &bytes[..]);
    assert!(big[n..].iter().all(|&b| b == 0xAA));
}

#[test]
fn optimizer_state_resumes_training_exactly() {
    let x = data(64, COLS, 4);
    let mut a = Model::new(SPEC, 13).unwrap();
    a.set_epochs(2).unwrap();
    a.train(&x, 64, COLS).unwrap();

    let plain = a.to_bytes().unwrap();
    let with_state = a.to_bytes_with(SaveFlags::OPTIMIZER_STATE).unwrap();
    assert!(with_state.len() > plain.len());
    assert_eq!(
        with_state.len(),
        a.saved_size(SaveFlags::NONE | SaveFlags::OPTIMIZER_STATE)
            .unwrap()
    );

    let mut b = Model::from_bytes(&with_state).unwrap();
    a.train(&x, 64, COLS).unwrap();
    b.train(&x, 64, COLS).unwrap();
    assert_eq!(a.to_bytes().unwrap(), b.to_bytes().unwrap());
    assert_eq!(b.epochs_trained(), 4);
}

#[test]
fn options_defaults_bounds_and_setters() {
    let mut m = Model::new(SPEC, 1).unwrap();
    for &opt in Opt::ALL {
        let b = opt.bounds().unwrap();
        assert!(b.min <= b.default && b.default <= b.max, "{opt:?} {b:?}");
        assert_eq!(m.option(opt).unwrap(), b.default, "{} default", opt.name());
        assert_eq!(Opt::from_code(opt.code()), opt);
    }
    assert_eq!(Opt::Epochs.bounds().unwrap().default, 10.0);
    assert_eq!(Opt::Epochs.code(), 100);
    assert_eq!(Opt::from_code(4242), Opt::Raw(4242));
    assert_eq!(m.optimizer().unwrap(), Optimizer::Adam);
    assert_eq!(m.loss().unwrap(), Loss::Mse);

    m.set_option(Opt::Epochs, 5.0).unwrap();
    m.set_batch_size(32).unwrap();
    m.set_shuffle(false).unwrap();
    m.set_validation_split(0.25).unwrap();
    m.set_patience(3).unwrap();
    m.set_progress_every(2).unwrap();
    m.set_optimizer(Optimizer::Sgd).unwrap();
    m.set_learning_rate(0.05).unwrap();
    m.set_loss(Loss::Bce).unwrap();
    m.set_l2(1e-4).unwrap();
    m.set_option(Opt::Momentum, 0.5).unwrap();
    m.set_option(Opt::AdamBeta1, 0.8).unwrap();
    m.set_option(Opt::AdamBeta2, 0.99).unwrap();
    m.set_option(Opt::AdamEpsilon, 1e-6).unwrap();
    let expect = [
        (Opt::Epochs, 5.0),
        (Opt::BatchSize, 32.0),
        (Opt::Shuffle, 0.0),
        (Opt::ValidationSplit, 0.25),
        (Opt::Patience, 3.0),
        (Opt::ProgressEvery, 2.0),
        (Opt::Optimizer, 0.0),
        (Opt::LearningRate, 0.05),
        (Opt::Momentum, 0.5),
        (Opt::AdamBeta1, 0.8),
        (Opt::AdamBeta2, 0.99),
        (Opt::AdamEpsilon, 1e-6),
        (Opt::Loss, 1.0),
        (Opt::L2, 1e-4),
    ];
    assert_eq!(expect.len(), Opt::ALL.len());
    for (opt, v) in expect {
        assert_eq!(m.option(opt).unwrap(), v, "{opt:?}");
    }
    assert_eq!(m.optimizer().unwrap(), Optimizer::Sgd);
    // Options travel with the model.
    let l = Model::from_bytes(&m.to_bytes().unwrap()).unwrap();
    for (opt, v) in expect {
        assert_eq!(l.option(opt).unwrap(), v, "{opt:?} after load");
    }
}

#[test]
fn validation_split_and_early_stopping() {
    let x = data(100, COLS, 6);
    let mut m = Model::new(SPEC, 3).unwrap();
    m.set_validation_split(0.2).unwrap();
    m.set_patience(2).unwrap();
    m.set_epochs(50).unwrap();
    m.train(&x, 100, COLS).unwrap();
    assert!(m.train_stat(Stat::ValidationLoss).unwrap().is_finite());
    let best = m.train_stat(Stat::BestEpoch).unwrap();
    assert!((1.0..=50.0).contains(&best), "best epoch {best}");
}

#[test]
fn training_against_a_separate_target() {
    // Decoder output of 8 columns, trained to predict the first half of x.
    let mut m = Model::new(
        "input 16; output 8; dense 12 tanh; code 4 linear; dense 12 tanh; dense 8 sigmoid",
        2,
    )
    .unwrap();
    assert_eq!(m.output_size(), 8);
    let x = data(32, COLS, 7);
    let target: Vec<f32> = x.chunks(COLS).flat_map(|r| r[..8].to_vec()).collect();
    m.set_epochs(3).unwrap();
    m.train_with_target(&x, 32, COLS, &target, 8).unwrap();
    assert_eq!(m.epochs_trained(), 3);
    assert_eq!(m.reconstruct(&x, 32, COLS).unwrap().len(), 32 * 8);
    // Without a target the output width must equal the input width.
    let e = m.train(&x, 32, COLS).unwrap_err();
    assert_eq!(e.status(), libae::Status::Shape, "{e}");
}

#[test]
fn version_is_reported() {
    assert!(libae::version() >= 100);
    assert!(!libae::version_string().is_empty());
}
