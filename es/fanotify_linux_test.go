package es

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// requireFanotify skips when the process really lacks CAP_SYS_ADMIN, and
// fails in CI, which runs as root: these tests must never skip there.
func requireFanotify(t *testing.T) {
	t.Helper()
	if err := FanotifyProbe(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run the fanotify tests as root: %v", err)
		}
		t.Skipf("fanotify needs root: %v", err)
	}
}

type fanSeen struct {
	Kind Kind
	PID  int32
	Exe  string
	Path string
}

// fanRecorder is a sink keeping copies of the events under one directory.
type fanRecorder struct {
	mu     sync.Mutex
	prefix string
	stale  bool // also keep events attributed to PathStale
	evs    []fanSeen
}

func (r *fanRecorder) Observe(ev *Event) {
	if !strings.HasPrefix(string(ev.Path), r.prefix) && (!r.stale || string(ev.Path) != PathStale) {
		return
	}
	r.mu.Lock()
	r.evs = append(r.evs, fanSeen{ev.Kind, ev.PID, string(ev.Executable), string(ev.Path)})
	r.mu.Unlock()
}

func (r *fanRecorder) events() []fanSeen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]fanSeen(nil), r.evs...)
}

// waitFor polls until cond holds over the recorded events.
func (r *fanRecorder) waitFor(t *testing.T, what string, cond func([]fanSeen) bool) {
	t.Helper()
	// Generous: go test ./... runs the agent's storm tests in parallel.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond(r.events()) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	evs := r.events()
	t.Fatalf("timed out waiting for %s; got %d events: %v", what, len(evs), evs[:min(len(evs), 30)])
}

func fanHas(evs []fanSeen, k Kind, exe, path string) bool {
	for _, e := range evs {
		if e.Kind == k && e.Path == path && (exe == "" || e.Exe == exe) {
			return true
		}
	}
	return false
}

// testDir returns a fresh directory on the root filesystem (marked by the
// source) with symbolic links resolved, as the kernel reports paths.
func fanTestDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// startSource opens a source and runs it until the test ends; the returned
// function stops it and waits for Run to return.
func startFanotify(t *testing.T, cfg FanotifyConfig, sink Sink) (*Fanotify, func()) {
	t.Helper()
	src, err := NewFanotify(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, sink) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return src, stop
}

func fanRealPath(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Skipf("%s: %v", p, err)
	}
	return r
}

func fanRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func TestFanotifyKindsAndAttribution(t *testing.T) {
	requireFanotify(t)
	dir := fanTestDir(t)
	rec := &fanRecorder{prefix: dir + "/"}
	startFanotify(t, FanotifyConfig{}, rec)

	sh, touch, mv, trunc, rm := fanRealPath(t, "/bin/sh"), fanRealPath(t, "/usr/bin/touch"),
		fanRealPath(t, "/bin/mv"), fanRealPath(t, "/usr/bin/truncate"), fanRealPath(t, "/bin/rm")
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	fanRun(t, "/bin/sh", "-c", "echo hello > "+a+"; echo more >> "+a)
	fanRun(t, "/usr/bin/touch", c)
	fanRun(t, "/bin/mv", a, b)
	fanRun(t, "/usr/bin/truncate", "-s", "1", b)
	fanRun(t, "/bin/rm", b)
	// The test process's own writes are muted (the source mutes its pid).
	if err := os.WriteFile(filepath.Join(dir, "self"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	want := []struct {
		kind      Kind
		exe, path string
	}{
		{KindCreate, sh, a},
		{KindWrite, sh, a},
		{KindCloseModified, sh, a},
		{KindCreate, touch, c},
		{KindRename, mv, a},
		{KindWrite, trunc, b}, // truncation is a FAN_MODIFY
		{KindUnlink, rm, b},
	}
	rec.waitFor(t, "all kinds", func(evs []fanSeen) bool {
		for _, w := range want {
			if !fanHas(evs, w.kind, w.exe, w.path) {
				return false
			}
		}
		return true
	})
	time.Sleep(100 * time.Millisecond)
	for _, e := range rec.events() {
		if e.PID == int32(os.Getpid()) || strings.HasSuffix(e.Path, "/self") {
			t.Errorf("own event reported: %+v", e)
		}
		if strings.HasPrefix(e.Exe, "<") {
			t.Errorf("event without executable: %+v", e)
		}
	}
}

func TestFanotifyMutes(t *testing.T) {
	requireFanotify(t)
	dir := fanTestDir(t)
	rec := &fanRecorder{prefix: dir + "/"}
	quiet := filepath.Join(dir, "quiet")
	if err := os.Mkdir(quiet, 0o700); err != nil {
		t.Fatal(err)
	}
	src, _ := startFanotify(t, FanotifyConfig{Mute: MuteConfig{
		Executables:  []string{fanRealPath(t, "/usr/bin/touch")},
		PathPrefixes: []string{quiet},
	}}, rec)
	loud := filepath.Join(dir, "loud")
	fanRun(t, "/usr/bin/touch", filepath.Join(dir, "touched"))
	fanRun(t, "/bin/sh", "-c", "echo x > "+filepath.Join(quiet, "f")+"; echo x > "+loud)
	if err := os.WriteFile(filepath.Join(dir, "self"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "the unmuted write", func(evs []fanSeen) bool { return fanHas(evs, KindCloseModified, "", loud) })
	time.Sleep(100 * time.Millisecond)
	for _, e := range rec.events() {
		if e.Path != loud {
			t.Errorf("muted event reported: %+v", e)
		}
	}
	if m := src.Stats().Snapshot().Muted; m < 5 {
		t.Errorf("muted = %d, want at least the touch, quiet and self events (5)", m)
	}
}

func TestFanotifyFDMode(t *testing.T) {
	requireFanotify(t)
	dir := fanTestDir(t)
	rec := &fanRecorder{prefix: dir + "/"}
	startFanotify(t, FanotifyConfig{Report: FanotifyReportFD}, rec)
	f := filepath.Join(dir, "f")
	sh := fanRealPath(t, "/bin/sh")
	fanRun(t, "/bin/sh", "-c", "echo x > "+f)
	rec.waitFor(t, "write and close", func(evs []fanSeen) bool {
		return fanHas(evs, KindWrite, sh, f) && fanHas(evs, KindCloseModified, sh, f)
	})
}

func TestFanotifyStaleDirectory(t *testing.T) {
	requireFanotify(t)
	dir := fanTestDir(t)
	src, err := NewFanotify(FanotifyConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// Events queue while the source is not reading; the directory is gone
	// by the time they are read, so its handle is stale.
	sub := filepath.Join(dir, "gone")
	fanRun(t, "/bin/sh", "-c", "mkdir "+sub+" && echo x > "+sub+"/f && rm "+sub+"/f && rmdir "+sub)
	rec := &fanRecorder{prefix: dir + "/", stale: true}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, rec) }()
	deadline := time.Now().Add(20 * time.Second)
	for src.stale.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if src.stale.Load() == 0 {
		t.Fatalf("no stale handle counted; %d events", len(rec.events()))
	}
	if !fanHas(rec.events(), KindCreate, "", PathStale) {
		t.Errorf("create not attributed to %s", PathStale)
	}
}

func TestFanotifyOverflowCounted(t *testing.T) {
	requireFanotify(t)
	limit := 16384
	if b, err := os.ReadFile("/proc/sys/fs/fanotify/max_queued_events"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			limit = n
		}
	}
	// tmpfs, where creating files is fast, when there is one (the source
	// marks it).
	dir := fanTestDir(t)
	if d, err := os.MkdirTemp("/dev/shm", "estally-overflow-"); err == nil {
		t.Cleanup(func() { os.RemoveAll(d) })
		dir = d
	}
	src, err := NewFanotify(FanotifyConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// Distinct files do not merge: more creates than the queue holds. The
	// test's own events are muted only once read, so they fill the queue.
	for i := range limit + 1000 {
		f, err := os.Create(filepath.Join(dir, "f"+strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, SinkFunc(func(*Event) {})) }()
	deadline := time.Now().Add(20 * time.Second)
	for src.Stats().Overflows.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// One episode from the test's files; more only if other tests' storms
	// (run in parallel by go test ./...) overflowed the queue again.
	if n := src.Stats().Overflows.Load(); n < 1 {
		t.Errorf("overflows = %d, want at least 1 episode", n)
	}
}

func TestFanotifyCleanShutdown(t *testing.T) {
	requireFanotify(t)
	before := runtime.NumGoroutine()
	fdsBefore := fanCountFDs(t)
	for range 3 {
		src, stop := startFanotify(t, FanotifyConfig{}, SinkFunc(func(*Event) {}))
		fanRun(t, "/usr/bin/touch", filepath.Join(fanTestDir(t), "x"))
		time.Sleep(50 * time.Millisecond)
		stop()
		if src.Stats().Snapshot().Up {
			t.Error("source still up after Run returned")
		}
		if err := src.Run(context.Background(), SinkFunc(func(*Event) {})); err == nil {
			t.Error("second Run succeeded")
		}
	}
	// Closing a source that never ran releases it too.
	src, err := NewFanotify(FanotifyConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := src.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines: %d before, %d after\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
	if n := fanCountFDs(t); n > fdsBefore {
		t.Errorf("open descriptors: %d before, %d after", fdsBefore, n)
	}
}

func fanCountFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestCaptureFanotifyFixtures records real kernel bytes into
// testdata/fanotify for the decoder's tests; it runs only when asked:
//
//	ESTALLY_UPDATE_FIXTURES=1 go test ./es -run TestCaptureFanotifyFixtures
func TestCaptureFanotifyFixtures(t *testing.T) {
	if os.Getenv("ESTALLY_UPDATE_FIXTURES") == "" {
		t.Skip("set ESTALLY_UPDATE_FIXTURES=1 to record fixtures")
	}
	requireFanotify(t)
	dir := fanTestDir(t)
	capture := func(report, script, marker string) []byte {
		src, err := NewFanotify(FanotifyConfig{Report: report, NoProcConnector: true})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		fanRun(t, "/bin/sh", "-c", script)
		var out []byte
		for {
			n, err := src.groups[0].read(src.buf)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			b := src.buf[:n]
			for len(b) >= fanMetadataLen {
				l := int(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
				rec := b[:l]
				b = b[l:]
				var r fanotifyRecord
				var d fanotifyDecoder
				d.reset(rec)
				if _, err := d.next(&r); err != nil {
					t.Fatal(err)
				}
				if r.FD >= 0 {
					var link [4096]byte
					path := append([]byte("/proc/self/fd/"+strconv.Itoa(int(r.FD))), 0)
					m, _ := readlinkZ(path, link[:])
					if strings.Contains(string(link[:m]), marker) {
						out = append(out, rec...)
					}
					unix.Close(int(r.FD))
					continue
				}
				if r.Overflow() || strings.Contains(string(r.Name), marker) {
					out = append(out, rec...)
				}
			}
		}
		return out
	}
	write := func(name string, b []byte) {
		if len(b) == 0 {
			t.Fatalf("%s: nothing captured", name)
		}
		if err := os.WriteFile(filepath.Join("testdata", "fanotify", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join("testdata", "fanotify"), 0o755); err != nil {
		t.Fatal(err)
	}
	// fid_lifecycle.bin and fd_write.bin were recorded with
	// FAN_REPORT_DFID_NAME|FAN_REPORT_FID (object FID records); the source
	// now asks for FAN_REPORT_DFID_NAME alone.
	write("dfid_name_lifecycle.bin", capture(FanotifyReportFID,
		"cd "+dir+" && echo hi > fixture-a && echo more >> fixture-a && mv fixture-a fixture-b && truncate -s 0 fixture-b && rm fixture-b", "fixture-"))
	write("dfid_name_overflow.bin", capture(FanotifyReportFID,
		"cd "+dir+" && i=0; while [ $i -lt 17000 ]; do : > ovf$i; i=$((i+1)); done; rm -f ovf*", "no-such-marker"))
}

// TestFanotifyProcessDoesNotAllocate checks the per-event path: decoding,
// path and process resolution from warm caches, muting and the sink call.
func TestFanotifyProcessDoesNotAllocate(t *testing.T) {
	requireFanotify(t)
	b, err := os.ReadFile(filepath.Join("testdata", "fanotify", "fid_lifecycle.bin"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := NewFanotify(FanotifyConfig{NoProcConnector: true, Mute: MuteConfig{PathPrefixes: []string{"/nowhere"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var n int
	sink := SinkFunc(func(*Event) { n++ })
	src.process(src.groups[0], b, sink) // warm the caches
	if allocs := testing.AllocsPerRun(50, func() { src.process(src.groups[0], b, sink) }); allocs != 0 {
		t.Errorf("%v allocations per batch of %d records", allocs, 6)
	}
	if n == 0 {
		t.Error("no events reported")
	}
}

// TestFanotifyFallsBackToFDMode marks a filesystem that has no file
// handles for fanotify (overlayfs) and checks that its writes still arrive,
// through the fd-mode group.
func TestFanotifyFallsBackToFDMode(t *testing.T) {
	requireFanotify(t)
	base := fanTestDir(t)
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	merged := filepath.Join(base, "merged")
	opts := "lowerdir=" + base + "/lower,upperdir=" + base + "/upper,workdir=" + base + "/work"
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		t.Skipf("cannot mount overlayfs here: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(merged, unix.MNT_DETACH) })

	rec := &fanRecorder{prefix: merged + "/"}
	// The root filesystem too, in FID mode: executables are learned from
	// its exec events.
	src, _ := startFanotify(t, FanotifyConfig{Mounts: &MountFilter{IncludeMounts: []string{"/", merged}}}, rec)
	var fdMode []string
	src.mu.Lock() // Run changes the groups when other tests mount
	for _, g := range src.groups {
		if !g.fid {
			fdMode = append(fdMode, g.marked...)
		}
	}
	src.mu.Unlock()
	if len(fdMode) != 1 || fdMode[0] != merged {
		t.Fatalf("fd mode marks %v, want [%s]", fdMode, merged)
	}
	f := filepath.Join(merged, "f")
	fanRun(t, "/bin/sh", "-c", "echo x > "+f)
	rec.waitFor(t, "the write on overlayfs", func(evs []fanSeen) bool {
		return fanHas(evs, KindWrite, fanRealPath(t, "/bin/sh"), f) && fanHas(evs, KindCloseModified, "", f)
	})
}

// TestFanotifyFollowsMounts mounts a tmpfs after the source started (tmpfs
// is watched by the default selection: it is neither a pseudo filesystem
// nor in DefaultExcludeFSTypes), checks that a child's writes in it arrive
// with their paths, then unmounts it and checks the source forgot it.
func TestFanotifyFollowsMounts(t *testing.T) {
	requireFanotify(t)
	mnt := filepath.Join(fanTestDir(t), "later")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	rec := &fanRecorder{prefix: mnt + "/"}
	src, _ := startFanotify(t, FanotifyConfig{}, rec)
	if slices.Contains(src.Filesystems(), mnt) {
		t.Fatalf("%s watched before it was mounted", mnt)
	}
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount tmpfs: %v", err)
		}
		t.Skipf("cannot mount tmpfs here: %v", err)
	}
	mounted := true
	t.Cleanup(func() {
		if mounted {
			_ = unix.Unmount(mnt, unix.MNT_DETACH)
		}
	})
	fanWaitFilesystem(t, src, mnt, true)

	f := filepath.Join(mnt, "f")
	fanRun(t, "/bin/sh", "-c", "echo x > "+f)
	sh := fanRealPath(t, "/bin/sh")
	src.mu.Lock()
	fid := src.fid != nil && slices.Contains(src.fid.marked, mnt)
	src.mu.Unlock()
	rec.waitFor(t, "the events on the new tmpfs", func(evs []fanSeen) bool {
		return fanHas(evs, KindWrite, sh, f) && fanHas(evs, KindCloseModified, sh, f) &&
			(!fid || fanHas(evs, KindCreate, sh, f)) // fd mode has no creates
	})

	if err := unix.Unmount(mnt, 0); err != nil {
		t.Fatalf("unmount: %v", err)
	}
	mounted = false
	fanWaitFilesystem(t, src, mnt, false)
	if n := src.Stats().Errors(reasonMarkFailed).Load(); n != 0 {
		t.Errorf("%s = %d, want 0", reasonMarkFailed, n)
	}
}

// fanWaitFilesystem waits until src does (or does not) list mount point mnt.
func fanWaitFilesystem(t *testing.T, src *Fanotify, mnt string, listed bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if slices.Contains(src.Filesystems(), mnt) == listed {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("Filesystems() = %v: %s listed is not %v", src.Filesystems(), mnt, listed)
}

// TestFanotifyFollowsMountsFDFallback mounts an overlayfs (no file handles
// for fanotify) after the source started, in the usual case with no fd-mode
// group yet: the group is created then, and its events are polled and read.
func TestFanotifyFollowsMountsFDFallback(t *testing.T) {
	requireFanotify(t)
	base := fanTestDir(t)
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	merged := filepath.Join(base, "merged")
	rec := &fanRecorder{prefix: merged + "/"}
	src, _ := startFanotify(t, FanotifyConfig{Mounts: &MountFilter{IncludeMounts: []string{"/", merged}}}, rec)
	src.mu.Lock()
	lazy := src.fd == nil // else (root on overlayfs) the group exists already
	src.mu.Unlock()
	t.Logf("fd-mode group created after start: %v", lazy)
	opts := "lowerdir=" + base + "/lower,upperdir=" + base + "/upper,workdir=" + base + "/work"
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		t.Skipf("cannot mount overlayfs here: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(merged, unix.MNT_DETACH) })
	fanWaitFilesystem(t, src, merged, true)
	src.mu.Lock()
	inFD := src.fd != nil && slices.Contains(src.fd.marked, merged)
	src.mu.Unlock()
	if !inFD {
		t.Fatalf("%s not marked in an fd-mode group", merged)
	}
	f := filepath.Join(merged, "f")
	fanRun(t, "/bin/sh", "-c", "echo x > "+f)
	rec.waitFor(t, "the write on the later overlayfs", func(evs []fanSeen) bool {
		return fanHas(evs, KindWrite, fanRealPath(t, "/bin/sh"), f) && fanHas(evs, KindCloseModified, "", f)
	})
}
