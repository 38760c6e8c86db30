package aggregate

import (
	"time"

	"github.com/estally/estally/es"
)

// Counts holds one count per event kind, indexed by [es.Kind].
type Counts [es.NumKinds]uint64

// Sum returns the total over all kinds.
func (c Counts) Sum() uint64 {
	var n uint64
	for _, v := range c {
		n += v
	}
	return n
}

// Entry is a copy of one resident table entry.
type Entry struct {
	// Key is the executable path (process table) or the file path (path
	// table), exactly as the source reported it: it may hold any bytes.
	Key string
	// PID, SigningID and TeamID describe the process that last acted
	// (process table), or the last process that touched the path (path table).
	PID       int32
	SigningID string
	TeamID    string
	// Counts are the events folded into this entry since it was admitted,
	// per kind; Bytes the bytes written where sources reported them.
	Counts Counts
	Bytes  uint64
	// First and Last are when the entry was admitted and last touched, at the
	// resolution of the aggregator's clock.
	First, Last time.Time
	// Rate is the entry's recent activity in events per second, an
	// exponentially decayed average with the configured half-life. Top lists
	// are ranked by it.
	Rate float64
}

// TableSnapshot is a consistent copy of one table's accounting and its top
// entries.
type TableSnapshot struct {
	Name     string // "process" or "path"
	Entries  int    // resident entries
	Capacity int    // maximum resident entries
	// Evictions counts entries evicted to make room for a new key.
	Evictions uint64
	// Rejected counts events of keys that were not admitted (the table was
	// full and the key had not yet proven itself); their counts are in Other.
	Rejected uint64
	// Resident holds the sum of all resident entries' counts, per kind, and
	// Other the counts of keys that were evicted or never admitted. For every
	// kind, Resident + Other equals the aggregator's Observed.
	Resident Counts
	Other    Counts
	// Top holds up to the configured top-K entries, highest Rate first.
	Top []Entry
}

// Snapshot is a consistent copy of the aggregator's state, cheap enough to
// take on every scrape: it copies only counters and the top entries.
type Snapshot struct {
	Time time.Time
	// Observed counts every event folded, per kind; Bytes their bytes.
	Observed Counts
	Bytes    uint64
	// Invalid counts events whose kind was out of range (a source bug):
	// they are not folded, and not in Observed.
	Invalid uint64
	// Processes and Paths are the two tables.
	Processes TableSnapshot
	Paths     TableSnapshot
}
