package libae

/*
#include <stdint.h>
#include <stdlib.h>
#include <ae.h>

// The exported Go trampoline (callback.go) and the C function pointer libae
// calls, which hands the cgo.Handle in user_data back to Go.
extern int aegoProgress(uintptr_t handle, int64_t epoch, int64_t step,
                        int64_t steps_per_epoch, double loss);

static int aego_progress(void *user_data, int64_t epoch, int64_t step,
                         int64_t steps_per_epoch, double loss) {
	return aegoProgress((uintptr_t)user_data, epoch, step, steps_per_epoch, loss);
}

static ae_status aego_install_progress(ae_model *m, uintptr_t handle) {
	return ae_set_progress(m, aego_progress, (void *)handle);
}
*/
import "C"

import (
	"errors"
	"runtime"
	"runtime/cgo"
	"sync/atomic"
	"unsafe"
)

// Model is a libae autoencoder: an opaque C model. Create one with [New],
// [Load] or [LoadBytes] and release it with [Model.Close]. See the package
// documentation for which methods may run concurrently.
type Model struct {
	h *handle
	// The progress function lives here and not in handle: a callback that
	// refers to its Model must not keep the finalizer's object reachable.
	progress atomic.Pointer[ProgressFunc]
}

// handle owns the C model. The finalizer is set on it, not on Model, so that
// cycles through Model (a progress closure that uses the model) are collected.
type handle struct {
	p     *C.ae_model
	state atomic.Uint64 // closedBit | number of calls in flight
	slot  *progressSlot // reached from C through cb during Train
	cb    cgo.Handle
}

const closedBit = 1 << 63

// liveModels counts C models created and not yet freed (for tests).
var liveModels atomic.Int64

// New builds a model from an architecture spec (see ae.h, e.g.
// "input 784; dense 256 relu; code 32 linear; mirror sigmoid") and
// initialises its weights from seed. All options take their defaults.
// It fails with ErrSpec (the message names the statement and the problem),
// ErrInvalidArgument (a NUL byte in spec) or ErrNoMemory.
func New(spec string, seed uint64) (*Model, error) {
	cspec, err := cstring("New", "spec", spec)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cspec))
	var p *C.ae_model
	if err := check(func() C.ae_status { return C.ae_model_create(&p, cspec, C.uint64_t(seed)) }); err != nil {
		return nil, err
	}
	return wrap(p)
}

// Load reads a model saved by [Model.Save] (or by libae from any language).
// It fails with ErrIO, ErrFormat, ErrChecksum, ErrVersion, ErrSpec or
// ErrNoMemory.
func Load(path string) (*Model, error) {
	cpath, err := cstring("Load", "path", path)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cpath))
	var p *C.ae_model
	if err := check(func() C.ae_status { return C.ae_load(&p, cpath) }); err != nil {
		return nil, err
	}
	return wrap(p)
}

// LoadBytes reads a model from the bytes [Model.SaveBytes] or [Model.Save]
// produced. The slice is only read during the call. Same failures as Load
// except ErrIO.
func LoadBytes(data []byte) (*Model, error) {
	var empty [1]byte
	ptr := unsafe.Pointer(&empty[0]) // C rejects NULL; an empty buffer is a format error
	if len(data) > 0 {
		ptr = unsafe.Pointer(unsafe.SliceData(data))
	}
	var p *C.ae_model
	if err := check(func() C.ae_status { return C.ae_load_buffer(&p, ptr, C.size_t(len(data))) }); err != nil {
		return nil, err
	}
	return wrap(p)
}

// wrap takes ownership of a new C model: installs the progress trampoline
// (nobody else can use the model yet, so this cannot be busy) and the
// finalizer.
func wrap(p *C.ae_model) (*Model, error) {
	h := &handle{p: p, slot: &progressSlot{}}
	h.cb = cgo.NewHandle(h.slot)
	if err := check(func() C.ae_status { return C.aego_install_progress(p, C.uintptr_t(h.cb)) }); err != nil {
		h.cb.Delete()
		C.ae_model_free(p)
		return nil, err
	}
	liveModels.Add(1)
	runtime.SetFinalizer(h, (*handle).close)
	return &Model{h: h}, nil
}

// Close releases the model. It is idempotent and safe from any goroutine at
// any time: calls in flight finish first and the C model is freed when the
// last of them returns; every later call fails with an error matching
// ErrClosed. It always returns nil.
func (m *Model) Close() error {
	if m == nil || m.h == nil {
		return nil
	}
	runtime.SetFinalizer(m.h, nil)
	m.h.close()
	return nil
}

func (h *handle) close() {
	for {
		s := h.state.Load()
		if s&closedBit != 0 {
			return
		}
		if h.state.CompareAndSwap(s, s|closedBit) {
			if s == 0 {
				h.free()
			}
			return
		}
	}
}

func (h *handle) acquire(op string) (*C.ae_model, error) {
	for {
		s := h.state.Load()
		if s&closedBit != 0 {
			return nil, closedError(op)
		}
		if h.state.CompareAndSwap(s, s+1) {
			return h.p, nil
		}
	}
}

func (h *handle) release() {
	if h.state.Add(^uint64(0)) == closedBit { // closed, and this was the last call
		h.free()
	}
}

func (h *handle) free() {
	C.ae_model_free(h.p)
	h.cb.Delete()
	liveModels.Add(-1)
}

func closedError(op string) error {
	return &Error{Status: ErrNullArgument, Message: op + ": the model is closed", closed: true}
}

// do runs f with the C model, which stays valid until f returns.
func (m *Model) do(op string, f func(p *C.ae_model) error) error {
	if m == nil || m.h == nil {
		return closedError(op)
	}
	p, err := m.h.acquire(op)
	if err != nil {
		return err
	}
	defer m.h.release()
	return f(p)
}

// ---- introspection ----

func (m *Model) int64Of(f func(p *C.ae_model) C.int64_t) int {
	var n int
	_ = m.do("", func(p *C.ae_model) error { n = int(f(p)); return nil })
	return n
}

// InputSize returns the number of columns of x (0 for a closed model).
func (m *Model) InputSize() int {
	return m.int64Of(func(p *C.ae_model) C.int64_t { return C.ae_input_size(p) })
}

// CodeSize returns the number of columns of a code (0 for a closed model).
func (m *Model) CodeSize() int {
	return m.int64Of(func(p *C.ae_model) C.int64_t { return C.ae_code_size(p) })
}

// OutputSize returns the number of columns of an output (0 for a closed model).
func (m *Model) OutputSize() int {
	return m.int64Of(func(p *C.ae_model) C.int64_t { return C.ae_output_size(p) })
}

// ParamCount returns the number of weights and biases (0 for a closed model).
func (m *Model) ParamCount() int {
	return m.int64Of(func(p *C.ae_model) C.int64_t { return C.ae_param_count(p) })
}

// EpochsTrained returns the epochs completed by all Train calls so far, also
// across Save and Load (0 for a closed model).
func (m *Model) EpochsTrained() int {
	return m.int64Of(func(p *C.ae_model) C.int64_t { return C.ae_epochs_trained(p) })
}

// Spec returns the canonical architecture spec, with "mirror" expanded
// ("" for a closed model).
func (m *Model) Spec() string {
	var s string
	_ = m.do("Spec", func(p *C.ae_model) error { s = C.GoString(C.ae_model_spec(p)); return nil })
	return s
}

// ---- training ----

// Train trains the model to reconstruct x, a (rows, cols) row-major matrix,
// for OptEpochs epochs (the output width must equal the input width).
// Training may be called again to continue. It fails, with the model
// unchanged, with ErrShape, ErrNonfiniteInput, ErrInvalidArgument, ErrNoMemory
// or ErrBusy; with ErrDiverged it keeps the last finite weights. A stop asked
// by the progress callback returns nil. A panic in the callback is re-raised
// here. Not safe to call while anything else uses the model.
func (m *Model) Train(x []float32, rows, cols int) error {
	return m.train("Train", x, rows, cols, nil, 0)
}

// TrainTarget is Train against an explicit target, (rows, targetCols), for
// models whose output differs from their input (spec statement "output N").
func (m *Model) TrainTarget(x []float32, rows, xCols int, target []float32, targetCols int) error {
	if target == nil {
		return newError(ErrNullArgument, "TrainTarget: target is nil (use Train to reconstruct x)")
	}
	return m.train("TrainTarget", x, rows, xCols, target, targetCols)
}

func (m *Model) train(op string, x []float32, rows, xCols int, target []float32, targetCols int) error {
	if err := checkMatrix(op, "x", x, rows, xCols); err != nil {
		return err
	}
	if target != nil {
		if err := checkMatrix(op, "target", target, rows, targetCols); err != nil {
			return err
		}
	}
	run := &trainRun{}
	if fn := m.progress.Load(); fn != nil {
		run.fn = *fn
	}
	err := m.do(op, func(p *C.ae_model) error {
		if !m.h.slot.run.CompareAndSwap(nil, run) {
			return newError(ErrBusy, "%s: the model is being trained", op)
		}
		defer m.h.slot.run.Store(nil)
		var t *C.float
		if target != nil {
			t = fptr(target)
		}
		return check(func() C.ae_status {
			return C.ae_train(p, fptr(x), C.int64_t(rows), C.int64_t(xCols), t, C.int64_t(targetCols))
		})
	})
	if run.panicked {
		panic(run.panicValue)
	}
	return err
}

// ---- inference ----

// Encode returns the codes of x, (rows, cols), as a new (rows, CodeSize())
// matrix. Safe to call concurrently with other inference calls.
func (m *Model) Encode(x []float32, rows, cols int) ([]float32, error) {
	return m.infer("Encode", "x", x, rows, cols, "codes", nil, widthCode, callEncode)
}

// EncodeInto writes the codes of x, (rows, cols), into codes, which must
// hold rows*CodeSize() values.
func (m *Model) EncodeInto(codes, x []float32, rows, cols int) error {
	_, err := m.infer("EncodeInto", "x", x, rows, cols, "codes", nonNil(codes), widthCode, callEncode)
	return err
}

// Decode returns the outputs of code, (rows, cols == CodeSize()), as a new
// (rows, OutputSize()) matrix.
func (m *Model) Decode(code []float32, rows, cols int) ([]float32, error) {
	return m.infer("Decode", "code", code, rows, cols, "out", nil, widthOutput, callDecode)
}

// DecodeInto writes the outputs of code into out, rows*OutputSize() values.
func (m *Model) DecodeInto(out, code []float32, rows, cols int) error {
	_, err := m.infer("DecodeInto", "code", code, rows, cols, "out", nonNil(out), widthOutput, callDecode)
	return err
}

// Reconstruct encodes then decodes x, (rows, cols), into a new
// (rows, OutputSize()) matrix.
func (m *Model) Reconstruct(x []float32, rows, cols int) ([]float32, error) {
	return m.infer("Reconstruct", "x", x, rows, cols, "out", nil, widthOutput, callReconstruct)
}

// ReconstructInto writes the reconstruction of x into out,
// rows*OutputSize() values.
func (m *Model) ReconstructInto(out, x []float32, rows, cols int) error {
	_, err := m.infer("ReconstructInto", "x", x, rows, cols, "out", nonNil(out), widthOutput, callReconstruct)
	return err
}

// Score returns, for each row of x, (rows, cols), the reconstruction error
// under the model's loss as the mean over the row: an anomaly score. Needs
// output width == input width; BCE also needs x in [0, 1].
func (m *Model) Score(x []float32, rows, cols int) ([]float32, error) {
	return m.infer("Score", "x", x, rows, cols, "errors", nil, widthOne, callScore)
}

// ScoreInto writes the scores of x into errs, which must hold rows values.
func (m *Model) ScoreInto(errs, x []float32, rows, cols int) error {
	_, err := m.infer("ScoreInto", "x", x, rows, cols, "errors", nonNil(errs), widthOne, callScore)
	return err
}

type (
	widthFunc func(p *C.ae_model) C.int64_t
	inferFunc func(p *C.ae_model, in *C.float, rows, inCols C.int64_t, out *C.float, outCols C.int64_t) C.ae_status
)

func widthCode(p *C.ae_model) C.int64_t   { return C.ae_code_size(p) }
func widthOutput(p *C.ae_model) C.int64_t { return C.ae_output_size(p) }
func widthOne(*C.ae_model) C.int64_t      { return 1 }

func callEncode(p *C.ae_model, in *C.float, rows, inCols C.int64_t, out *C.float, outCols C.int64_t) C.ae_status {
	return C.ae_encode(p, in, rows, inCols, out, outCols)
}

func callDecode(p *C.ae_model, in *C.float, rows, inCols C.int64_t, out *C.float, outCols C.int64_t) C.ae_status {
	return C.ae_decode(p, in, rows, inCols, out, outCols)
}

func callReconstruct(p *C.ae_model, in *C.float, rows, inCols C.int64_t, out *C.float, outCols C.int64_t) C.ae_status {
	return C.ae_reconstruct(p, in, rows, inCols, out, outCols)
}

func callScore(p *C.ae_model, in *C.float, rows, inCols C.int64_t, out *C.float, _ C.int64_t) C.ae_status {
	return C.ae_score(p, in, rows, inCols, out)
}

// nonNil marks a caller's output slice as given, even when nil (which then
// fails the length check instead of being allocated).
func nonNil(s []float32) []float32 {
	if s == nil {
		return []float32{}
	}
	return s
}

// infer validates in, (rows, inCols), and out, (rows, width(p)), allocating
// out when it is nil, and runs call on them.
func (m *Model) infer(op, inName string, in []float32, rows, inCols int, outName string, out []float32,
	width widthFunc, call inferFunc) ([]float32, error) {
	if err := checkMatrix(op, inName, in, rows, inCols); err != nil {
		return nil, err
	}
	err := m.do(op, func(p *C.ae_model) error {
		outCols := int(width(p))
		if out == nil {
			n, err := matrixSize(op, outName, rows, outCols)
			if err != nil {
				return err
			}
			out = make([]float32, n)
		} else if err := checkMatrix(op, outName, out, rows, outCols); err != nil {
			return err
		}
		return check(func() C.ae_status {
			return call(p, fptr(in), C.int64_t(rows), C.int64_t(inCols), fptr(out), C.int64_t(outCols))
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ---- saving ----

// Save writes the model to path atomically (a crash leaves the old file or
// the new one) in libae's versioned, checksummed format, which every libae
// binding loads. flags is 0 or SaveOptimizerState. Safe to call
// concurrently with inference.
func (m *Model) Save(path string, flags SaveFlags) error {
	cpath, err := cstring("Save", "path", path)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cpath))
	return m.do("Save", func(p *C.ae_model) error {
		return check(func() C.ae_status { return C.ae_save(p, cpath, C.uint32_t(flags)) })
	})
}

// SaveBytes returns the bytes Save would write.
func (m *Model) SaveBytes(flags SaveFlags) ([]byte, error) {
	var buf []byte
	err := m.do("SaveBytes", func(p *C.ae_model) error {
		var size C.size_t
		if err := check(func() C.ae_status { return C.ae_save_buffer(p, C.uint32_t(flags), nil, 0, &size) }); err != nil {
			return err
		}
		for {
			buf = make([]byte, int(size))
			err := check(func() C.ae_status {
				return C.ae_save_buffer(p, C.uint32_t(flags), unsafe.Pointer(unsafe.SliceData(buf)), C.size_t(len(buf)), &size)
			})
			if !errors.Is(err, ErrBufferTooSmall) { // the model grew in between: retry with the new size
				buf = buf[:int(size)]
				return err
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return buf, nil
}
