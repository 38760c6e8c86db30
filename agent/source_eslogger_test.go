package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestEndToEndEslogger replays eslogger lines from a file through the real
// binary and checks what /metrics says: every folded event, the kernel
// drops revealed by global_seq_num gaps, and the rejected lines.
func TestEndToEndEslogger(t *testing.T) {
	fixture, err := os.ReadFile(filepath.Join("..", "es", "testdata", "eslogger", "v10", "write.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(fixture))
	global := regexp.MustCompile(`"global_seq_num":\d+`)
	seq := regexp.MustCompile(`"seq_num":\d+`)
	const n = 1000
	var b strings.Builder
	g := uint64(1)
	for i := range n {
		if i%100 == 99 {
			g += 3 // three events lost before this one
		}
		l := global.ReplaceAllString(line, fmt.Sprintf(`"global_seq_num":%d`, g))
		l = seq.ReplaceAllString(l, fmt.Sprintf(`"seq_num":%d`, g))
		b.WriteString(l + "\n")
		g++
		if i == 500 {
			b.WriteString(l[:len(l)/2] + "\n") // a truncated line
			b.WriteString("\x00\xff not json\n")
		}
	}
	input := filepath.Join(t.TempDir(), "eslogger.jsonl")
	if err := os.WriteFile(input, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	bin := buildEstally(t)
	d := startDaemon(t, bin, "--source=eslogger", "--eslogger.input="+input,
		"--web.listen-address=127.0.0.1:0", "--summary.socket="+shortTempDir(t)+"/summary.sock")
	deadline := time.Now().Add(60 * time.Second)
	var total float64
	for {
		mfs := d.scrape(t)
		total = byLabels(mfs["estally_events_total"], "kind")["write"]
		if total == n || time.Now().After(deadline) {
			dropped := byLabels(mfs["estally_events_dropped_total"], "source", "stage")
			if got := dropped["eslogger/kernel"]; got != 3*(n/100) {
				t.Errorf("kernel drops %v, want %d (all: %v)", got, 3*(n/100), dropped)
			}
			errs := byLabels(mfs["estally_source_errors_total"], "source", "reason")
			if got := errs["eslogger/malformed_line"]; got != 2 {
				t.Errorf("malformed lines %v, want 2 (all: %v)", got, errs)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if total != n {
		t.Fatalf("estally_events_total{kind=write} = %v, want %d", total, n)
	}
	if code, _ := d.stop(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
}
