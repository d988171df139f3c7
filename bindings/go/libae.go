package libae

/*
#cgo pkg-config: ae
#include <stdlib.h>
#include <ae.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"unsafe"
)

// HeaderVersion is the version of the ae.h this package was compiled
// against, as MAJOR*10000 + MINOR*100 + PATCH. Compare with [VersionNumber].
const HeaderVersion = int(C.AE_VERSION_NUMBER)

// Version returns the version of the linked libae as "MAJOR.MINOR.PATCH".
func Version() string { return C.GoString(C.ae_version_string()) }

// VersionNumber returns the version of the linked libae as
// MAJOR*10000 + MINOR*100 + PATCH.
func VersionNumber() int { return int(C.ae_version()) }

// Status is a libae status code (ae_status). The non-zero values are errors
// themselves, which makes them usable as sentinels:
//
//	errors.Is(err, libae.ErrShape)
type Status int32

// The status codes of ae.h. Values never change; new ones are appended.
const (
	StatusOK           Status = C.AE_OK
	ErrNullArgument    Status = C.AE_ERR_NULL_ARGUMENT    // a required pointer was NULL
	ErrInvalidArgument Status = C.AE_ERR_INVALID_ARGUMENT // a value out of its documented range
	ErrShape           Status = C.AE_ERR_SHAPE            // sizes that do not match the model or overflow
	ErrNonfiniteInput  Status = C.AE_ERR_NONFINITE_INPUT  // NaN or Inf in the data
	ErrNoMemory        Status = C.AE_ERR_NO_MEMORY        // an allocation failed
	ErrSpec            Status = C.AE_ERR_SPEC             // the architecture spec cannot be parsed or built
	ErrIO              Status = C.AE_ERR_IO               // a file could not be opened, read or written
	ErrFormat          Status = C.AE_ERR_FORMAT           // not a libae model, truncated, or inconsistent
	ErrChecksum        Status = C.AE_ERR_CHECKSUM         // the model data fail their checksum
	ErrVersion         Status = C.AE_ERR_VERSION          // a model file from a newer format version
	ErrDiverged        Status = C.AE_ERR_DIVERGED         // the training loss or gradient became NaN or Inf
	ErrBusy            Status = C.AE_ERR_BUSY             // training and inference on one model at once
	ErrBufferTooSmall  Status = C.AE_ERR_BUFFER_TOO_SMALL // a caller's buffer cannot hold the result
)

// String returns libae's description of the status, e.g.
// "AE_ERR_SHAPE: sizes do not match the model".
func (s Status) String() string {
	return C.GoString(C.ae_status_string(C.ae_status(s)))
}

// Error makes a Status usable as an error value (a sentinel).
func (s Status) Error() string { return "libae: " + s.String() }

// Name returns the status's symbolic C name, e.g. "AE_ERR_SHAPE".
func (s Status) Name() string {
	str := s.String()
	if i := strings.IndexByte(str, ':'); i >= 0 {
		return str[:i]
	}
	return str
}

// ErrClosed is matched (errors.Is) by the error of any call on a closed Model.
var ErrClosed = errors.New("libae: model is closed")

// Error is the error returned by every failing call of this package.
// errors.Is(err, s) is true for its Status s.
type Error struct {
	Status  Status // the libae status code, never StatusOK
	Message string // the detail message, e.g. "ae_encode: x has 3 columns, model expects 16"
	closed  bool   // the model was closed (also matches ErrClosed)
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Status.Error()
	}
	return "libae: " + e.Message + " (" + e.Status.Name() + ")"
}

// Unwrap gives the Status (and ErrClosed for a closed model), so that
// errors.Is and errors.As see them.
func (e *Error) Unwrap() []error {
	if e.closed {
		return []error{e.Status, ErrClosed}
	}
	return []error{e.Status}
}

// newError builds an error raised by the binding itself, before any C call.
func newError(s Status, format string, args ...any) *Error {
	return &Error{Status: s, Message: fmt.Sprintf(format, args...)}
}

// check makes one fallible libae call and turns its status into an error.
//
// ae_last_error() is per OS thread and a goroutine may be moved to another OS
// thread between two cgo calls, so the goroutine is pinned to its thread from
// the call until the message is copied. Locking nests, so this is safe from
// code that has locked the thread itself, and from a progress callback.
//
// To bind a new C function, call it inside f:
//
//	err := check(func() C.ae_status { return C.ae_something(p, ...) })
func check(f func() C.ae_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	st := f()
	if st == C.AE_OK {
		return nil
	}
	return &Error{Status: Status(st), Message: C.GoString(C.ae_last_error())}
}

// checkMatrix validates a row-major matrix argument: positive sizes whose
// product fits, and a slice of exactly rows*cols values.
func checkMatrix(op, what string, data []float32, rows, cols int) error {
	n, err := matrixSize(op, what, rows, cols)
	if err != nil {
		return err
	}
	if len(data) != n {
		return newError(ErrShape, "%s: %s has %d values, want rows*cols = %d*%d = %d",
			op, what, len(data), rows, cols, n)
	}
	return nil
}

// matrixSize returns rows*cols, or an ErrShape error if either is below 1
// or the product overflows.
func matrixSize(op, what string, rows, cols int) (int, error) {
	if rows < 1 {
		return 0, newError(ErrShape, "%s: %s has %d rows, need at least 1", op, what, rows)
	}
	if cols < 1 {
		return 0, newError(ErrShape, "%s: %s has %d columns, need at least 1", op, what, cols)
	}
	if rows > math.MaxInt/cols {
		return 0, newError(ErrShape, "%s: %s of %d rows x %d columns overflows", op, what, rows, cols)
	}
	return rows * cols, nil
}

// fptr returns a C pointer to a validated, non-empty slice. The backing array
// of a []float32 holds no Go pointers, so cgo allows passing it for the
// duration of a call; the library never keeps it.
func fptr(s []float32) *C.float {
	return (*C.float)(unsafe.Pointer(unsafe.SliceData(s)))
}

// cstring converts a Go string for a C call, rejecting embedded NUL bytes
// that would silently cut it. The caller frees the result with C.free.
func cstring(op, what, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, newError(ErrInvalidArgument, "%s: %s contains a NUL byte", op, what)
	}
	return C.CString(s), nil
}
