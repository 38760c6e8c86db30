//go:build linux || darwin

package agent

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/estally/estally/summary"
)

// TestSummaryEndToEnd runs the daemon with the summary channel and reads it
// the three ways a host app can: `estally summary --json`, a subscription on
// the socket, and GET /api/v1/summary; the channel's metrics are on /metrics.
func TestSummaryEndToEnd(t *testing.T) {
	bin := buildEstally(t)
	dir, err := os.MkdirTemp("", "estsum")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "summary.sock")
	d := startDaemon(t, bin, "--source=synthetic", "--synthetic.rate=0", "--synthetic.events=100000",
		"--web.listen-address=127.0.0.1:0", "--summary.socket="+sock, "--summary.interval=100ms",
		"--summary.top-k=15", "--export.top-k=3") // the fold ranks for its largest consumer

	// Pull until every event is in a summary.
	c := &summary.Client{Path: sock}
	var got summary.Received
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err = c.Get(context.Background())
		if err == nil && got.Summary.Totals.Sum() == 100000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no complete summary: %v %+v", err, got.Summary)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(got.Summary.Processes.Top); n != 15 {
		t.Errorf("%d top processes in the summary, want --summary.top-k=15", n)
	}
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode: %v %v", fi.Mode(), err)
	}

	// Push: consecutive summaries, one per interval.
	ctx, cancel := context.WithCancel(context.Background())
	var seqs []uint64
	c.Subscribe(ctx, 0, func(r summary.Received) error {
		if seqs = append(seqs, r.Summary.Seq); len(seqs) == 3 {
			cancel()
		}
		return nil
	})
	if len(seqs) != 3 || seqs[2] <= seqs[0] {
		t.Errorf("pushed seqs %v", seqs)
	}

	resp, err := http.Get("http://" + d.addr + summary.HTTPPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var s summary.Summary
	if err := json.Unmarshal(body, &s); err != nil || resp.StatusCode != 200 || s.Totals.Sum() != 100000 {
		t.Errorf("GET %s: %d %v %s", summary.HTTPPath, resp.StatusCode, err, body)
	}

	mfs := d.scrape(t)
	for _, name := range []string{"estally_summary_messages_total", "estally_summary_subscribers", "estally_summary_disconnects_total", "estally_summary_built_total"} {
		if mfs[name] == nil {
			t.Errorf("%s missing from /metrics", name)
		}
	}
	if procs := byLabels(mfs["estally_process_events_total"], "process"); len(procs) != 3 {
		t.Errorf("%d processes exported, want --export.top-k=3: %v", len(procs), procs)
	}
	if by := byLabels(mfs["estally_summary_messages_total"], "transport"); by["unix"] < 4 || by["http"] < 1 {
		t.Errorf("estally_summary_messages_total = %v", by)
	}
	if code, _ := d.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("socket left behind: %v", err)
	}
}
