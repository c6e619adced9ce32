package policy

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var specs = []struct {
	name string
	s    Spec
}{
	{"discrete-tanh-f32", Spec{ObsDim: 4, Discrete: true, ActDim: 2, Hidden: []int{64, 64}, Activation: "tanh"}},
	{"discrete-relu-shared-f64", Spec{ObsDim: 6, Discrete: true, ActDim: 3, Hidden: []int{16, 8}, Activation: "relu", Shared: true, Float64: true}},
	{"gauss-tanh-f64", Spec{ObsDim: 3, ActDim: 2, Hidden: []int{32}, Activation: "tanh", Float64: true, InitLogStd: -0.5}},
	{"gauss-relu-f32-wide-out", Spec{ObsDim: 2, ActDim: 5, Hidden: []int{3, 7}, Activation: "relu", InitLogStd: 0.3}},
}

// randomize replaces every weight (biases and log-std too) with N(0, 0.5²)
// draws so tests do not depend on the zero biases of initialisation.
func randomize(p *Policy, rng *rand.Rand) {
	for _, prm := range p.Params() {
		for i := 0; i < prm.T.Len(); i++ {
			p.setAt(prm, i, 0.5*rng.NormFloat64())
		}
	}
}

// graphOutputs runs the graph forward on obs and returns head, value,
// log-probabilities of actions and entropies.
func graphOutputs(t *testing.T, p *Policy, obs, actions []float64, n int) (head, value, logp, ent []float64) {
	t.Helper()
	g := G.NewGraph()
	net, err := p.Build(g, n, Whole)
	if err != nil {
		t.Fatal(err)
	}
	act := net.ActionInput("a")
	lp, err := net.LogProb(act)
	if err != nil {
		t.Fatal(err)
	}
	en, err := net.Entropy()
	if err != nil {
		t.Fatal(err)
	}
	let := func(nd *G.Node, v []float64, shape ...int) {
		var tt *tensor.Dense
		if p.Spec.Float64 {
			tt = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), v...)))
		} else {
			f := make([]float32, len(v))
			for i, x := range v {
				f[i] = float32(x)
			}
			tt = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
		}
		if err := G.Let(nd, tt); err != nil {
			t.Fatal(err)
		}
	}
	let(net.Obs, obs, n, p.Spec.ObsDim)
	a := actions
	if p.Spec.Discrete {
		a = make([]float64, n*p.Spec.ActDim)
		for r := 0; r < n; r++ {
			a[r*p.Spec.ActDim+int(actions[r])] = 1
		}
	}
	let(act, a, n, p.Spec.ActDim)
	var hv, vv, lv, ev G.Value
	G.Read(net.Head, &hv)
	G.Read(net.Value, &vv)
	G.Read(lp, &lv)
	G.Read(en, &ev)
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	return floats(hv), floats(vv), floats(lv), floats(ev)
}

func floats(v G.Value) []float64 {
	switch d := v.Data().(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case []float64:
		return append([]float64(nil), d...)
	}
	return nil
}

// TestEvaluatorMatchesGraph checks the plain-Go acting path against the
// gorgonia graph the loss is built on: heads, values, log-probabilities
// and entropies. Tolerance: float64 agrees to rounding (1e-12); float32
// sums 64 products with ~6e-8 relative error each, so 2e-5 absolute.
func TestEvaluatorMatchesGraph(t *testing.T) {
	for _, tc := range specs {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			p, err := New(tc.s, 3)
			if err != nil {
				t.Fatal(err)
			}
			randomize(p, rng)
			const n = 7
			obs := make([]float64, n*tc.s.ObsDim)
			for i := range obs {
				obs[i] = 2 * rng.NormFloat64()
			}
			dist := p.Dist()
			head := make([]float64, n*tc.s.ActDim)
			value := make([]float64, n)
			NewForwarder(p).Forward(obs, n, head, value)
			actions := make([]float64, n*tc.s.ActDim)
			if tc.s.Discrete {
				actions = make([]float64, n)
			}
			w := len(actions) / n
			for r := 0; r < n; r++ {
				dist.Sample(head[r*tc.s.ActDim:(r+1)*tc.s.ActDim], rng, actions[r*w:(r+1)*w])
			}
			gh, gv, glp, gent := graphOutputs(t, p, obs, actions, n)
			tol := 2e-5
			if tc.s.Float64 {
				tol = 1e-12
			}
			near(t, "head", head, gh, tol)
			near(t, "value", value, gv, tol)
			for r := 0; r < n; r++ {
				h := head[r*tc.s.ActDim : (r+1)*tc.s.ActDim]
				if d := math.Abs(dist.LogProb(h, actions[r*w:(r+1)*w]) - glp[r]); d > 10*tol {
					t.Errorf("row %d: logp plain %v graph %v", r, dist.LogProb(h, actions[r*w:(r+1)*w]), glp[r])
				}
				if d := math.Abs(dist.Entropy(h) - gent[r]); d > 10*tol {
					t.Errorf("row %d: entropy plain %v graph %v", r, dist.Entropy(h), gent[r])
				}
			}
			// Acting one row at a time gives the batch's answer.
			one := make([]float64, tc.s.ActDim)
			v1 := make([]float64, 1)
			e := NewForwarder(p)
			e.Forward(obs[:tc.s.ObsDim], 1, one, v1)
			near(t, "single row head", one, head[:tc.s.ActDim], 0)
			near(t, "single row value", v1, value[:1], 0)
		})
	}
}

func near(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol {
			t.Errorf("%s[%d] = %v, want %v (tol %g)", what, i, got[i], want[i], tol)
			return
		}
	}
}

// TestOrthogonalInit checks WᵀW = gain²·I (or WWᵀ when in < out), the
// defining property of orthogonal initialisation.
func TestOrthogonalInit(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sh := range [][2]int{{4, 64}, {64, 64}, {64, 2}, {64, 1}, {3, 3}} {
		in, out := sh[0], sh[1]
		gain := 1.7
		w := orthogonal(in, out, gain, rng)
		k := min(in, out)
		for a := 0; a < k; a++ {
			for b := 0; b < k; b++ {
				s := 0.0
				for j := 0; j < max(in, out); j++ {
					if in >= out {
						s += w[j*out+a] * w[j*out+b]
					} else {
						s += w[a*out+j] * w[b*out+j]
					}
				}
				want := 0.0
				if a == b {
					want = gain * gain
				}
				if math.Abs(s-want) > 1e-12 {
					t.Fatalf("%dx%d: (WᵀW)[%d,%d] = %v, want %v", in, out, a, b, s, want)
				}
			}
		}
	}
}

// TestInitGains checks the usual gains: the policy head is small (0.01)
// so the initial policy is near uniform, and init is seed-deterministic.
func TestInitGains(t *testing.T) {
	s := specs[0].s
	p, _ := New(s, 9)
	q, _ := New(s, 9)
	r, _ := New(s, 10)
	a, _ := p.MarshalBinary()
	b, _ := q.MarshalBinary()
	c, _ := r.MarshalBinary()
	if !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Fatal("initialisation is not a function of the seed")
	}
	// Columns of the 64×2 head have norm 0.01 exactly.
	w := p.PiHead.W.T.Data().([]float32)
	for j := 0; j < 2; j++ {
		ss := 0.0
		for i := 0; i < 64; i++ {
			ss += float64(w[i*2+j]) * float64(w[i*2+j])
		}
		if math.Abs(math.Sqrt(ss)-0.01) > 1e-7 {
			t.Errorf("policy head column %d norm %v, want 0.01", j, math.Sqrt(ss))
		}
	}
}

func TestSaveLoad(t *testing.T) {
	for _, tc := range specs {
		p, _ := New(tc.s, 4)
		randomize(p, rand.New(rand.NewPCG(7, 8)))
		b, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		q, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		b2, _ := q.MarshalBinary()
		if !bytes.Equal(b, b2) {
			t.Errorf("%s: round trip changed the bytes", tc.name)
		}
		// Every truncation and every single-byte corruption is refused.
		for cut := 0; cut < len(b); cut += 1 + len(b)/50 {
			if _, err := Unmarshal(b[:cut]); err == nil {
				t.Fatalf("%s: truncated at %d accepted", tc.name, cut)
			}
		}
		for i := 0; i < len(b); i += 1 + len(b)/50 {
			c := append([]byte(nil), b...)
			c[i] ^= 0x40
			if _, err := Unmarshal(c); err == nil {
				t.Fatalf("%s: corruption at byte %d accepted", tc.name, i)
			}
		}
	}
}

func TestSpecValidate(t *testing.T) {
	bad := []Spec{
		{ObsDim: 0, ActDim: 1, Hidden: []int{4}, Activation: "tanh"},
		{ObsDim: 1, ActDim: 0, Hidden: []int{4}, Activation: "tanh"},
		{ObsDim: 1, ActDim: 1, Activation: "tanh"},
		{ObsDim: 1, ActDim: 1, Hidden: []int{0}, Activation: "tanh"},
		{ObsDim: 1, ActDim: 1, Hidden: []int{4}, Activation: "gelu"},
		// Action components not summing to ActDim, empty, or without Discrete.
		{ObsDim: 1, ActDim: 5, Discrete: true, ActNvec: []int{2, 2}, Hidden: []int{4}, Activation: "tanh"},
		{ObsDim: 1, ActDim: 2, Discrete: true, ActNvec: []int{2, 0}, Hidden: []int{4}, Activation: "tanh"},
		{ObsDim: 1, ActDim: 4, ActNvec: []int{2, 2}, Hidden: []int{4}, Activation: "tanh"},
	}
	good := Spec{ObsDim: 1, ActDim: 4, Discrete: true, ActNvec: []int{3, 1}, Hidden: []int{4}, Activation: "tanh"}
	if p, err := New(good, 1); err != nil {
		t.Errorf("%+v: %v", good, err)
	} else if got := good.ActW(); got != 2 || p.Dist() == nil {
		t.Errorf("%+v: action width %d", good, got)
	}
	for _, s := range bad {
		if _, err := New(s, 1); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
}

func TestParamCount(t *testing.T) {
	for _, tc := range specs {
		p, _ := New(tc.s, 1)
		if c, ok := tc.s.paramCount(); !ok || c != p.NumParams() {
			t.Errorf("%s: paramCount %d, network has %d", tc.name, c, p.NumParams())
		}
	}
}

// FuzzUnmarshal: no input panics the weight reader or makes it allocate
// a network its data cannot fill.
func FuzzUnmarshal(f *testing.F) {
	for _, tc := range specs[:2] {
		p, _ := New(tc.s, 1)
		b, _ := p.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte(weightMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		if p, err := Unmarshal(data); err == nil {
			b, _ := p.MarshalBinary()
			if !bytes.Equal(b, data) {
				t.Fatal("accepted weights do not re-encode to themselves")
			}
		}
	})
}

// TestUnmarshalHugeSpec: a well-formed file (valid checksum) whose header
// claims a gigantic network is refused before anything is allocated.
func TestUnmarshalHugeSpec(t *testing.T) {
	hdr := []byte(`{"spec":{"obs_dim":4,"discrete":true,"act_dim":2,"hidden":[1073741824,1073741824],"activation":"tanh"},"params":[]}`)
	var b bytes.Buffer
	b.WriteString(weightMagic)
	binary.Write(&b, binary.LittleEndian, uint32(len(hdr)))
	b.Write(hdr)
	binary.Write(&b, binary.LittleEndian, crc32.Checksum(b.Bytes(), castagnoli))
	if _, err := Unmarshal(b.Bytes()); err == nil {
		t.Fatal("a header claiming 2^60 weights was accepted")
	}
}
