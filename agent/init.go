package agent

import (
	"fmt"
	"slices"
	"strings"

	"ppo/internal/checkpoint"
	"ppo/policy"
)

// initFrom starts the run from the policy in the checkpoint at path, and from its
// observation statistics when the run normalises observations. Everything else (the
// optimiser, the controllers, the random streams, the counters) stays fresh.
func (t *Trainer) initFrom(path string, spec policy.Spec) error {
	c, err := checkpoint.Read(path)
	if err != nil {
		return err
	}
	pol, st, err := FromCheckpoint(c)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if d := specDiff(pol.Spec, spec); len(d) > 0 {
		return fmt.Errorf("%s does not fit this run: %s", path, strings.Join(d, ", "))
	}
	if err := t.pol.CopyFrom(pol); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	switch {
	case (st.ObsStats != nil) && !t.cfg.Env.NormalizeObs:
		return fmt.Errorf("%s was trained on normalised observations: set env.normalize_obs: true", path)
	case st.ObsStats == nil && t.cfg.Env.NormalizeObs:
		return fmt.Errorf("%s was trained on raw observations: set env.normalize_obs: false", path)
	case st.ObsStats != nil:
		if st.ObsStats.Mean == nil || len(st.ObsStats.Mean) != spec.ObsDim {
			return fmt.Errorf("%s: observation statistics do not match the observation size %d", path, spec.ObsDim)
		}
		t.obsStats = st.ObsStats
	}
	return nil
}

// specDiff names what differs between the network of a checkpoint (was) and this run's
// (now), in the terms of the config: "what (checkpoint X, run Y)".
func specDiff(was, now policy.Spec) []string {
	var d []string
	add := func(what string, a, b any) { d = append(d, fmt.Sprintf("%s (checkpoint %v, run %v)", what, a, b)) }
	kind := map[bool]string{true: "discrete", false: "continuous"}
	if was.ObsDim != now.ObsDim {
		add("observation size", was.ObsDim, now.ObsDim)
	}
	if was.Discrete != now.Discrete {
		add("action space", kind[was.Discrete], kind[now.Discrete])
	} else if was.ActDim != now.ActDim {
		add("action size", was.ActDim, now.ActDim)
	}
	if !slices.Equal(was.Hidden, now.Hidden) {
		add("policy.hidden", was.Hidden, now.Hidden)
	}
	if was.Activation != now.Activation {
		add("policy.activation", was.Activation, now.Activation)
	}
	if was.Shared != now.Shared {
		add("policy.shared", was.Shared, now.Shared)
	}
	if was.Float64 != now.Float64 {
		dt := map[bool]string{true: "float64", false: "float32"}
		add("policy.dtype", dt[was.Float64], dt[now.Float64])
	}
	return d
}
