package agent

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Build identity, set by the Makefile with
// -ldflags "-X github.com/estally/estally/agent.version=... -X ...agent.revision=...".
// When unset they are read from the binary's build information.
var (
	version  string
	revision string
)

// buildInfo returns the version and revision of this binary, never empty.
func buildInfo() (ver, rev string) {
	ver, rev = version, revision
	if bi, ok := debug.ReadBuildInfo(); ok {
		if ver == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			ver = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if rev == "" && s.Key == "vcs.revision" {
				rev = s.Value
			}
		}
	}
	if ver == "" {
		ver = "devel"
	}
	if rev == "" {
		rev = "unknown"
	}
	return ver, rev
}

// runVersion implements `estally version`.
func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "estally version: unexpected argument %q\n", args[0])
		return 2
	}
	ver, rev := buildInfo()
	fmt.Fprintf(stdout, "estally %s (revision %s, %s %s/%s)\n", ver, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}
