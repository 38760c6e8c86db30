package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
)

// Defaults for [ServerConfig].
const (
	DefaultTelemetryPath       = "/metrics"
	DefaultMaxRequestsInFlight = 10
	DefaultScrapeTimeout       = 10 * time.Second
	DefaultReadHeaderTimeout   = 10 * time.Second
	DefaultShutdownTimeout     = time.Second
)

// ServerConfig configures a [Server]. Zero durations and counts select the
// defaults above.
type ServerConfig struct {
	// Registry is served on TelemetryPath, and receives the promhttp
	// handler's own metrics (promhttp_metric_handler_*). Required.
	Registry *prometheus.Registry
	// TelemetryPath is where metrics are served; "" means
	// [DefaultTelemetryPath]. When it is not "/", a landing page is served
	// on "/".
	TelemetryPath string
	// WebConfigFile is an exporter-toolkit web configuration file (TLS,
	// basic auth, rate limit, headers; --web.config.file). "" serves plain
	// HTTP without authentication. It is validated by NewServer and re-read
	// by the toolkit on every request and connection.
	WebConfigFile string
	// Logger receives server and scrape errors; nil discards them.
	Logger *slog.Logger
	// MaxRequestsInFlight bounds concurrent scrapes; more get 503.
	MaxRequestsInFlight int
	// ScrapeTimeout bounds one scrape; a slower one gets 503.
	ScrapeTimeout time.Duration
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration
	// ShutdownTimeout bounds the graceful shutdown [Server.Serve] performs
	// when its context is done; connections still open then are closed.
	ShutdownTimeout time.Duration
	// Version is shown on the landing page.
	Version string
	// LandingLinks are extra links on the landing page (the metrics link is
	// always there), for handlers mounted with [Server.Handle].
	LandingLinks []web.LandingLinks
}

// Server serves the metrics endpoint, the landing page and any handler
// mounted with [Server.Handle] on every listener it is given, each behind
// the same exporter-toolkit TLS and basic-auth configuration.
type Server struct {
	cfg ServerConfig
	mux *http.ServeMux
	log *slog.Logger

	mu       sync.Mutex
	servers  []*http.Server
	serving  bool
	shutdown bool
}

// NewServer returns a server for cfg, or an error if cfg is invalid
// (including an invalid web configuration file).
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Registry == nil {
		return nil, errors.New("exporter: server: no registry")
	}
	if cfg.TelemetryPath == "" {
		cfg.TelemetryPath = DefaultTelemetryPath
	}
	if !strings.HasPrefix(cfg.TelemetryPath, "/") {
		return nil, fmt.Errorf("exporter: server: telemetry path %q does not start with /", cfg.TelemetryPath)
	}
	if cfg.MaxRequestsInFlight == 0 {
		cfg.MaxRequestsInFlight = DefaultMaxRequestsInFlight
	}
	if cfg.ScrapeTimeout == 0 {
		cfg.ScrapeTimeout = DefaultScrapeTimeout
	}
	if cfg.ReadHeaderTimeout == 0 {
		cfg.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.MaxRequestsInFlight < 0 || cfg.ScrapeTimeout < 0 || cfg.ReadHeaderTimeout < 0 || cfg.ShutdownTimeout < 0 {
		return nil, errors.New("exporter: server: negative limit or timeout")
	}
	if err := web.Validate(cfg.WebConfigFile); err != nil {
		return nil, fmt.Errorf("exporter: server: web config %s: %w", cfg.WebConfigFile, err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), log: logger}

	metrics := promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{
		ErrorLog:            newLogAdapter(logger, "scrape error"),
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            cfg.Registry,
		MaxRequestsInFlight: cfg.MaxRequestsInFlight,
		Timeout:             cfg.ScrapeTimeout,
	})
	metrics = promhttp.InstrumentMetricHandler(cfg.Registry, metrics)
	if err := s.Handle(cfg.TelemetryPath, metrics); err != nil {
		return nil, err
	}
	if cfg.TelemetryPath != "/" {
		links := append([]web.LandingLinks{{Address: cfg.TelemetryPath, Text: "Metrics"}}, cfg.LandingLinks...)
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        "estally",
			Description: "File-activity telemetry agent: events folded into bounded per-process and per-path tables.",
			Version:     cfg.Version,
			Links:       links,
			Profiling:   "false", // no pprof handlers here
		})
		if err != nil {
			return nil, fmt.Errorf("exporter: server: landing page: %w", err)
		}
		// The landing page handler answers 404 to anything but "/".
		if err := s.Handle("/", landing); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Handle mounts h on pattern (a net/http.ServeMux pattern, such as
// "GET /api/v1/summary"), behind the same TLS and authentication as the
// metrics. It may be called before or while serving. It returns an error
// for an invalid pattern or one that conflicts with a mounted one.
func (s *Server) Handle(pattern string, h http.Handler) (err error) {
	if h == nil {
		return fmt.Errorf("exporter: server: nil handler for %q", pattern)
	}
	defer func() {
		// ServeMux reports bad or conflicting patterns by panicking.
		if r := recover(); r != nil {
			err = fmt.Errorf("exporter: server: mount %q: %v", pattern, r)
		}
	}()
	s.mux.Handle(pattern, h)
	return nil
}

// Handler returns the server's routes without TLS or authentication, for
// tests and for embedding in another server.
func (s *Server) Handler() http.Handler { return s.mux }

// Serve serves on every listener until ctx is done or one of them fails,
// then shuts all of them down gracefully (within ShutdownTimeout, after
// which remaining connections are closed) and closes the listeners. It
// returns nil after a shutdown caused by ctx, or the first serving error.
// Serve may be called only once.
func (s *Server) Serve(ctx context.Context, listeners []net.Listener) error {
	if len(listeners) == 0 {
		return errors.New("exporter: server: no listeners")
	}
	s.mu.Lock()
	if s.serving || s.shutdown {
		s.mu.Unlock()
		return errors.New("exporter: server: already served")
	}
	s.serving = true
	for range listeners {
		s.servers = append(s.servers, &http.Server{
			Handler:           s.mux,
			ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
			IdleTimeout:       2 * time.Minute,
			// Anyone who can connect can make the server log (bad TLS
			// handshakes, malformed requests): rate-limited.
			ErrorLog: newLogAdapter(s.log, "http server error").logger(),
		})
	}
	servers := append([]*http.Server(nil), s.servers...)
	s.mu.Unlock()

	flags := &web.FlagConfig{
		WebListenAddresses: &[]string{},
		WebSystemdSocket:   new(bool),
		WebConfigFile:      &s.cfg.WebConfigFile,
	}
	errc := make(chan error, len(listeners))
	for i, l := range listeners {
		// One http.Server per listener: web.Serve installs its auth
		// handler and TLS config on the server it is given.
		go func() {
			err := web.Serve(l, servers[i], flags, s.log)
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			errc <- err
		}()
	}

	var first error
	pending := len(listeners)
	select {
	case <-ctx.Done():
	case first = <-errc:
		pending--
		if first != nil {
			first = fmt.Errorf("exporter: server: %w", first)
		}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil {
		s.log.Warn("Graceful shutdown incomplete; connections closed", "err", err)
	}
	for range pending {
		if err := <-errc; err != nil && first == nil {
			first = fmt.Errorf("exporter: server: %w", err)
		}
	}
	for _, l := range listeners {
		_ = l.Close() // already closed by a server that started; harmless
	}
	return first
}

// Shutdown stops accepting connections and waits, until ctx is done, for
// requests in flight to finish; then it closes what is left. It makes a
// running [Server.Serve] return, and a later one fail.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown = true
	servers := s.servers
	s.mu.Unlock()
	var errs []error
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
			_ = srv.Close()
		}
	}
	return errors.Join(errs...)
}

// Listen opens a TCP listener on each address (host:port; port 0 picks a
// free one), for [Server.Serve]. On error it closes those already opened.
func Listen(addresses []string) ([]net.Listener, error) {
	if len(addresses) == 0 {
		return nil, errors.New("exporter: no listen address")
	}
	ls := make([]net.Listener, 0, len(addresses))
	for _, a := range addresses {
		l, err := net.Listen("tcp", a)
		if err != nil {
			for _, o := range ls {
				_ = o.Close()
			}
			return nil, fmt.Errorf("exporter: listen: %w", err)
		}
		ls = append(ls, l)
	}
	return ls, nil
}
