package agent

import (
	"fmt"
	"io"
)

// runSummary implements `estally summary`: print one summary from a running
// daemon.
func runSummary(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "estally summary: not implemented yet")
	return 1
}
