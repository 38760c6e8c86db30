package aggregate

import (
	"sync"
	"time"

	"github.com/estally/estally/es"
)

// Config sizes an [Aggregator].
type Config struct {
	ProcessCapacity int           // resident entries in the process table
	PathCapacity    int           // resident entries in the path table
	TopK            int           // entries ranked in each snapshot table
	HalfLife        time.Duration // half-life of the decayed rate entries are ranked by
}

// Aggregator folds events into a process table and a path table.
// TEMPORARY STUB: the real engine replaces this file.
type Aggregator struct {
	mu  sync.Mutex
	now time.Time
	s   Snapshot
}

// New returns an empty aggregator.
func New(cfg Config) (*Aggregator, error) {
	a := &Aggregator{now: time.Now()}
	a.s.Processes = TableSnapshot{Name: "process", Capacity: cfg.ProcessCapacity}
	a.s.Paths = TableSnapshot{Name: "path", Capacity: cfg.PathCapacity}
	return a, nil
}

// Observe folds one event. It implements [es.Sink].
func (a *Aggregator) Observe(ev *es.Event) {
	a.mu.Lock()
	a.s.Observed[ev.Kind]++
	a.s.Processes.Other[ev.Kind]++
	a.s.Paths.Other[ev.Kind]++
	a.mu.Unlock()
}

// Tick advances the aggregator's clock.
func (a *Aggregator) Tick(now time.Time) {
	a.mu.Lock()
	a.now = now
	a.mu.Unlock()
}

// Snapshot returns a consistent copy of the current state.
func (a *Aggregator) Snapshot() Snapshot {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.s
	s.Time = a.now
	return s
}
