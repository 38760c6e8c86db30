//go:build linux || darwin

package agent

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/term"

	"github.com/estally/estally/summary"
)

// startSummaryServer serves summaries from a hub on a Unix socket.
func startSummaryServer(t *testing.T) (string, *summary.Hub) {
	t.Helper()
	dir, err := os.MkdirTemp("", "esttop")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	hub := summary.NewHub(summary.HubConfig{})
	srv, err := summary.ListenUnix(summary.UnixConfig{Path: filepath.Join(dir, "s.sock"), Hub: hub})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return srv.Addr(), hub
}

func publish(t *testing.T, hub *summary.Hub, s *summary.Summary) {
	t.Helper()
	js, err := summary.Encode(s, summary.DefaultMaxBytes)
	if err != nil {
		t.Fatal(err)
	}
	hub.Publish(summary.NewMessage(s, js))
}

// syncBuffer collects the terminal's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestTopUnderPTY runs a top session on a pseudo-terminal: it draws pushed
// summaries, redraws at the new size on a resize, quits on "q" and restores
// the terminal.
func TestTopUnderPTY(t *testing.T) {
	sock, hub := startSummaryServer(t)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	pty.Setsize(ptmx, &pty.Winsize{Rows: 30, Cols: 100})
	before, err := term.GetState(int(tty.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	out := collect(ptmx)

	publish(t, hub, viewSummary(1, time.Now(), 1000, 4))
	resize := make(chan os.Signal, 1)
	done := make(chan error, 1)
	// Registered after the server's cleanup, so it runs before it: a failed
	// assertion must not leave the session holding its subscription open
	// while the server waits for its connections to end.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		done <- topSession(ctx, topConfig{socket: sock, in: tty, out: tty, resize: resize})
	}()
	waitOutput(t, out, "\x1b[?1049h", "estally top", "/usr/bin/proca")
	if !term.IsTerminal(int(tty.Fd())) {
		t.Fatal("not a terminal")
	}

	// A push redraws.
	publish(t, hub, viewSummary(2, time.Now().Add(time.Second), 4000, 4))
	waitOutput(t, out, "#2")

	// A resize redraws at the new width: long paths are cut to 50 columns.
	pty.Setsize(ptmx, &pty.Winsize{Rows: 20, Cols: 50})
	resize <- os.Interrupt // any signal value: the session re-reads the size
	waitOutput(t, out, "\x1b[2J", "…")

	ptmx.Write([]byte("q"))
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("session: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("q did not quit")
	}
	waitOutput(t, out, "\x1b[?25h\x1b[?1049l")
	after, err := term.GetState(int(tty.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if *after != *before {
		t.Fatal("terminal mode not restored")
	}
}

// collect copies everything the terminal shows into a buffer, until the
// pseudo-terminal is closed.
func collect(ptmx *os.File) *syncBuffer {
	out := new(syncBuffer)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			out.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	return out
}

func waitOutput(t *testing.T, out *syncBuffer, wants ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // generous: the machine may be loaded
	for {
		s := out.String()
		ok := true
		for _, w := range wants {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("terminal output lacks %q; got %q", wants, s[max(0, len(s)-2000):])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTopReconnects: without a daemon the session fails at once (terminal
// restored); once it has shown a summary, a lost daemon is shown and
// retried, and a new daemon on the same socket is picked up.
func TestTopReconnects(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	pty.Setsize(ptmx, &pty.Winsize{Rows: 30, Cols: 100})
	out := collect(ptmx)
	dir, err := os.MkdirTemp("", "esttop")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "s.sock")

	if err := topSession(context.Background(), topConfig{socket: sock, in: tty, out: tty}); err == nil {
		t.Fatal("no error without a daemon")
	}

	serve := func(seq uint64) (stop func()) {
		hub := summary.NewHub(summary.HubConfig{})
		publish(t, hub, viewSummary(seq, time.Now(), 1000, 2))
		srv, err := summary.ListenUnix(summary.UnixConfig{Path: sock, Hub: hub})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { srv.Serve(ctx); close(done) }()
		return func() { hub.Close(); cancel(); <-done }
	}
	stop := serve(1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- topSession(ctx, topConfig{socket: sock, in: tty, out: tty}) }()
	waitOutput(t, out, "#1")
	stop()
	waitOutput(t, out, "disconnected (")
	stop = serve(9)
	defer stop()
	waitOutput(t, out, "#9")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("session did not end after its context was cancelled")
	}
}
