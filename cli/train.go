package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"ppo/agent"
	"ppo/configs"
	"ppo/env"
	"ppo/internal/rundir"
)

// setFlags collects repeated --set path=value flags in order.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, " ") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

func cmdTrain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo train", flag.ContinueOnError)
	cfgPath := fs.String("config", "", "YAML config `file` (default: the embedded configs/cartpole-adaptive-kl.yaml)")
	var seed seedFlag
	fs.Var(&seed, "seed", "the run's seed (default: the config's seed)")
	out := fs.String("out", "", "run `directory` (default: <log.dir>/<name>-s<seed>-<time>)")
	var sets setFlags
	fs.Var(&sets, "set", "override a config field, `path=value` (repeatable), e.g. --set ppo.learning_rate=1e-3")
	resume := fs.Bool("resume", false, "continue the run in the directory given as argument or by --out (ppo train --resume DIR), with its own config, from its newest intact checkpoint")
	quiet := fs.Bool("quiet", false, "print no per-update lines, warnings or notes (the run and done lines remain)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to `file` (for go tool pprof)")
	pos, done, code := parseMixed(fs, args, stdout, stderr)
	if done {
		return code
	}
	var cfg *configs.Config
	var dir string
	if *resume {
		if *cfgPath != "" || len(sets) > 0 || seed.set {
			fmt.Fprintln(stderr, "ppo train: --resume takes the run's own config; drop --config, --set and --seed")
			return 2
		}
		switch dirs := append(pos, *out); {
		case len(pos) == 1 && *out == "":
			dir = pos[0]
		case len(pos) == 0 && *out != "":
			dir = *out
		case len(pos) == 1 && filepath.Clean(pos[0]) == filepath.Clean(*out):
			dir = pos[0] // the same directory named both ways
		default:
			fmt.Fprintf(stderr, "ppo train: --resume takes one run directory (ppo train --resume DIR), got %q\n", strings.Join(dirs, " "))
			return 2
		}
	} else {
		if len(pos) > 0 {
			if ext := filepath.Ext(pos[0]); ext == ".yaml" || ext == ".yml" {
				fmt.Fprintf(stderr, "ppo train: unexpected argument %q: a config file goes after --config (%s train --config %s)\n", pos[0], self(), pos[0])
			} else {
				fmt.Fprintf(stderr, "ppo train: unexpected argument %q (a run directory goes after --out, or after --resume to continue it)\n", pos[0])
			}
			return 2
		}
		var err error
		if cfg, err = loadConfig(*cfgPath, sets, seed); err != nil {
			fmt.Fprintln(stderr, "ppo train:", err)
			return 2
		}
		// Env parameters and the reference checkpoint are checked by
		// building the run, before anything is printed or written.
		if err := agent.Check(cfg); err != nil {
			fmt.Fprintln(stderr, "ppo train:", err)
			return 2
		}
		if dir = *out; dir == "" {
			// The process id keeps runs started in the same second apart.
			stamp := fmt.Sprintf("%s-%d", time.Now().Format("20060102-150405"), os.Getpid())
			dir = rundir.DefaultRunDir(cfg.Log.Dir, cfg.Name, cfg.Seed, stamp)
		}
		if err := rundir.CheckNew(dir); err != nil {
			fmt.Fprintln(stderr, "ppo train:", err)
			return 2
		}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "ppo train:", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "ppo train:", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	// The first SIGINT/SIGTERM/SIGHUP stops after the update in progress
	// and checkpoints; a second ends the process at once (logs are whole
	// rows, checkpoints atomic). Handled here rather than by restoring the
	// default disposition, which a background job may have inherited as
	// "ignore". A closed output pipe (ppo train | head) does not end the
	// run: the lines are lost, the run directory is not.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	signal.Ignore(syscall.SIGPIPE)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, stopSignals...)
	defer signal.Stop(sigs)
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-sigs:
		case <-finished:
			return
		}
		fmt.Fprintln(stderr, "ppo train: stopping after this update (interrupt again to quit at once)")
		cancel()
		select {
		case <-sigs:
			fmt.Fprintf(stderr, "ppo train: quitting at once; the last checkpoint and the logged rows are intact (%s train --resume %s continues)\n", self(), dir)
			os.Exit(130)
		case <-finished:
		}
	}()
	var log rundir.Progress
	switch {
	case *quiet:
	case isTerminal(stderr):
		log = NewBar(stderr, 100)
	default:
		log = lines{w: stdout, every: logEvery(cfg, dir)}
	}
	if rowHook != nil {
		log = hooked{log, func(m agent.Metrics) { rowHook(ctx, 0, m) }}
	}
	var sum *rundir.Summary
	var err error
	if cfg == nil {
		sum, err = rundir.Resume(ctx, dir, log, stdout)
	} else {
		for _, n := range cfg.Moot() {
			fmt.Fprintln(stderr, "ppo train: note:", n)
		}
		fmt.Fprintf(stdout, "run %s: %s, %s, %d steps\n", dir, cfg.Env.ID, cfg.PPO.Objective, cfg.TotalTimesteps)
		if b, m := cfg.BatchSize(), cfg.PPO.MinibatchSize; b%m != 0 && !*quiet {
			// As SB3 warns: the last minibatch of each epoch is smaller.
			fmt.Fprintf(stdout, "note: ppo.minibatch_size %d does not divide the batch (num_envs × rollout_steps = %d): each epoch has %d minibatches of %d rows and one of %d\n",
				m, b, b/m, m, b%m)
		}
		if b := cfg.BatchSize(); cfg.TotalTimesteps%b != 0 && !*quiet {
			u := cfg.TotalTimesteps / b
			fmt.Fprintf(stdout, "note: total_timesteps %d is not a multiple of the batch (num_envs × rollout_steps = %d): the run makes %s, %d steps\n",
				cfg.TotalTimesteps, b, plural(u, "update"), u*b)
		}
		sum, err = rundir.Train(ctx, cfg, dir, log)
	}
	if err != nil {
		var in *agent.InputError
		switch {
		case errors.Is(err, rundir.ErrFinished):
			// A resume with nothing left to do is not an error.
			fmt.Fprintf(stdout, "%v; %s inspect %s shows it\n", err, self(), dir)
			return 0
		case errors.As(err, &in):
			fmt.Fprintln(stderr, "ppo train:", err)
			return 2
		case errors.Is(err, context.Canceled):
			if ckpts, _ := filepath.Glob(filepath.Join(dir, "ckpt-*.ckpt")); len(ckpts) == 0 {
				fmt.Fprintf(stderr, "ppo train: interrupted before the first update ended; no checkpoint was written (%s train --resume %s starts the run again)\n", self(), dir)
			} else {
				fmt.Fprintf(stderr, "ppo train: interrupted; checkpoint and logs are in %s; continue with: %s train --resume %s\n", dir, self(), dir)
			}
			return 130
		}
		fmt.Fprintln(stderr, "ppo train:", err)
		return 1
	}
	fmt.Fprintf(stdout, "done: %s, %d steps; eval over %s: mean return %.2f ± %.2f\nrun directory: %s\n",
		plural(sum.Updates, "update"), sum.Steps, plural(sum.Eval.Episodes, "episode"), sum.Eval.MeanReturn, sum.Eval.StdReturn, sum.Dir)
	if !*quiet {
		cutNote(stdout, sum.Eval)
	}
	return 0
}

// loadConfig reads the config file (or the embedded default), applies the
// overrides in order and checks the result, including the env id.
func loadConfig(path string, sets []string, seed seedFlag) (*configs.Config, error) {
	var cfg *configs.Config
	var err error
	if path == "" {
		cfg, err = configs.Embedded()
	} else {
		cfg, err = configs.Load(path)
	}
	if err != nil {
		return nil, err
	}
	for _, s := range sets {
		if err := cfg.Set(s); err != nil {
			return nil, err
		}
	}
	cfg.Seed = seed.or(cfg.Seed)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if _, ok := env.Lookup(cfg.Env.ID); !ok && cfg.Env.ID != configs.ExternalEnv {
		return nil, fmt.Errorf("config: env.id: unknown environment %q (see ppo envs; an environment served by a program is env.id: external with env.external.command)", cfg.Env.ID)
	}
	return cfg, nil
}

// logEvery is log.every of cfg or, when resuming, of the run's own config.
func logEvery(cfg *configs.Config, dir string) int {
	if cfg == nil {
		var err error
		if cfg, err = configs.Load(filepath.Join(dir, rundir.ConfigFile)); err != nil {
			return 1 // Resume reports the error
		}
	}
	return cfg.Log.Every
}

// isTerminal says whether w is a character device, where a progress bar
// redrawn in place reads well; logs piped to files get plain lines.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// cutNote says so when evaluation episodes were cut at agent.EvalMaxSteps.
func cutNote(w io.Writer, r agent.EvalResult) {
	if r.Cut > 0 {
		fmt.Fprintf(w, "note: %s of %d cut at %d steps: the env has no time limit and the policy never ended them (env.max_episode_steps sets one)\n",
			plural(r.Cut, "evaluation episode"), r.Episodes, agent.EvalMaxSteps)
	}
}

// stopSignals end ppo train and ppo sweep the way Ctrl-C does: after the
// update in progress, with a checkpoint. SIGHUP is a closed terminal.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// rowHook, if set, is called after every metrics row that train (as job 0)
// or a sweep job logs, with the command's context. The ppo command leaves
// it nil; this package's tests set it to send the process a real signal
// at an exact update and wait until the handler has cancelled ctx.
var rowHook func(ctx context.Context, job int, m agent.Metrics)

// hooked passes rows and warnings to p (which may be nil), then rows to f.
type hooked struct {
	p rundir.Progress
	f func(agent.Metrics)
}

func (h hooked) Row(m agent.Metrics, updates int) {
	if h.p != nil {
		h.p.Row(m, updates)
	}
	h.f(m)
}

func (h hooked) Warn(msg string) {
	if h.p != nil {
		h.p.Warn(msg)
	}
}
