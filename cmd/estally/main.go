// Command estally is an aggregating file-activity telemetry agent. See
// package agent, or run `estally --help`.
package main

import (
	"os"

	"github.com/estally/estally/agent"
)

func main() { os.Exit(agent.Main(os.Args[1:], os.Stdout, os.Stderr)) }
