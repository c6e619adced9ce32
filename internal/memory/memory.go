// Package memory estimates a run's memory from its config before anything
// in proportion to it is allocated, and refuses a run over
// resources.max_memory in one line.
package memory

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"ppo/configs"
	"ppo/policy"
)

// A run's memory is estimated from its config before anything in
// proportion to it is allocated, so that a config such as
// policy.hidden=[100000000] is refused at once rather than hanging in the
// allocator. The estimate follows what New and Run allocate (in bytes; d is
// the dtype's size, P the number of network weights, B the batch
// env.num_envs*ppo.rollout_steps, M ppo.minibatch_size):
//
//	weights               P·d
//	Adam moments          2·P·8 (float64)
//	gradients             P·d per loss graph (one per distinct minibatch size)
//	graph buffers         per tower, for M rows: every layer's output, two
//	                      backward buffers of the widest layer, a transposed
//	                      weight matrix, and a flat gradient (P_tower + M·in), ·d
//	forward buffers       the same tower buffers for B rows (the acting
//	                      network, and the reference's), ·d
//	rollout               B·(obs + act_width + 3·act + 7 + max(obs, act))·8 + B
//	environments          env.num_envs · envBytes
//	reference policy      2·file size + P·d, when kl.reference.checkpoint is set
//
// plus twice the largest transient, which is one of
//
//	orthogonal init       of the layer with the largest max(in, out) = r, c = min(in, out):
//	                      gonum's QR gives the full r×r Q twice, 2r² + 4rc + 32r float64s
//	                      (plus, with a reference, its weights, as it is built the same way)
//	writing a checkpoint  3·(P·d + 16·P): the encoded policy and Adam sections and
//	                      the growing container buffer
//
// The transient is counted twice: it leaves about as much garbage as it
// holds live (gonum's workspaces, a buffer's earlier sizes), which the Go
// collector frees only at its next cycle, when the heap has grown to twice
// what was live at the last one (GOGC=100). Measured by TestMemoryEstimate
// (the heap obtained from the OS for New, one update and a checkpoint), the
// estimate is 0.8 to 1.2 times the heap.

// envBytes is an allowance per environment copy: the env value, its
// parameters map and the vector's per-env slots (measured with MakeVec of
// 100000 copies: 480 to 1300 bytes for the built-in environments).
const envBytes = 2 << 10

// gcFactor is the heap the Go runtime may hold per live byte of a
// transient (GOGC=100).
const gcFactor = 2

// Part is one term of a memory estimate.
type Part struct {
	What  string
	Bytes float64
}

// Estimate is a run's estimated peak memory in bytes and its terms.
type Estimate struct {
	Total float64 // the sum of the parts
	Parts []Part  // largest first
}

// towerDims is a stack of dense layers as the graph builds it.
type towerDims struct {
	in   int
	outs []int
}

func (s towerDims) params() float64 {
	n, in := 0.0, float64(s.in)
	for _, o := range s.outs {
		n += (in + 1) * float64(o)
		in = float64(o)
	}
	return n
}

// bufFloats is the scratch a tower reserves for n rows (policy's towerBuf
// and the graph op's output): n·Σouts + 2n·maxW + max in·out + (max(in, maxW)+n)·8
// + n + params + n·in + n·out.
func (s towerDims) bufFloats(n float64) float64 {
	sum, maxW, maxWt, in := 0.0, float64(s.in), 0.0, float64(s.in)
	for _, o := range s.outs {
		fo := float64(o)
		sum += fo
		maxW = math.Max(maxW, fo)
		maxWt = math.Max(maxWt, in*fo)
		in = fo
	}
	out := float64(s.outs[len(s.outs)-1])
	return n*sum + 2*n*maxW + maxWt + (maxW+n)*8 + n + s.params() + n*float64(s.in) + n*out
}

// Of estimates the peak memory of a run of cfg whose network is
// spec; refFile is the size of the reference checkpoint (0 without one).
func Of(cfg *configs.Config, spec policy.Spec, refFile float64) Estimate {
	d := 4.0
	if spec.Float64 {
		d = 8
	}
	obs, act := float64(spec.ObsDim), float64(spec.ActDim)
	actW := float64(spec.ActW())
	last := spec.Hidden[len(spec.Hidden)-1]
	var towers []towerDims
	if spec.Shared {
		towers = []towerDims{{spec.ObsDim, spec.Hidden}, {last, []int{spec.ActDim}}, {last, []int{1}}}
	} else {
		towers = []towerDims{
			{spec.ObsDim, append(append([]int{}, spec.Hidden...), spec.ActDim)},
			{spec.ObsDim, append(append([]int{}, spec.Hidden...), 1)},
		}
	}
	p := 0.0
	for _, t := range towers {
		p += t.params()
	}
	if !spec.Discrete {
		p += act
	}
	bufs := func(n float64) float64 {
		f := 0.0
		for _, t := range towers {
			f += t.bufFloats(n)
		}
		return f * d
	}

	batch := float64(cfg.Env.NumEnvs) * float64(cfg.PPO.RolloutSteps)
	mb := float64(cfg.PPO.MinibatchSize)
	sizes := []float64{mb}
	if r := math.Mod(batch, mb); r != 0 {
		sizes = append(sizes, r)
	}
	hasRef := cfg.KL.Reference.Checkpoint != ""
	graphs := 0.0
	for _, n := range sizes {
		// Inputs (obs, actions, old head and log-std, four vectors, the
		// reference's head and log-std) and an allowance for gorgonia's
		// per-row intermediates of the loss.
		rows := obs + 3*act + 4 + 32*(act+1)
		if hasRef {
			rows += 2 * act
		}
		graphs += bufs(n) + n*rows*d
	}
	forwarders := bufs(batch) + batch*obs*d
	if hasRef {
		forwarders *= 2
	}
	weights := p * d
	parts := []Part{
		{"weights", weights},
		{"Adam moments", 2 * p * 8},
		{"gradients", p * d * float64(len(sizes))},
		{fmt.Sprintf("graph buffers for %s rows", strconv.FormatFloat(mb, 'f', -1, 64)), graphs},
		{fmt.Sprintf("forward buffers for the batch of %s rows", strconv.FormatFloat(batch, 'f', -1, 64)), forwarders},
		// The rollout's float64 rows and the shuffled index (8 bytes a
		// row), its episode-end flags (1 byte), and per-env slots.
		{"rollout buffer", batch*(obs+actW+3*act+6+math.Max(obs, act)+1)*8 + batch + float64(cfg.Env.NumEnvs)*(obs+1)*8},
		{"environments", float64(cfg.Env.NumEnvs) * envBytes},
	}
	if hasRef {
		parts = append(parts, Part{"reference policy", 2*refFile + weights})
	}

	// The largest transient: orthogonal initialisation of the widest layer
	// or writing a checkpoint.
	ortho, orthoWhat := 0.0, ""
	in := spec.ObsDim
	layer := func(name string, in, out int) {
		r, c := float64(max(in, out)), float64(min(in, out))
		if b := (2*r*r + 4*r*c + 32*r + c) * 8; b > ortho {
			ortho, orthoWhat = b, fmt.Sprintf("orthogonal init of %s, %d×%d", name, in, out)
		}
	}
	for i, h := range spec.Hidden {
		layer(fmt.Sprintf("policy.hidden[%d]", i), in, h)
		in = h
	}
	layer("the policy head", last, spec.ActDim)
	if hasRef {
		// The reference is assumed to be a network of the same shape: an
		// earlier run of the same config, as is usual.
		ortho += weights
	}
	ckpt := 3 * (weights + 16*p)
	if ckpt > ortho {
		parts = append(parts, Part{"writing a checkpoint", gcFactor * ckpt})
	} else {
		parts = append(parts, Part{orthoWhat, gcFactor * ortho})
	}

	e := Estimate{Parts: parts}
	for _, pt := range parts {
		e.Total += pt.Bytes
	}
	sort.SliceStable(e.Parts, func(i, j int) bool { return e.Parts[i].Bytes > e.Parts[j].Bytes })
	return e
}

// Limit is resources.max_memory in bytes, with auto resolved to
// autoMemoryFraction of the machine's RAM, and a description of where the
// limit comes from for messages.
func Limit(r configs.ResourcesConfig) (float64, string, error) {
	b, ok, err := r.MaxMemoryBytes()
	if err != nil {
		return 0, "", err
	}
	if ok {
		return b, "resources.max_memory: " + r.MaxMemory, nil
	}
	if ram, ok := PhysicalMemory(); ok {
		return autoMemoryFraction * ram, fmt.Sprintf("resources.max_memory: auto, %.0f%% of this machine's %s of RAM",
			100*autoMemoryFraction, FormatBytes(ram)), nil
	}
	return fallbackMemoryLimit, "resources.max_memory: auto, and this machine's RAM is unknown", nil
}

const (
	// autoMemoryFraction of RAM is the auto limit: room for the OS, other
	// processes and the Go heap's growth between collections.
	autoMemoryFraction = 0.8
	// fallbackMemoryLimit is the auto limit where /proc/meminfo is missing.
	fallbackMemoryLimit = 8 << 30
)

// PhysicalMemory reads MemTotal from /proc/meminfo.
func PhysicalMemory() (float64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[0] == "MemTotal:" && fields[2] == "kB" {
			kb, err := strconv.ParseFloat(fields[1], 64)
			if err != nil || !(kb > 0) {
				return 0, false
			}
			return kb * 1024, true
		}
	}
	return 0, false
}

// Check refuses a config whose estimated memory exceeds the limit,
// in one line naming the estimate, its largest terms and how to raise it.
func Check(cfg *configs.Config, spec policy.Spec) error {
	limit, from, err := Limit(cfg.Resources)
	if err != nil {
		return err
	}
	refFile := 0.0
	if ref := cfg.KL.Reference.Checkpoint; ref != "" {
		if st, err := os.Stat(ref); err == nil {
			refFile = float64(st.Size())
		} // a missing file is reported when the reference is loaded
	}
	e := Of(cfg, spec, refFile)
	if e.Total <= limit {
		return nil
	}
	var top []string
	for _, p := range e.Parts[:3] {
		top = append(top, p.What+": "+FormatBytes(p.Bytes))
	}
	return &configs.Error{Problem: fmt.Sprintf(
		"the run needs about %s of memory (%s), over the limit of %s (%s); raise it with --set resources.max_memory=%s",
		FormatBytes(e.Total), strings.Join(top, ", "), FormatBytes(limit), from, SizeAbove(e.Total))}
}

// byteUnits are the SI units of FormatBytes, in ascending order.
var byteUnits = []struct {
	name string
	size float64
}{{"B", 1}, {"kB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"PB", 1e15}}

// FormatBytes writes b with three significant digits in the largest SI
// unit not above it, such as "19.7 GB" or "160 PB".
func FormatBytes(b float64) string {
	u := byteUnits[0]
	for _, v := range byteUnits {
		if b >= v.size {
			u = v
		}
	}
	x := b / u.size
	prec := 0
	switch {
	case x < 10:
		prec = 2
	case x < 100:
		prec = 1
	}
	return strconv.FormatFloat(x, 'f', prec, 64) + " " + u.name
}

// SizeAbove is a round resources.max_memory value of at least b, such as
// "2TB" for 1.6 TB.
func SizeAbove(b float64) string {
	u := byteUnits[0]
	for _, v := range byteUnits {
		if b >= v.size {
			u = v
		}
	}
	return strconv.FormatFloat(math.Ceil(b/u.size), 'f', 0, 64) + u.name
}
