package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/estally/estally/es"
	"github.com/estally/estally/summary"
)

// defaultSummarySocket is where `estally run` serves the summary channel and
// where `estally summary` and `estally top` look for it.
func defaultSummarySocket() string {
	if runtime.GOOS == "darwin" {
		return "/var/run/estally/summary.sock"
	}
	return "/run/estally/summary.sock"
}

// summaryConfig holds the --summary.* flags.
type summaryConfig struct {
	interval       time.Duration
	socket         string
	socketGroup    string
	allowedUIDs    uintList
	maxSubscribers int
	topK           int
	maxBytes       int
	stuckTimeout   time.Duration
	xpc            xpcConfig // darwin only (summary_xpc_*.go)
}

// summaryExtension is the host-app summary channel: a publisher building a
// summary per --summary.interval, the Unix socket, GET /api/v1/summary on
// the metrics server, and XPC on darwin.
func summaryExtension() extension {
	c := &summaryConfig{}
	return extension{
		name: "summary",
		topK: func() int { return c.topK },
		addFlags: func(fs *flag.FlagSet) {
			fs.DurationVar(&c.interval, "summary.interval", summary.DefaultInterval, "interval between summaries pushed to subscribers")
			check(fs, "summary.interval", func() error {
				if c.interval < 10*time.Millisecond {
					return errors.New("must be at least 10ms")
				}
				return nil
			})
			fs.StringVar(&c.socket, "summary.socket", defaultSummarySocket(), "Unix socket serving summaries (newline-delimited JSON); empty disables it")
			fs.StringVar(&c.socketGroup, "summary.socket-group", "", "group (name or gid) owning the summary socket; its members may connect (mode 0660)")
			fs.Var(&c.allowedUIDs, "summary.allowed-uids", "comma-separated uids allowed on the summary socket (default: root and the agent's uid)")
			fs.IntVar(&c.maxSubscribers, "summary.max-subscribers", summary.DefaultMaxSubscribers, "maximum push subscribers over all transports")
			check(fs, "summary.max-subscribers", positive(&c.maxSubscribers))
			fs.IntVar(&c.topK, "summary.top-k", 20, "entries of each top list in a summary")
			check(fs, "summary.top-k", positive(&c.topK))
			fs.IntVar(&c.maxBytes, "summary.max-bytes", summary.DefaultMaxBytes, "cap on a summary's encoded size; top lists are truncated to fit")
			check(fs, "summary.max-bytes", func() error {
				if c.maxBytes < 4096 {
					return errors.New("must be at least 4096")
				}
				return nil
			})
			fs.DurationVar(&c.stuckTimeout, "summary.stuck-timeout", summary.DefaultStuckTimeout, "disconnect a subscriber whose delivery is stuck this long")
			check(fs, "summary.stuck-timeout", func() error {
				if c.stuckTimeout <= 0 {
					return errors.New("must be positive")
				}
				return nil
			})
			c.xpc.addFlags(fs)
		},
		start: func(env extensionEnv) ([]component, error) { return startSummary(c, env) },
	}
}

func startSummary(c *summaryConfig, env extensionEnv) ([]component, error) {
	metrics := summary.NewMetrics()
	if err := env.registry.Register(metrics); err != nil {
		return nil, fmt.Errorf("register summary metrics: %w", err)
	}
	hub := summary.NewHub(summary.HubConfig{
		MaxSubscribers: c.maxSubscribers,
		StuckTimeout:   c.stuckTimeout,
		Metrics:        metrics,
	})
	stats := env.stats
	pub, err := summary.NewPublisher(summary.PublisherConfig{
		Interval: c.interval,
		MaxBytes: c.maxBytes,
		TopK:     c.topK,
		Source:   env.agg,
		Stats: func() []es.StatsSnapshot {
			out := make([]es.StatsSnapshot, len(stats))
			for i, s := range stats {
				out[i] = s.Snapshot()
			}
			return out
		},
		Hub:    hub,
		Logger: env.logger,
	})
	if err != nil {
		return nil, err
	}
	if err := env.server.Handle("GET "+summary.HTTPPath, summary.HTTPHandler(hub)); err != nil {
		return nil, err
	}
	comps := []component{{name: "summary-publisher", run: func(ctx context.Context) error {
		defer hub.Close()
		return pub.Run(ctx)
	}}}
	if c.socket != "" {
		srv, err := summary.ListenUnix(summary.UnixConfig{
			Path:        c.socket,
			Group:       c.socketGroup,
			AllowedUIDs: c.allowedUIDs.values,
			Hub:         hub,
			Interval:    c.interval,
			Logger:      env.logger.With("transport", summary.TransportUnix),
		})
		if err != nil {
			// The rest of the agent is still useful: say so loudly and
			// run without the socket rather than not at all.
			env.logger.Error("summary socket disabled", "err", err)
		} else {
			env.logger.Info("serving summaries", "socket", c.socket, "interval", c.interval)
			comps = append(comps, component{name: "summary-socket", run: srv.Serve})
		}
	}
	xpcComps, err := c.xpc.start(hub, c.interval, env)
	if err != nil {
		return nil, err
	}
	return append(comps, xpcComps...), nil
}

// uintList is a comma-separated list of uids; nil until set.
type uintList struct{ values []uint32 }

func (l *uintList) String() string {
	if l == nil {
		return ""
	}
	s := make([]string, len(l.values))
	for i, v := range l.values {
		s[i] = strconv.FormatUint(uint64(v), 10)
	}
	return strings.Join(s, ",")
}

func (l *uintList) Set(s string) error {
	l.values = []uint32{}
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 32)
		if err != nil {
			return fmt.Errorf("not a uid: %q", f)
		}
		l.values = append(l.values, uint32(n))
	}
	return nil
}
