package libae

/*
#include <ae.h>
*/
import "C"

// Option is a training option (ae_option). All values are float64; integer
// options take whole numbers. Each option's default and range are in ae.h
// and, at run time, from [OptionBounds]. Options are saved with the model.
//
// Adding an option of a newer ae.h is one line here.
type Option int32

const (
	// The training loop.
	OptEpochs          Option = C.AE_OPT_EPOCHS           // passes over the data per Train call (default 10)
	OptBatchSize       Option = C.AE_OPT_BATCH_SIZE       // samples per step (default 64)
	OptShuffle         Option = C.AE_OPT_SHUFFLE          // 1: reshuffle every epoch, 0: keep order (default 1)
	OptValidationSplit Option = C.AE_OPT_VALIDATION_SPLIT // fraction of rows held out for a validation loss (default 0)
	OptPatience        Option = C.AE_OPT_PATIENCE         // early stopping patience in epochs, 0 = off (default 0)
	OptProgressEvery   Option = C.AE_OPT_PROGRESS_EVERY   // progress callback every this many steps, 0 = epoch ends only

	// The optimizer.
	OptOptimizer    Option = C.AE_OPT_OPTIMIZER     // OptimizerAdam (default) or OptimizerSGD
	OptLearningRate Option = C.AE_OPT_LEARNING_RATE // default 1e-3
	OptMomentum     Option = C.AE_OPT_MOMENTUM      // SGD momentum (default 0.9)
	OptAdamBeta1    Option = C.AE_OPT_ADAM_BETA1    // default 0.9
	OptAdamBeta2    Option = C.AE_OPT_ADAM_BETA2    // default 0.999
	OptAdamEpsilon  Option = C.AE_OPT_ADAM_EPSILON  // default 1e-8

	// The loss.
	OptLoss Option = C.AE_OPT_LOSS // LossMSE (default) or LossBCE

	// Regularizers.
	OptL2 Option = C.AE_OPT_L2 // L2 weight decay lambda (default 0)
)

// Values of OptOptimizer.
const (
	OptimizerSGD  float64 = C.AE_OPTIMIZER_SGD  // SGD with momentum
	OptimizerAdam float64 = C.AE_OPTIMIZER_ADAM // Adam with bias correction
)

// Values of OptLoss.
const (
	LossMSE float64 = C.AE_LOSS_MSE // mean squared error per element
	LossBCE float64 = C.AE_LOSS_BCE // binary cross-entropy per element; targets in [0, 1]
)

// Stat is a figure of the training in progress or just finished (ae_stat),
// read with [Model.TrainStat].
type Stat int32

const (
	StatLoss           Stat = C.AE_STAT_LOSS            // mean total loss of the current epoch so far
	StatReconstruction Stat = C.AE_STAT_RECONSTRUCTION  // its reconstruction part (per-element mean)
	StatL2Penalty      Stat = C.AE_STAT_L2_PENALTY      // its L2 weight decay part
	StatValidationLoss Stat = C.AE_STAT_VALIDATION_LOSS // loss on held-out rows after the last epoch; NaN without a split
	StatBestEpoch      Stat = C.AE_STAT_BEST_EPOCH      // epoch of the best validation loss; 0 without a split
)

// SaveFlags select what [Model.Save] and [Model.SaveBytes] store besides the
// model itself.
type SaveFlags uint32

const (
	// SaveOptimizerState also stores the optimizer moments, so that training
	// resumed after loading continues exactly where it stopped.
	SaveOptimizerState SaveFlags = C.AE_SAVE_OPTIMIZER_STATE
)

// OptionBounds returns an option's range and default. It fails with
// ErrInvalidArgument for an option the linked library does not know.
func OptionBounds(opt Option) (min, max, def float64, err error) {
	var cmin, cmax, cdef C.double
	err = check(func() C.ae_status {
		return C.ae_option_bounds(C.ae_option(opt), &cmin, &cmax, &cdef)
	})
	return float64(cmin), float64(cmax), float64(cdef), err
}

// SetOption sets a training option. It fails with ErrInvalidArgument (an
// unknown option, a value out of range or not whole where an integer is
// expected) or ErrBusy; the model is then unchanged. Not safe to call while
// anything else uses the model.
func (m *Model) SetOption(opt Option, value float64) error {
	return m.do("SetOption", func(p *C.ae_model) error {
		return check(func() C.ae_status { return C.ae_set_option(p, C.ae_option(opt), C.double(value)) })
	})
}

// GetOption returns an option's current value.
func (m *Model) GetOption(opt Option) (float64, error) {
	var v C.double
	err := m.do("GetOption", func(p *C.ae_model) error {
		return check(func() C.ae_status { return C.ae_get_option(p, C.ae_option(opt), &v) })
	})
	return float64(v), err
}

// TrainStat reads a figure of the training in progress or just finished.
// Before any training every figure is NaN (0 for StatBestEpoch). It may be
// called from the progress callback.
func (m *Model) TrainStat(stat Stat) (float64, error) {
	var v C.double
	err := m.do("TrainStat", func(p *C.ae_model) error {
		return check(func() C.ae_status { return C.ae_train_stat(p, C.ae_stat(stat), &v) })
	})
	return float64(v), err
}
