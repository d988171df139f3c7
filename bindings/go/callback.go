package libae

/*
#include <stdint.h>
*/
import "C"

import (
	"runtime/cgo"
	"sync/atomic"
)

// Progress describes training progress, passed to a [ProgressFunc].
type Progress struct {
	Epoch         int     // 1-based epoch number within this Train call
	Step          int     // steps done in this epoch (== StepsPerEpoch at its end)
	StepsPerEpoch int     // steps in one epoch
	Loss          float64 // mean training loss of this epoch so far, penalties included
}

// ProgressFunc is called during training, on the training goroutine, at
// each epoch's end and every OptProgressEvery steps. Returning true stops
// training after this step; Train then returns nil with the weights as they
// are. It may call TrainStat and the introspection methods of the model,
// nothing else on it. A panic stops training and is re-raised by Train.
type ProgressFunc func(p Progress) (stop bool)

// SetProgress installs fn as the progress callback for the following Train
// calls, or removes it with nil. It is not saved with the model.
func (m *Model) SetProgress(fn ProgressFunc) {
	if fn == nil {
		m.progress.Store(nil)
		return
	}
	m.progress.Store(&fn)
}

// progressSlot is what the model's cgo.Handle (its C user_data) points to:
// the Train call in progress, if any. It never refers back to the Model, so
// the handle does not keep the model alive between Train calls.
type progressSlot struct {
	run atomic.Pointer[trainRun]
}

// trainRun is the state of one Train call.
type trainRun struct {
	fn         ProgressFunc
	panicked   bool
	panicValue any
}

//export aegoProgress
func aegoProgress(handle C.uintptr_t, epoch, step, stepsPerEpoch C.int64_t, loss C.double) (stop C.int) {
	run := cgo.Handle(handle).Value().(*progressSlot).run.Load()
	if run == nil || run.fn == nil {
		return 0
	}
	// A panic must not unwind through the C frames of ae_train: keep it,
	// stop training, and let Train re-raise it once ae_train has returned.
	defer func() {
		if r := recover(); r != nil {
			run.panicked, run.panicValue = true, r
			stop = 1
		}
	}()
	if run.fn(Progress{Epoch: int(epoch), Step: int(step), StepsPerEpoch: int(stepsPerEpoch), Loss: float64(loss)}) {
		return 1
	}
	return 0
}
