package policy_test

import (
	"fmt"

	"ppo/policy"
)

// A CartPole-sized actor-critic: 4 observations, 2 actions, two hidden
// layers of 64. The Forwarder evaluates it in plain Go, as the trainer
// acts; the head is the logits of the categorical policy (Dist).
func Example() {
	p, err := policy.New(policy.Spec{ObsDim: 4, Discrete: true, ActDim: 2, Hidden: []int{64, 64}, Activation: "tanh"}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	obs := []float64{0.01, -0.02, 0.03, 0.04}
	head, value := make([]float64, 2), make([]float64, 1)
	policy.NewForwarder(p).Forward(obs, 1, head, value)
	fmt.Printf("%d parameter tensors, head of %d logits, distribution %T\n", len(p.Params()), len(head), p.Dist())
	// Output: 12 parameter tensors, head of 2 logits, distribution dist.Categorical
}
