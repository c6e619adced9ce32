package tfevents_test

import (
	"bytes"
	"fmt"

	"ppo/internal/rundir/tfevents"
)

// A trainer writes one event per update, stepped by environment steps.
func ExampleNewWriter() {
	var buf bytes.Buffer
	w, err := tfevents.NewWriter(&buf, 1700000000)
	if err != nil {
		panic(err)
	}
	for update := 1; update <= 3; update++ {
		err := w.Scalars(int64(2048*update), 1700000000+float64(update), map[string]float64{
			"train/kl":   0.01,
			"train/beta": 1 / float64(update),
		})
		if err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	// The version record holds 24 bytes of event and each scalar event 50
	// (wall time 9, step 3, summary 2+36),
	// each framed by 16 bytes of length and CRCs.
	fmt.Println(buf.Len(), 24+16+3*(50+16))
	// Output: 238 238
}
