package agent

import (
	"fmt"
	"io"
	"strings"
)

// Main runs the estally command with args (without the program name) and
// returns its exit code: 0 on success, 1 on a runtime failure, 2 on a usage
// error (which is reported as one line on stderr).
//
// With no arguments, or when the first argument is a flag, Main runs the
// daemon: `estally --source=synthetic` is `estally run --source=synthetic`.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (strings.HasPrefix(args[0], "-") && !isHelp(args[0])) {
		return runDaemon(args, stdout, stderr)
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "run":
		return runDaemon(rest, stdout, stderr)
	case "top":
		return runTop(rest, stdout, stderr)
	case "summary":
		return runSummary(rest, stdout, stderr)
	case "version":
		return runVersion(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, mainUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "estally: unknown command %q (want run, top, summary or version; see estally --help)\n", cmd)
		return 2
	}
}

func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help":
		return true
	}
	return false
}

const mainUsage = `estally folds file activity into bounded per-process and per-path counters
and exports summaries (Prometheus /metrics, a summary channel for a host app).

Usage:
  estally [run] [flags]    run the daemon (default command); see estally run --help
  estally top [flags]      terminal view of a running daemon
  estally summary [flags]  print one summary from a running daemon
  estally version          print version, revision and Go version
`
