package cli

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// runKL runs 'ppo kl args...' and returns stdout, stderr and the status.
func runKL(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := Main(append([]string{"kl"}, args...), &out, &errb)
	return out.String(), errb.String(), code
}

func klJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, errs, code := runKL(append(args, "--json")...)
	if code != 0 || errs != "" {
		t.Fatalf("ppo kl %v: exit %d, stderr %q", args, code, errs)
	}
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("ppo kl %v --json: want one line, got %q", args, out)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("ppo kl %v --json: %v in %q", args, err, out)
	}
	return m
}

func near(t *testing.T, what string, got any, want, tol float64) {
	t.Helper()
	g, ok := got.(float64)
	if !ok {
		t.Errorf("%s = %v (%T), want number %v", what, got, got, want)
		return
	}
	if math.Abs(g-want) > tol*math.Abs(want) {
		t.Errorf("%s = %.17g, want %.17g", what, g, want)
	}
}

// Reference values below are from shared/golden/kl.json (scipy 1.10.1),
// the file package kl's tests use; 1e-9 relative is the tolerance.

func TestKLNormalSeedJSON(t *testing.T) {
	m := klJSON(t, "normal", "--p=0,1", "--q=1,2", "--grid=-10,10,1000")
	near(t, "kl", m["kl"], 0.4431471805599453, 1e-15)
	near(t, "grid_sum", m["grid_sum"], 22.135034999282027, 1e-9)
	near(t, "grid_sum_times_dx", m["grid_sum_times_dx"], 0.44314384382946986, 1e-9)
	near(t, "grid_integral", m["grid_integral"], 0.4431471805599453, 1e-9)
	// Hand-worked: KL(N(1,2)||N(0,1)) = log ½ + (4 + 1)/2 - ½ = 2 - log 2;
	// H(N(μ,σ)) = ½ log(2πe) + log σ.
	near(t, "kl_reverse", m["kl_reverse"], 2-math.Ln2, 1e-15)
	near(t, "entropy_p", m["entropy_p"], 0.5*math.Log(2*math.Pi*math.E), 1e-15)
	near(t, "entropy_q", m["entropy_q"], 0.5*math.Log(2*math.Pi*math.E)+math.Ln2, 1e-15)
	if m["kind"] != "normal" {
		t.Errorf("kind = %v", m["kind"])
	}
	// Without --grid the grid fields are absent.
	m = klJSON(t, "normal", "--p=0,1", "--q=1,2")
	for _, k := range []string{"grid_sum", "grid_integral", "grid_sum_times_dx"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s present without --grid", k)
		}
	}
}

func TestKLNormalText(t *testing.T) {
	out, errs, code := runKL("normal", "--p=0,1", "--q=1,2", "--grid=-10,10,1000")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{
		"KL(P||Q) = 0.4431471805599453\n",
		"KL(Q||P) = ",
		"H(P)     = 1.4189385332046727\n",
		"raw sum of kl_div terms = 22.1350349992820",
		"not a KL",
		"trapezoid integral      = 0.443147180559945",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestKLCategorical(t *testing.T) {
	// First categorical case of kl.json.
	p := "-2.64871799125629,-0.49672324419049707,0.840890476131043,2.2720930649792854,0.21941279864361637,-1.105294641072465"
	q := "-1.5695607106885567,1.4974915414691823,3.269566085917155,0.5455375516894435,-2.4666573280615434,-1.9165304108721775"
	m := klJSON(t, "categorical", "--p-logits="+p, "--q-logits="+q)
	near(t, "kl", m["kl"], 1.7777334001895928, 1e-9)
	near(t, "kl_reverse", m["kl_reverse"], 1.2796919833628686, 1e-9)
	near(t, "entropy_p", m["entropy_p"], 1.0186618645655825, 1e-9)

	// Probabilities, hand-worked: KL([½,½] || [¼,¾]) = ½ log 2 + ½ log(2/3);
	// unnormalised weights give the same.
	want := 0.5*math.Ln2 + 0.5*math.Log(2.0/3)
	near(t, "kl", klJSON(t, "categorical", "--p=0.5,0.5", "--q=0.25,0.75")["kl"], want, 1e-15)
	near(t, "kl", klJSON(t, "categorical", "--p=1,1", "--q=1,3")["kl"], want, 1e-15)
	// Mixed: logits for P, probabilities for Q.
	near(t, "kl", klJSON(t, "categorical", "--p-logits=0,0", "--q=0.25,0.75")["kl"], want, 1e-15)
	// Logits of magnitude 1000 stay finite: KL = 2000 exactly.
	near(t, "kl", klJSON(t, "categorical", "--p-logits=1000,0,-1000", "--q-logits=-1000,0,1000")["kl"], 2000, 0)

	// Q impossible where P is not: +Inf, written as a string in JSON.
	m = klJSON(t, "categorical", "--p=0.5,0.5", "--q=1,0")
	if m["kl"] != "+Inf" {
		t.Errorf("kl = %v, want \"+Inf\"", m["kl"])
	}
	near(t, "kl_reverse", m["kl_reverse"], math.Ln2, 1e-15)
	out, _, _ := runKL("categorical", "--p=0.5,0.5", "--q=1,0")
	if !strings.Contains(out, "KL(P||Q) = +Inf\n") {
		t.Errorf("text output for infinite KL:\n%s", out)
	}
}

func TestKLGaussian(t *testing.T) {
	// First diag_gaussian case of kl.json.
	m := klJSON(t, "gaussian",
		"--p-mean=0.518511481410699,0.5325875434742989,-0.3577980078127549",
		"--p-std=1.9209669560383638,1.160424271948929,0.7214648173389636",
		"--q-mean=-0.22329559977220623,0.7240192298296324,0.9176249577098493",
		"--q-std=0.8741868574884533,2.1743283191403515,2.7399582429102214")
	near(t, "kl", m["kl"], 2.738745243795656, 1e-9)
	near(t, "entropy_p", m["entropy_p"], 4.731958306568296, 1e-9)
	// Per-dimension sum: two copies of the seed example's normals.
	m = klJSON(t, "gaussian", "--p-mean=0,0", "--p-std=1,1", "--q-mean=1,1", "--q-std=2,2")
	near(t, "kl", m["kl"], 2*0.4431471805599453, 1e-15)
	near(t, "kl_reverse", m["kl_reverse"], 2*(2-math.Ln2), 1e-15)
}

func TestKLHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"normal", "-h"}} {
		out, errs, code := runKL(args...)
		if code != 0 || errs != "" || !strings.Contains(out, "usage: ppo kl") {
			t.Errorf("ppo kl %v: exit %d, stderr %q, stdout %q", args, code, errs, out)
		}
	}
}

func TestKLBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // a word the one-line message must contain
	}{
		{nil, "missing distribution kind"},
		{[]string{"poisson"}, "unknown distribution kind"},
		{[]string{"categorical", "--q-logits=1,2"}, "missing --p-logits or --p"},
		{[]string{"categorical", "--p-logits=1,2", "--q-logits=1,2,3"}, "--p-logits has 2 values but --q-logits has 3"},
		{[]string{"categorical", "--p-logits=1,2", "--p=0.5,0.5", "--q=0.5,0.5"}, "only one of"},
		{[]string{"categorical", "--p-logits=1,abc", "--q-logits=1,2"}, `"abc" is not a number`},
		{[]string{"categorical", "--p-logits=1,NaN", "--q-logits=1,2"}, "not a finite number"},
		{[]string{"categorical", "--p-logits=1,Inf", "--q-logits=1,2"}, "not a finite number"},
		{[]string{"categorical", "--p=0.5,-0.5", "--q=0.5,0.5"}, "negative"},
		{[]string{"categorical", "--p=0,0", "--q=0.5,0.5"}, "sum to 0"},
		{[]string{"categorical", "--p=", "--q=0.5,0.5"}, "--p is empty"},
		{[]string{"categorical", "--p=0.5,,0.5", "--q=0.5,0.5"}, "not a number"},
		{[]string{"normal", "--p=0,1"}, "missing --q"},
		{[]string{"normal", "--p=0,1,2", "--q=0,1"}, "MEAN,STD"},
		{[]string{"normal", "--p=0,-1", "--q=0,1"}, "not positive"},
		{[]string{"normal", "--p=0,0", "--q=0,1"}, "not positive"},
		{[]string{"normal", "--p=0,1", "--q=nan,1"}, "not a finite number"},
		{[]string{"normal", "--p=0,1", "--q=0,1", "--grid=-10,10"}, "LO,HI,N"},
		{[]string{"normal", "--p=0,1", "--q=0,1", "--grid=10,-10,100"}, "not below"},
		{[]string{"normal", "--p=0,1", "--q=0,1", "--grid=-10,10,1"}, "outside [2,"},
		{[]string{"normal", "--p=0,1", "--q=0,1", "--grid=-10,10,1e3"}, "not an integer"},
		{[]string{"normal", "--p=0,1", "--q=0,1", "--grid=-10,NaN,100"}, "not a finite number"},
		{[]string{"gaussian", "--p-mean=0,0", "--p-std=1,1", "--q-mean=0", "--q-std=1,1"}, "--p-mean has 2 values but --q-mean has 1"},
		{[]string{"gaussian", "--p-mean=0", "--p-std=1", "--q-mean=0", "--q-std=-2"}, "not positive"},
		{[]string{"gaussian", "--p-mean=0", "--p-std=1", "--q-mean=0"}, "missing --q-std"},
		{[]string{"gaussian", "--p-mean=0", "--p-std=1", "--q-mean=0", "--q-std=1", "--grid=0,1,3"}, "not defined"},
		{[]string{"normal", "--p=0,1", "--q=0,1", "stray"}, "unexpected argument"},
		{[]string{"normal", "--p=0,1", "--q=0,1", "--json=maybe"}, "invalid boolean"},
	} {
		out, errs, code := runKL(c.args...)
		if code != 2 {
			t.Errorf("ppo kl %v: exit %d, want 2", c.args, code)
		}
		if out != "" {
			t.Errorf("ppo kl %v: stdout %q, want none", c.args, out)
		}
		if strings.Count(errs, "\n") != 1 || !strings.HasSuffix(errs, "\n") || !strings.HasPrefix(errs, "ppo kl") {
			t.Errorf("ppo kl %v: stderr %q, want one line starting 'ppo kl'", c.args, errs)
		}
		if !strings.Contains(errs, c.want) {
			t.Errorf("ppo kl %v: stderr %q lacks %q", c.args, errs, c.want)
		}
	}
}
