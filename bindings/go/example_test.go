package libae_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	libae "github.com/libae/libae/bindings/go"
)

func Example() {
	// 100 samples of 16 values in [0, 1], row-major.
	const rows, cols = 100, 16
	x := make([]float32, rows*cols)
	for i := range x {
		x[i] = float32(i%cols) / cols
	}

	m, err := libae.New("input 16; dense 12 tanh; code 4 linear; mirror sigmoid", 42)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	if err := m.SetOption(libae.OptEpochs, 5); err != nil {
		log.Fatal(err)
	}
	if err := m.SetOption(libae.OptLoss, libae.LossBCE); err != nil {
		log.Fatal(err)
	}
	m.SetProgress(func(p libae.Progress) (stop bool) {
		return false // e.g. log p.Epoch and p.Loss, or return true to stop early
	})
	if err := m.Train(x, rows, cols); err != nil {
		log.Fatal(err)
	}
	codes, err := m.Encode(x, rows, cols) // (rows, CodeSize())
	if err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(os.TempDir(), "libae-example.ae")
	defer os.Remove(path)
	if err := m.Save(path, 0); err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(codes), m.CodeSize(), m.EpochsTrained())

	// Errors carry the libae status and its message.
	_, err = m.Encode(x, rows/2, cols*2)
	fmt.Println(errors.Is(err, libae.ErrShape))
	fmt.Println(err)
	// Output:
	// 400 4 5
	// true
	// libae: ae_encode: x has 32 columns, model expects 16 (AE_ERR_SHAPE)
}
