package agent

// GAE computes generalised advantage estimates (Schulman et al. 2016) and
// returns for a rollout of T steps over n environments stored time-major
// (index t*n+i).
//
// values[k] is V(s_t); ended[k] says the episode ended at step t, by
// termination or truncation; nextValue[k] is the value to bootstrap from
// at an ended step: V(final observation) when truncated, 0 when terminated,
// so the two are never confused. last holds V(s_T) for each environment,
// the bootstrap after the final step.
//
//	δ_t = r_t + γ V_next - V(s_t),   A_t = δ_t + γλ (1 - ended_t) A_{t+1}
//
// and ret = A + V, the λ-return the critic regresses on.
func GAE(rewards, values, nextValue []float64, ended []bool, last []float64, n int, gamma, lambda float64, adv, ret []float64) {
	T := len(rewards) / n
	for i := 0; i < n; i++ {
		a := 0.0
		for t := T - 1; t >= 0; t-- {
			k := t*n + i
			var next float64
			switch {
			case ended[k]:
				next = nextValue[k]
				a = 0
			case t == T-1:
				next = last[i]
			default:
				next = values[k+n]
			}
			a = rewards[k] + gamma*next - values[k] + gamma*lambda*a
			adv[k] = a
			ret[k] = a + values[k]
		}
	}
}
