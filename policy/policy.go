// Package policy holds actor-critic networks and their weight files; the
// action distributions are package dist's.
package policy

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"ppo/internal/detmath"

	"gonum.org/v1/gonum/mat"
	"gorgonia.org/tensor"

	"ppo/dist"
)

// Spec describes an actor-critic network.
type Spec struct {
	ObsDim int `json:"obs_dim"`
	// Discrete selects a categorical head over ActDim actions; otherwise the
	// head is a diagonal Gaussian over ActDim dimensions.
	Discrete bool  `json:"discrete"`
	ActDim   int   `json:"act_dim"`
	Hidden   []int `json:"hidden"`
	// Activation is "tanh" or "relu".
	Activation string `json:"activation"`
	// Shared makes actor and critic share the hidden trunk.
	Shared bool `json:"shared"`
	// Float64 computes in float64; the default is float32.
	Float64 bool `json:"float64"`
	// InitLogStd is the initial log standard deviation of the Gaussian head.
	InitLogStd float64 `json:"init_log_std"`
	// ObsCards, if set, makes observations discrete: component j of a raw observation is an
	// index below ObsCards[j], one-hot encoded into the ObsDim = sum(ObsCards) inputs (Encode).
	ObsCards []int `json:"obs_cards,omitempty"`
	// ActNvec, if set, makes the actions MultiDiscrete: Discrete is true and the head holds one
	// segment of ActNvec[c] logits per component c, ActDim = sum(ActNvec) in all (dist.MultiCategorical).
	ActNvec []int `json:"act_nvec,omitempty"`
}

// Validate reports the first problem with s.
func (s Spec) Validate() error {
	switch {
	case s.ObsDim < 1:
		return fmt.Errorf("policy: observation dimension must be >= 1, got %d", s.ObsDim)
	case s.ActDim < 1:
		return fmt.Errorf("policy: action dimension must be >= 1, got %d", s.ActDim)
	case len(s.Hidden) == 0:
		return errors.New("policy: at least one hidden layer is needed")
	case s.Activation != "tanh" && s.Activation != "relu":
		return fmt.Errorf("policy: unknown activation %q (want tanh or relu)", s.Activation)
	}
	for _, h := range s.Hidden {
		if h < 1 {
			return fmt.Errorf("policy: hidden sizes must be >= 1, got %v", s.Hidden)
		}
	}
	if err := s.validateCards(); err != nil {
		return err
	}
	return s.validateNvec()
}

// positiveSum returns the sum of ns and whether each is at least 1.
func positiveSum(ns []int) (sum int, ok bool) {
	for _, n := range ns {
		if n < 1 {
			return 0, false
		}
		sum += n
	}
	return sum, true
}

// validateNvec checks that ActNvec, if set, is positive, sums to ActDim and comes with Discrete.
func (s Spec) validateNvec() error {
	if len(s.ActNvec) == 0 {
		return nil
	}
	sum, ok := positiveSum(s.ActNvec)
	if !ok {
		return fmt.Errorf("policy: action components %v: each must have >= 1 action", s.ActNvec)
	}
	if !s.Discrete || sum != s.ActDim {
		return fmt.Errorf("policy: action components %v need discrete actions of dimension %d, have %d (discrete %v)", s.ActNvec, sum, s.ActDim, s.Discrete)
	}
	return nil
}

// ActW is the length of one action as the environment takes it: one index per component for
// discrete actions, ActDim values for Box actions.
func (s Spec) ActW() int {
	switch {
	case len(s.ActNvec) > 0:
		return len(s.ActNvec)
	case s.Discrete:
		return 1
	}
	return s.ActDim
}

// Dtype is the tensor element type of the network.
func (s Spec) Dtype() tensor.Dtype {
	if s.Float64 {
		return tensor.Float64
	}
	return tensor.Float32
}

// Param is one named weight tensor. Graph nodes are bound to T, so an
// in-place change of its data is seen by every graph built on it.
type Param struct {
	Name string
	T    *tensor.Dense
}

// Layer is a dense layer y = x·W + b with W of shape [in, out] and b of shape [1, out].
type Layer struct {
	W, B *Param
	In   int
	Out  int
}

// Policy is an actor-critic network: a policy head (logits or Gaussian mean),
// a value head and, for Box actions, a state-independent log-std.
type Policy struct {
	Spec Spec
	// Actor and Critic are the hidden layers; with Spec.Shared they are the same slice.
	Actor, Critic []Layer
	PiHead, VHead Layer
	// LogStd has shape [1, ActDim]; nil for discrete actions.
	LogStd *Param
	params []*Param
}

// Orthogonal initialisation gains, as in OpenAI baselines, SB3 and CleanRL.
var (
	gainHidden = math.Sqrt2
	gainPi     = 0.01
	gainV      = 1.0
)

// New builds a policy with orthogonally initialised weights drawn from a
// PCG stream seeded with seed, and zero biases.
func New(spec Spec, seed uint64) (*Policy, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	p := &Policy{Spec: spec}
	p.Actor = p.trunk("actor", rng)
	if spec.Shared {
		p.Critic = p.Actor
	} else {
		p.Critic = p.trunk("critic", rng)
	}
	last := spec.Hidden[len(spec.Hidden)-1]
	p.PiHead = p.layer("pi", last, spec.ActDim, gainPi, rng)
	p.VHead = p.layer("v", last, 1, gainV, rng)
	if !spec.Discrete {
		p.LogStd = p.param("log_std", 1, spec.ActDim)
		for i := 0; i < spec.ActDim; i++ {
			p.setAt(p.LogStd, i, spec.InitLogStd)
		}
	}
	return p, nil
}

func (p *Policy) trunk(prefix string, rng *rand.Rand) []Layer {
	in := p.Spec.ObsDim
	var ls []Layer
	for i, h := range p.Spec.Hidden {
		ls = append(ls, p.layer(fmt.Sprintf("%s.%d", prefix, i), in, h, gainHidden, rng))
		in = h
	}
	return ls
}

func (p *Policy) layer(name string, in, out int, gain float64, rng *rand.Rand) Layer {
	l := Layer{W: p.param(name+".w", in, out), B: p.param(name+".b", 1, out), In: in, Out: out}
	for i, v := range orthogonal(in, out, gain, rng) {
		p.setAt(l.W, i, v)
	}
	return l
}

func (p *Policy) param(name string, rows, cols int) *Param {
	var t *tensor.Dense
	if p.Spec.Float64 {
		t = tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(make([]float64, rows*cols)))
	} else {
		t = tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(make([]float32, rows*cols)))
	}
	prm := &Param{Name: name, T: t}
	p.params = append(p.params, prm)
	return prm
}

func (p *Policy) setAt(prm *Param, i int, v float64) {
	switch d := prm.T.Data().(type) {
	case []float32:
		d[i] = float32(v)
	case []float64:
		d[i] = v
	}
}

// Dist returns the policy's action distribution with its current log-std.
func (p *Policy) Dist() dist.Dist {
	if len(p.Spec.ActNvec) > 0 {
		return dist.MultiCategorical{Nvec: p.Spec.ActNvec}
	}
	if p.Spec.Discrete {
		return dist.Categorical{}
	}
	ls := make([]float64, p.Spec.ActDim)
	for i := range ls {
		ls[i] = p.at(p.LogStd, i)
	}
	return dist.DiagGaussian{LogStd: ls}
}

func (p *Policy) at(prm *Param, i int) float64 {
	switch d := prm.T.Data().(type) {
	case []float32:
		return float64(d[i])
	case []float64:
		return d[i]
	}
	panic("policy: unsupported dtype")
}

// Params lists every trainable tensor in a fixed order.
func (p *Policy) Params() []*Param { return p.params }

// NumParams is the total number of scalar weights.
func (p *Policy) NumParams() int {
	n := 0
	for _, prm := range p.params {
		n += prm.T.Len()
	}
	return n
}

// orthogonal returns an in×out row-major matrix with orthonormal rows or
// columns (whichever are fewer) scaled by gain: the Q factor of a Gaussian
// matrix with the signs of R's diagonal folded in so Q is Haar-distributed.
func orthogonal(in, out int, gain float64, rng *rand.Rand) []float64 {
	r, c := in, out
	if r < c {
		r, c = c, r
	}
	a := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			a.Set(i, j, detmath.NormFloat64(rng))
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var q, rr mat.Dense
	qr.QTo(&q)
	qr.RTo(&rr)
	w := make([]float64, in*out)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			v := q.At(i, j) * gain
			if rr.At(j, j) < 0 {
				v = -v
			}
			if in >= out {
				w[i*out+j] = v
			} else {
				w[j*out+i] = v
			}
		}
	}
	return w
}
