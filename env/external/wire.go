package external

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"ppo/env"
)

// Version is the protocol version this package speaks; a child announcing another is refused.
const Version = 1

// magic opens every hello, so a child that prints anything else first is caught at once.
const magic = "ppoenv"

// Message types, the first byte of every message. Requests go to the child, replies come back.
const (
	msgHello   = 'H' // child, unasked: magic, version, id, doc, time limit, threshold, params, flags
	msgInit    = 'I' // request: copies, seeds, time limit, parameter values
	msgSpaces  = 'S' // reply to I: observation space, action space, whether there are action masks
	msgReset   = 'R' // request: reset every copy
	msgObs     = 'O' // reply to R: observations, masks
	msgStep    = 'T' // request: actions, end flags
	msgStepped = 'P' // reply to T: rewards, flags, observations, final observations, masks
	msgSave    = 'V' // request: the state of every copy
	msgState   = 'B' // reply to V: an opaque blob
	msgLoad    = 'L' // request: a blob from B
	msgLoaded  = 'K' // reply to L: masks
	msgQuit    = 'Q' // request, no reply: exit
	msgError   = 'E' // reply to anything: a message; the child then exits
)

// Space kinds on the wire.
const (
	kindBox           = 1
	kindDiscrete      = 2
	kindMultiDiscrete = 3
	kindTuple         = 4
)

// Step flags, one byte per copy in a P reply.
const (
	flagTerminated = 1
	flagTruncated  = 2
)

// Hello is what a child declares about the environment it serves before anything is asked.
type Hello struct {
	Version int
	// ID names the environment in messages and listings, such as CartPole-v1.
	ID, Doc string
	// MaxEpisodeSteps is the time limit; 0 means none.
	MaxEpisodeSteps    int
	RewardThreshold    float64
	HasRewardThreshold bool
	Params             []env.Param
	TextParams         []env.TextParam
	// CanSave says the child answers V and L, so runs resume exactly.
	CanSave bool
}

// limits on what a child may declare, so a malformed message cannot ask for huge allocations.
const (
	maxDim       = 1 << 20
	maxSpaceNest = 8
	maxList      = 1 << 16
)

// encoder appends little-endian values to a message; b[0:4] is reserved for the length.
type encoder struct{ b []byte }

func (e *encoder) reset(kind byte) { e.b = append(e.b[:0], 0, 0, 0, 0, kind) }
func (e *encoder) u8(v byte)       { e.b = append(e.b, v) }
func (e *encoder) u32(v int)       { e.b = binary.LittleEndian.AppendUint32(e.b, uint32(v)) }
func (e *encoder) u64(v uint64)    { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *encoder) f64(v float64)   { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *encoder) str(s string)    { e.u32(len(s)); e.b = append(e.b, s...) }
func (e *encoder) bytes(p []byte)  { e.u32(len(p)); e.b = append(e.b, p...) }
func (e *encoder) f64s(x []float64) {
	for _, v := range x {
		e.f64(v)
	}
}

// frame writes the length of the message into its first four bytes and returns it.
func (e *encoder) frame() []byte {
	binary.LittleEndian.PutUint32(e.b, uint32(len(e.b)-4))
	return e.b
}

func (e *encoder) space(s env.Space) {
	switch s := s.(type) {
	case env.Box:
		e.u8(kindBox)
		e.u32(len(s.Low))
		e.f64s(s.Low)
		e.f64s(s.High)
	case env.Discrete:
		e.u8(kindDiscrete)
		e.u32(s.N)
	case env.MultiDiscrete:
		e.u8(kindMultiDiscrete)
		e.u32(len(s.Nvec))
		for _, n := range s.Nvec {
			e.u32(n)
		}
	case env.Tuple:
		e.u8(kindTuple)
		e.u32(len(s.Spaces))
		for _, c := range s.Spaces {
			e.space(c)
		}
	}
}

// errMalformed marks a message that does not follow the protocol.
var errMalformed = errors.New("malformed message")

// decoder reads little-endian values from a message body; after the first error every read
// returns zero and err says what was wrong.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{errMalformed}, args...)...)
	}
}

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.fail("%s needs %d bytes, %d left", what, n, len(d.b))
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u8(what string) byte {
	if p := d.take(1, what); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) u16(what string) int {
	if p := d.take(2, what); p != nil {
		return int(binary.LittleEndian.Uint16(p))
	}
	return 0
}

func (d *decoder) u32(what string) int {
	if p := d.take(4, what); p != nil {
		return int(binary.LittleEndian.Uint32(p))
	}
	return 0
}

func (d *decoder) f64(what string) float64 {
	if p := d.take(8, what); p != nil {
		return math.Float64frombits(binary.LittleEndian.Uint64(p))
	}
	return 0
}

// f64s reads len(dst) float64 values into dst.
func (d *decoder) f64s(dst []float64, what string) {
	p := d.take(8*len(dst), what)
	if p == nil {
		return
	}
	for i := range dst {
		dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(p[8*i:]))
	}
}

func (d *decoder) str(what string) string {
	n := d.u32(what + " length")
	return string(d.take(n, what))
}

// count reads a list length, refusing absurd ones before anything is allocated.
func (d *decoder) count(what string, limit int) int {
	n := d.u32(what)
	if n > limit {
		d.fail("%s is %d, more than %d", what, n, limit)
		return 0
	}
	return n
}

// end fails unless the whole message was read.
func (d *decoder) end(what string) {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d bytes left over after the %s", len(d.b), what)
	}
}

func (d *decoder) space(what string, depth int) env.Space {
	if depth > maxSpaceNest {
		d.fail("%s nests tuples more than %d deep", what, maxSpaceNest)
		return nil
	}
	switch k := d.u8(what); k {
	case kindBox:
		n := d.count(what+" dimension", maxDim)
		b := env.Box{Low: make([]float64, n), High: make([]float64, n)}
		d.f64s(b.Low, what+" low")
		d.f64s(b.High, what+" high")
		if d.err == nil && n == 0 {
			d.fail("%s is a Box of dimension 0", what)
		}
		for i := range n {
			if !(b.Low[i] <= b.High[i]) {
				d.fail("%s: Box bound %d: low %v is not <= high %v", what, i, b.Low[i], b.High[i])
			}
		}
		return b
	case kindDiscrete:
		n := d.u32(what + " size")
		if d.err == nil && (n < 1 || n > maxDim) {
			d.fail("%s is Discrete(%d)", what, n)
		}
		return env.Discrete{N: n}
	case kindMultiDiscrete:
		n := d.count(what+" components", maxDim)
		m := env.MultiDiscrete{Nvec: make([]int, n)}
		for i := range m.Nvec {
			m.Nvec[i] = d.u32(what + " component size")
			if d.err == nil && (m.Nvec[i] < 1 || m.Nvec[i] > maxDim) {
				d.fail("%s component %d has size %d", what, i, m.Nvec[i])
			}
		}
		if d.err == nil && n == 0 {
			d.fail("%s is a MultiDiscrete of no components", what)
		}
		return m
	case kindTuple:
		n := d.count(what+" components", maxList)
		t := env.Tuple{Spaces: make([]env.Space, 0, n)}
		for range n {
			t.Spaces = append(t.Spaces, d.space(what+" component", depth+1))
		}
		if d.err == nil && n == 0 {
			d.fail("%s is a Tuple of no components", what)
		}
		return t
	default:
		d.fail("%s has unknown kind %d", what, k)
		return nil
	}
}

// hello decodes the body of an H message (after its type byte).
func (d *decoder) hello() Hello {
	if m := string(d.take(len(magic), "magic")); d.err == nil && m != magic {
		d.fail("hello starts with %q, want %q", m, magic)
	}
	h := Hello{Version: d.u16("version")}
	if d.err == nil && h.Version != Version {
		d.err = fmt.Errorf("speaks protocol version %d; this ppo speaks version %d", h.Version, Version)
		return h
	}
	h.ID = d.str("id")
	h.Doc = d.str("doc")
	h.MaxEpisodeSteps = d.u32("max_episode_steps")
	h.HasRewardThreshold = d.u8("has reward threshold") != 0
	h.RewardThreshold = d.f64("reward threshold")
	for range d.count("number of params", maxList) {
		h.Params = append(h.Params, env.Param{Name: d.str("param name"), Default: d.f64("param default"), Doc: d.str("param doc")})
	}
	for range d.count("number of text params", maxList) {
		h.TextParams = append(h.TextParams, env.TextParam{Name: d.str("text param name"), Default: d.str("text param default"), Doc: d.str("text param doc")})
	}
	h.CanSave = d.u8("flags")&1 != 0
	d.end("hello")
	return h
}
