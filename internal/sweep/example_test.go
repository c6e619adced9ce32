package sweep_test

import (
	"fmt"

	"ppo/internal/sweep"
)

// Seeds may mix single seeds and ranges; FormatSeeds writes them back compactly.
func ExampleParseSeeds() {
	seeds, err := sweep.ParseSeeds("1-3,7,10-11")
	fmt.Println(seeds, err)
	fmt.Println(sweep.FormatSeeds(seeds))
	// Output:
	// [1 2 3 7 10 11] <nil>
	// 1-3,7,10,11
}

// Two --grid flags give every combination, the last flag varying fastest;
// each combination's label names its runs' directory.
func ExampleCombos() {
	lr, _ := sweep.ParseAxis("ppo.learning_rate=1e-4,3e-4")
	hidden, _ := sweep.ParseAxis("policy.hidden=[64,64],[128]")
	for _, c := range sweep.Combos([]sweep.Axis{lr, hidden}) {
		fmt.Println(c.Label)
	}
	// Output:
	// ppo.learning_rate=1e-4,policy.hidden=%5B64%2C64%5D
	// ppo.learning_rate=1e-4,policy.hidden=%5B128%5D
	// ppo.learning_rate=3e-4,policy.hidden=%5B64%2C64%5D
	// ppo.learning_rate=3e-4,policy.hidden=%5B128%5D
}

// Job k of a sweep belongs to shard k mod n.
func ExampleShard() {
	sh, _ := sweep.ParseShard("1/4")
	for k := range 10 {
		if sh.Has(k) {
			fmt.Print(k, " ")
		}
	}
	fmt.Println()
	// Output:
	// 1 5 9
}
