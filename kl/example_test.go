package kl_test

import (
	"fmt"

	"math"

	"ppo/kl"
)

// The common blog example: summing scipy.special.kl_div over two densities
// on a grid gives 22.135, which is not a KL divergence. Scaled by the grid
// spacing it becomes a Riemann sum, and a proper integral matches the closed
// form KL(N(0,1)||N(1,2)) = log 2 + 2/8 - ½.
func ExampleGridSum() {
	p, q := kl.NormalPDF(0, 1), kl.NormalPDF(1, 2)
	sum := kl.GridSum(p, q, -10, 10, 1000)
	dx := 20.0 / 999
	fmt.Printf("raw grid sum:       %.6f\n", sum)
	fmt.Printf("grid sum × dx:      %.6f\n", sum*dx)
	fmt.Printf("trapezoid integral: %.10f\n", kl.GridIntegral(p, q, -10, 10, 1000))
	fmt.Printf("closed form:        %.10f\n", kl.Normal(0, 1, 1, 2))
	// Output:
	// raw grid sum:       22.135035
	// grid sum × dx:      0.443144
	// trapezoid integral: 0.4431471806
	// closed form:        0.4431471806
}

// The adaptive penalty of the PPO paper: beta doubles when the measured KL
// exceeds 1.5 × target, halves below target / 1.5, and is otherwise kept.
func ExampleAdaptive() {
	p, err := kl.Preset("schulman2017")
	if err != nil {
		panic(err)
	}
	p.Target = 0.01
	c, err := kl.NewAdaptive(p, 1)
	if err != nil {
		panic(err)
	}
	for _, d := range []float64{0.02, 0.03, 0.012, 0.005, 0.004} {
		if err := c.Update(d, 2048); err != nil {
			panic(err)
		}
		fmt.Printf("KL %.3f -> beta %g\n", d, c.Beta())
	}
	fmt.Println(c.Update(math.NaN(), 2048)) // a diverged run is reported, not absorbed
	// Output:
	// KL 0.020 -> beta 2
	// KL 0.030 -> beta 4
	// KL 0.012 -> beta 4
	// KL 0.005 -> beta 2
	// KL 0.004 -> beta 1
	// kl: measured KL is NaN, want a finite value
}

// The k3 estimator from log-ratios on actions sampled from the old policy;
// its mean over pi_old's own probabilities is the exact KL(old||new).
func ExampleEstimate() {
	oldP := []float64{0.5, 0.3, 0.2}
	newP := []float64{0.4, 0.4, 0.2}
	var mean float64
	for a := range oldP {
		logr := math.Log(newP[a] / oldP[a])
		mean += oldP[a] * kl.Estimate(kl.K3, logr)
	}
	fmt.Printf("E_old[k3] = %.12f\n", mean)
	fmt.Printf("KL        = %.12f\n", kl.CategoricalProbs(oldP, newP))
	// Output:
	// E_old[k3] = 0.025267153922
	// KL        = 0.025267153922
}
