//go:build darwin || linux || freebsd || netbsd || openbsd

package es

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// runExec spawns eslogger and reads its standard output.
//
// eslogger suppresses the events of every process in its own process group
// (eslogger(1)), so it is started in the agent's process group — set
// explicitly with Setpgid — and the agent's own writes never reach the
// fold. Stopping sends SIGTERM to the eslogger process alone, never to the
// group, which holds the agent too.
func (e *Eslogger) runExec(ctx context.Context, sink Sink) error {
	cmd := exec.CommandContext(ctx, e.cfg.Path, EsloggerEvents...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: syscall.Getpgrp()}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	// The agent gives its components 1.5 s to stop; after 1 s, Go kills
	// eslogger and closes its pipes.
	cmd.WaitDelay = time.Second
	stderr := &tailBuffer{max: 4096}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("eslogger: %w", err)
	}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("eslogger: %s not found (eslogger ships with macOS 13 and later): %w", e.cfg.Path, err)
		}
		return fmt.Errorf("eslogger: start %s: %w", e.cfg.Path, err)
	}
	e.log.Info("started eslogger", "path", e.cfg.Path, "pid", cmd.Process.Pid)
	e.seq.reset() // a new ES client: fresh sequences
	e.stats.SetUp(true)
	readErr := e.consume(stdout, sink)
	e.stats.SetUp(false)
	waitErr := cmd.Wait()
	if ctx.Err() != nil {
		return nil
	}
	if err := esloggerStderrError(stderr.String()); err != nil {
		return fmt.Errorf("eslogger could not start: %w", err)
	}
	if readErr != nil {
		return fmt.Errorf("eslogger: read output: %w", readErr)
	}
	if msg := stderr.String(); msg != "" {
		return fmt.Errorf("eslogger exited (%v): %s", waitErr, msg)
	}
	if waitErr != nil {
		return fmt.Errorf("eslogger exited: %w", waitErr)
	}
	return errors.New("eslogger exited unexpectedly without an error")
}

// ProbeEslogger reports whether eslogger can be spawned here: the binary
// exists and the agent runs as root. Whether Full Disk Access is granted
// shows only when eslogger runs.
func ProbeEslogger(path string) error {
	if path == "" {
		path = DefaultEsloggerPath
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("eslogger: %w (eslogger ships with macOS 13 and later)", err)
	}
	if fi.Mode()&0o111 == 0 {
		return fmt.Errorf("eslogger: %s is not executable", path)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("eslogger: %w", ErrESNotPrivileged)
	}
	return nil
}

// interruptible returns a version of f whose blocked Read a Close from
// another goroutine ends: for a pipe or FIFO, a duplicate of its descriptor
// in non-blocking mode, handed to the runtime poller. The duplicate is the
// caller's to close; f stays open and owned by whoever opened it (two
// *os.File values must never own one descriptor: the second one's close or
// finalizer would close a number the process may have reused by then).
// Other files (terminals, whose mode the shell shares; regular files, which
// never block) are returned unchanged.
func interruptible(f *os.File) *os.File {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return f
	}
	raw, err := f.SyscallConn()
	if err != nil {
		return f
	}
	dup := -1
	if cerr := raw.Control(func(fd uintptr) { dup, err = syscall.Dup(int(fd)) }); cerr != nil || err != nil {
		return f
	}
	syscall.CloseOnExec(dup)
	if err := syscall.SetNonblock(dup, true); err != nil {
		syscall.Close(dup)
		return f
	}
	return os.NewFile(uintptr(dup), f.Name())
}
