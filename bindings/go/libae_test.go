package libae

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

const testSpec = "input 16; dense 12 tanh; code 4 linear; mirror sigmoid"

// testData returns rows x 16 values in [0, 1] with low-rank structure.
func testData(rows int, seed int64) []float32 {
	r := rand.New(rand.NewSource(seed))
	x := make([]float32, rows*16)
	for i := 0; i < rows; i++ {
		a, b := r.Float64(), r.Float64()
		for j := 0; j < 16; j++ {
			v := 0.5 + 0.3*a*math.Sin(float64(j)/3) + 0.2*b*math.Cos(float64(j)/5) + 0.02*r.Float64()
			x[i*16+j] = float32(math.Min(1, math.Max(0, v)))
		}
	}
	return x
}

func newModel(t testing.TB, spec string, seed uint64) *Model {
	t.Helper()
	m, err := New(spec, seed)
	if err != nil {
		t.Fatalf("New(%q): %v", spec, err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func trained(t testing.TB, epochs int) (*Model, []float32) {
	t.Helper()
	m := newModel(t, testSpec, 7)
	if err := m.SetOption(OptEpochs, float64(epochs)); err != nil {
		t.Fatal(err)
	}
	x := testData(64, 1)
	if err := m.Train(x, 64, 16); err != nil {
		t.Fatal(err)
	}
	return m, x
}

// wantStatus checks that err is an *Error with the given status whose
// message contains every one of parts.
func wantStatus(t *testing.T, err error, st Status, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want %s", st.Name())
	}
	if !errors.Is(err, st) {
		t.Fatalf("got %v, want %s", err, st.Name())
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%v (%T) is not an *Error", err, err)
	}
	if e.Status != st || e.Message == "" {
		t.Fatalf("got Status %v Message %q", e.Status, e.Message)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Fatalf("message %q does not contain %q", e.Message, p)
		}
	}
}

func bitsEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestVersion(t *testing.T) {
	if VersionNumber() != HeaderVersion {
		t.Fatalf("linked libae %d, header %d", VersionNumber(), HeaderVersion)
	}
	want := fmt.Sprintf("%d.%d.%d", HeaderVersion/10000, HeaderVersion/100%100, HeaderVersion%100)
	if Version() != want {
		t.Fatalf("Version() = %q, want %q", Version(), want)
	}
}

func TestIntrospection(t *testing.T) {
	m := newModel(t, testSpec, 7)
	if m.InputSize() != 16 || m.CodeSize() != 4 || m.OutputSize() != 16 {
		t.Fatalf("sizes %d %d %d", m.InputSize(), m.CodeSize(), m.OutputSize())
	}
	if want := (16*12 + 12) + (12*4 + 4) + (4*12 + 12) + (12*16 + 16); m.ParamCount() != want {
		t.Fatalf("ParamCount = %d, want %d", m.ParamCount(), want)
	}
	if m.EpochsTrained() != 0 {
		t.Fatalf("EpochsTrained = %d", m.EpochsTrained())
	}
	spec := m.Spec()
	if !strings.Contains(spec, "dense 12 tanh") || !strings.Contains(spec, "dense 16 sigmoid") || strings.Contains(spec, "mirror") {
		t.Fatalf("Spec() = %q, want the canonical form", spec)
	}
	// The canonical spec builds the same model.
	m2 := newModel(t, spec, 7)
	x := testData(8, 2)
	a, err := m.Encode(x, 8, 16)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m2.Encode(x, 8, 16)
	if err != nil {
		t.Fatal(err)
	}
	if !bitsEqual(a, b) {
		t.Fatal("canonical spec gives different codes")
	}
	for _, st := range []Stat{StatLoss, StatReconstruction, StatL2Penalty, StatValidationLoss} {
		if v, err := m.TrainStat(st); err != nil || !math.IsNaN(v) {
			t.Fatalf("TrainStat(%d) before training = %v, %v; want NaN", st, v, err)
		}
	}
}

func TestOptions(t *testing.T) {
	m := newModel(t, testSpec, 7)
	all := []Option{OptEpochs, OptBatchSize, OptShuffle, OptValidationSplit, OptPatience, OptProgressEvery,
		OptOptimizer, OptLearningRate, OptMomentum, OptAdamBeta1, OptAdamBeta2, OptAdamEpsilon, OptLoss, OptL2}
	for _, opt := range all {
		lo, hi, def, err := OptionBounds(opt)
		if err != nil {
			t.Fatalf("OptionBounds(%d): %v", opt, err)
		}
		if !(lo <= def && def <= hi) {
			t.Fatalf("option %d: default %v outside [%v, %v]", opt, def, lo, hi)
		}
		v, err := m.GetOption(opt)
		if err != nil || v != def {
			t.Fatalf("GetOption(%d) = %v, %v; want default %v", opt, v, err, def)
		}
	}
	if v, _ := m.GetOption(OptOptimizer); v != OptimizerAdam {
		t.Fatalf("default optimizer %v", v)
	}
	for _, c := range []struct {
		opt Option
		v   float64
	}{{OptEpochs, 3}, {OptLoss, LossBCE}, {OptOptimizer, OptimizerSGD}, {OptLearningRate, 0.01}, {OptL2, 1e-4}} {
		if err := m.SetOption(c.opt, c.v); err != nil {
			t.Fatal(err)
		}
		if v, err := m.GetOption(c.opt); err != nil || v != c.v {
			t.Fatalf("GetOption(%d) = %v, %v; want %v", c.opt, v, err, c.v)
		}
	}
	wantStatus(t, m.SetOption(OptEpochs, 0), ErrInvalidArgument, "ae_set_option")
	wantStatus(t, m.SetOption(OptEpochs, 2.5), ErrInvalidArgument)
	wantStatus(t, m.SetOption(OptLearningRate, math.NaN()), ErrInvalidArgument)
	wantStatus(t, m.SetOption(Option(9999), 1), ErrInvalidArgument, "unknown option")
	_, err := m.GetOption(Option(9999))
	wantStatus(t, err, ErrInvalidArgument)
	_, _, _, err = OptionBounds(Option(9999))
	wantStatus(t, err, ErrInvalidArgument)
	if v, _ := m.GetOption(OptEpochs); v != 3 {
		t.Fatalf("a failed SetOption changed the model: epochs %v", v)
	}
}

func TestTrainEncodeDecode(t *testing.T) {
	m := newModel(t, testSpec, 7)
	x := testData(64, 1)
	before, err := m.Score(x, 64, 16)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 64 {
		t.Fatalf("Score gave %d values", len(before))
	}
	if err := m.SetOption(OptEpochs, 30); err != nil {
		t.Fatal(err)
	}
	if err := m.Train(x, 64, 16); err != nil {
		t.Fatal(err)
	}
	if m.EpochsTrained() != 30 {
		t.Fatalf("EpochsTrained = %d", m.EpochsTrained())
	}
	loss, err := m.TrainStat(StatLoss)
	if err != nil || !(loss > 0 && loss < 1) {
		t.Fatalf("TrainStat(StatLoss) = %v, %v", loss, err)
	}
	after, err := m.Score(x, 64, 16)
	if err != nil {
		t.Fatal(err)
	}
	var sb, sa float64
	for i := range before {
		sb += float64(before[i])
		sa += float64(after[i])
	}
	if !(sa < sb) {
		t.Fatalf("training did not lower the error: %v -> %v", sb/64, sa/64)
	}

	codes, err := m.Encode(x, 64, 16)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 64*4 {
		t.Fatalf("%d codes", len(codes))
	}
	dec, err := m.Decode(codes, 64, 4)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := m.Reconstruct(x, 64, 16)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rec {
		if math.Abs(float64(rec[i]-dec[i])) > 1e-5 {
			t.Fatalf("Reconstruct and Decode(Encode) differ at %d: %v %v", i, rec[i], dec[i])
		}
	}
	// The Into variants write the same values into the caller's slices.
	codes2 := make([]float32, 64*4)
	if err := m.EncodeInto(codes2, x, 64, 16); err != nil || !bitsEqual(codes, codes2) {
		t.Fatalf("EncodeInto: %v", err)
	}
	dec2 := make([]float32, 64*16)
	if err := m.DecodeInto(dec2, codes, 64, 4); err != nil || !bitsEqual(dec, dec2) {
		t.Fatalf("DecodeInto: %v", err)
	}
	rec2 := make([]float32, 64*16)
	if err := m.ReconstructInto(rec2, x, 64, 16); err != nil || !bitsEqual(rec, rec2) {
		t.Fatalf("ReconstructInto: %v", err)
	}
	sc2 := make([]float32, 64)
	if err := m.ScoreInto(sc2, x, 64, 16); err != nil || !bitsEqual(after, sc2) {
		t.Fatalf("ScoreInto: %v", err)
	}
	// The inputs are not modified.
	if !bitsEqual(x, testData(64, 1)) {
		t.Fatal("x was modified")
	}
}

func TestTrainTarget(t *testing.T) {
	m := newModel(t, "input 16; output 3; dense 8 relu; code 2 linear; dense 8 relu; dense 3 linear", 3)
	if m.OutputSize() != 3 {
		t.Fatalf("OutputSize %d", m.OutputSize())
	}
	x := testData(32, 4)
	target := make([]float32, 32*3)
	for i := 0; i < 32; i++ {
		target[i*3], target[i*3+1], target[i*3+2] = x[i*16], x[i*16+5], x[i*16+9]
	}
	wantStatus(t, m.Train(x, 32, 16), ErrShape, "target is NULL")
	wantStatus(t, m.TrainTarget(x, 32, 16, nil, 3), ErrNullArgument)
	wantStatus(t, m.TrainTarget(x, 32, 16, target[:90], 3), ErrShape, "target")
	wantStatus(t, m.TrainTarget(x, 32, 16, target[:64], 2), ErrShape, "target has 2 columns")
	if err := m.TrainTarget(x, 32, 16, target, 3); err != nil {
		t.Fatal(err)
	}
	out, err := m.Reconstruct(x, 32, 16)
	if err != nil || len(out) != 32*3 {
		t.Fatalf("Reconstruct: %d values, %v", len(out), err)
	}
	_, err = m.Score(x, 32, 16)
	wantStatus(t, err, ErrShape)
}

func TestSaveLoad(t *testing.T) {
	m, x := trained(t, 5)
	if err := m.SetOption(OptLearningRate, 0.005); err != nil {
		t.Fatal(err)
	}
	codes, err := m.Encode(x, 64, 16)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.ae")
	if err := m.Save(path, 0); err != nil {
		t.Fatal(err)
	}
	data, err := m.SaveBytes(0)
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, data) {
		t.Fatal("SaveBytes differs from the file Save wrote")
	}
	withState, err := m.SaveBytes(SaveOptimizerState)
	if err != nil || len(withState) <= len(data) {
		t.Fatalf("SaveBytes(SaveOptimizerState): %d bytes (plain %d), %v", len(withState), len(data), err)
	}

	fromFile, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fromFile.Close()
	fromBytes, err := LoadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	defer fromBytes.Close()
	for _, l := range []*Model{fromFile, fromBytes} {
		if l.Spec() != m.Spec() || l.EpochsTrained() != 5 || l.ParamCount() != m.ParamCount() {
			t.Fatalf("loaded model: %q, %d epochs", l.Spec(), l.EpochsTrained())
		}
		if v, _ := l.GetOption(OptLearningRate); v != 0.005 {
			t.Fatalf("learning rate not saved: %v", v)
		}
		c, err := l.Encode(x, 64, 16)
		if err != nil || !bitsEqual(c, codes) {
			t.Fatalf("loaded model gives other codes (%v)", err)
		}
	}

	// Resuming with the optimizer state equals training on without saving.
	resumed, err := LoadBytes(withState)
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	if err := m.Train(x, 64, 16); err != nil {
		t.Fatal(err)
	}
	if err := resumed.Train(x, 64, 16); err != nil {
		t.Fatal(err)
	}
	a, _ := m.Encode(x, 64, 16)
	b, _ := resumed.Encode(x, 64, 16)
	if !bitsEqual(a, b) {
		t.Fatal("training resumed from SaveOptimizerState differs")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "missing.ae"))
	wantStatus(t, err, ErrIO, "missing.ae")
	_, err = Load("a\x00b")
	wantStatus(t, err, ErrInvalidArgument, "NUL")
	_, err = LoadBytes(nil)
	wantStatus(t, err, ErrFormat)
	_, err = LoadBytes([]byte("definitely not a libae model file"))
	wantStatus(t, err, ErrFormat)

	m, _ := trained(t, 1)
	data, err := m.SaveBytes(0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LoadBytes(data[:len(data)/2])
	wantStatus(t, err, ErrFormat)
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 0x40
	_, err = LoadBytes(flipped)
	if !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrFormat) {
		t.Fatalf("flipped byte: %v", err)
	}
	wantStatus(t, m.Save(filepath.Join(dir, "no", "such", "dir", "m.ae"), 0), ErrIO)
	wantStatus(t, m.Save(filepath.Join(dir, "m.ae"), 0x80), ErrInvalidArgument)
	_, err = m.SaveBytes(0x80)
	wantStatus(t, err, ErrInvalidArgument)
}

func TestErrorMapping(t *testing.T) {
	_, err := New("input 16; dense 12 nosuchact; code 4 linear; mirror sigmoid", 1)
	wantStatus(t, err, ErrSpec, "ae_model_create", "unknown activation")
	_, err = New("", 1)
	wantStatus(t, err, ErrSpec)
	_, err = New("input 4\x00; code 2 linear", 1)
	wantStatus(t, err, ErrInvalidArgument, "NUL")

	m := newModel(t, testSpec, 7)
	x := testData(8, 3)
	// Sizes the C library checks.
	_, err = m.Encode(x, 16, 8)
	wantStatus(t, err, ErrShape, "ae_encode", "8 columns", "16")
	_, err = m.Decode(x, 8, 16)
	wantStatus(t, err, ErrShape, "ae_decode")
	// Lengths the binding checks before calling C.
	_, err = m.Encode(x, 9, 16)
	wantStatus(t, err, ErrShape, "Encode: x has 128 values", "144")
	_, err = m.Encode(x[:1], 1, 16)
	wantStatus(t, err, ErrShape)
	_, err = m.Encode(nil, 0, 16)
	wantStatus(t, err, ErrShape, "0 rows")
	_, err = m.Encode(x, -8, -16)
	wantStatus(t, err, ErrShape)
	_, err = m.Encode(x, math.MaxInt/2, 16)
	wantStatus(t, err, ErrShape, "overflows")
	wantStatus(t, m.EncodeInto(make([]float32, 31), x, 8, 16), ErrShape, "codes")
	wantStatus(t, m.EncodeInto(nil, x, 8, 16), ErrShape, "codes")
	wantStatus(t, m.DecodeInto(make([]float32, 16), x[:32], 8, 4), ErrShape, "out")
	wantStatus(t, m.ReconstructInto(make([]float32, 8*16+1), x, 8, 16), ErrShape)
	wantStatus(t, m.ScoreInto(make([]float32, 7), x, 8, 16), ErrShape, "errors")
	wantStatus(t, m.Train(x, 8, 15), ErrShape)
	wantStatus(t, m.Train(x[:100], 8, 16), ErrShape)
	// Data.
	bad := append([]float32(nil), x...)
	bad[37] = float32(math.NaN())
	_, err = m.Encode(bad, 8, 16)
	wantStatus(t, err, ErrNonfiniteInput, "NaN")
	bad[37] = float32(math.Inf(1))
	wantStatus(t, m.Train(bad, 8, 16), ErrNonfiniteInput, "Inf")
	if err := m.SetOption(OptLoss, LossBCE); err != nil {
		t.Fatal(err)
	}
	big := append([]float32(nil), x...)
	big[3] = 2
	wantStatus(t, m.Train(big, 8, 16), ErrInvalidArgument, "[0, 1]")
	_, err = m.Score(big, 8, 16)
	wantStatus(t, err, ErrInvalidArgument)
	if err := m.SetOption(OptLoss, LossMSE); err != nil {
		t.Fatal(err)
	}
	if err := m.SetOption(OptPatience, 2); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, m.Train(x, 8, 16), ErrInvalidArgument)
	if m.EpochsTrained() != 0 {
		t.Fatal("failed Train changed the model")
	}

	// The error value itself.
	_, err = m.Encode(x, 16, 8)
	var e *Error
	if !errors.As(err, &e) || errors.Is(err, ErrIO) || errors.Is(err, ErrClosed) {
		t.Fatalf("%v matches the wrong sentinels", err)
	}
	if got := err.Error(); !strings.HasPrefix(got, "libae: ae_encode: ") || !strings.HasSuffix(got, " (AE_ERR_SHAPE)") {
		t.Fatalf("Error() = %q", got)
	}
	var st Status
	if !errors.As(err, &st) || st != ErrShape {
		t.Fatalf("errors.As Status: %v", st)
	}
	if ErrShape.Name() != "AE_ERR_SHAPE" || !strings.HasPrefix(ErrBusy.String(), "AE_ERR_BUSY: ") ||
		StatusOK.Name() != "AE_OK" || Status(999).String() != "unknown status" {
		t.Fatal("Status strings")
	}
}

// Each goroutine provokes its own error message; with the goroutine pinned
// across the call and ae_last_error, no goroutine reads another's message.
func TestErrorMessagesPerGoroutine(t *testing.T) {
	m := newModel(t, testSpec, 7)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(cols int) {
			defer wg.Done()
			x := make([]float32, 2*cols)
			for i := 0; i < 200; i++ {
				_, err := m.Encode(x, 2, cols)
				want := fmt.Sprintf("x has %d columns", cols)
				if err == nil || !strings.Contains(err.Error(), want) {
					errs <- fmt.Errorf("cols %d: got %v, want %q", cols, err, want)
					return
				}
				runtime.Gosched()
			}
		}(17 + g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
