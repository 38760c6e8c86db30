//go:build linux || darwin

package es

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeEslogger writes an executable shell script standing in for eslogger.
func fakeEslogger(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "eslogger")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func newExecEslogger(t *testing.T, path string) *Eslogger {
	t.Helper()
	e, err := NewEslogger(EsloggerConfig{Input: EsloggerInputExec, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEsloggerExecStreamsAndStops(t *testing.T) {
	dir := t.TempDir()
	fixture, _ := filepath.Abs(filepath.Join("testdata", "eslogger", "v10", "write.jsonl"))
	args := filepath.Join(dir, "args")
	pgid := filepath.Join(dir, "pgid")
	script := fakeEslogger(t, `echo "$@" > `+args+`
if [ -r /proc/$$/stat ]; then cut -d' ' -f5 /proc/$$/stat > `+pgid+`; fi
cat `+fixture+` `+fixture+`
exec sleep 60`)
	e := newExecEslogger(t, script)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan struct{}, 2)
	done := make(chan error, 1)
	go func() {
		done <- e.Run(ctx, SinkFunc(func(ev *Event) { got <- struct{}{} }))
	}()
	for range 2 {
		select {
		case <-got:
		case err := <-done:
			t.Fatalf("Run ended early: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("no events from the spawned eslogger")
		}
	}
	if !e.Stats().Snapshot().Up {
		t.Error("source not up while streaming")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
	b, _ := os.ReadFile(args)
	if strings.TrimSpace(string(b)) != strings.Join(EsloggerEvents, " ") {
		t.Errorf("eslogger args = %q", b)
	}
	if runtime.GOOS == "linux" {
		b, err := os.ReadFile(pgid)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := strconv.Atoi(strings.TrimSpace(string(b))); n != syscall.Getpgrp() {
			t.Errorf("eslogger process group %d, want the agent's %d", n, syscall.Getpgrp())
		}
	}
	if e.Stats().Snapshot().Up {
		t.Error("source still up after Run returned")
	}
}

func TestEsloggerExecErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want error
		text string
	}{
		{"not permitted", "echo 'Failed to create client: ES_NEW_CLIENT_RESULT_ERR_NOT_PERMITTED' >&2; exit 1", ErrESNotPermitted, "Full Disk Access"},
		{"not privileged", "echo 'ES_NEW_CLIENT_RESULT_ERR_NOT_PRIVILEGED' >&2; exit 1", ErrESNotPrivileged, "root"},
		{"other failure", "echo 'boom' >&2; exit 3", nil, "boom"},
		{"silent exit", "exit 0", nil, "unexpectedly"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newExecEslogger(t, fakeEslogger(t, tc.body))
			err := e.Run(context.Background(), SinkFunc(func(*Event) {}))
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not mention %q", err, tc.text)
			}
		})
	}
	e := newExecEslogger(t, filepath.Join(t.TempDir(), "no-eslogger"))
	if err := e.Run(context.Background(), SinkFunc(func(*Event) {})); !errors.Is(err, os.ErrNotExist) ||
		!strings.Contains(err.Error(), "macOS 13") {
		t.Errorf("missing binary: %v", err)
	}
}

func TestProbeEslogger(t *testing.T) {
	if err := ProbeEslogger(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("probe of a missing binary succeeded")
	}
	script := fakeEslogger(t, "exit 0")
	err := ProbeEslogger(script)
	if os.Geteuid() == 0 && err != nil {
		t.Errorf("probe as root: %v", err)
	}
	if os.Geteuid() != 0 && !errors.Is(err, ErrESNotPrivileged) {
		t.Errorf("probe as a user: %v", err)
	}
}

// TestEsloggerStdinStops checks that Run on a blocking pipe with no input
// returns promptly once its context is done.
func TestEsloggerStdinStops(t *testing.T) {
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil { // blocking, unlike os.Pipe
		t.Fatal(err)
	}
	r := os.NewFile(uintptr(fds[0]), "pipe-r")
	w := os.NewFile(uintptr(fds[1]), "pipe-w")
	defer w.Close()
	e, err := NewEslogger(EsloggerConfig{Input: "-", Stdin: r})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, SinkFunc(func(*Event) {})) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run still blocked on standard input after cancel")
	}
}
