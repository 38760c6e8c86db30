package exporter

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/estally/estally/aggregate"
)

var update = flag.Bool("update", false, "rewrite testdata/metrics.golden")

const goldenFile = "testdata/metrics.golden"

// hostileSnapshot is a consistent snapshot whose top entries carry every
// kind of hostile key: invalid UTF-8, newlines, quotes, backslashes, NUL,
// DEL, C1 and bidi controls, a 16 KiB path, and keys whose sanitised values
// collide.
func hostileSnapshot() aggregate.Snapshot {
	s := sampleSnapshot()
	s.Processes.Top = []aggregate.Entry{
		{Key: "/usr/bin/dd", Counts: aggregate.Counts{60, 5}},
		{Key: "/tmp/evil\nprocess_up 1", Counts: aggregate.Counts{10}},
		{Key: "/tmp/\xc3\x28bad", Counts: aggregate.Counts{8, 0, 1}},
		{Key: "/tmp/\xff(bad", Counts: aggregate.Counts{2}}, // collides with the one above
		{Key: "C:\\Program Files\\\"quoted\"\x00\x7f", Counts: aggregate.Counts{4}},
	}
	s.Paths.Top = []aggregate.Entry{
		{Key: "/var/log/app.log", Counts: aggregate.Counts{50}},
		{Key: "/" + strings.Repeat("d/", 8192) + "file", Counts: aggregate.Counts{20, 1}}, // 16 KiB
		{Key: "/" + strings.Repeat("d/", 8192) + "file", Counts: aggregate.Counts{3}},     // a repeated key
		{Key: "/tmp/report\u202Efdp.exe", Counts: aggregate.Counts{9}},
		{Key: "/tmp/a\"b\\c\u0085d\te", Counts: aggregate.Counts{0, 0, 0, 0, 0, 6}},
	}
	return s
}

// exposition returns the text exposition of the collector alone (no Go or
// process metrics, which vary), with the Go version replaced so that the
// golden file does not depend on the toolchain.
func exposition(t *testing.T, c prometheus.Collector) []byte {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return goVersionRE.ReplaceAll(buf.Bytes(), []byte(`goversion="go"`))
}

var goVersionRE = regexp.MustCompile(`goversion="[^"]*"`)

// TestGoldenExposition compares the exposition of hostileSnapshot with
// testdata/metrics.golden (rewrite it with go test ./exporter -update) and
// checks the golden file with promtool check metrics.
func TestGoldenExposition(t *testing.T) {
	got := exposition(t, newTestCollector(t, hostileSnapshot(), 10, 200))
	if *update {
		if err := os.WriteFile(goldenFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./exporter -run TestGoldenExposition -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("exposition differs from %s (go test ./exporter -update to accept):\n%s", goldenFile, got)
	}
	promtoolCheck(t, want)
}

// promtoolCheck pipes an exposition through promtool check metrics. In CI
// (CI=true) promtool must be installed (scripts/deps.sh); elsewhere the check
// is skipped with the reason when it is not.
func promtoolCheck(t *testing.T, exposition []byte) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool not on PATH in CI (install Debian package prometheus, e.g. scripts/deps.sh): %v", err)
		}
		t.Skipf("promtool not on PATH; install Debian package prometheus to run promtool check metrics: %v", err)
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
