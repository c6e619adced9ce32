package dist

import (
	"errors"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/internal/detmath"
	"ppo/kl"
)

// DiagGaussian is a Gaussian with the given means and a state-independent
// log standard deviation per dimension.
type DiagGaussian struct {
	LogStd []float64
}

var halfLog2Pi = 0.5 * math.Log(2*math.Pi)

// LogProb is Σ_i -½((a_i-μ_i)/σ_i)² - log σ_i - ½ log 2π.
func (d DiagGaussian) LogProb(mean, action []float64) float64 {
	lp := 0.0
	for i, mu := range mean {
		z := (action[i] - mu) * detmath.Exp(-d.LogStd[i])
		lp += -0.5*z*z - d.LogStd[i] - halfLog2Pi
	}
	return lp
}

// Entropy is Σ_i log σ_i + ½(1 + log 2π); it does not depend on the means.
func (d DiagGaussian) Entropy([]float64) float64 {
	h := 0.0
	for _, ls := range d.LogStd {
		h += ls + 0.5 + halfLog2Pi
	}
	return h
}

// Sample draws μ + σ·ε with ε standard normal, one draw per dimension.
func (d DiagGaussian) Sample(mean []float64, rng *rand.Rand, action []float64) {
	for i, mu := range mean {
		action[i] = mu + detmath.Exp(d.LogStd[i])*detmath.NormFloat64(rng)
	}
}

// Mode is the mean.
func (d DiagGaussian) Mode(mean []float64, action []float64) { copy(action, mean) }

// KL is kl.DiagGaussian on the two means and standard deviations, in
// direction dir. The standard deviations come from the Params, not from
// LogStd: the two policies compared have their own.
func (DiagGaussian) KL(dir kl.Direction, old, cur Params) float64 {
	p, q := ordered(dir, old, cur)
	return kl.DiagGaussian(p.Head, p.Std, q.Head, q.Std)
}

// The graph forms take the log-std from the Batch, not from LogStd: the
// loss differentiates through the network's log-std node.

// LogProbNode is Σ_i -½((a_i-μ_i)/σ_i)² - log σ_i - ½ log 2π per row, for
// means b.Head, log-stds b.LogStd and actions, all [batch, d].
func (DiagGaussian) LogProbNode(b Batch, actions *G.Node) (*G.Node, error) {
	if err := hasLogStd(b); err != nil {
		return nil, err
	}
	_, d, err := rows(b.Head)
	if err != nil {
		return nil, err
	}
	dt := b.Head.Dtype()
	// -½ Σ ((a-μ)/σ)² - Σ log σ - d/2 log 2π
	sq, err := squaredZ(actions, b.Head, b.LogStd)
	if err != nil {
		return nil, err
	}
	return gaussLogProb(b, sq, d, dt)
}

// gaussLogProb finishes the log-probability from Σ z², composed: Σ log σ
// is one node with the entropy's (gorgonia merges the two), whose
// gradient gorgonia sums before adding it to the log-std's other
// gradient contributions; a fused log-probability would add them in
// another order and change the last bits of every run.
func gaussLogProb(b Batch, sq *G.Node, d int, dt tensor.Dtype) (*G.Node, error) {
	sls, err := sumRows(b.LogStd, nil)
	if err != nil {
		return nil, err
	}
	c := constant(dt, -0.5*float64(d)*math.Log(2*math.Pi))
	lp, err := G.Add(G.Must(G.Mul(sq, constant(dt, -0.5))), G.Must(G.Neg(sls)))
	if err != nil {
		return nil, err
	}
	return G.Add(lp, c)
}

// logProbComposed is LogProbNode with Σ z² composed of gorgonia ops: the
// definition the fused op repeats.
func logProbComposed(b Batch, actions *G.Node) (*G.Node, error) {
	_, d, err := rows(b.Head)
	if err != nil {
		return nil, err
	}
	diff, err := G.Sub(actions, b.Head)
	if err != nil {
		return nil, err
	}
	invStd, err := kl.ExpNode(G.Must(G.Neg(b.LogStd)))
	if err != nil {
		return nil, err
	}
	z, err := G.HadamardProd(diff, invStd)
	if err != nil {
		return nil, err
	}
	sq, err := sumRows(G.Square(z))
	if err != nil {
		return nil, err
	}
	return gaussLogProb(b, sq, d, b.Head.Dtype())
}

// EntropyNode is kl.DiagGaussianEntropyNode of b.LogStd.
func (DiagGaussian) EntropyNode(b Batch) (*G.Node, error) {
	if err := hasLogStd(b); err != nil {
		return nil, err
	}
	return kl.DiagGaussianEntropyNode(b.LogStd)
}

// KLNode is kl.DiagGaussianNode on the two batches' means and log-stds.
func (DiagGaussian) KLNode(dir kl.Direction, old, cur Batch) (*G.Node, error) {
	if err := hasLogStd(old); err != nil {
		return nil, err
	}
	if err := hasLogStd(cur); err != nil {
		return nil, err
	}
	return kl.DiagGaussianNode(dir, old.Head, old.LogStd, cur.Head, cur.LogStd)
}

func hasLogStd(b Batch) error {
	if b.LogStd == nil {
		return errors.New("dist: diagonal Gaussian batch without a log-std node")
	}
	return nil
}

// constant is v as a constant of dtype dt.
func constant(dt tensor.Dtype, v float64) *G.Node {
	if dt == tensor.Float64 {
		return G.NewConstant(v)
	}
	return G.NewConstant(float32(v))
}

// sumRows sums a [batch, k] node along its columns.
func sumRows(x *G.Node, err error) (*G.Node, error) {
	if err != nil {
		return nil, err
	}
	return G.Sum(x, 1)
}
