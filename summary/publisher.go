package summary

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/estally/estally/aggregate"
	"github.com/estally/estally/es"
)

// DefaultInterval is the default summary interval.
const DefaultInterval = time.Second

// Snapshotter is what the publisher needs from the aggregator.
type Snapshotter interface {
	Snapshot() aggregate.Snapshot
}

// PublisherConfig configures a [Publisher].
type PublisherConfig struct {
	// Interval between summaries (default DefaultInterval).
	Interval time.Duration
	// MaxBytes caps a summary's encoded size (default DefaultMaxBytes).
	MaxBytes int
	// TopK limits each top list (default: all the snapshot has).
	TopK int
	// Source is the aggregator; required.
	Source Snapshotter
	// Stats returns the sources' loss ledgers; nil means none.
	Stats func() []es.StatsSnapshot
	// Hub receives every summary; required.
	Hub    *Hub
	Logger *slog.Logger
}

// Publisher builds one summary per interval from the aggregator's snapshot,
// off the hot path, and publishes it to a [Hub].
type Publisher struct {
	cfg     PublisherConfig
	builder *Builder
	log     *rateLogger
}

// NewPublisher checks cfg and returns a publisher.
func NewPublisher(cfg PublisherConfig) (*Publisher, error) {
	if cfg.Source == nil || cfg.Hub == nil {
		return nil, errors.New("summary publisher needs a snapshot source and a hub")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Publisher{cfg: cfg, builder: NewBuilder(cfg.Interval), log: newRateLogger(cfg.Logger, time.Minute)}, nil
}

// Interval returns the publishing interval.
func (p *Publisher) Interval() time.Duration { return p.cfg.Interval }

// Run publishes a summary at once and then every interval until ctx is done.
// It returns nil when ctx is done.
func (p *Publisher) Run(ctx context.Context) error {
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	p.PublishOnce()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			p.PublishOnce()
		}
	}
}

// PublishOnce builds, encodes and publishes one summary. Run calls it; a
// caller that does not use Run (tests, benchmarks) may call it from one
// goroutine at a time.
func (p *Publisher) PublishOnce() *Message {
	var stats []es.StatsSnapshot
	if p.cfg.Stats != nil {
		stats = p.cfg.Stats()
	}
	now := time.Now()
	snap := p.cfg.Source.Snapshot()
	// The aggregator's clock is coarse (it ticks every 100 ms or so); the
	// summary's time and the delta's duration use the wall clock, so that
	// rates computed from deltas are exact.
	snap.Time = now
	if k := p.cfg.TopK; k > 0 {
		snap.Processes.Top = snap.Processes.Top[:min(k, len(snap.Processes.Top))]
		snap.Paths.Top = snap.Paths.Top[:min(k, len(snap.Paths.Top))]
	}
	s := p.builder.Build(snap, stats)
	b, err := Encode(s, p.cfg.MaxBytes)
	if err != nil {
		p.log.Warn("summary not published", "err", err)
		return nil
	}
	p.cfg.Hub.Metrics().builtOne(len(b), s.Truncated)
	m := NewMessage(s, b)
	p.cfg.Hub.Publish(m)
	return m
}
