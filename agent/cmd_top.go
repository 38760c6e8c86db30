package agent

import (
	"fmt"
	"io"
)

// runTop implements `estally top`: a terminal view of a running daemon.
func runTop(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "estally top: not implemented yet")
	return 1
}
