package external

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"ppo/env"
)

// PipeBench measures stepping an environment through the pipe against the same environment
// stepped in its own process, for a program built on ppoenv.py (which measures itself when given
// --inprocess-bench COPIES STEPS). Copy i's action at step k is (k+i) mod 2 everywhere, so all three
// play the same episodes' kind of work; episodes that end are reset in the same step.
type PipeBench struct {
	Command []string `json:"command"`
	Copies  int      `json:"copies"`
	Steps   int      `json:"steps_per_copy"`
	// InProcess is the program stepping its copies itself, with no pipe.
	InProcess Rate `json:"in_process"`
	// OneProcess hosts all copies in one child: one message steps them all.
	OneProcess Rate `json:"one_process"`
	// ProcessPerCopy starts a child per copy: a message per copy, written to all before any reply is read.
	ProcessPerCopy Rate `json:"process_per_copy"`
	// Overheads are the pipe's added time per env step, 1e6/rate - 1e6/InProcess rate, in µs.
	OverheadOneProcess     float64 `json:"overhead_us_per_step_one_process"`
	OverheadProcessPerCopy float64 `json:"overhead_us_per_step_process_per_copy"`
	GoVersion              string  `json:"go_version"`
	GOMAXPROCS             int     `json:"gomaxprocs"`
	LoadAverage            float64 `json:"load_average"`
}

// Rate is a measured throughput.
type Rate struct {
	Seconds     float64 `json:"seconds"`
	StepsPerSec float64 `json:"env_steps_per_sec"`
}

// Bench measures c's environment with copies copies for steps steps each (c.Processes is ignored).
func Bench(c Command, copies, steps int) (*PipeBench, error) {
	if copies < 1 || steps < 1 {
		return nil, fmt.Errorf("external bench: want copies and steps >= 1, got %d and %d", copies, steps)
	}
	r := &PipeBench{Command: c.Argv, Copies: copies, Steps: steps, GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	var err error
	if r.InProcess, err = inProcess(c, copies, steps); err != nil {
		return nil, err
	}
	c.Processes = 1
	if r.OneProcess, err = pipeRate(c, copies, steps); err != nil {
		return nil, err
	}
	c.Processes = copies
	if r.ProcessPerCopy, err = pipeRate(c, copies, steps); err != nil {
		return nil, err
	}
	r.OverheadOneProcess = 1e6/r.OneProcess.StepsPerSec - 1e6/r.InProcess.StepsPerSec
	r.OverheadProcessPerCopy = 1e6/r.ProcessPerCopy.StepsPerSec - 1e6/r.InProcess.StepsPerSec
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		r.LoadAverage, _ = strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	}
	return r, nil
}

func pipeRate(c Command, copies, steps int) (Rate, error) {
	v, err := MakeVec(c, copies, 1)
	if err != nil {
		return Rate{}, err
	}
	defer v.Close()
	if _, ok := v.ActionSpace().(env.Discrete); !ok {
		return Rate{}, fmt.Errorf("external bench: actions %v; the benchmark plays Discrete actions", v.ActionSpace())
	}
	if _, err := v.Reset(); err != nil {
		return Rate{}, err
	}
	acts := make([]float64, copies)
	start := time.Now()
	for k := range steps {
		for i := range acts {
			acts[i] = float64((k + i) % 2)
		}
		if _, err := v.Step(acts); err != nil {
			return Rate{}, err
		}
	}
	s := time.Since(start).Seconds()
	return Rate{Seconds: s, StepsPerSec: float64(copies*steps) / s}, nil
}

func inProcess(c Command, copies, steps int) (Rate, error) {
	argv := append(append([]string(nil), c.Argv...), "--inprocess-bench", strconv.Itoa(copies), strconv.Itoa(steps))
	var out, errOut bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return Rate{}, fmt.Errorf("external bench: %s: %v; stderr: %s", strings.Join(argv, " "), err, oneLine(errOut.String(), 300))
	}
	var r struct{ Seconds float64 }
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.Seconds <= 0 {
		return Rate{}, fmt.Errorf("external bench: %s printed %q, want {\"seconds\": ...}", strings.Join(argv, " "), oneLine(out.String(), 100))
	}
	return Rate{Seconds: r.Seconds, StepsPerSec: float64(copies*steps) / r.Seconds}, nil
}
