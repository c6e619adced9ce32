// Command ppo trains, evaluates and inspects PPO agents with a KL penalty.
package main

import (
	"os"

	"ppo/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
