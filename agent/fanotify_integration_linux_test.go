package agent

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/estally/estally/es"
)

// These tests run the estally binary on the real kernel with the fanotify
// source. They need CAP_SYS_ADMIN: they skip without it, except in CI
// (CI=true), which runs as root and where they must run.

func requireFanotify(t *testing.T) {
	t.Helper()
	if err := es.FanotifyProbe(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run the fanotify tests as root: %v", err)
		}
		t.Skipf("fanotify needs root: %v", err)
	}
}

// buildWriter builds bench/cmd/writer into dir under the given name.
func buildWriter(t *testing.T, dir, name string) string {
	t.Helper()
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, "github.com/estally/estally/bench/cmd/writer")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build writer: %v\n%s", err, out)
	}
	return bin
}

// storageDir returns a fresh directory, with symbolic links resolved as the
// kernel reports paths, under root.
func storageDir(t *testing.T, root string) string {
	t.Helper()
	d, err := os.MkdirTemp(root, "estally-fanotify-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	d, err = filepath.EvalSymlinks(d)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustRealPath(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return r
}

// seriesValue returns the value of family's series with the given labels,
// and whether there is one.
func seriesValue(mfs map[string]*dto.MetricFamily, family string, labels map[string]string) (float64, bool) {
	for _, m := range mfs[family].GetMetric() {
		match := true
		for k, v := range labels {
			if label(m, k) != v {
				match = false
				break
			}
		}
		if match {
			return value(m), true
		}
	}
	return 0, false
}

// vmHWM returns the peak resident set size of pid in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// scrapeSlow is d.scrape with a longer timeout: under a 100-thread storm on
// a 2-core machine the daemon gets a small share of the CPU, and a scrape
// can take seconds. It returns how long the scrape took.
func scrapeSlow(t *testing.T, d *daemon) (map[string]*dto.MetricFamily, time.Duration) {
	t.Helper()
	return d.scrapeWithin(t, 60*time.Second)
}

func fanotifyDaemonArgs(t *testing.T, extra ...string) []string {
	return append([]string{
		"--source=fanotify", "--web.listen-address=127.0.0.1:0",
		"--summary.socket=" + shortTempDir(t) + "/summary.sock",
	}, extra...)
}

// TestFanotifyDaemon runs the daemon with the fanotify source, writes,
// creates, renames, truncates and deletes files from child processes with
// known executables, and finds each kind on /metrics for those paths and
// processes; the daemon's own writes never appear.
func TestFanotifyDaemon(t *testing.T) {
	requireFanotify(t)
	bin := buildEstally(t)
	// Large top-K: the machine's other activity must not push the test's
	// paths and processes out of the exported lists.
	d := startDaemon(t, bin, fanotifyDaemonArgs(t, "--export.top-k=500", "--export.series-budget=20000")...)

	dir := storageDir(t, os.TempDir())
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	sh, touch, mv, trunc, rm := mustRealPath(t, "/bin/sh"), mustRealPath(t, "/usr/bin/touch"),
		mustRealPath(t, "/bin/mv"), mustRealPath(t, "/usr/bin/truncate"), mustRealPath(t, "/bin/rm")
	for _, args := range [][]string{
		{"/bin/sh", "-c", "echo hello > " + a + "; echo more >> " + a},
		{"/usr/bin/touch", c},
		{"/bin/mv", a, b},
		{"/usr/bin/truncate", "-s", "1", b},
		{"/bin/rm", b},
	} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}

	// Each (path, kind) and (process, kind) that must appear, and its
	// exact count where the kernel cannot merge it (0: at least one). The
	// two writes by one shell to a are merged into one write event when
	// they queue together; truncation arrives as a write.
	paths := []struct {
		path, kind string
		exact      float64
	}{
		{a, "create", 1}, {a, "write", 0}, {a, "close_modified", 0}, {a, "rename", 1},
		{c, "create", 1}, {c, "close_modified", 1},
		{b, "write", 0}, {b, "close_modified", 1}, {b, "unlink", 1},
	}
	procs := []struct{ exe, kind string }{
		{sh, "create"}, {sh, "write"}, {sh, "close_modified"}, {touch, "create"},
		{mv, "rename"}, {trunc, "write"}, {rm, "unlink"},
	}
	var mfs map[string]*dto.MetricFamily
	var missing []string
	for deadline := time.Now().Add(20 * time.Second); ; {
		mfs = d.scrape(t)
		missing = missing[:0]
		for _, p := range paths {
			if _, ok := seriesValue(mfs, "estally_path_events_total", map[string]string{"path": p.path, "kind": p.kind}); !ok {
				missing = append(missing, p.kind+" "+p.path)
			}
		}
		for _, p := range procs {
			if _, ok := seriesValue(mfs, "estally_process_events_total", map[string]string{"process": p.exe, "kind": p.kind}); !ok {
				missing = append(missing, p.kind+" by "+p.exe)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(missing) > 0 {
		t.Fatalf("not on /metrics after 20s: %v", missing)
	}
	for _, p := range paths {
		v, _ := seriesValue(mfs, "estally_path_events_total", map[string]string{"path": p.path, "kind": p.kind})
		if p.exact != 0 && v != p.exact {
			t.Errorf("%s %s = %v, want %v", p.kind, p.path, v, p.exact)
		}
	}
	for _, m := range mfs["estally_path_events_total"].GetMetric() {
		if p := label(m, "path"); strings.HasPrefix(p, dir+"/") && p != a && p != b && p != c {
			t.Errorf("unexpected path %q", p)
		}
	}
	// The daemon's own writes (its summary socket, at least) are muted.
	for _, m := range mfs["estally_process_events_total"].GetMetric() {
		if label(m, "process") == bin {
			t.Errorf("the daemon's own events were folded: %v %s", label(m, "kind"), label(m, "process"))
		}
	}
	if v, _ := seriesValue(mfs, "estally_events_muted_total", map[string]string{"source": "fanotify"}); v < 1 {
		t.Errorf("estally_events_muted_total = %v, want the daemon's own events", v)
	}
	if v, _ := seriesValue(mfs, "estally_source_up", map[string]string{"source": "fanotify"}); v != 1 {
		t.Errorf("estally_source_up = %v", v)
	}
	checkConservation(t, mfs)
	if code, _ := d.stop(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
}

// TestFanotifyAttack runs write storms against the daemon for about ten
// seconds each, as child processes: a one-byte write flood by 2 and by 100
// threads, and a path scan (a new file every 10 writes from 2 threads, far
// more paths than the path table holds) with a steady writer beside it.
// Throughout, the daemon must stay up and scrapable and conserve every
// event; its peak RSS must stay under 64 MiB; the steady writer must be in
// the process top-K; any overflow must be counted.
//
// The storms write on tmpfs (/dev/shm, which the source marks), so that they
// measure the source and not the disk.
func TestFanotifyAttack(t *testing.T) {
	requireFanotify(t)
	if _, err := os.Stat("/dev/shm"); err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	bin := buildEstally(t)
	tools := t.TempDir()
	writer := buildWriter(t, tools, "writer")
	steadyWriter := buildWriter(t, tools, "steady-writer")
	const pathCapacity = 1024
	d := startDaemon(t, bin, fanotifyDaemonArgs(t, "--aggregate.path-capacity="+strconv.Itoa(pathCapacity))...)
	dir := storageDir(t, "/dev/shm")

	storms := []struct {
		name string
		args []string
	}{
		{"flood-2", []string{"-mode=flood", "-threads=2"}},
		{"flood-100", []string{"-mode=flood", "-threads=100"}},
		{"scan", []string{"-mode=scan", "-threads=2", "-every=10", "-remove"}},
	}
	const duration = 10 * time.Second
	for _, s := range storms {
		t.Run(s.name, func(t *testing.T) {
			sdir := storageDir(t, dir)
			ctx, cancel := context.WithTimeout(context.Background(), duration+30*time.Second)
			defer cancel()
			durArg := "-duration=" + duration.String()
			storm := exec.CommandContext(ctx, writer, append(s.args, "-dir="+sdir, durArg)...)
			steady := exec.CommandContext(ctx, steadyWriter, "-mode=steady", "-interval=1ms", "-dir="+sdir, durArg)
			var stormOut, steadyOut bytes.Buffer
			storm.Stdout, storm.Stderr = &stormOut, &stormOut
			steady.Stdout, steady.Stderr = &steadyOut, &steadyOut
			if err := steady.Start(); err != nil {
				t.Fatal(err)
			}
			if err := storm.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 2)
			go func() { done <- storm.Wait() }()
			go func() { done <- steady.Wait() }()

			// Scrape every 500ms while the storm runs.
			scrapes := 0
			var slowest time.Duration
			for running := 2; running > 0; {
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("writer: %v\n%s%s", err, stormOut.String(), steadyOut.String())
					}
					running--
				case <-time.After(500 * time.Millisecond):
					select {
					case err := <-d.exited:
						d.stopped = true
						t.Fatalf("daemon exited during the storm: %v", err)
					default:
					}
					mfs, took := scrapeSlow(t, d)
					checkConservation(t, mfs)
					slowest = max(slowest, took)
					scrapes++
				}
			}
			// Let the last batches be read, then check the end state.
			time.Sleep(300 * time.Millisecond)
			mfs, _ := scrapeSlow(t, d)
			checkConservation(t, mfs)
			hwm := vmHWM(t, d.cmd.Process.Pid)
			overflows, ok := seriesValue(mfs, "estally_source_overflows_total", map[string]string{"source": "fanotify"})
			if !ok {
				t.Error("no estally_source_overflows_total{source=\"fanotify\"}")
			}
			var observed float64
			for _, v := range byLabels(mfs["estally_events_total"], "kind") {
				observed += v
			}
			t.Logf("%s: %s; steady %s; %d scrapes (slowest %v); daemon VmHWM %.1f MiB; events folded so far %.0f; overflows %.0f",
				s.name, strings.TrimSpace(stormOut.String()), strings.TrimSpace(steadyOut.String()), scrapes, slowest.Round(time.Millisecond),
				float64(hwm)/(1<<20), observed, overflows)
			if hwm >= 64<<20 {
				t.Errorf("daemon peak RSS %.1f MiB, want under 64 MiB", float64(hwm)/(1<<20))
			}
			if _, ok := seriesValue(mfs, "estally_process_events_total", map[string]string{"process": steadyWriter, "kind": "write"}); !ok {
				var top []string
				for _, m := range mfs["estally_process_events_total"].GetMetric() {
					top = append(top, label(m, "process")+"/"+label(m, "kind"))
				}
				t.Errorf("steady writer %s not in the process top-K: %v", steadyWriter, top)
			}
			if s.name == "scan" {
				if e, _ := seriesValue(mfs, "estally_table_entries", map[string]string{"table": "path"}); e > pathCapacity {
					t.Errorf("path table holds %v entries, capacity %d", e, pathCapacity)
				}
				var other float64
				for k := range es.Kind(es.NumKinds) {
					v, _ := seriesValue(mfs, "estally_table_other_events_total", map[string]string{"table": "path", "kind": k.String()})
					other += v
				}
				if other == 0 {
					t.Error("path scan past the table's capacity, but nothing in other")
				}
			}
		})
	}
	if code, _ := d.stop(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
}
