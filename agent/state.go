package agent

import (
	"encoding/json"
	"errors"
	"fmt"

	"ppo/env"
	"ppo/internal/checkpoint"
	"ppo/internal/normalize"
	"ppo/kl"
)

// State is what a checkpoint holds besides the network, the optimiser and
// the environments: everything else about a run that evolves.
type State struct {
	Update    int     `json:"update"`
	Timesteps int     `json:"timesteps"`
	Beta      float64 `json:"beta"`
	RefBeta   float64 `json:"ref_beta,omitempty"`
	// RefSHA256 is the SHA-256 of the reference policy's checkpoint file.
	RefSHA256 string                  `json:"ref_sha256,omitempty"`
	ObsStats  *normalize.RunningStats `json:"obs_stats,omitempty"`
	ClipObs   float64                 `json:"clip_obs"`
	RewScale  *normalize.RewardScaler `json:"reward_scaler,omitempty"`
	ActRNG    []byte                  `json:"act_rng"`
	ShufRNG   []byte                  `json:"shuffle_rng"`
	Window    []env.Episode           `json:"episode_window"`
	LastObs   []float64               `json:"last_obs"`
	EnvID     string                  `json:"env_id"`
	// EnvParams are the environment parameter overrides of the run.
	EnvParams map[string]float64 `json:"env_params,omitempty"`
	// EnvTextParams and MaxEpisodeSteps are the run's env.text_params and env.max_episode_steps.
	EnvTextParams   map[string]string `json:"env_text_params,omitempty"`
	MaxEpisodeSteps int               `json:"max_episode_steps,omitempty"`
	// ShapedAcc and ShapedWindow are the shaped returns of the episodes in
	// progress and of the recent ones, with kl.reference.placement reward.
	ShapedAcc    []float64 `json:"shaped_acc,omitempty"`
	ShapedWindow []float64 `json:"shaped_window,omitempty"`
}

// Checkpoint captures the whole state of the run after the current update.
func (t *Trainer) Checkpoint() (*checkpoint.Checkpoint, error) {
	pol, err := t.pol.MarshalBinary()
	if err != nil {
		return nil, err
	}
	adam, err := t.upd.MarshalBinary()
	if err != nil {
		return nil, err
	}
	st := State{
		Update: t.update, Timesteps: t.timesteps, Beta: t.ctrl.Beta(),
		ObsStats: t.obsStats, ClipObs: t.cfg.Env.ClipObs, RewScale: t.rewScale,
		Window: t.window, LastObs: t.lastObs, EnvID: t.cfg.Env.ID, EnvParams: t.cfg.Env.Params,
		EnvTextParams: t.cfg.Env.TextParams, MaxEpisodeSteps: t.cfg.Env.MaxEpisodeSteps,
	}
	if adapts(t.refCtrl) {
		st.RefBeta = t.refCtrl.Beta()
	}
	if t.ref != nil {
		st.RefSHA256 = t.ref.SHA256
	}
	if t.shaping != nil {
		st.ShapedAcc, st.ShapedWindow = t.shaping.acc, t.shaping.window
	}
	if st.ActRNG, err = t.actPCG.MarshalBinary(); err != nil {
		return nil, err
	}
	if st.ShufRNG, err = t.shufPCG.MarshalBinary(); err != nil {
		return nil, err
	}
	sj, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	y, err := t.cfg.YAML()
	if err != nil {
		return nil, err
	}
	c := &checkpoint.Checkpoint{Sections: map[string][]byte{"policy": pol, "adam": adam, "state": sj, "config": y}}
	if vb, err := t.vec.MarshalBinary(); err == nil {
		c.Sections["vec"] = vb
	}
	return c, nil
}

// adapts says whether c's coefficient evolves, so a checkpoint must carry it. A fixed
// reference coefficient is not written: it comes from the config, as it did before the
// reference had a controller, so older checkpoints without ref_beta still restore.
func adapts(c kl.Controller) bool {
	_, fixed := c.(*kl.Fixed)
	return c != nil && !fixed
}

// betaSetter is what a controller needs to be restored from a checkpoint.
type betaSetter interface{ SetBeta(float64) error }

// Restore puts the trainer into the state of checkpoint c, written by a
// trainer with the same config, so the run continues as if uninterrupted.
func (t *Trainer) Restore(c *checkpoint.Checkpoint) error {
	pol, st, err := FromCheckpoint(c)
	if err != nil {
		return err
	}
	if err := t.pol.CopyFrom(pol); err != nil {
		return fmt.Errorf("checkpoint does not match the config: %w", err)
	}
	ab, ok := c.Sections["adam"]
	if !ok {
		return errors.New("checkpoint has no optimiser state")
	}
	if err := t.upd.UnmarshalBinary(ab); err != nil {
		return err
	}
	vb, ok := c.Sections["vec"]
	if !ok {
		return errors.New("checkpoint has no environment state, so the run cannot continue exactly")
	}
	if err := t.vec.UnmarshalBinary(vb); err != nil {
		return fmt.Errorf("environment state: %w", err)
	}
	if err := t.ctrl.(betaSetter).SetBeta(st.Beta); err != nil {
		return err
	}
	if adapts(t.refCtrl) {
		if err := t.refCtrl.(betaSetter).SetBeta(st.RefBeta); err != nil {
			return err
		}
	}
	if t.ref != nil && st.RefSHA256 != "" && st.RefSHA256 != t.ref.SHA256 {
		return fmt.Errorf("kl.reference.checkpoint %s has changed since the run started (its SHA-256 differs), so the run cannot continue as it was", t.cfg.KL.Reference.Checkpoint)
	}
	if (st.ObsStats == nil) != (t.obsStats == nil) || (st.RewScale == nil) != (t.rewScale == nil) {
		return errors.New("checkpoint normalisation settings differ from the config")
	}
	t.obsStats, t.rewScale = st.ObsStats, st.RewScale
	if err := t.actPCG.UnmarshalBinary(st.ActRNG); err != nil {
		return fmt.Errorf("action random stream: %w", err)
	}
	if err := t.shufPCG.UnmarshalBinary(st.ShufRNG); err != nil {
		return fmt.Errorf("shuffle random stream: %w", err)
	}
	if t.shaping != nil {
		if len(st.ShapedAcc) != len(t.shaping.acc) {
			return errors.New("checkpoint has no shaped returns for kl.reference.placement: reward")
		}
		t.shaping.acc, t.shaping.window = st.ShapedAcc, st.ShapedWindow
	}
	t.update, t.timesteps, t.window = st.Update, st.Timesteps, st.Window
	t.lastObs = st.LastObs
	if t.vec.Restarted() { // fresh episodes: act on their first observations
		t.lastObs = append([]float64(nil), t.vec.Obs()...)
	}
	return nil
}
