package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"ppo/configs"
	"ppo/dist"
	"ppo/internal/checkpoint"
	"ppo/internal/normalize"
	"ppo/kl"
	"ppo/policy"
)

// Reference is a frozen policy from an earlier run, with the observation
// normalisation it was trained under, so it sees observations as it did.
type Reference struct {
	Policy *policy.Policy
	// SHA256 is the hex SHA-256 of the checkpoint file, so a resumed run
	// can tell that it still penalises the KL to the same policy.
	SHA256  string
	fwd     *policy.Forwarder
	stats   *normalize.RunningStats
	clipObs float64
	logStd  []float64
	norm    []float64
}

// LoadReference reads the policy and observation statistics of a checkpoint.
func LoadReference(path string) (*Reference, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := checkpoint.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pol, st, err := FromCheckpoint(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	r := &Reference{Policy: pol, SHA256: hex.EncodeToString(sum[:]), fwd: policy.NewForwarder(pol), stats: st.ObsStats, clipObs: st.ClipObs}
	if d, ok := pol.Dist().(dist.DiagGaussian); ok {
		r.logStd = d.LogStd
	}
	return r, nil
}

// RunReference loads the reference policy of a run of cfg (kl.reference.checkpoint)
// with the direction of the KL to it (kl.reference.direction resolved).
func RunReference(cfg *configs.Config) (*Reference, kl.Direction, error) {
	dir, err := kl.ParseDirection(cfg.KL.ReferenceDirection())
	if err != nil {
		return nil, dir, err
	}
	r, err := LoadReference(cfg.KL.Reference.Checkpoint)
	if err != nil {
		return nil, dir, fmt.Errorf("kl.reference.checkpoint: %w", err)
	}
	return r, dir, nil
}

// TrainedWith is the resolved config a trainer wrote into c, or nil for a
// version 1 checkpoint, which does not record it.
func TrainedWith(c *checkpoint.Checkpoint) (*configs.Config, error) {
	y, ok := c.Sections["config"]
	if !ok {
		if c.Version >= 2 {
			return nil, fmt.Errorf("checkpoint version %d has no config section", c.Version)
		}
		return nil, nil
	}
	cfg, err := configs.Parse(y)
	if err != nil {
		return nil, fmt.Errorf("checkpoint config: %w", err)
	}
	return cfg, nil
}

// FromCheckpoint decodes the policy and run state a trainer wrote into c.
func FromCheckpoint(c *checkpoint.Checkpoint) (*policy.Policy, *State, error) {
	pb, ok := c.Sections["policy"]
	if !ok {
		return nil, nil, errors.New("checkpoint has no policy section")
	}
	pol, err := policy.Unmarshal(pb)
	if err != nil {
		return nil, nil, err
	}
	var st State
	if sb, ok := c.Sections["state"]; ok {
		if err := json.Unmarshal(sb, &st); err != nil {
			return nil, nil, fmt.Errorf("checkpoint state: %w", err)
		}
	}
	return pol, &st, nil
}

func (r *Reference) compatible(s policy.Spec) error {
	rs := r.Policy.Spec
	if !slices.Equal(rs.ObsCards, s.ObsCards) {
		return fmt.Errorf("reference policy has discrete observations %v; this run has %v", rs.ObsCards, s.ObsCards)
	}
	if !slices.Equal(rs.ActNvec, s.ActNvec) {
		return fmt.Errorf("reference policy has action components %v; this run has %v", rs.ActNvec, s.ActNvec)
	}
	if rs.ObsDim != s.ObsDim || rs.Discrete != s.Discrete || rs.ActDim != s.ActDim {
		return fmt.Errorf("reference policy has obs dim %d, %d %s actions; this run needs %d, %d",
			rs.ObsDim, rs.ActDim, map[bool]string{true: "discrete", false: "continuous"}[rs.Discrete], s.ObsDim, s.ActDim)
	}
	return nil
}

// heads writes the reference policy's head for n raw observations.
func (r *Reference) heads(dst, raw []float64, n int) {
	x := raw
	if spec := r.Policy.Spec; len(spec.ObsCards) > 0 {
		if len(r.norm) < n*spec.ObsDim {
			r.norm = make([]float64, n*spec.ObsDim)
		}
		x = r.norm[:n*spec.ObsDim]
		if err := spec.Encode(x, raw, n); err != nil {
			panic(err) // compatible checked the spaces; the env checked the observations
		}
	} else if r.stats != nil {
		if len(r.norm) < len(raw) {
			r.norm = make([]float64, len(raw))
		}
		x = r.norm[:len(raw)]
		r.stats.Normalize(x, raw, n, r.clipObs)
	}
	r.fwd.Forward(x, n, dst, nil)
}
