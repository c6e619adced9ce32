package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"ppo/configs"
	"ppo/internal/memory"
)

// memoryChildEnv, when set, makes TestMemoryChild build and run the config
// given by its "|"-separated --set list and print the heap that took.
const memoryChildEnv = "PPO_MEMORY_CHILD"

// TestMemoryChild is the measuring half of TestMemoryEstimate, run in a
// fresh process so that no earlier test's heap is reused. It reports the
// growth of HeapSys (heap memory obtained from the OS, which never
// shrinks) over New, one update and encoding a checkpoint.
func TestMemoryChild(t *testing.T) {
	sets := os.Getenv(memoryChildEnv)
	if sets == "" {
		t.Skip("run by TestMemoryEstimate")
	}
	cfg := memoryConfig(t, strings.Split(sets, "|"))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, err := tr.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.MarshalBinary(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	fmt.Printf("heap %d\n", after.HeapSys-before.HeapSys)
	runtime.KeepAlive(tr)
}

func memoryConfig(t *testing.T, sets []string) *configs.Config {
	t.Helper()
	cfg := configs.Default()
	for _, s := range sets {
		if err := cfg.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// measureHeap runs TestMemoryChild on sets in a new process.
func measureHeap(t *testing.T, sets []string) float64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryChild$", "-test.v")
	cmd.Env = append(os.Environ(), memoryChildEnv+"="+strings.Join(sets, "|"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		var heap float64
		if _, err := fmt.Sscanf(l, "heap %g", &heap); err == nil {
			return heap
		}
	}
	t.Fatalf("no heap line in\n%s", out)
	return 0
}

// TestMemoryEstimate compares the estimate with the heap a run takes, for
// configs where each kind of term dominates: a checkpoint of wide layers,
// the orthogonal init of one wide layer, per-row buffers of a large
// batch, and two minibatch graphs of a Gaussian policy. One update each,
// a few seconds in all.
func TestMemoryEstimate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds networks of hundreds of MB")
	}
	one := []string{"ppo.epochs=1", "ppo.rollout_steps=32", "total_timesteps=256"}
	for _, sets := range [][]string{
		append([]string{"policy.hidden=[768,768]", "policy.dtype=float64"}, one...),
		append([]string{"policy.hidden=[4000]", "policy.shared=true"}, one...),
		{"policy.hidden=[64,64]", "env.num_envs=20000", "ppo.rollout_steps=8", "ppo.epochs=1", "ppo.minibatch_size=4096", "total_timesteps=160000"},
		{"env.id=Pendulum-v1", "policy.hidden=[512,512]", "ppo.rollout_steps=64", "ppo.epochs=1", "ppo.minibatch_size=100", "total_timesteps=512"},
	} {
		cfg := memoryConfig(t, sets)
		spec, err := specOf(cfg)
		if err != nil {
			t.Fatal(err)
		}
		e := memory.Of(cfg, spec, 0)
		got := measureHeap(t, sets)
		// The heap's growth beyond the live bytes depends on when the
		// collector runs; a factor of 2 either way is what the limit
		// needs to be useful.
		r := e.Total / got
		t.Logf("%s: estimate %s, measured %s, ratio %.2f; largest part %s: %s",
			strings.Join(sets, " "), memory.FormatBytes(e.Total), memory.FormatBytes(got), r, e.Parts[0].What, memory.FormatBytes(e.Parts[0].Bytes))
		if r < 0.5 || r > 2 {
			t.Errorf("%s: estimate %s is not within a factor 2 of the measured %s", strings.Join(sets, " "), memory.FormatBytes(e.Total), memory.FormatBytes(got))
		}
	}
}

// TestMemoryRefusedBeforeAllocating: a network of 10^8 units per layer is
// refused by New with a config error, having allocated next to nothing.
func TestMemoryRefusedBeforeAllocating(t *testing.T) {
	for _, sets := range [][]string{
		{"policy.hidden=[100000000]"},
		{"policy.hidden=[64,100000000]", "policy.shared=true"},
		{"env.num_envs=100000000", "total_timesteps=1e12"},
		{"ppo.rollout_steps=1000000000", "total_timesteps=1e13"},
		{"env.id=Pendulum-v1", "policy.hidden=[20000,20000]", "policy.dtype=float64"},
	} {
		cfg := memoryConfig(t, sets)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := New(cfg)
		runtime.ReadMemStats(&after)
		var ce *configs.Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "resources.max_memory") {
			t.Errorf("%v: New error %v, want a config error naming resources.max_memory", sets, err)
			continue
		}
		if a := after.TotalAlloc - before.TotalAlloc; a > 1<<20 {
			t.Errorf("%v: allocated %d bytes before refusing", sets, a)
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("%v: message has a line break: %q", sets, err)
		}
	}
}

// TestMemoryLimit: a limit below the default config's estimate refuses it,
// one above accepts it, and so does the default (auto) limit.
func TestMemoryLimit(t *testing.T) {
	cfg, err := configs.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := specOf(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := memory.Of(cfg, spec, 0)
	if err := Check(cfg); err != nil {
		t.Fatalf("the embedded config under the auto limit: %v", err)
	}
	for _, tc := range []struct {
		limit string
		ok    bool
	}{
		{"1MB", false},
		{memory.SizeAbove(e.Total), true},
		{fmt.Sprintf("%.0fB", e.Total-1), false},
		{fmt.Sprintf("%.0fB", e.Total+1), true},
		{"1TiB", true},
	} {
		c, _ := configs.Embedded()
		if err := c.Set("resources.max_memory=" + tc.limit); err != nil {
			t.Fatal(err)
		}
		err := Check(c)
		if (err == nil) != tc.ok {
			t.Errorf("limit %s (estimate %.0f bytes): Check = %v, want ok %v", tc.limit, e.Total, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "resources.max_memory: "+tc.limit) {
			t.Errorf("limit %s: message does not name the limit: %v", tc.limit, err)
		}
	}
}

// TestTowerDims checks the parameter count against the policy's own.
func TestTowerDims(t *testing.T) {
	for _, sets := range [][]string{
		{"policy.hidden=[7,5]"},
		{"policy.hidden=[7,5]", "policy.shared=true"},
		{"env.id=Pendulum-v1", "policy.hidden=[3]"},
	} {
		cfg := memoryConfig(t, sets)
		tr, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		e := memory.Of(cfg, tr.pol.Spec, 0)
		d := 4.0
		for _, p := range e.Parts {
			if p.What == "weights" && p.Bytes != d*float64(tr.pol.NumParams()) {
				t.Errorf("%v: weights %v bytes, policy has %d float32 parameters", sets, p.Bytes, tr.pol.NumParams())
			}
		}
	}
}
