package es

import (
	"sort"
	"sync"
	"sync/atomic"
)

// Counter is a monotonically increasing count that a source updates on its
// hot path without locking. It is safe for concurrent use.
type Counter struct{ v atomic.Uint64 }

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.v.Add(n) }

// Load returns the current count.
func (c *Counter) Load() uint64 { return c.v.Load() }

// Stats accounts for everything a source could not fold: events known lost
// before the fold (by stage), input it could not use (by reason), events
// muted by its self-filter, and queue-overflow episodes. Every loss a source
// knows of is counted here; nothing is lost silently.
//
// Stages and reasons are label values, so they must come from a small fixed
// set chosen in code, never from input. Look counters up once, at setup, and
// keep the returned *Counter for the hot path.
//
// Stats is safe for concurrent use.
type Stats struct {
	source    string
	up        atomic.Bool
	Muted     Counter // events dropped by the self-filter before the fold
	Overflows Counter // queue-overflow episodes (the number lost is unknown)

	mu      sync.Mutex
	dropped map[string]*Counter
	errors  map[string]*Counter
}

// NewStats returns empty stats for the named source.
func NewStats(source string) *Stats {
	return &Stats{source: source, dropped: map[string]*Counter{}, errors: map[string]*Counter{}}
}

// Source returns the source name the stats were created for.
func (s *Stats) Source() string { return s.source }

// SetUp records whether the source is currently delivering events.
func (s *Stats) SetUp(up bool) { s.up.Store(up) }

// Dropped returns the counter of events lost at stage (for example "kernel"),
// creating it at zero on first use so that it is exported before any loss.
func (s *Stats) Dropped(stage string) *Counter { return s.counter(s.dropped, stage) }

// Errors returns the counter of input rejected for reason (for example
// "unparsable_line"), creating it at zero on first use.
func (s *Stats) Errors(reason string) *Counter { return s.counter(s.errors, reason) }

func (s *Stats) counter(m map[string]*Counter, key string) *Counter {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := m[key]
	if !ok {
		c = new(Counter)
		m[key] = c
	}
	return c
}

// LabeledCount is one counter of a [StatsSnapshot], with its label value.
type LabeledCount struct {
	Label string
	Count uint64
}

// StatsSnapshot is a point-in-time copy of [Stats].
type StatsSnapshot struct {
	Source    string
	Up        bool
	Muted     uint64
	Overflows uint64
	Dropped   []LabeledCount // by stage, sorted by label
	Errors    []LabeledCount // by reason, sorted by label
}

// TotalDropped returns the sum of Dropped over all stages.
func (s *StatsSnapshot) TotalDropped() uint64 {
	var n uint64
	for _, d := range s.Dropped {
		n += d.Count
	}
	return n
}

// Snapshot returns a copy of the current counts.
func (s *Stats) Snapshot() StatsSnapshot {
	snap := StatsSnapshot{
		Source:    s.source,
		Up:        s.up.Load(),
		Muted:     s.Muted.Load(),
		Overflows: s.Overflows.Load(),
	}
	s.mu.Lock()
	snap.Dropped = copyCounts(s.dropped)
	snap.Errors = copyCounts(s.errors)
	s.mu.Unlock()
	return snap
}

func copyCounts(m map[string]*Counter) []LabeledCount {
	out := make([]LabeledCount, 0, len(m))
	for k, c := range m {
		out = append(out, LabeledCount{Label: k, Count: c.Load()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out
}
