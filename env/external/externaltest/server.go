// Package externaltest serves a small environment over the env/external protocol from Go, with
// faults on request, so tests of the protocol run without Python.
package externaltest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Walk is the environment served: a walker on the integers -5..5 that starts at seed mod 3 - 1 and
// moves by action-1 (actions 0, 1, 2); the reward is scale*(-|position|/5); the episode
// terminates at ±5 and the time limit is 20 steps. The observation is (position, steps taken).
type Walk struct {
	Scale    float64
	Pos, T   int
	Episodes int // episodes started, so a reset after the first differs from the start
	seed     uint64
}

// NewWalk returns the walker seeded with seed.
func NewWalk(seed uint64, scale float64) *Walk { return &Walk{Scale: scale, seed: seed} }

// Reset starts an episode.
func (w *Walk) Reset() []float64 {
	w.Pos, w.T = int((w.seed+uint64(w.Episodes))%3)-1, 0
	w.Episodes++
	return w.Obs()
}

// Obs is the observation of the current state.
func (w *Walk) Obs() []float64 { return []float64{float64(w.Pos), float64(w.T)} }

// Step moves by a-1 and returns the observation, reward and whether the episode terminated.
func (w *Walk) Step(a int) ([]float64, float64, bool) {
	w.Pos += a - 1
	w.T++
	return w.Obs(), -w.Scale * math.Abs(float64(w.Pos)) / 5, w.Pos <= -5 || w.Pos >= 5
}

// Mask allows moving left only from above -4 and right only below 4.
func (w *Walk) Mask() []byte { return []byte{b(w.Pos > -4), 1, b(w.Pos < 4)} }

func b(x bool) byte {
	if x {
		return 1
	}
	return 0
}

// Env is the variable that selects the server's mode in a child process: Serve runs when it is set.
const Env = "PPO_EXTERNALTEST_MODE"

// Modes (the value of Env): "walk" serves Walk with save and load; "nosave" without them;
// "masked" adds action masks; "multi" observes Tuple(Discrete(11), Discrete(21)) and acts in
// MultiDiscrete([3 2]) (the second component is ignored); "box" acts in Box([-1], [1]) (moving by
// the sign). Faults after FAULT_AFTER steps (default 3) with "crash", "hang", "close",
// "malformed", "oversized", "error"; at the start with "badversion" and "garbage".
//
// Serve serves the mode on stdin and stdout and returns the exit status.
func Serve(mode string) int {
	fmt.Fprintf(os.Stderr, "pid %d mode %s\n", os.Getpid(), mode)
	faultAfter := 3
	if s := os.Getenv("FAULT_AFTER"); s != "" {
		faultAfter, _ = strconv.Atoi(s)
	}
	s := &server{r: bufio.NewReader(os.Stdin), w: os.Stdout, mode: mode}
	if mode == "garbage" {
		fmt.Fprintln(os.Stdout, "Loading environment...")
	}
	s.hello()
	steps := 0
	for {
		body, err := s.recv()
		if err != nil {
			return 0
		}
		switch body[0] {
		case 'Q':
			return 0
		case 'I':
			s.init(body[1:])
		case 'R':
			out := []byte{'O'}
			for _, w := range s.walks {
				out = s.obs(out, w.Reset())
			}
			s.send(s.masks(out))
		case 'T':
			steps++
			if steps > faultAfter {
				if code, done := s.fault(); done {
					return code
				}
			}
			s.step(body[1:])
		case 'V':
			out := []byte{'B'}
			for _, w := range s.walks {
				out = binary.LittleEndian.AppendUint64(out, uint64(int64(w.Pos)))
				out = binary.LittleEndian.AppendUint64(out, uint64(w.T))
				out = binary.LittleEndian.AppendUint64(out, uint64(w.Episodes))
				out = binary.LittleEndian.AppendUint64(out, w.seed)
			}
			s.send(out)
		case 'L':
			p := body[1:]
			for _, w := range s.walks {
				w.Pos, w.T, w.Episodes = int(int64(binary.LittleEndian.Uint64(p))), int(binary.LittleEndian.Uint64(p[8:])), int(binary.LittleEndian.Uint64(p[16:]))
				w.seed = binary.LittleEndian.Uint64(p[24:])
				p = p[32:]
			}
			s.send(s.masks([]byte{'K'}))
		default:
			s.send(append([]byte{'E'}, str("unknown message "+string(body[:1]))...))
			return 1
		}
	}
}

type server struct {
	r     *bufio.Reader
	w     io.Writer
	mode  string
	walks []*Walk
	actN  int
}

// fault misbehaves as the mode says; done reports that Serve should return code.
func (s *server) fault() (code int, done bool) {
	switch s.mode {
	case "crash":
		fmt.Fprintln(os.Stderr, "Traceback: something broke\nValueError: boom")
		return 3, true
	case "hang":
		fmt.Fprintln(os.Stderr, "stuck in a loop")
		time.Sleep(time.Hour)
	case "close":
		fmt.Fprintln(os.Stderr, "closing stdout")
		os.Stdout.Close()
		return 0, true
	case "malformed":
		s.send([]byte{'P', 1, 2, 3})
		time.Sleep(time.Hour) // ppo must kill it
	case "oversized":
		s.w.Write([]byte{0xff, 0xff, 0xff, 0x7f, 'P'})
		time.Sleep(time.Hour)
	case "error":
		s.send(append([]byte{'E'}, str("ValueError: action out of range")...))
		return 1, true
	}
	return 0, false
}

func (s *server) recv() ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(s.r, h[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.LittleEndian.Uint32(h[:]))
	_, err := io.ReadFull(s.r, body)
	return body, err
}

func (s *server) send(body []byte) {
	s.w.Write(append(binary.LittleEndian.AppendUint32(nil, uint32(len(body))), body...))
}

func str(x string) []byte { return append(binary.LittleEndian.AppendUint32(nil, uint32(len(x))), x...) }

func f64(out []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
}

func (s *server) hello() {
	out := []byte{'H'}
	out = append(out, "ppoenv"...)
	version := uint16(1)
	if s.mode == "badversion" {
		version = 2
	}
	out = binary.LittleEndian.AppendUint16(out, version)
	out = append(out, str("Walk-v0")...)
	out = append(out, str("a walker on -5..5 ("+s.mode+")")...)
	out = binary.LittleEndian.AppendUint32(out, 20)
	out = f64(append(out, 1), -1)
	out = binary.LittleEndian.AppendUint32(out, 1)
	out = f64(append(out, str("scale")...), 1)
	out = append(out, str("reward scale")...)
	out = binary.LittleEndian.AppendUint32(out, 1)
	out = append(append(append(out, str("name")...), str("walk")...), str("a text parameter, unused")...)
	out = append(out, b(s.mode != "nosave"))
	s.send(out)
}

func (s *server) init(p []byte) {
	n := int(binary.LittleEndian.Uint32(p))
	p = p[4:]
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = binary.LittleEndian.Uint64(p)
		p = p[8:]
	}
	p = p[4:] // time limit: ppo enforces it
	scale := 1.0
	count := binary.LittleEndian.Uint32(p)
	p = p[4:]
	for range count {
		l := int(binary.LittleEndian.Uint32(p))
		name := string(p[4 : 4+l])
		p = p[4+l:]
		if name == "scale" {
			scale = math.Float64frombits(binary.LittleEndian.Uint64(p))
		}
		p = p[8:]
	}
	s.walks = s.walks[:0]
	for _, seed := range seeds {
		s.walks = append(s.walks, NewWalk(seed, scale))
	}
	out := []byte{'S'}
	switch s.mode {
	case "multi":
		out = append(out, 4, 2, 0, 0, 0, 2, 11, 0, 0, 0, 2, 21, 0, 0, 0) // Tuple(Discrete(11), Discrete(21))
		out = append(out, 3, 2, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0)         // MultiDiscrete([3 2])
		s.actN = 2
	default:
		out = append(out, 1, 2, 0, 0, 0)
		out = f64(f64(f64(f64(out, -5), 0), 5), 20) // Box([-5 0], [5 20])
		if s.mode == "box" {
			out = f64(f64(append(out, 1, 1, 0, 0, 0), -1), 1)
		} else {
			out = append(out, 2, 3, 0, 0, 0) // Discrete(3)
		}
		s.actN = 1
	}
	s.send(append(out, b(s.mode == "masked")))
}

func (s *server) obs(out []byte, o []float64) []byte {
	if s.mode == "multi" {
		o = []float64{o[0] + 5, o[1]}
	}
	for _, v := range o {
		out = f64(out, v)
	}
	return out
}

func (s *server) masks(out []byte) []byte {
	if s.mode != "masked" {
		return out
	}
	for _, w := range s.walks {
		out = append(out, w.Mask()...)
	}
	return out
}

func (s *server) step(p []byte) {
	n := len(s.walks)
	ends := p[8*n*s.actN:]
	var rewards, flags, obs, finals []byte
	for i, w := range s.walks {
		a := math.Float64frombits(binary.LittleEndian.Uint64(p[8*i*s.actN:]))
		if s.mode == "box" {
			a = 1 + math.Copysign(1, a)*b2f(a != 0)
		}
		o, r, term := w.Step(int(a))
		trunc := false
		rewards = f64(rewards, r)
		if term || ends[i] != 0 {
			finals = s.obs(finals, o)
			o = w.Reset()
		}
		flags = append(flags, b(term)|b(trunc)<<1)
		obs = s.obs(obs, o)
	}
	out := append([]byte{'P'}, rewards...)
	out = append(append(append(out, flags...), obs...), finals...)
	s.send(s.masks(out))
}

func b2f(x bool) float64 {
	if x {
		return 1
	}
	return 0
}

// serveArg marks the test binary's command line as the server's.
const serveArg = "externaltest-serve"

// PidsEnv names a file to which the server appends its pid, if set.
const PidsEnv = "PPO_EXTERNALTEST_PIDS"

// Command is the argv that runs the calling test binary as the server in the mode of Env, when
// its TestMain calls MaybeServe first.
func Command() []string { return []string{os.Args[0], serveArg} }

// MaybeServe serves and exits when the process was started by Command: call it first in TestMain.
func MaybeServe() {
	if len(os.Args) == 2 && os.Args[1] == serveArg {
		if path := os.Getenv(PidsEnv); path != "" {
			if f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				fmt.Fprintln(f, os.Getpid())
				f.Close()
			}
		}
		os.Exit(Serve(strings.TrimSpace(os.Getenv(Env))))
	}
}
