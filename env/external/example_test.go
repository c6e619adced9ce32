package external_test

import (
	"fmt"
	"os"
	"time"

	"ppo/env/external"
	"ppo/env/external/externaltest"
)

// An environment served by another process (any language; here a Go
// server of the protocol, externaltest, in this test binary) becomes an
// env.Vec like the built-in ones: its copies are stepped over the pipe.
func ExampleMakeVec() {
	os.Setenv(externaltest.Env, "walk")
	defer os.Unsetenv(externaltest.Env)
	v, err := external.MakeVec(external.Command{Argv: externaltest.Command(), Timeout: 20 * time.Second}, 2, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()
	first, err := v.Reset()
	if err != nil {
		fmt.Println(err)
		return
	}
	obs := append([]float64(nil), first...) // the Vec reuses its buffer
	st, err := v.Step([]float64{2, 0})      // copy 0 moves right, copy 1 left
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("reset:", obs)
	fmt.Println("step:", st.Obs, "rewards", st.Reward)
	// Output:
	// reset: [1 0 0 0]
	// step: [2 1 -1 1] rewards [-0.4 -0.2]
}
