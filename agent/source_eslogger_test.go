package agent

import (
	"fmt"
	"os"
	"os/exec"
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

// TestEndToEndEsloggerNotPermitted spawns a stand-in eslogger that fails as
// the real one does without Full Disk Access, and checks that the agent
// exits 1 with an error telling the user what to grant.
func TestEndToEndEsloggerNotPermitted(t *testing.T) {
	script := filepath.Join(t.TempDir(), "eslogger")
	body := "#!/bin/sh\necho 'Failed to create ES client: ES_NEW_CLIENT_RESULT_ERR_NOT_PERMITTED' >&2\nexit 1\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	bin := buildEstally(t)
	cmd := exec.Command(bin, "run", "--source=eslogger", "--eslogger.input=exec", "--eslogger.path="+script,
		"--web.listen-address=127.0.0.1:0", "--summary.socket=")
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit code %d (%v), want 1; output:\n%s", code, err, out)
	}
	for _, want := range []string{"level=ERROR", "Full Disk Access", "Privacy_AllFiles"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
