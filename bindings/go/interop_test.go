package libae

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// Interop spec and settings shared by every binding (issue: "a model trained
// from any binding loads in all the others and gives the same codes").
const (
	interopRows = 32
	interopCols = 16
	interopCode = 4
	interopSpec = "input 16; dense 12 tanh; code 4 linear; mirror sigmoid"
	interopSeed = 7
)

func readF32(path string, want int) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) != 4*want {
		return nil, fmt.Errorf("%s: %d bytes, want %d float32 (%d bytes)", path, len(b), want, 4*want)
	}
	v := make([]float32, want)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

func writeF32(path string, v []float32) error {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return os.WriteFile(path, b, 0o644)
}

// TestInterop runs when AE_INTEROP_DIR names a directory prepared by the C
// side (x.f32, c.model, c.codes.f32). It checks that the C model gives
// bit-identical codes here, then trains a model the agreed way and leaves
// go.model and go.codes.f32 there for the C side to check.
func TestInterop(t *testing.T) {
	dir := os.Getenv("AE_INTEROP_DIR")
	if dir == "" {
		t.Skip("AE_INTEROP_DIR is not set; the cross-language check runs only with files made by the C interop program")
	}
	x, err := readF32(filepath.Join(dir, "x.f32"), interopRows*interopCols)
	if err != nil {
		t.Fatal(err)
	}

	// (a) The C model loads here and gives the same codes, bit for bit.
	t.Run("LoadC", func(t *testing.T) {
		want, err := readF32(filepath.Join(dir, "c.codes.f32"), interopRows*interopCode)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Load(filepath.Join(dir, "c.model"))
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		got, err := m.Encode(x, interopRows, interopCols)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("code %d (row %d, column %d): Go %v (%#08x), C %v (%#08x)", i, i/interopCode, i%interopCode,
					got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
	})

	// (b) A model trained here, for the C side to load and compare.
	t.Run("TrainGo", func(t *testing.T) {
		m, err := New(interopSpec, interopSeed)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if err := m.SetOption(OptEpochs, 5); err != nil {
			t.Fatal(err)
		}
		if err := m.Train(x, interopRows, interopCols); err != nil {
			t.Fatal(err)
		}
		if err := m.Save(filepath.Join(dir, "go.model"), 0); err != nil {
			t.Fatal(err)
		}
		codes, err := m.Encode(x, interopRows, interopCols)
		if err != nil {
			t.Fatal(err)
		}
		if err := writeF32(filepath.Join(dir, "go.codes.f32"), codes); err != nil {
			t.Fatal(err)
		}
		// What was written loads back and gives those codes.
		back, err := Load(filepath.Join(dir, "go.model"))
		if err != nil {
			t.Fatal(err)
		}
		defer back.Close()
		again, err := back.Encode(x, interopRows, interopCols)
		if err != nil || !bitsEqual(again, codes) {
			t.Fatalf("go.model reloaded gives other codes (%v)", err)
		}
	})
}
