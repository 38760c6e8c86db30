//go:build linux || darwin

package summary

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// shortDir returns a temporary directory with a short path (socket paths
// are limited to ~100 bytes).
func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "est")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// startUnix starts a server with a hub holding one summary.
func startUnix(t *testing.T, cfg UnixConfig) (*UnixServer, *Hub) {
	t.Helper()
	if cfg.Hub == nil {
		cfg.Hub = NewHub(HubConfig{MaxSubscribers: 4, StuckTimeout: 2 * time.Second})
	}
	if cfg.Path == "" {
		cfg.Path = filepath.Join(shortDir(t), "s.sock")
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 300 * time.Millisecond
	}
	s := NewBuilder(time.Second).Build(testSnapshot(time.Now(), 3, 20, 1), nil)
	js, _ := Encode(s, DefaultMaxBytes)
	cfg.Hub.Publish(NewMessage(s, js))
	srv, err := ListenUnix(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return srv, cfg.Hub
}

func TestUnixGetAndSubscribe(t *testing.T) {
	srv, hub := startUnix(t, UnixConfig{})
	fi, err := os.Stat(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("socket mode %v, want 0600 socket", fi.Mode())
	}
	c := &Client{Path: srv.Addr()}
	got, err := c.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary.Seq != hub.Latest().Summary.Seq || string(got.Raw) != string(hub.Latest().JSON()) {
		t.Fatalf("get returned %s", got.Raw)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var seqs []uint64
	errc := make(chan error, 1)
	go func() {
		errc <- c.Subscribe(ctx, 2*time.Second, func(r Received) error {
			seqs = append(seqs, r.Summary.Seq)
			if len(seqs) == 3 {
				cancel()
			}
			return nil
		})
	}()
	waitFor(t, func() bool { return hub.Subscribers() == 1 })
	// The subscriber asked for 2s with an agent interval of 1s: every
	// second summary.
	for i := uint64(100); i < 110; i++ {
		hub.Publish(NewMessage(&Summary{Version: 1, Seq: i}, fmt.Appendf(nil, `{"version":1,"seq":%d}`, i)))
		time.Sleep(5 * time.Millisecond)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 3 || seqs[1] != 101 || seqs[2] != 103 {
		t.Fatalf("pushed seqs %v, want [1 101 103]", seqs)
	}
	waitFor(t, func() bool { return hub.Subscribers() == 0 })
	if got := testutil.ToFloat64(hub.Metrics().disconnects.WithLabelValues(TransportUnix, ReasonClientClosed)); got != 1 {
		t.Fatalf("client_closed disconnects %v", got)
	}
}

func TestUnixSubscribeTooFast(t *testing.T) {
	srv, _ := startUnix(t, UnixConfig{Interval: time.Second})
	err := (&Client{Path: srv.Addr()}).Subscribe(context.Background(), 100*time.Millisecond, func(Received) error { return nil })
	if !errors.Is(err, ErrAgent) || !strings.Contains(err.Error(), "shorter than the agent's") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnixSubscriberLimit(t *testing.T) {
	srv, hub := startUnix(t, UnixConfig{Hub: NewHub(HubConfig{MaxSubscribers: 1})})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go (&Client{Path: srv.Addr()}).Subscribe(ctx, 0, func(Received) error { return nil })
	waitFor(t, func() bool { return hub.Subscribers() == 1 })
	err := (&Client{Path: srv.Addr()}).Subscribe(context.Background(), 0, func(Received) error { return nil })
	if !errors.Is(err, ErrAgent) || !strings.Contains(err.Error(), "too many") {
		t.Fatalf("second subscriber: %v", err)
	}
}

func TestUnixStaleSocket(t *testing.T) {
	dir := shortDir(t)
	hub := NewHub(HubConfig{})

	// A regular file is never removed.
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("keep"), 0o600)
	if _, err := ListenUnix(UnixConfig{Path: file, Hub: hub}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("regular file: %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "keep" {
		t.Fatal("regular file was touched")
	}
	// A directory or a symlink to a socket is not a socket either.
	if _, err := ListenUnix(UnixConfig{Path: dir, Hub: hub}); err == nil {
		t.Fatal("directory accepted")
	}

	// A live listener is not replaced.
	live := filepath.Join(dir, "live.sock")
	l, err := net.Listen("unix", live)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ListenUnix(UnixConfig{Path: live, Hub: hub}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("live socket: %v", err)
	}
	link := filepath.Join(dir, "link.sock")
	os.Symlink(live, link)
	if _, err := ListenUnix(UnixConfig{Path: link, Hub: hub}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("symlink: %v", err)
	}
	l.Close()

	// A stale socket (nobody listening) is replaced.
	stale := filepath.Join(dir, "stale.sock")
	ul, _ := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	ul.SetUnlinkOnClose(false)
	ul.Close()
	if _, err := os.Lstat(stale); err != nil {
		t.Fatalf("stale socket missing: %v", err)
	}
	srv, err := ListenUnix(UnixConfig{Path: stale, Hub: hub})
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	srv.Close()
	if _, err := os.Lstat(stale); !os.IsNotExist(err) {
		t.Fatalf("socket left after Close: %v", err)
	}
}

func TestUnixGroup(t *testing.T) {
	srv, _ := startUnix(t, UnixConfig{Group: "0"})
	fi, err := os.Stat(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o660 || st.Gid != 0 {
		t.Fatalf("mode %v gid %d, want 0660 gid 0", fi.Mode(), st.Gid)
	}
}

// hostile sends raw bytes and returns the agent's reply line.
func hostile(t *testing.T, path string, send []byte, wait time.Duration) string {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go c.Write(send) // may fail once the agent hangs up: that is the point
	c.SetReadDeadline(time.Now().Add(wait))
	line, _ := bufio.NewReader(c).ReadString('\n')
	return line
}

func TestUnixHostileClients(t *testing.T) {
	hub := NewHub(HubConfig{MaxSubscribers: 4})
	srv, _ := startUnix(t, UnixConfig{Hub: hub, ReadTimeout: 200 * time.Millisecond})
	m := hub.Metrics()
	count := func(reason string) float64 {
		return testutil.ToFloat64(m.disconnects.WithLabelValues(TransportUnix, reason))
	}
	for _, tc := range []struct {
		name, reason, reply string
		send                []byte
	}{
		{"garbage", ReasonBadRequest, "not a JSON request", []byte("GET / HTTP/1.0\r\n\r\n")},
		{"unknown op", ReasonBadRequest, "unknown op", []byte(`{"op":"rm -rf"}` + "\n")},
		{"binary", ReasonBadRequest, "not a JSON request", []byte("\x00\x01\x02\xff\n")},
		{"oversized line", ReasonOversizedRequest, "too long", make([]byte, 64<<20)},
		{"slowloris", ReasonReadTimeout, "no request received", []byte(`{"op":`)},
		{"silent", ReasonReadTimeout, "no request received", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := count(tc.reason)
			line := hostile(t, srv.Addr(), tc.send, 5*time.Second)
			if !strings.Contains(line, `"error"`) || !strings.Contains(line, tc.reply) {
				t.Fatalf("reply %q, want an error line with %q", line, tc.reply)
			}
			waitFor(t, func() bool { return count(tc.reason) == before+1 })
		})
	}

	t.Run("trickle", func(t *testing.T) { // one byte every 50 ms: the deadline is for the whole line
		before := count(ReasonReadTimeout)
		c, err := net.Dial("unix", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		go func() {
			for _, b := range []byte(`{"op":"get"}`) {
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, _ := bufio.NewReader(c).ReadString('\n')
		if !strings.Contains(line, "no request received") {
			t.Fatalf("reply %q", line)
		}
		waitFor(t, func() bool { return count(ReasonReadTimeout) == before+1 })
	})

	t.Run("1000 connections", func(t *testing.T) {
		before := count(ReasonTooManyConnections)
		var conns []net.Conn
		for range 1000 {
			c, err := net.Dial("unix", srv.Addr())
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			conns = append(conns, c)
		}
		// The agent keeps at most MaxConns; the rest are told and closed.
		waitFor(t, func() bool {
			return count(ReasonTooManyConnections)-before >= 1000-float64(hub.cfg.MaxSubscribers+connSlack)
		})
		for _, c := range conns {
			c.Close()
		}
	})

	// The agent is unaffected: pulls and pushes still work.
	waitFor(t, func() bool {
		_, err := (&Client{Path: srv.Addr()}).Get(context.Background())
		return err == nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	err := (&Client{Path: srv.Addr()}).Subscribe(ctx, 0, func(Received) error { cancel(); return nil })
	if err != nil {
		t.Fatalf("subscribe after the attack: %v", err)
	}
}

// TestUnixDisallowedUID runs a client under uid 65534 (the test runs as root
// in CI; it skips only when it cannot change uid).
func TestUnixDisallowedUID(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a client under another uid")
	}
	// A copy of the test binary that uid 65534 can execute, in a directory
	// it can enter.
	dir, err := os.MkdirTemp("", "estpeer")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	exe, _ := os.Executable()
	bin := filepath.Join(dir, "peer.test")
	if err := copyFile(exe, bin); err != nil {
		t.Fatal(err)
	}
	run := func(path string) string {
		cmd := exec.Command(bin, "-test.run=^$")
		cmd.Env = append(os.Environ(), "ESTALLY_PEER_SOCKET="+path)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("peer: %v\n%s", err, out)
		}
		return string(out)
	}

	for _, tc := range []struct {
		name    string
		cfg     UnixConfig
		want    string
		refused float64
	}{
		// Mode 0666 lets the peer connect, so the credential check is what
		// refuses it.
		{"credential check", UnixConfig{Mode: 0o666}, `REPLY {"version":1,"error":"permission denied"}`, 1},
		// With the default mode the file system refuses it first.
		{"socket mode", UnixConfig{}, "DIAL ERROR", 0},
		// Allowed by uid.
		{"allowed uid", UnixConfig{Mode: 0o666, AllowedUIDs: []uint32{0, 65534}}, `REPLY {"version":1,"seq":1`, 0},
		// Allowed by gid.
		{"allowed gid", UnixConfig{Mode: 0o666, AllowedGIDs: []uint32{65534}}, `REPLY {"version":1,"seq":1`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Path = filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "")+".sock")
			srv, hub := startUnix(t, tc.cfg)
			out := run(srv.Addr())
			if !strings.Contains(out, tc.want) {
				t.Fatalf("peer output %q, want %q", out, tc.want)
			}
			if got := testutil.ToFloat64(hub.Metrics().refused.WithLabelValues(TransportUnix)); got != tc.refused {
				t.Fatalf("refused = %v, want %v", got, tc.refused)
			}
			if _, err := (&Client{Path: srv.Addr()}).Get(context.Background()); err != nil {
				t.Fatalf("root still served: %v", err)
			}
		})
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A subscriber whose client went away while no summary is being published
// must not keep Serve from returning.
func TestUnixShutdownWithIdleSubscriber(t *testing.T) {
	hub := NewHub(HubConfig{})
	s := NewBuilder(time.Second).Build(testSnapshot(time.Now(), 1, 10, 1), nil)
	js, _ := Encode(s, DefaultMaxBytes)
	hub.Publish(NewMessage(s, js))
	srv, err := ListenUnix(UnixConfig{Path: filepath.Join(shortDir(t), "s.sock"), Hub: hub})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	c, err := net.Dial("unix", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte(`{"op":"subscribe"}` + "\n"))
	if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	c.Close()
	waitFor(t, func() bool { return hub.Subscribers() == 1 }) // noticed only at the next write
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	if hub.Subscribers() != 0 {
		t.Fatalf("%d subscribers left", hub.Subscribers())
	}
}
