package dist_test

import (
	"fmt"
	"math"

	"ppo/dist"
)

// A policy head of logits (0, 0, ln 2) gives probabilities ¼, ¼, ½.
func ExampleCategorical() {
	var d dist.Plain = dist.Categorical{}
	logits := []float64{0, 0, math.Ln2}
	a := []float64{0}
	d.Mode(logits, a)
	fmt.Printf("mode %v, p %.2f, entropy %.4f nats\n", a[0], math.Exp(d.LogProb(logits, a)), d.Entropy(logits))
	// Output: mode 2, p 0.50, entropy 1.0397 nats
}
