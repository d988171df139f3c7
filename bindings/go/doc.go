// Package libae is the Go binding of libae, a C library that trains, runs,
// saves and loads autoencoders (see include/ae.h in the libae sources, which
// is the contract this package follows).
//
// The binding is a thin layer over ae.h: a [Model] wraps an opaque ae_model
// pointer, every fallible call returns an error, options are set through
// typed constants mapped to AE_OPT_*, and data are row-major []float32
// matrices with explicit rows and columns.
//
// # Building
//
// The package uses cgo and finds the installed C library with pkg-config
// (package "ae"):
//
//	export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
//	export LD_LIBRARY_PATH=$PREFIX/lib   # unless libae.so is on the default path
//	go test ./...
//
// # Errors
//
// Failures are returned as *[Error], which carries the libae [Status] and the
// detail message of the failed call. Status values are themselves errors, so
// errors.Is works on them directly:
//
//	if errors.Is(err, libae.ErrShape) { ... }
//
// Lengths of slices are checked in Go before any C call: a slice whose length
// is not rows*cols gives an *Error with status [ErrShape] rather than a panic
// or an out-of-bounds read.
//
// ae_last_error() is per OS thread, while a goroutine may move between OS
// threads between two cgo calls. Every libae call that can fail is therefore
// made with the goroutine pinned (runtime.LockOSThread) from the call until
// its message has been copied; see check in libae.go. Adding a binding for a
// new C function is one call through check.
//
// # Threads
//
// As in C, the inference methods ([Model.Encode], [Model.Decode],
// [Model.Reconstruct], [Model.Score], their Into variants, [Model.Save],
// [Model.SaveBytes] and the introspection methods) only read the model and may
// be called from any number of goroutines at once on one model. [Model.Train],
// [Model.SetOption] and other setters need the model to themselves: run them
// when nothing else uses the model. If they do overlap, the library does not
// race: the call that finds the model in use fails with [ErrBusy].
//
// [Model.Close] may be called at any time and any number of times, from any
// goroutine: calls already running finish first, and the C model is freed
// when the last one returns; later calls fail with an error matching
// [ErrClosed]. A finalizer frees models that are never closed, but Close them
// explicitly: the garbage collector does not see the C memory behind a Model.
//
// # Progress callback
//
// [Model.SetProgress] installs a Go function called on the training goroutine
// during [Model.Train] (at each epoch's end, and every AE_OPT_PROGRESS_EVERY
// steps). It may return true to stop training (Train then returns nil with the
// weights as they are), and may call [Model.TrainStat] and the introspection
// methods, nothing else on that model. A panic in the callback stops training
// and is re-raised by Train, with the same value, after the C call returned.
// The callback must not call runtime.Goexit (t.FailNow, t.Fatal) since that
// would unwind through C frames.
package libae
