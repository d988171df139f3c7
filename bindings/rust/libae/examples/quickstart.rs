//! Train a small autoencoder, encode, save and load it again.
//!
//!     PKG_CONFIG_PATH=PREFIX/lib/pkgconfig LD_LIBRARY_PATH=PREFIX/lib \
//!         cargo run -p libae --example quickstart
use libae::{Loss, Model, Opt};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (rows, cols) = (512, 16);
    // Toy data in [0, 1]: each row a smooth bump at a different place.
    let x: Vec<f32> = (0..rows * cols)
        .map(|i| {
            let (r, c) = (i / cols, i % cols);
            let centre = (r % cols) as f32;
            (-(c as f32 - centre).powi(2) / 8.0).exp()
        })
        .collect();

    let mut model = Model::new("input 16; dense 12 tanh; code 4 linear; mirror sigmoid", 7)?;
    model.set_option(Opt::Epochs, 30.0)?;
    model.set_loss(Loss::Bce)?;
    model.set_learning_rate(0.01)?;
    model.train_with_progress(&x, rows, cols, None, |epoch, _step, _steps, loss| {
        if epoch % 10 == 0 {
            println!("epoch {epoch:3}: BCE {loss:.4} per element");
        }
        false // return true to stop early
    })?;

    let codes = model.encode(&x, rows, cols)?; // rows x 4, row-major
    println!("codes of row 0: {:?}", &codes[..model.code_size()]);

    let path = std::env::temp_dir().join("libae-quickstart.ae");
    model.save(&path)?;
    let loaded = Model::load(&path)?;
    assert_eq!(loaded.encode(&x, rows, cols)?, codes);
    println!("{} parameters, saved to {}", loaded.param_count(), path.display());
    std::fs::remove_file(&path)?;

    // Errors carry the status and the library's message.
    if let Err(e) = model.encode(&x[..15], 1, 15) {
        println!("as expected: {e}");
    }
    Ok(())
}
