package cli_test

import (
	"os"

	"ppo/cli"
)

// Main is the whole ppo command: a program that registers its own
// environments (env.Register) and calls it gets every command with them
// (examples/reach). Here the kl command, which reads no files.
func ExampleMain() {
	cli.Main([]string{"kl", "categorical", "--p=0.5,0.5", "--q=0.9,0.1"}, os.Stdout, os.Stderr)
	// Output:
	// KL(P||Q) = 0.5108256237659907
	// KL(Q||P) = 0.3680642071684971
	// H(P)     = 0.6931471805599453
	// H(Q)     = 0.3250829733914482
}
