package external_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"ppo/env"
	"ppo/env/envtest"
	"ppo/env/external"
	"ppo/env/external/externaltest"
)

func TestMain(m *testing.M) {
	externaltest.MaybeServe()
	os.Exit(m.Run())
}

// serve makes the test binary's children serve mode.
func serve(t *testing.T, mode string) external.Command {
	t.Setenv(externaltest.Env, mode)
	return external.Command{Argv: externaltest.Command(), Timeout: 20 * time.Second}
}

// TestVecMatchesWalk steps 7 copies over 3 processes with random actions and compares every
// reward, flag and observation with the walkers stepped in this process: auto-reset, final
// observations, the time limit and the parameter all cross the pipe intact.
func TestVecMatchesWalk(t *testing.T) {
	c := serve(t, "walk")
	c.Processes = 3
	const n, seed, scale = 7, 11, 2.5
	v, err := external.MakeVec(c, n, seed, env.WithParams(map[string]float64{"scale": scale}), env.WithMaxEpisodeSteps(9))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	walks := make([]*externaltest.Walk, n)
	want := make([]float64, 0, 2*n)
	for i := range walks {
		walks[i] = externaltest.NewWalk(env.VecSeed(seed, i), scale)
		want = append(want, walks[i].Reset()...)
	}
	obs, err := v.Reset()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(obs, want) {
		t.Fatalf("reset: got %v, want %v", obs, want)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	acts := make([]float64, n)
	length := make([]int, n)
	episodes := 0
	for step := range 300 {
		for i := range acts {
			acts[i] = float64(rng.IntN(3))
		}
		st, err := v.Step(acts)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range walks {
			o, r, term := w.Step(int(acts[i]))
			length[i]++
			trunc := length[i] >= 9
			if st.Reward[i] != r || st.Terminated[i] != term || st.Truncated[i] != trunc || !slices.Equal(st.FinalObs[2*i:2*i+2], o) {
				t.Fatalf("step %d copy %d: got %v %v %v %v, want %v %v %v %v", step, i,
					st.Reward[i], st.Terminated[i], st.Truncated[i], st.FinalObs[2*i:2*i+2], r, term, trunc, o)
			}
			if term || trunc {
				o, length[i] = w.Reset(), 0
				episodes++
			}
			if !slices.Equal(st.Obs[2*i:2*i+2], o) {
				t.Fatalf("step %d copy %d: obs %v, want %v", step, i, st.Obs[2*i:2*i+2], o)
			}
		}
	}
	if episodes < 100 {
		t.Errorf("only %d episodes ended: the test does not exercise auto-reset", episodes)
	}
}

// TestSpaces checks that every kind of space and the action masks arrive as the server declares
// them, and that Make's env passes the env contract (envtest) in each mode.
func TestSpaces(t *testing.T) {
	for _, tc := range []struct{ mode, obs, act string }{
		{"walk", "Box(low=[-5 0], high=[5 20])", "Discrete(3)"},
		{"box", "Box(low=[-5 0], high=[5 20])", "Box(low=[-1], high=[1])"},
		{"multi", "Tuple(Discrete(11), Discrete(21))", "MultiDiscrete([3 2])"},
		{"masked", "Box(low=[-5 0], high=[5 20])", "Discrete(3)"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			s, err := external.Spec(serve(t, tc.mode))
			if err != nil {
				t.Fatal(err)
			}
			if s.MaxEpisodeSteps != 20 || !s.HasRewardThreshold || s.RewardThreshold != -1 || len(s.Params) != 1 || len(s.TextParams) != 1 {
				t.Errorf("spec %+v, want the hello's time limit 20, threshold -1, one param and one text param", s)
			}
			e, err := s.Make(env.WithSeed(5))
			if err != nil {
				t.Fatal(err)
			}
			defer e.(interface{ Close() error }).Close()
			if got := e.ObservationSpace().String(); got != tc.obs {
				t.Errorf("observation space %s, want %s", got, tc.obs)
			}
			if got := e.ActionSpace().String(); got != tc.act {
				t.Errorf("action space %s, want %s", got, tc.act)
			}
			m, ok := env.MaskerOf(e)
			if ok != (tc.mode == "masked") {
				t.Fatalf("MaskerOf: %v", ok)
			}
			if ok {
				// The walker starts at seed mod 3 - 1 = 1; stepping left 5 times reaches -4.
				if _, err := e.Reset(); err != nil {
					t.Fatal(err)
				}
				for range 5 {
					if _, err := e.Step([]float64{0}); err != nil {
						t.Fatal(err)
					}
				}
				mask := make([]bool, 3)
				m.ActionMask(mask)
				if !slices.Equal(mask, []bool{false, true, true}) {
					t.Errorf("mask at -4: %v, want [false true true]", mask)
				}
			}
			envtest.CheckSpec(t, s)
		})
	}
}

// TestResume saves a Vec mid-episode, steps on, and restores the state into a new Vec (new
// children): the continuation is identical. A server without save and load restarts episodes.
func TestResume(t *testing.T) {
	c := serve(t, "walk")
	c.Processes = 2
	run := func(v *env.Vec, steps int) []float64 {
		var out []float64
		acts := make([]float64, v.Num())
		for k := range steps {
			for i := range acts {
				acts[i] = float64((k*7 + i*3) % 3)
			}
			st, err := v.Step(acts)
			if err != nil {
				t.Fatal(err)
			}
			out = append(append(out, st.Obs...), st.Reward...)
		}
		return out
	}
	a, err := external.MakeVec(c, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Reset(); err != nil {
		t.Fatal(err)
	}
	run(a, 13)
	saved, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := run(a, 40)
	b, err := external.MakeVec(c, 4, 99) // another seed: everything must come from the state
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.UnmarshalBinary(saved); err != nil {
		t.Fatal(err)
	}
	if b.Restarted() {
		t.Fatal("Restarted after an exact restore")
	}
	if got := run(b, 40); !slices.Equal(got, want) {
		t.Fatal("restored vector diverges from the original")
	}

	c = serve(t, "nosave")
	d, err := external.MakeVec(c, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Reset(); err != nil {
		t.Fatal(err)
	}
	run(d, 5)
	saved, err = d.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.UnmarshalBinary(saved); err != nil {
		t.Fatal(err)
	}
	if !d.Restarted() {
		t.Fatal("a server without save and load did not restart its episodes")
	}
	if obs := d.Obs(); obs[1] != 0 || obs[3] != 0 {
		t.Errorf("observations after a fresh restart %v: want step counters 0", obs)
	}
}

// pidOf reads the pid the test server writes first to its stderr, from the error's stderr tail.
var pidPattern = regexp.MustCompile(`pid (\d+) mode`)

// TestFaults makes the server misbehave in each way and checks the one-line error, and that the
// child is gone (reaped: its pid no longer exists) and no goroutine is left behind.
func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		mode, what, status, stderr string
		timeout                    time.Duration
	}{
		{"crash", "closed its output before sending the step reply", "exit status 3", "ValueError: boom", 0},
		{"hang", "did not send the step reply within 300ms", "killed by ppo", "stuck in a loop", 300 * time.Millisecond},
		{"close", "closed its output before sending the step reply", "exit status 0", "closing stdout", 0},
		{"malformed", "sent a bad step reply: malformed message", "killed by ppo", "mode malformed", 0},
		{"oversized", "sent a 2147483647-byte message as the step reply, more than the limit of", "killed by ppo", "mode oversized", 0},
		{"error", "reported an error instead of the step reply: ValueError: action out of range", "exit status 1", "mode error", 0},
		{"badversion", "speaks protocol version 2; this ppo speaks version 1", "exit status 0", "mode badversion", 0},
		{"garbage", "more than the limit of", "exit status 0", "mode garbage", 0},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			goroutines := runtime.NumGoroutine()
			c := serve(t, tc.mode)
			if tc.timeout > 0 {
				c.Timeout = tc.timeout
			}
			c.MaxMessage = 1 << 20 // "Load" read as a length is 1,684,107,084 bytes
			v, err := external.MakeVec(c, 2, 1)
			if err == nil {
				defer v.Close()
				if _, err = v.Reset(); err == nil {
					for range 5 {
						if _, err = v.Step([]float64{1, 1}); err != nil {
							break
						}
					}
				}
			}
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, part := range []string{"external env ", tc.what, tc.status, "stderr: ", tc.stderr} {
				if !strings.Contains(msg, part) {
					t.Errorf("error %q does not contain %q", msg, part)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
			m := pidPattern.FindStringSubmatch(msg)
			if m == nil {
				t.Fatalf("no pid in %q", msg)
			}
			pid, _ := strconv.Atoi(m[1])
			if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("child %d still exists after the fault (kill 0: %v)", pid, err)
			}
			if v != nil {
				if _, err := v.Step([]float64{1, 1}); err == nil {
					t.Error("a vector whose child failed stepped again")
				}
				v.Close()
			}
			if n := goroutinesDown(goroutines); n > goroutines {
				t.Errorf("%d goroutines after the fault, %d before", n, goroutines)
			}
			if left := children(t); len(left) != 0 {
				t.Errorf("children %v left after the fault", left)
			}
		})
	}
}

// TestCloseReaps checks that Close stops every child of a Vec and of a single env.
func TestCloseReaps(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	c := serve(t, "walk")
	c.Processes = 3
	v, err := external.MakeVec(c, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Reset(); err != nil {
		t.Fatal(err)
	}
	pids := children(t)
	if len(pids) != 3 {
		t.Fatalf("%d children running, want 3", len(pids))
	}
	v.Close()
	if left := children(t); len(left) != 0 {
		t.Errorf("children %v left after Close", left)
	}
	if _, err := v.Step([]float64{1, 1, 1}); err == nil {
		t.Error("a closed vector stepped")
	}
	if n := goroutinesDown(goroutines); n > goroutines {
		t.Errorf("%d goroutines after Close, %d before", n, goroutines)
	}
}

// goroutinesDown waits (up to 10 s) for the number of goroutines to fall
// to want, and returns it. A goroutine that has been told to stop, or whose
// pipe has closed, may take a moment to return after the call that ended
// it; the count is then waited for, never the trigger. A leaked goroutine
// never returns, so the wait ends with the count still high.
func goroutinesDown(want int) int {
	deadline := time.Now().Add(10 * time.Second)
	n := runtime.NumGoroutine()
	for n > want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// children lists the pids of this process's children, zombies included (they are not reaped).
func children(t *testing.T) []int {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		t.Skipf("cannot list processes: %v", err)
	}
	var pids []int
	for _, s := range stats {
		b, err := os.ReadFile(s)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after its closing parenthesis.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(os.Getpid()) {
			pid, _ := strconv.Atoi(strings.Fields(string(b))[0])
			pids = append(pids, pid)
		}
	}
	return pids
}
