package libae

import (
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestClose(t *testing.T) {
	base := liveModels.Load()
	m, err := New(testSpec, 7)
	if err != nil {
		t.Fatal(err)
	}
	if liveModels.Load() != base+1 {
		t.Fatalf("live models %d, want %d", liveModels.Load(), base+1)
	}
	for i := 0; i < 3; i++ { // idempotent: one free only
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if liveModels.Load() != base {
			t.Fatalf("after Close %d: live models %d, want %d", i+1, liveModels.Load(), base)
		}
	}
	x := testData(4, 1)
	_, err = m.Encode(x, 4, 16)
	wantStatus(t, err, ErrNullArgument, "closed")
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("%v does not match ErrClosed", err)
	}
	if !errors.Is(m.Train(x, 4, 16), ErrClosed) || !errors.Is(m.SetOption(OptEpochs, 2), ErrClosed) ||
		!errors.Is(m.Save(t.TempDir()+"/m.ae", 0), ErrClosed) {
		t.Fatal("methods of a closed model must fail with ErrClosed")
	}
	if m.InputSize() != 0 || m.CodeSize() != 0 || m.Spec() != "" || m.ParamCount() != 0 {
		t.Fatal("introspection of a closed model must give zero values")
	}
	// A nil or zero Model behaves as a closed one.
	var nilModel *Model
	if nilModel.Close() != nil || !errors.Is(nilModel.SetOption(OptEpochs, 1), ErrClosed) {
		t.Fatal("nil Model")
	}
	if !errors.Is((&Model{}).Train(x, 4, 16), ErrClosed) {
		t.Fatal("zero Model")
	}
}

// waitLive runs the collector until the count of live C models drops to want.
func waitLive(t *testing.T, want int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for liveModels.Load() > want {
		if time.Now().After(deadline) {
			t.Fatalf("live models %d, want %d: finalizers did not run", liveModels.Load(), want)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := liveModels.Load(); got != want {
		t.Fatalf("live models %d, want %d", got, want)
	}
}

func TestFinalizer(t *testing.T) {
	runtime.GC()
	base := liveModels.Load()
	x := testData(4, 1)
	func() {
		for i := 0; i < 50; i++ {
			m, err := New(testSpec, uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Encode(x, 4, 16); err != nil {
				t.Fatal(err)
			}
			switch i % 3 {
			case 0: // dropped without Close: the finalizer frees it
			case 1: // closed: the finalizer is cleared, no second free
				m.Close()
			case 2: // a callback referring to its own model must not keep it alive
				m.SetProgress(func(Progress) bool { return m.CodeSize() == 0 })
				if err := m.Train(x, 4, 16); err != nil {
					t.Fatal(err)
				}
			}
		}
	}()
	waitLive(t, base)
}

// Close while other goroutines use the model: calls in flight finish, later
// ones fail with ErrClosed, and the model is freed exactly once.
func TestCloseWhileInUse(t *testing.T) {
	base := liveModels.Load()
	for round := 0; round < 20; round++ {
		m, err := New(testSpec, 7)
		if err != nil {
			t.Fatal(err)
		}
		x := testData(32, 1)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					_, err := m.Encode(x, 32, 16)
					if errors.Is(err, ErrClosed) {
						return
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		time.Sleep(time.Millisecond)
		m.Close()
		m.Close()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got := liveModels.Load(); got != base {
			t.Fatalf("live models %d after Close, want %d", got, base)
		}
	}
}

func TestConcurrentEncode(t *testing.T) {
	m, x := trained(t, 3)
	want, err := m.Encode(x, 64, 16)
	if err != nil {
		t.Fatal(err)
	}
	wantScore, err := m.Score(x, 64, 16)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				got, err := m.Encode(x, 64, 16)
				if err != nil {
					errs <- err
					return
				}
				if !bitsEqual(got, want) {
					errs <- errors.New("concurrent Encode gave different codes")
					return
				}
				s, err := m.Score(x, 64, 16)
				if err != nil || !bitsEqual(s, wantScore) {
					errs <- errors.New("concurrent Score gave different scores")
					return
				}
				if m.Spec() == "" || m.CodeSize() != 4 {
					errs <- errors.New("introspection during inference")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestProgress(t *testing.T) {
	m := newModel(t, testSpec, 7)
	x := testData(64, 1)
	m.SetOption(OptEpochs, 4)
	m.SetOption(OptBatchSize, 16)
	var seen []Progress
	var statLoss []float64
	m.SetProgress(func(p Progress) bool {
		seen = append(seen, p)
		v, err := m.TrainStat(StatLoss)
		if err != nil {
			panic(err)
		}
		statLoss = append(statLoss, v)
		return false
	})
	if err := m.Train(x, 64, 16); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 4 {
		t.Fatalf("%d callbacks, want one per epoch: %+v", len(seen), seen)
	}
	for i, p := range seen {
		if p.Epoch != i+1 || p.Step != 4 || p.StepsPerEpoch != 4 || !(p.Loss > 0) || p.Loss != statLoss[i] {
			t.Fatalf("callback %d: %+v (TrainStat %v)", i, p, statLoss[i])
		}
	}
	// Every step.
	seen = nil
	m.SetOption(OptProgressEvery, 1)
	m.SetOption(OptEpochs, 2)
	if err := m.Train(x, 64, 16); err != nil {
		t.Fatal(err)
	}
	if len(seen) < 8 {
		t.Fatalf("%d callbacks with OptProgressEvery 1", len(seen))
	}
	// Removed.
	seen = nil
	m.SetProgress(nil)
	if err := m.Train(x, 64, 16); err != nil || len(seen) != 0 {
		t.Fatalf("callback removed but called %d times (%v)", len(seen), err)
	}
}

func TestProgressStop(t *testing.T) {
	m := newModel(t, testSpec, 7)
	x := testData(64, 1)
	m.SetOption(OptEpochs, 50)
	calls := 0
	m.SetProgress(func(p Progress) bool {
		calls++
		return p.Epoch == 2
	})
	if err := m.Train(x, 64, 16); err != nil {
		t.Fatalf("a stop asked by the callback must return nil: %v", err)
	}
	if calls != 2 || m.EpochsTrained() != 2 {
		t.Fatalf("stopped at epoch 2: %d calls, %d epochs trained", calls, m.EpochsTrained())
	}
}

type testPanic struct{ n int }

func TestProgressPanic(t *testing.T) {
	m := newModel(t, testSpec, 7)
	x := testData(64, 1)
	m.SetOption(OptEpochs, 50)
	calls := 0
	m.SetProgress(func(p Progress) bool {
		calls++
		if p.Epoch == 3 {
			panic(testPanic{42})
		}
		return false
	})
	func() {
		defer func() {
			r := recover()
			if tp, ok := r.(testPanic); !ok || tp.n != 42 {
				t.Fatalf("recovered %v, want the callback's panic value", r)
			}
		}()
		m.Train(x, 64, 16)
		t.Fatal("Train did not re-raise the callback's panic")
	}()
	if calls != 3 || m.EpochsTrained() != 3 {
		t.Fatalf("panic at epoch 3 must stop training: %d calls, %d epochs", calls, m.EpochsTrained())
	}
	// The model stays usable.
	m.SetProgress(nil)
	m.SetOption(OptEpochs, 1)
	if err := m.Train(x, 64, 16); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Encode(x, 64, 16); err != nil {
		t.Fatal(err)
	}
	// panic(nil) is caught too (Go >= 1.21 turns it into *runtime.PanicNilError).
	m.SetProgress(func(Progress) bool { panic(nil) })
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Fatal("panic(nil) in the callback was lost")
			}
		}()
		m.Train(x, 64, 16)
	}()
}

// Training needs the model to itself: inference, setters and a second Train
// started while it runs fail with ErrBusy instead of racing.
func TestBusyDuringTraining(t *testing.T) {
	m := newModel(t, testSpec, 7)
	x := testData(64, 1)
	m.SetOption(OptEpochs, 2)
	var encErr, setErr, trainErr error
	var introspect int
	m.SetProgress(func(p Progress) bool {
		if p.Epoch != 1 {
			return false
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, encErr = m.Encode(x, 64, 16)
			setErr = m.SetOption(OptLearningRate, 0.1)
			trainErr = m.Train(x, 64, 16)
			introspect = m.CodeSize()
		}()
		wg.Wait()
		return false
	})
	if err := m.Train(x, 64, 16); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, encErr, ErrBusy)
	wantStatus(t, setErr, ErrBusy)
	wantStatus(t, trainErr, ErrBusy)
	if introspect != 4 {
		t.Fatalf("introspection during training gave %d", introspect)
	}
	if m.EpochsTrained() != 2 {
		t.Fatalf("EpochsTrained %d", m.EpochsTrained())
	}
	if v, _ := m.GetOption(OptLearningRate); v != 1e-3 {
		t.Fatalf("a busy SetOption changed the model: %v", v)
	}
}
