package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"ppo/kl"
)

const klUsage = `usage: ppo kl <categorical|normal|gaussian> [flags]

Print KL(P||Q), the reverse KL(Q||P) and the entropies of P and Q, in nats.

  ppo kl categorical --p-logits=a,b,... --q-logits=a,b,...
        P and Q from logits (softmax); --p=... and --q=... take probabilities
        instead (normalised to sum 1, as scipy.stats.entropy does).
  ppo kl normal --p=MEAN,STD --q=MEAN,STD [--grid=LO,HI,N]
        univariate normals; --grid also prints, on numpy.linspace(LO, HI, N),
        the raw sum of scipy.special.kl_div terms (not a KL), that sum times
        the spacing, and the trapezoid integral of p log(p/q).
  ppo kl gaussian --p-mean=... --p-std=... --q-mean=... --q-std=...
        diagonal Gaussians, one comma-separated value per dimension.

Every kind takes --json to print one JSON object with "kl", "kl_reverse",
"entropy_p", "entropy_q" (and "grid_sum", "grid_sum_times_dx",
"grid_integral" with --grid). Non-finite values are written as the strings
"+Inf", "-Inf" and "NaN".
`

// klMaxGridPoints bounds --grid so a typo cannot start an hour-long loop.
const klMaxGridPoints = 100_000_000

// klResult is what ppo kl prints; grid fields are set only with --grid.
type klResult struct {
	Kind           string     `json:"kind"`
	KL             jsonFloat  `json:"kl"`
	KLReverse      jsonFloat  `json:"kl_reverse"`
	EntropyP       jsonFloat  `json:"entropy_p"`
	EntropyQ       jsonFloat  `json:"entropy_q"`
	Grid           *klGrid    `json:"grid,omitempty"`
	GridSum        *jsonFloat `json:"grid_sum,omitempty"`
	GridSumTimesDx *jsonFloat `json:"grid_sum_times_dx,omitempty"`
	GridIntegral   *jsonFloat `json:"grid_integral,omitempty"`
}

type klGrid struct {
	Lo jsonFloat `json:"lo"`
	Hi jsonFloat `json:"hi"`
	N  int       `json:"n"`
}

// String gives the shortest decimal that reads back as the same float64.
func (f jsonFloat) String() string { return strconv.FormatFloat(float64(f), 'g', -1, 64) }

// klUsageError is bad input: reported on one line with exit status 2.
type klUsageError struct{ msg string }

func (e klUsageError) Error() string { return e.msg }

func klBadInput(format string, args ...any) error {
	return klUsageError{fmt.Sprintf(format, args...)}
}

// cmdKL implements 'ppo kl'.
func cmdKL(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "ppo kl: missing distribution kind: categorical, normal or gaussian (run 'ppo kl -h')")
		return 2
	}
	kind := args[0]
	var build func(fs *flag.FlagSet) func() (klResult, error)
	switch kind {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, klUsage)
		return 0
	case "categorical":
		build = klCategoricalFlags
	case "normal":
		build = klNormalFlags
	case "gaussian":
		build = klGaussianFlags
	default:
		fmt.Fprintf(stderr, "ppo kl: unknown distribution kind %q: want categorical, normal or gaussian\n", kind)
		return 2
	}

	fs := flag.NewFlagSet("ppo kl "+kind, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print one JSON object")
	compute := build(fs)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, klUsage)
			return 0
		}
		fmt.Fprintf(stderr, "ppo kl %s: %v\n", kind, err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ppo kl %s: unexpected argument %q\n", kind, fs.Arg(0))
		return 2
	}
	res, err := compute()
	if err != nil {
		fmt.Fprintf(stderr, "ppo kl %s: %v\n", kind, err)
		var ue klUsageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	res.Kind = kind
	if *asJSON {
		b, err := json.Marshal(res)
		if err != nil {
			fmt.Fprintf(stderr, "ppo kl %s: %v\n", kind, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return 0
	}
	klWriteText(stdout, res)
	return 0
}

func klWriteText(w io.Writer, r klResult) {
	fmt.Fprintf(w, "KL(P||Q) = %v\n", r.KL)
	fmt.Fprintf(w, "KL(Q||P) = %v\n", r.KLReverse)
	fmt.Fprintf(w, "H(P)     = %v\n", r.EntropyP)
	fmt.Fprintf(w, "H(Q)     = %v\n", r.EntropyQ)
	if r.Grid != nil {
		fmt.Fprintf(w, "on linspace(%v, %v, %d):\n", r.Grid.Lo, r.Grid.Hi, r.Grid.N)
		fmt.Fprintf(w, "  raw sum of kl_div terms = %v  (pointwise terms, not a KL)\n", *r.GridSum)
		fmt.Fprintf(w, "  raw sum × spacing       = %v  (Riemann sum)\n", *r.GridSumTimesDx)
		fmt.Fprintf(w, "  trapezoid integral      = %v  (numerical KL(P||Q))\n", *r.GridIntegral)
	}
}

// klList is a comma-separated list of finite numbers; set records whether
// the flag was given at all.
type klList struct {
	name string
	raw  string
	set  bool
}

func (l *klList) String() string { return l.raw }
func (l *klList) Set(s string) error {
	l.raw, l.set = s, true
	return nil
}

func klNewList(fs *flag.FlagSet, name, usage string) *klList {
	l := &klList{name: name}
	fs.Var(l, name, usage)
	return l
}

// values parses the list; it reports the flag by name on bad input.
func (l *klList) values() ([]float64, error) {
	if !l.set {
		return nil, klBadInput("missing --%s", l.name)
	}
	if strings.TrimSpace(l.raw) == "" {
		return nil, klBadInput("--%s is empty", l.name)
	}
	parts := strings.Split(l.raw, ",")
	out := make([]float64, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		v, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return nil, klBadInput("--%s: %q is not a number", l.name, p)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, klBadInput("--%s: %q is not a finite number", l.name, p)
		}
		out[i] = v
	}
	return out, nil
}

func klPositive(name string, v []float64) error {
	for _, x := range v {
		if !(x > 0) {
			return klBadInput("--%s: standard deviation %v is not positive", name, x)
		}
	}
	return nil
}

func klSameLength(names []string, lists ...[]float64) error {
	for i := 1; i < len(lists); i++ {
		if len(lists[i]) != len(lists[0]) {
			return klBadInput("--%s has %s but --%s has %d", names[0], klCount(len(lists[0])), names[i], len(lists[i]))
		}
	}
	return nil
}

func klCount(n int) string {
	if n == 1 {
		return "1 value"
	}
	return fmt.Sprintf("%d values", n)
}

func klCategoricalFlags(fs *flag.FlagSet) func() (klResult, error) {
	pl := klNewList(fs, "p-logits", "logits of P")
	ql := klNewList(fs, "q-logits", "logits of Q")
	pp := klNewList(fs, "p", "probabilities of P")
	qp := klNewList(fs, "q", "probabilities of Q")
	return func() (klResult, error) {
		p, pn, pIsProb, err := klOneOf(pl, pp)
		if err != nil {
			return klResult{}, err
		}
		q, qn, qIsProb, err := klOneOf(ql, qp)
		if err != nil {
			return klResult{}, err
		}
		if err := klSameLength([]string{pn, qn}, p, q); err != nil {
			return klResult{}, err
		}
		if pIsProb && qIsProb {
			return klResult{
				KL:        jsonFloat(kl.CategoricalProbs(p, q)),
				KLReverse: jsonFloat(kl.CategoricalProbs(q, p)),
				EntropyP:  jsonFloat(kl.CategoricalEntropy(p)),
				EntropyQ:  jsonFloat(kl.CategoricalEntropy(q)),
			}, nil
		}
		// Mixed or logits only: work in log space, where a probability
		// becomes its logarithm (0 → -Inf, an impossible outcome).
		if pIsProb {
			p = klLogs(p)
		}
		if qIsProb {
			q = klLogs(q)
		}
		return klResult{
			KL:        jsonFloat(kl.CategoricalLogits(p, q)),
			KLReverse: jsonFloat(kl.CategoricalLogits(q, p)),
			EntropyP:  jsonFloat(kl.CategoricalEntropyLogits(p)),
			EntropyQ:  jsonFloat(kl.CategoricalEntropyLogits(q)),
		}, nil
	}
}

// oneOf returns the values and name of whichever of the logits and
// probability flags was given, validating probabilities.
func klOneOf(logits, probs *klList) (v []float64, name string, isProb bool, err error) {
	switch {
	case logits.set && probs.set:
		return nil, "", false, klBadInput("give only one of --%s and --%s", logits.name, probs.name)
	case logits.set:
		v, err = logits.values()
		return v, logits.name, false, err
	case probs.set:
		if v, err = probs.values(); err != nil {
			return nil, "", true, err
		}
		var s float64
		for _, x := range v {
			if x < 0 {
				return nil, "", true, klBadInput("--%s: probability %v is negative", probs.name, x)
			}
			s += x
		}
		if s == 0 {
			return nil, "", true, klBadInput("--%s: probabilities sum to 0", probs.name)
		}
		return v, probs.name, true, nil
	}
	return nil, "", false, klBadInput("missing --%s or --%s", logits.name, probs.name)
}

func klLogs(p []float64) []float64 {
	out := make([]float64, len(p))
	for i, v := range p {
		out[i] = math.Log(v)
	}
	return out
}

func klNormalFlags(fs *flag.FlagSet) func() (klResult, error) {
	pf := klNewList(fs, "p", "MEAN,STD of P")
	qf := klNewList(fs, "q", "MEAN,STD of Q")
	gf := klNewList(fs, "grid", "LO,HI,N: also evaluate on numpy.linspace(LO, HI, N)")
	return func() (klResult, error) {
		var ms [2][]float64
		for i, f := range []*klList{pf, qf} {
			v, err := f.values()
			if err != nil {
				return klResult{}, err
			}
			if len(v) != 2 {
				return klResult{}, klBadInput("--%s wants MEAN,STD, got %s", f.name, klCount(len(v)))
			}
			if err := klPositive(f.name, v[1:]); err != nil {
				return klResult{}, err
			}
			ms[i] = v
		}
		p, q := ms[0], ms[1]
		r := klResult{
			KL:        jsonFloat(kl.Normal(p[0], p[1], q[0], q[1])),
			KLReverse: jsonFloat(kl.Normal(q[0], q[1], p[0], p[1])),
			EntropyP:  jsonFloat(kl.NormalEntropy(p[1])),
			EntropyQ:  jsonFloat(kl.NormalEntropy(q[1])),
		}
		if !gf.set {
			return r, nil
		}
		lo, hi, n, err := klParseGrid(gf)
		if err != nil {
			return klResult{}, err
		}
		pd, qd := kl.NormalPDF(p[0], p[1]), kl.NormalPDF(q[0], q[1])
		sum := kl.GridSum(pd, qd, lo, hi, n)
		sumDx := jsonFloat(sum * (hi - lo) / float64(n-1))
		integral := jsonFloat(kl.GridIntegral(pd, qd, lo, hi, n))
		r.Grid = &klGrid{jsonFloat(lo), jsonFloat(hi), n}
		r.GridSum, r.GridSumTimesDx, r.GridIntegral = (*jsonFloat)(&sum), &sumDx, &integral
		return r, nil
	}
}

func klParseGrid(f *klList) (lo, hi float64, n int, err error) {
	parts := strings.Split(f.raw, ",")
	if len(parts) != 3 {
		return 0, 0, 0, klBadInput("--grid wants LO,HI,N, got %q", f.raw)
	}
	n, err = strconv.Atoi(strings.TrimSpace(parts[2]))
	if err != nil {
		return 0, 0, 0, klBadInput("--grid: N = %q is not an integer", strings.TrimSpace(parts[2]))
	}
	bounds := &klList{name: "grid", raw: parts[0] + "," + parts[1], set: true}
	v, err := bounds.values()
	if err != nil {
		return 0, 0, 0, err
	}
	lo, hi = v[0], v[1]
	switch {
	case !(lo < hi):
		return 0, 0, 0, klBadInput("--grid: LO = %v is not below HI = %v", lo, hi)
	case n < 2 || n > klMaxGridPoints:
		return 0, 0, 0, klBadInput("--grid: N = %d outside [2, %d]", n, klMaxGridPoints)
	}
	return lo, hi, n, nil
}

func klGaussianFlags(fs *flag.FlagSet) func() (klResult, error) {
	flags := []*klList{
		klNewList(fs, "p-mean", "means of P, one per dimension"),
		klNewList(fs, "p-std", "standard deviations of P"),
		klNewList(fs, "q-mean", "means of Q"),
		klNewList(fs, "q-std", "standard deviations of Q"),
	}
	return func() (klResult, error) {
		var v [4][]float64
		names := make([]string, 4)
		for i, f := range flags {
			var err error
			if v[i], err = f.values(); err != nil {
				return klResult{}, err
			}
			names[i] = f.name
		}
		if err := klSameLength(names, v[:]...); err != nil {
			return klResult{}, err
		}
		for _, i := range []int{1, 3} {
			if err := klPositive(names[i], v[i]); err != nil {
				return klResult{}, err
			}
		}
		pm, ps, qm, qs := v[0], v[1], v[2], v[3]
		return klResult{
			KL:        jsonFloat(kl.DiagGaussian(pm, ps, qm, qs)),
			KLReverse: jsonFloat(kl.DiagGaussian(qm, qs, pm, ps)),
			EntropyP:  jsonFloat(kl.DiagGaussianEntropy(ps)),
			EntropyQ:  jsonFloat(kl.DiagGaussianEntropy(qs)),
		}, nil
	}
}
