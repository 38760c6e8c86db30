package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/estally/estally/aggregate"
	"github.com/estally/estally/es"
	"github.com/estally/estally/exporter"
)

// tickInterval is the resolution of the aggregator's clock.
const tickInterval = 100 * time.Millisecond

// runDaemon implements `estally run`.
func runDaemon(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseRunFlags(args, stdout)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "estally run: %v (see estally run --help)\n", err)
		return 2
	}
	return runConfigured(cfg, stderr)
}

// runConfigured runs the daemon configured by cfg, logging to stderr, until
// SIGINT or SIGTERM (exit code 0) or a failure (logged once; exit code 1).
func runConfigured(cfg *runConfig, stderr io.Writer) int {
	logger := newLogger(cfg, stderr)

	ctx, stop := signalContext(context.Background(), logger)
	defer stop()
	if err := serve(ctx, cfg, logger); err != nil {
		// A component's failure is logged where it is detected.
		var logged loggedError
		if !errors.As(err, &logged) {
			logger.Error("estally failed", "err", err)
		}
		return 1
	}
	logger.Info("stopped")
	return 0
}

// loggedError marks an error that has already been logged.
type loggedError struct{ error }

func (e loggedError) Unwrap() error { return e.error }

// signalContext returns a context cancelled on the first SIGINT or SIGTERM;
// a second signal kills the process the default way.
func signalContext(parent context.Context, logger *slog.Logger) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sigc:
			logger.Info("shutting down", "signal", s.String())
			cancel()
		case <-ctx.Done():
		}
		signal.Stop(sigc)
	}()
	return ctx, cancel
}

// serve builds the daemon from cfg and runs it until ctx is done or a
// component fails.
//
// To add a part to the daemon, prefer an extension (extension.go); the
// components list below is where everything that runs is started.
func serve(ctx context.Context, cfg *runConfig, logger *slog.Logger) error {
	ver, rev := buildInfo()
	logger.Info("starting estally", "version", ver, "revision", rev, "pid", os.Getpid())

	// Listen first: a busy port is the likeliest failure, and it should
	// not cost a kernel source's setup. Port 0 picks a free port; the real
	// addresses are logged below.
	listeners, err := exporter.Listen(cfg.listenAddresses)
	if err != nil {
		return err
	}
	served := false
	defer func() {
		if !served {
			for _, l := range listeners {
				_ = l.Close()
			}
		}
	}()

	factory, err := chooseSourceFactory(cfg, logger)
	if err != nil {
		return err
	}
	src, err := factory.open(sourceEnv{
		logger: logger.With("source", factory.name),
		pid:    os.Getpid(),
		mute:   cfg.mute,
	})
	if err != nil {
		return fmt.Errorf("open source %s: %w", factory.name, err)
	}

	rankK := cfg.topK // the fold ranks as many entries as its largest consumer shows
	for _, e := range cfg.extensions {
		if e.topK != nil {
			rankK = max(rankK, e.topK())
		}
	}
	agg, err := aggregate.New(aggregate.Config{
		ProcessCapacity: cfg.processCapacity,
		PathCapacity:    cfg.pathCapacity,
		TopK:            rankK,
		HalfLife:        cfg.rankHalfLife,
	})
	if err != nil {
		return fmt.Errorf("aggregate: %w", err)
	}

	collector, err := exporter.NewCollector(exporter.CollectorConfig{
		Aggregate:    agg,
		Sources:      []exporter.StatsSnapshotter{src.Stats()},
		TopK:         cfg.topK,
		SeriesBudget: cfg.seriesBudget,
		LabelLimit:   cfg.labelMaxBytes,
		Version:      ver,
		Revision:     rev,
	})
	if err != nil {
		return err
	}
	registry, err := exporter.NewRegistry(collector)
	if err != nil {
		return err
	}
	server, err := exporter.NewServer(exporter.ServerConfig{
		Registry:      registry,
		TelemetryPath: cfg.telemetryPath,
		WebConfigFile: cfg.webConfigFile,
		Logger:        logger.With("component", "http"),
		Version:       ver,
	})
	if err != nil {
		return err
	}

	comps := []component{
		{name: "source", run: func(ctx context.Context) error { return runSource(ctx, src, agg) }},
		{name: "clock", run: func(ctx context.Context) error { return tick(ctx, agg) }},
	}
	for _, e := range cfg.extensions {
		more, err := e.start(extensionEnv{
			logger:   logger.With("extension", e.name),
			agg:      agg,
			stats:    []*es.Stats{src.Stats()},
			registry: registry,
			server:   server,
		})
		if err != nil {
			return fmt.Errorf("start %s: %w", e.name, err)
		}
		comps = append(comps, more...)
	}

	for _, l := range listeners {
		logger.Info("serving metrics", "address", l.Addr().String(), "path", cfg.telemetryPath)
	}
	comps = append(comps, component{name: "http", run: func(ctx context.Context) error { return server.Serve(ctx, listeners) }})
	served = true // Serve closes the listeners

	if err := runComponents(ctx, logger, comps); err != nil {
		return loggedError{err}
	}
	return nil
}

// chooseSourceFactory resolves --source.
func chooseSourceFactory(cfg *runConfig, logger *slog.Logger) (sourceFactory, error) {
	if cfg.source == autoSource {
		return chooseAuto(cfg.sources, logger)
	}
	f, ok := findSource(cfg.sources, cfg.source)
	if !ok { // parseRunFlags checked it
		return sourceFactory{}, fmt.Errorf("unknown source %q", cfg.source)
	}
	return f, nil
}

// runSource runs src into agg; a return before ctx is done with an error is
// the source's fatal error.
func runSource(ctx context.Context, src source, agg es.Sink) error {
	err := src.Run(ctx, agg)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// tick advances the aggregator's clock every tickInterval.
func tick(ctx context.Context, agg *aggregate.Aggregator) error {
	t := time.NewTicker(tickInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			agg.Tick(now)
		}
	}
}

// newLogger returns the daemon's logger: logfmt or JSON on w, at the
// configured level.
func newLogger(cfg *runConfig, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	if cfg.logFormat.String() == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
