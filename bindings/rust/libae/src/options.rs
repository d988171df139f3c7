//! Training options (`AE_OPT_*`), their enumerated values, training figures
//! (`AE_STAT_*`) and save flags.

use std::ops::{BitOr, BitOrAssign};

use crate::error::{check, Result};
use crate::sys;

/// Declares a C-enum-like Rust enum from a table `Variant = AE_CONSTANT` plus
/// a `Raw(u32)` variant for values this binding does not know yet. Adding an
/// option (or a figure) of a newer ae.h is one line in the table below.
macro_rules! keyed_enum {
    ($(#[$meta:meta])* $name:ident : $ctype:ty { $($(#[$doc:meta])* $variant:ident = $code:ident,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$doc])* $variant,)*
            /// A raw value, for one that ae.h has and this binding does not
            /// name yet. The library rejects values it does not know with
            /// `Status::InvalidArgument`.
            Raw(u32),
        }

        impl $name {
            /// Every named value, in the order of ae.h.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The raw C value.
            pub fn code(self) -> $ctype {
                match self {
                    $($name::$variant => sys::$code,)*
                    $name::Raw(code) => code as $ctype,
                }
            }

            /// The value for a raw C value (`Raw` for unknown ones).
            pub fn from_code(code: $ctype) -> $name {
                match code {
                    $(sys::$code => $name::$variant,)*
                    other => $name::Raw(other as u32),
                }
            }

            /// The C name, e.g. `"AE_OPT_EPOCHS"` (`"raw"` for `Raw`).
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => stringify!($code),)*
                    $name::Raw(_) => "raw",
                }
            }
        }
    };
}

keyed_enum! {
    /// A training option, `AE_OPT_*`. All options are numbers; integer
    /// options take whole values. See ae.h for each default and range, or ask
    /// [`Opt::bounds`].
    Opt: sys::ae_option {
        /// Passes over the data per train call. Default 10, [1, 1e6], integer.
        Epochs = AE_OPT_EPOCHS,
        /// Samples per step. Default 64, [1, 1048576], integer.
        BatchSize = AE_OPT_BATCH_SIZE,
        /// 1: reshuffle every epoch, 0: keep order. Default 1.
        Shuffle = AE_OPT_SHUFFLE,
        /// Fraction of rows held out for a validation loss. Default 0, [0, 0.9].
        ValidationSplit = AE_OPT_VALIDATION_SPLIT,
        /// Early stopping patience in epochs, 0 = off. Needs a validation split.
        Patience = AE_OPT_PATIENCE,
        /// Call the progress callback every this many steps too (0 = epoch ends only).
        ProgressEvery = AE_OPT_PROGRESS_EVERY,
        /// [`Optimizer`] as a number (`Adam` by default).
        Optimizer = AE_OPT_OPTIMIZER,
        /// Default 1e-3, (0, 10].
        LearningRate = AE_OPT_LEARNING_RATE,
        /// SGD momentum. Default 0.9, [0, 1).
        Momentum = AE_OPT_MOMENTUM,
        /// Default 0.9, [0, 1).
        AdamBeta1 = AE_OPT_ADAM_BETA1,
        /// Default 0.999, [0, 1).
        AdamBeta2 = AE_OPT_ADAM_BETA2,
        /// Default 1e-8, (0, 1].
        AdamEpsilon = AE_OPT_ADAM_EPSILON,
        /// [`Loss`] as a number (`Mse` by default).
        Loss = AE_OPT_LOSS,
        /// L2 weight decay lambda. Default 0, [0, 1e3].
        L2 = AE_OPT_L2,
    }
}

/// An option's range and default, as `ae_option_bounds` reports them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// The smallest value accepted.
    pub min: f64,
    /// The largest value accepted.
    pub max: f64,
    /// The value a new model starts with.
    pub default: f64,
}

impl Opt {
    /// The option's range and default (`ae_option_bounds`). Thread-safe.
    pub fn bounds(self) -> Result<Bounds> {
        let mut b = Bounds {
            min: 0.0,
            max: 0.0,
            default: 0.0,
        };
        // SAFETY: the three out pointers point to live f64s.
        check(unsafe { sys::ae_option_bounds(self.code(), &mut b.min, &mut b.max, &mut b.default) })?;
        Ok(b)
    }
}

keyed_enum! {
    /// A figure of the training in progress or just finished, `AE_STAT_*`.
    Stat: sys::ae_stat {
        /// Mean total loss of the current epoch so far.
        Loss = AE_STAT_LOSS,
        /// Its reconstruction part (per-element mean).
        Reconstruction = AE_STAT_RECONSTRUCTION,
        /// Its L2 weight decay part.
        L2Penalty = AE_STAT_L2_PENALTY,
        /// Validation loss after the last finished epoch; NaN without a split.
        ValidationLoss = AE_STAT_VALIDATION_LOSS,
        /// 1-based epoch of the best validation loss in the last call; 0 without a split.
        BestEpoch = AE_STAT_BEST_EPOCH,
    }
}

keyed_enum! {
    /// The optimizer, the value of [`Opt::Optimizer`].
    Optimizer: sys::ae_optimizer_kind {
        /// SGD with momentum.
        Sgd = AE_OPTIMIZER_SGD,
        /// Adam with bias correction (the default).
        Adam = AE_OPTIMIZER_ADAM,
    }
}

keyed_enum! {
    /// The reconstruction loss, the value of [`Opt::Loss`].
    Loss: sys::ae_loss_kind {
        /// Mean squared error (the default).
        Mse = AE_LOSS_MSE,
        /// Binary cross-entropy; targets in [0, 1].
        Bce = AE_LOSS_BCE,
    }
}

/// Flags for saving (`AE_SAVE_*`), combined with `|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SaveFlags(u32);

impl SaveFlags {
    /// No flags: weights, options, spec and history.
    pub const NONE: SaveFlags = SaveFlags(0);
    /// Also store the optimizer moments, to resume training exactly.
    pub const OPTIMIZER_STATE: SaveFlags = SaveFlags(sys::AE_SAVE_OPTIMIZER_STATE);

    /// Flags from raw bits (unknown bits are rejected by the library).
    pub const fn from_bits(bits: u32) -> SaveFlags {
        SaveFlags(bits)
    }

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }
}

impl BitOr for SaveFlags {
    type Output = SaveFlags;
    fn bitor(self, rhs: SaveFlags) -> SaveFlags {
        SaveFlags(self.0 | rhs.0)
    }
}

impl BitOrAssign for SaveFlags {
    fn bitor_assign(&mut self, rhs: SaveFlags) {
        self.0 |= rhs.0;
    }
}
