package agent

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/estally/estally/summary"
)

// runSummary implements `estally summary`: print one summary from a running
// daemon, as a table or as the raw JSON line.
func runSummary(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("estally summary", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	socket := fs.String("socket", defaultSummarySocket(), "the daemon's summary socket (--summary.socket)")
	asJSON := fs.Bool("json", false, "print the raw JSON summary")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	if code := parseCommand(fs, args, "Print one summary from a running daemon.", stdout, stderr); code >= 0 {
		return code
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	r, err := (&summary.Client{Path: *socket, Timeout: *timeout}).Get(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "estally summary: %v\n", err)
		return 1
	}
	if *asJSON {
		fmt.Fprintf(stdout, "%s\n", r.Raw)
		return 0
	}
	io.WriteString(stdout, renderSummary(r.Summary))
	return 0
}
