package agent

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/estally/estally/es"
)

// buildEstally builds the estally binary into a temporary directory.
func buildEstally(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "estally")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/estally/estally/cmd/estally")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// daemon is a running estally binary.
type daemon struct {
	cmd     *exec.Cmd
	addr    string // host:port of /metrics
	exited  chan error
	mu      sync.Mutex
	stderr  strings.Builder
	stopped bool
}

var servingLine = regexp.MustCompile(`msg="serving metrics" address=(\S+)`)

// startDaemon runs `estally run args...` and waits for the log line that
// names its listen address.
func startDaemon(t *testing.T, bin string, args ...string) *daemon {
	t.Helper()
	d := &daemon{cmd: exec.Command(bin, append([]string{"run"}, args...)...), exited: make(chan error, 1)}
	errPipe, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			line := sc.Text()
			d.mu.Lock()
			d.stderr.WriteString(line + "\n")
			d.mu.Unlock()
			if m := servingLine.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, errPipe)
		d.exited <- d.cmd.Wait()
	}()
	t.Cleanup(func() {
		if !d.stopped {
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
		if t.Failed() {
			t.Logf("estally stderr:\n%s", d.log())
		}
	})
	select {
	case d.addr = <-addr:
	case err := <-d.exited:
		d.stopped = true
		t.Fatalf("estally exited before serving: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("estally did not log its listen address within 30s")
	}
	return d
}

func (d *daemon) log() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stderr.String()
}

// scrape fetches and parses /metrics.
func (d *daemon) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, _ := d.scrapeWithin(t, 10*time.Second)
	return mfs
}

// scrapeWithin fetches and parses /metrics, failing after timeout, and says
// how long the scrape took.
func (d *daemon) scrapeWithin(t *testing.T, timeout time.Duration) (map[string]*dto.MetricFamily, time.Duration) {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+d.addr+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape: parse exposition: %v", err)
	}
	return mfs, time.Since(start)
}

func (d *daemon) stop(t *testing.T) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.exited:
		d.stopped = true
		return d.cmd.ProcessState.ExitCode(), time.Since(start)
	case <-time.After(10 * time.Second):
		t.Fatal("estally still running 10s after SIGTERM")
		return -1, 0
	}
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return 0
}

// byLabels sums a family's values keyed by the values of the given labels,
// joined by "/".
func byLabels(mf *dto.MetricFamily, names ...string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range mf.GetMetric() {
		var key []string
		for _, n := range names {
			key = append(key, label(m, n))
		}
		out[strings.Join(key, "/")] += value(m)
	}
	return out
}

// TestEndToEnd runs the daemon on the synthetic source until it has folded
// exactly N events, checks the totals and the conservation identity from the
// outside, and stops it with SIGTERM.
// checkConservation asserts resident + other = observed, per table and kind,
// on one scrape (a scrape is one consistent snapshot).
func checkConservation(t *testing.T, mfs map[string]*dto.MetricFamily) {
	t.Helper()
	observed := byLabels(mfs["estally_events_total"], "kind")
	resident := byLabels(mfs["estally_table_resident_events"], "table", "kind")
	other := byLabels(mfs["estally_table_other_events_total"], "table", "kind")
	for _, table := range []string{"process", "path"} {
		for k := range es.Kind(es.NumKinds) {
			key := table + "/" + k.String()
			if r, o, want := resident[key], other[key], observed[k.String()]; r+o != want {
				t.Errorf("%s: resident %v + other %v = %v, want estally_events_total %v", key, r, o, r+o, want)
			}
		}
	}
}

func TestEndToEnd(t *testing.T) {
	bin := buildEstally(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		// Defaults: tables far larger than the stream's keys.
		{"steady", []string{"--synthetic.profile=steady"}},
		// Capacities far below the distinct keys: evictions and rejections
		// move counts into other, and the identity must still hold.
		{"scan", []string{"--synthetic.profile=scan", "--aggregate.path-capacity=64", "--aggregate.process-capacity=2"}},
		{"flood", []string{"--synthetic.profile=flood", "--synthetic.writers=100", "--aggregate.path-capacity=10", "--aggregate.process-capacity=10"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 200000
			args := append([]string{
				"--source=synthetic", "--synthetic.rate=0", fmt.Sprintf("--synthetic.events=%d", n),
				"--web.listen-address=127.0.0.1:0", "--log.level=debug",
				// Not the machine-wide default socket: tests run in parallel.
				"--summary.socket=" + shortTempDir(t) + "/summary.sock",
			}, tc.args...)
			d := startDaemon(t, bin, args...)

			var mfs map[string]*dto.MetricFamily
			var total float64
			deadline := time.Now().Add(60 * time.Second)
			for {
				mfs = d.scrape(t)
				total = 0
				for _, v := range byLabels(mfs["estally_events_total"], "kind") {
					total += v
				}
				if total == n || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if total != n {
				t.Fatalf("estally_events_total sums to %v, want %d", total, n)
			}

			// The source label names the synthetic source, and it is up.
			for _, m := range mfs["estally_events_total"].GetMetric() {
				if s := label(m, "source"); s != "synthetic" {
					t.Errorf("estally_events_total has source=%q", s)
				}
			}
			if up := byLabels(mfs["estally_source_up"], "source"); up["synthetic"] != 1 {
				t.Errorf("estally_source_up = %v, want synthetic=1", up)
			}

			checkConservation(t, mfs)
			other := byLabels(mfs["estally_table_other_events_total"], "table", "kind")
			if tc.name == "scan" {
				var o float64
				for k := range es.Kind(es.NumKinds) {
					o += other["path/"+k.String()]
				}
				if o == 0 {
					t.Error("scan with a 64-entry path table: nothing in other")
				}
			}

			code, took := d.stop(t)
			if code != 0 {
				t.Errorf("exit code %d after SIGTERM, want 0", code)
			}
			if took > 2*time.Second {
				t.Errorf("exit took %v after SIGTERM, want under 2s", took)
			}
		})
	}
}

// TestEndToEndListenFailure checks that a runtime failure (an address that
// cannot be listened on) exits 1 with the error logged.
func TestEndToEndListenFailure(t *testing.T) {
	bin := buildEstally(t)
	cmd := exec.Command(bin, "run", "--source=synthetic", "--web.listen-address=203.0.113.1:1", "--summary.socket=")
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit code %d (%v), want 1; output:\n%s", code, err, out)
	}
	if !strings.Contains(string(out), "level=ERROR") || !strings.Contains(string(out), "203.0.113.1:1") {
		t.Errorf("no error naming the address in:\n%s", out)
	}
}

// shortTempDir returns a temporary directory with a path short enough for a
// Unix socket (t.TempDir's can exceed the 104-byte limit of sun_path on
// darwin).
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "estally")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
