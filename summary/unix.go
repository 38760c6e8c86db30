package summary

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Defaults of [UnixConfig].
const (
	DefaultReadTimeout  = 5 * time.Second
	DefaultWriteTimeout = 10 * time.Second
	// connSlack is how many connections beyond MaxSubscribers may be open
	// at once (pull requests, handshakes).
	connSlack = 16
)

// UnixConfig configures a [UnixServer].
type UnixConfig struct {
	// Path of the socket; its directory is created (0755) if missing.
	Path string
	// Mode of the socket file (default 0600, or 0660 when Group is set).
	Mode fs.FileMode
	// Group, a name or numeric gid, owns the socket; its members may
	// connect. Empty keeps the agent's group.
	Group string
	// AllowedUIDs and AllowedGIDs are the peers allowed to connect; a peer
	// matches by uid or by a gid. Nil AllowedUIDs means root and the socket
	// owner (the agent's effective uid). Group's gid is always allowed.
	AllowedUIDs []uint32
	AllowedGIDs []uint32
	// Hub delivers the summaries; required.
	Hub *Hub
	// Interval is the agent's summary interval; a subscriber may not ask
	// for a shorter one (default DefaultInterval).
	Interval time.Duration
	// MaxConns bounds the open connections (default hub limit + 16).
	MaxConns int
	// ReadTimeout bounds the time to receive a request line;
	// WriteTimeout the time to write one message.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	Logger       *slog.Logger
}

// UnixServer serves summaries over a Unix socket as newline-delimited JSON:
// one request line per connection ({"op":"get"} or {"op":"subscribe"}), and
// in reply one summary line, a summary line per push, or one error line.
type UnixServer struct {
	cfg  UnixConfig
	l    *net.UnixListener
	m    *Metrics
	log  *rateLogger
	sem  chan struct{}
	uids []uint32
	gids []uint32

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	done   chan struct{} // closed by Close
	wg     sync.WaitGroup
}

// ListenUnix creates the socket and returns a server ready to Serve. A stale
// socket file left by a dead agent is replaced; ListenUnix refuses to remove
// a path that is not a socket, or a socket another process is listening on.
func ListenUnix(cfg UnixConfig) (*UnixServer, error) {
	if cfg.Path == "" || cfg.Hub == nil {
		return nil, errors.New("summary socket: a path and a hub are required")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = cfg.Hub.cfg.MaxSubscribers + connSlack
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	gid := -1
	if cfg.Group != "" {
		g, err := lookupGroup(cfg.Group)
		if err != nil {
			return nil, fmt.Errorf("summary socket group %q: %w", cfg.Group, err)
		}
		gid = g
	}
	if cfg.Mode == 0 {
		cfg.Mode = 0o600
		if gid >= 0 {
			cfg.Mode = 0o660
		}
	}
	s := &UnixServer{
		cfg:   cfg,
		m:     cfg.Hub.Metrics(),
		log:   newRateLogger(cfg.Logger, time.Minute),
		sem:   make(chan struct{}, cfg.MaxConns),
		conns: map[net.Conn]struct{}{},
		done:  make(chan struct{}),
		uids:  cfg.AllowedUIDs,
		gids:  append([]uint32(nil), cfg.AllowedGIDs...),
	}
	if s.uids == nil {
		s.uids = []uint32{0, uint32(os.Geteuid())}
	}
	if gid >= 0 {
		s.gids = append(s.gids, uint32(gid))
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o755); err != nil {
		return nil, fmt.Errorf("summary socket directory: %w", err)
	}
	if err := removeStaleSocket(cfg.Path); err != nil {
		return nil, err
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: cfg.Path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("summary socket: %w", err)
	}
	l.SetUnlinkOnClose(true)
	// Between bind and chmod the socket has the umask's mode; the peer
	// credential check, not the mode, is what keeps others out.
	if err := os.Chmod(cfg.Path, cfg.Mode); err != nil {
		l.Close()
		return nil, fmt.Errorf("summary socket mode: %w", err)
	}
	if gid >= 0 {
		if err := os.Chown(cfg.Path, -1, gid); err != nil {
			l.Close()
			return nil, fmt.Errorf("summary socket group: %w", err)
		}
	}
	s.l = l
	s.m.initTransport(TransportUnix)
	return s, nil
}

// removeStaleSocket removes path if it is a socket nobody listens on.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("summary socket: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("summary socket: refusing to replace %s: it exists and is not a socket", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("summary socket: %s is in use by another process (another agent running?)", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("summary socket: probing existing %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("summary socket: removing stale %s: %w", path, err)
	}
	return nil
}

func lookupGroup(name string) (int, error) {
	if n, err := strconv.Atoi(name); err == nil && n >= 0 {
		return n, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(g.Gid)
}

// Addr returns the socket's path.
func (s *UnixServer) Addr() string { return s.cfg.Path }

// Serve accepts connections until ctx is done or Close is called, then
// closes the listener and every connection and waits for their goroutines.
// It returns nil after a shutdown.
func (s *UnixServer) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	defer s.wg.Wait()
	backoff := 5 * time.Millisecond
	for {
		c, err := s.l.AcceptUnix()
		if err != nil {
			if s.isClosed() {
				return nil
			}
			// EMFILE and friends: back off rather than spin.
			s.log.Warn("summary socket accept failed", "err", err)
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		select {
		case s.sem <- struct{}{}:
		default:
			s.m.Disconnected(TransportUnix, ReasonTooManyConnections)
			s.log.Warn("summary socket connection refused: too many connections", "limit", s.cfg.MaxConns)
			c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			c.Write(errorLine(errors.New("too many connections")))
			c.Close()
			continue
		}
		if !s.track(c) {
			c.Close()
			<-s.sem
			return nil
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.sem }()
			defer s.untrack(c)
			s.handle(c)
		}()
	}
}

// Close stops the listener (removing the socket file) and closes every open
// connection. It is safe to call more than once.
func (s *UnixServer) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	err := s.l.Close()
	for _, c := range conns {
		c.Close()
	}
	return err
}

func (s *UnixServer) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *UnixServer) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *UnixServer) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

var (
	errRequestTooLong = errors.New("request line too long")
	errRequestTimeout = errors.New("no request received in time")
)

// handle serves one connection: check the peer, read one request, answer.
func (s *UnixServer) handle(c *net.UnixConn) {
	cred, err := peerCredentials(c)
	if err != nil || !cred.allowed(s.uids, s.gids) {
		s.m.Refused(TransportUnix)
		s.log.Warn("summary socket peer refused", "uid", cred.UID, "pid", cred.PID, "err", err)
		s.reply(c, errorLine(errors.New("permission denied")))
		return
	}
	c.SetReadDeadline(time.Now().Add(s.cfg.ReadTimeout))
	line, err := readLine(c, MaxRequestBytes)
	if err != nil {
		switch {
		case errors.Is(err, errRequestTooLong):
			s.m.Disconnected(TransportUnix, ReasonOversizedRequest)
		case errors.Is(err, errRequestTimeout):
			s.m.Disconnected(TransportUnix, ReasonReadTimeout)
		default:
			s.m.Disconnected(TransportUnix, ReasonClientClosed)
			return
		}
		s.reply(c, errorLine(err))
		return
	}
	req, err := ParseRequest(line)
	if err != nil {
		s.m.Disconnected(TransportUnix, ReasonBadRequest)
		s.reply(c, errorLine(err))
		return
	}
	switch req.Op {
	case OpGet:
		m := s.cfg.Hub.Latest()
		if m == nil {
			s.reply(c, errorLine(errors.New("no summary yet")))
			return
		}
		if s.reply(c, m.Line()) == nil {
			s.m.Delivered(TransportUnix)
		}
	case OpSubscribe:
		n, err := every(req.Interval, s.cfg.Interval)
		if err != nil {
			s.m.Disconnected(TransportUnix, ReasonBadRequest)
			s.reply(c, errorLine(err))
			return
		}
		sub, err := s.cfg.Hub.Subscribe(TransportUnix, n)
		if err != nil {
			s.reply(c, errorLine(err))
			return
		}
		s.push(c, sub)
	}
}

// push delivers summaries to a subscriber until it goes away. A second
// goroutine reads from the peer only to notice a reset or chatter; a closed
// peer is noticed by the next write.
func (s *UnixServer) push(c *net.UnixConn, sub *Subscriber) {
	c.SetReadDeadline(time.Time{})
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		var buf [512]byte
		total := 0
		for {
			n, err := c.Read(buf[:])
			total += n
			if errors.Is(err, io.EOF) {
				// A half-close (`echo ... | nc -U`): the peer may still
				// read. A peer that is really gone fails the next write.
				return
			}
			if err != nil {
				sub.Close(ReasonClientClosed)
				return
			}
			if total > MaxRequestBytes { // chatter after subscribe
				sub.Close(ReasonBadRequest)
				c.Close()
				return
			}
		}
	}()
	defer func() { c.Close(); <-watchDone }()
	for {
		select {
		case <-sub.Done():
			return
		case <-s.done:
			sub.Close(ReasonShutdown)
			return
		case <-sub.Ready():
		}
		m, ok := sub.Next()
		if !ok {
			continue
		}
		// The write deadline also bounds the hub's stuck timeout: a
		// subscriber closed as stuck mid-write is released by it.
		c.SetWriteDeadline(time.Now().Add(min(s.cfg.WriteTimeout, s.cfg.Hub.cfg.StuckTimeout)))
		if _, err := c.Write(m.Line()); err != nil {
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				sub.Close(ReasonStuck)
			case errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNRESET), errors.Is(err, net.ErrClosed):
				sub.Close(ReasonClientClosed)
			default:
				sub.Close(ReasonWriteError)
			}
			return
		}
		sub.Delivered()
	}
}

// reply writes one line with a short deadline, for answers that end the
// connection.
func (s *UnixServer) reply(c net.Conn, line []byte) error {
	c.SetWriteDeadline(time.Now().Add(min(s.cfg.WriteTimeout, time.Second)))
	_, err := c.Write(line)
	return err
}

// readLine reads up to and excluding the first newline, at most max bytes
// (newline included). Bytes after the newline are discarded.
func readLine(r io.Reader, max int) ([]byte, error) {
	buf := make([]byte, max)
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		if i := bytes.IndexByte(buf[n:n+k], '\n'); i >= 0 {
			return buf[:n+i], nil
		}
		n += k
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil, errRequestTimeout
			}
			if errors.Is(err, io.EOF) && n > 0 {
				return buf[:n], nil // a request without its newline
			}
			return nil, err
		}
	}
	return nil, errRequestTooLong
}
