package cli

import (
	"fmt"
	"ppo/agent"
	"strconv"
	"strings"
)

// progressLine is the concise progress line printed during training.
func progressLine(m *agent.Metrics, updates int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "update %*d/%d  steps %8d", len(strconv.Itoa(updates)), m.Update, updates, m.Timesteps)
	if m.EpisodeReturnMean != nil {
		fmt.Fprintf(&b, "  return %8.2f", *m.EpisodeReturnMean)
	} else {
		fmt.Fprintf(&b, "  return %8s", "-")
	}
	fmt.Fprintf(&b, "  kl %.5f  beta %.4g  clip %.3f  ent %.3f  ev %5.2f  sps %.0f",
		m.KL, m.Beta, m.ClipFraction, m.Entropy, m.ExplainedVariance, m.SPS)
	if m.KLRef != nil {
		fmt.Fprintf(&b, "  kl_ref %.5f", *m.KLRef)
	}
	if m.EvalReturnMean != nil {
		fmt.Fprintf(&b, "  eval %.2f", *m.EvalReturnMean)
	}
	return b.String()
}
