package aggregate

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/estally/estally/es"
)

// Config sizes an [Aggregator].
type Config struct {
	// ProcessCapacity and PathCapacity bound the resident entries of the
	// process table (keyed by executable path) and the path table (keyed by
	// target path). Memory depends on them, not on the input.
	ProcessCapacity int
	PathCapacity    int
	// TopK is how many entries of each table a Snapshot ranks.
	TopK int
	// HalfLife is the half-life of the decayed event rate entries are
	// ranked by: a new heavy writer outranks an old one within about one
	// half-life, whatever the old one's total. Zero means DefaultHalfLife.
	HalfLife time.Duration
	// OnEvict, if set, is called with a copy of every evicted entry and the
	// name of its table, after the aggregator's lock is released, from the
	// goroutine that called Observe.
	OnEvict func(table string, e Entry)
}

// DefaultHalfLife is the rank half-life used when Config.HalfLife is zero.
const DefaultHalfLife = 5 * time.Second

// Aggregator folds events into a process table and a path table. It is
// safe for one goroutine at a time to call Observe (and BeginBatch/EndBatch)
// while others call Snapshot and Tick.
type Aggregator struct {
	mu        sync.Mutex
	procs     *table
	paths     *table
	clock     clock
	start     time.Time     // New's time, with its monotonic reading
	elapsed   time.Duration // since start, as of the last Tick; never decreases
	landmark  time.Duration // elapsed time at which an event weighs 1 in generation clock.gen
	halfLife  time.Duration
	rateScale float64 // converts a decayed count into events per second
	observed  Counts
	bytes     uint64
	invalid   uint64
	onEvict   func(table string, e Entry)
	// batching is set between BeginBatch and EndBatch. Only the fold's
	// goroutine reads or writes it.
	batching bool
}

// New returns an empty aggregator, or an error if cfg is out of range.
func New(cfg Config) (*Aggregator, error) {
	if cfg.ProcessCapacity < 1 {
		return nil, fmt.Errorf("aggregate: process capacity must be at least 1, got %d", cfg.ProcessCapacity)
	}
	if cfg.PathCapacity < 1 {
		return nil, fmt.Errorf("aggregate: path capacity must be at least 1, got %d", cfg.PathCapacity)
	}
	if cfg.TopK < 0 {
		return nil, fmt.Errorf("aggregate: top-k must not be negative, got %d", cfg.TopK)
	}
	if cfg.HalfLife < 0 {
		return nil, fmt.Errorf("aggregate: rank half-life must not be negative, got %s", cfg.HalfLife)
	}
	if cfg.HalfLife == 0 {
		cfg.HalfLife = DefaultHalfLife
	}
	start := time.Now()
	return &Aggregator{
		procs:     newTable("process", cfg.ProcessCapacity, cfg.TopK),
		paths:     newTable("path", cfg.PathCapacity, cfg.TopK),
		clock:     clock{now: start.UnixNano(), weight: 1},
		start:     start,
		halfLife:  cfg.HalfLife,
		rateScale: math.Ln2 / cfg.HalfLife.Seconds(),
		onEvict:   cfg.OnEvict,
	}, nil
}

// Observe folds one event into both tables. It implements [es.Sink]: it
// does not keep ev, and allocates only when a table admits a new key.
func (a *Aggregator) Observe(ev *es.Event) {
	if a.batching {
		a.fold(ev)
		return
	}
	a.mu.Lock()
	a.fold(ev)
	a.mu.Unlock()
}

// fold is Observe with the lock held.
func (a *Aggregator) fold(ev *es.Event) {
	if ev.Kind >= es.NumKinds {
		a.invalid++
		return
	}
	a.observed[ev.Kind]++
	a.bytes += ev.Bytes
	a.procs.observe(ev.Executable, ev, &a.clock)
	a.paths.observe(ev.Path, ev, &a.clock)
	if a.procs.evicted != nil || a.paths.evicted != nil {
		a.reportEvictions()
	}
}

// BeginBatch takes the lock for a burst of Observe calls from the same
// goroutine, which then fold without locking each event; EndBatch releases
// it. It implements [es.Batcher]: sources bracket each kernel read with it,
// so a snapshot waits at most for one burst to be folded.
func (a *Aggregator) BeginBatch() {
	a.mu.Lock()
	a.batching = true
}

// EndBatch ends a burst begun with BeginBatch.
func (a *Aggregator) EndBatch() {
	a.batching = false
	a.mu.Unlock()
}

// reportEvictions hands evicted entries to the OnEvict hook. It is called
// with the lock held and releases it around the hook, so the hook may call
// back in; state is consistent between events, so that is safe mid-batch.
func (a *Aggregator) reportEvictions() {
	var evicted [2]Entry
	var names [2]string
	n := 0
	for _, t := range [2]*table{a.procs, a.paths} {
		if t.evicted != nil {
			if a.onEvict != nil {
				evicted[n], names[n] = t.evicted.export(&a.clock, a.rateScale), t.name
				n++
			}
			t.evicted = nil
		}
	}
	if n == 0 {
		return
	}
	a.mu.Unlock()
	defer a.mu.Lock()
	for i := range n {
		a.onEvict(names[i], evicted[i])
	}
}

// Tick advances the aggregator's clock to now. The agent calls it a few
// times a second; entries' first/last-seen times have its resolution, and
// events weigh by the time of the last Tick. Decay follows now's monotonic
// reading when it has one, so a wall-clock step does not disturb ranking;
// time that appears to run backwards leaves the weights as they are.
func (a *Aggregator) Tick(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.clock.now = now.UnixNano()
	elapsed := now.Sub(a.start)
	if elapsed <= a.elapsed {
		return
	}
	a.elapsed = elapsed
	// An event at elapsed time t weighs 2^((t-landmark)/halfLife): later
	// events weigh more, which is exponential decay of the older ones
	// without touching them. When the weight nears float range, move the
	// landmark on and start a new generation; scores catch up lazily
	// (rescale), top-set members at once (renormalise).
	exp := float64(elapsed-a.landmark) / float64(a.halfLife)
	for exp >= renormShift {
		a.landmark += renormShift * a.halfLife
		exp -= renormShift
		a.clock.gen++
	}
	a.clock.weight = math.Exp2(exp)
	a.procs.renormalise(&a.clock)
	a.paths.renormalise(&a.clock)
}

// Snapshot returns a consistent copy of the counters and the top entries.
// It holds the lock only to copy counters and TopK entries by value, so the
// fold waits for a time proportional to TopK, never to the table size.
func (a *Aggregator) Snapshot() Snapshot {
	var procs, paths tableCopy
	procs.top = make([]entry, 0, a.procs.top.k)
	paths.top = make([]entry, 0, a.paths.top.k)
	a.mu.Lock()
	s := Snapshot{
		Time:     time.Unix(0, a.clock.now),
		Observed: a.observed,
		Bytes:    a.bytes,
		Invalid:  a.invalid,
	}
	clk := a.clock
	a.procs.copyOut(&procs)
	a.paths.copyOut(&paths)
	a.mu.Unlock()
	s.Processes = procs.rank(&clk, a.rateScale)
	s.Paths = paths.rank(&clk, a.rateScale)
	return s
}
