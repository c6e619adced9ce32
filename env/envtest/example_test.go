package envtest_test

import (
	"fmt"
	"testing"

	"ppo/env/envtest"
)

// Check runs the Env contract on a registered environment: in a test,
// envtest.Check(t, "MyEnv-v0"). Any testing.TB will do; here a benchmark's,
// so that the example runs on its own.
func ExampleCheck() {
	r := testing.Benchmark(func(b *testing.B) {
		envtest.Check(b, "CartPole-v1")
	})
	fmt.Println("CartPole-v1 meets the contract:", r.N > 0)
	// Output: CartPole-v1 meets the contract: true
}
