package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ppo/kl"
)

// TestGraphMatchesPlain checks each distribution's graph forms against its
// plain forms (and kl's plain KL) row by row, in float64 on seeded random
// heads. Both compute the same formulas in float64 in different orders,
// so 1e-12 absolute (about 1e4 ulp at these magnitudes) is generous.
func TestGraphMatchesPlain(t *testing.T) {
	const n, k = 6, 3
	rng := rand.New(rand.NewPCG(3, 5))
	rnd := func(scale float64) []float64 {
		v := make([]float64, n*k)
		for i := range v {
			v[i] = scale * rng.NormFloat64()
		}
		return v
	}
	for _, tc := range []struct {
		name     string
		d        Dist
		discrete bool
	}{{"categorical", Categorical{}, true}, {"diag-gaussian", DiagGaussian{}, false}} {
		for _, dir := range []kl.Direction{kl.OldNew, kl.NewOld} {
			t.Run(fmt.Sprintf("%s/%v", tc.name, dir), func(t *testing.T) {
				g := G.NewGraph()
				in := func(name string, v []float64) *G.Node {
					return G.NewMatrix(g, tensor.Float64, G.WithShape(n, k), G.WithName(name), G.WithValue(tensorOf(true, v, n, k)))
				}
				head, oldHead, ls, oldLs := rnd(2), rnd(2), rnd(0.5), rnd(0.5)
				cur, old := Batch{Head: in("head", head)}, Batch{Head: in("old_head", oldHead)}
				acts := make([]float64, n*k) // one-hot or raw, as fed to the graph
				plainActs := make([][]float64, n)
				for i := range plainActs {
					if tc.discrete {
						a := rng.IntN(k)
						acts[i*k+a] = 1
						plainActs[i] = []float64{float64(a)}
					} else {
						copy(acts[i*k:(i+1)*k], rnd(1)[:k])
						plainActs[i] = acts[i*k : (i+1)*k]
					}
				}
				if !tc.discrete {
					cur.LogStd, old.LogStd = in("log_std", ls), in("old_log_std", oldLs)
				}
				lp := G.Must(tc.d.LogProbNode(cur, in("actions", acts)))
				ent := G.Must(tc.d.EntropyNode(cur))
				div := G.Must(tc.d.KLNode(dir, old, cur))
				vm := G.NewTapeMachine(g)
				defer vm.Close()
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				for i := 0; i < n; i++ {
					h, oh := head[i*k:(i+1)*k], oldHead[i*k:(i+1)*k]
					var plain Plain = Categorical{}
					var wantKL float64
					if tc.discrete {
						p, q := oh, h
						if dir == kl.NewOld {
							p, q = h, oh
						}
						wantKL = kl.CategoricalLogits(p, q)
					} else {
						plain = DiagGaussian{LogStd: ls[i*k : (i+1)*k]}
						std, oldStd := exps(ls[i*k:(i+1)*k]), exps(oldLs[i*k:(i+1)*k])
						if dir == kl.OldNew {
							wantKL = kl.DiagGaussian(oh, oldStd, h, std)
						} else {
							wantKL = kl.DiagGaussian(h, std, oh, oldStd)
						}
					}
					for _, c := range []struct {
						what      string
						got, want float64
					}{
						{"log-prob", at(lp.Value(), i), plain.LogProb(h, plainActs[i])},
						{"entropy", at(ent.Value(), i), plain.Entropy(h)},
						{"KL", at(div.Value(), i), wantKL},
					} {
						if math.Abs(c.got-c.want) > 1e-12 {
							t.Errorf("row %d %s: graph %v, plain %v", i, c.what, c.got, c.want)
						}
					}
				}
			})
		}
	}
}

// TestGraphErrors: malformed batches are errors, not panics.
func TestGraphErrors(t *testing.T) {
	g := G.NewGraph()
	m := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("m"))
	v := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("v"))
	for name, f := range map[string]func() (*G.Node, error){
		"gaussian without log-std": func() (*G.Node, error) { return DiagGaussian{}.EntropyNode(Batch{Head: m}) },
		"gaussian KL without old log-std": func() (*G.Node, error) {
			return DiagGaussian{}.KLNode(kl.OldNew, Batch{Head: m}, Batch{Head: m, LogStd: m})
		},
		"vector head":   func() (*G.Node, error) { return Categorical{}.EntropyNode(Batch{Head: v}) },
		"nil head":      func() (*G.Node, error) { return Categorical{}.LogProbNode(Batch{}, m) },
		"bad direction": func() (*G.Node, error) { return Categorical{}.KLNode(kl.Direction(9), Batch{Head: m}, Batch{Head: m}) },
	} {
		if _, err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func exps(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = math.Exp(v)
	}
	return y
}
