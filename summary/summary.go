package summary

import (
	"time"

	"github.com/estally/estally/aggregate"
	"github.com/estally/estally/es"
)

// Version is the version of the summary format described in
// docs/summary-protocol.md. It changes only when a field changes meaning or
// disappears; new fields may appear without a version change.
const Version = 1

// Summary is one summary of the aggregator's state. Its JSON encoding (the
// struct tags) is the only encoding; the key/value tree of [ToValue] carries
// the same names.
type Summary struct {
	// Version is the format version, [Version].
	Version int `json:"version"`
	// Seq numbers the summaries the agent built, from 1; a gap tells a
	// subscriber that summaries were coalesced before reaching it.
	Seq uint64 `json:"seq"`
	// Time is when the snapshot was taken (UTC).
	Time time.Time `json:"time"`
	// IntervalSeconds is the agent's summary interval.
	IntervalSeconds float64 `json:"interval_seconds"`
	// DeltaSeconds is the time since the previous summary the agent built
	// (0 in the first one); every delta in this summary covers it.
	DeltaSeconds float64 `json:"delta_seconds"`
	// Totals counts every event folded since the agent started, per kind;
	// Delta those folded since the previous summary.
	Totals KindCounts `json:"totals"`
	Delta  KindCounts `json:"delta"`
	// Bytes is the number of bytes written, where sources reported it.
	Bytes uint64 `json:"bytes"`
	// DroppedTotal sums the drops of every source and stage.
	DroppedTotal uint64 `json:"dropped_total"`
	// Invalid counts events a source delivered with an unknown kind (a
	// source bug); they are not folded, so not in Totals.
	Invalid uint64 `json:"invalid"`
	// Sources holds each event source's loss ledger.
	Sources []Source `json:"sources"`
	// Processes and Paths describe the two aggregation tables.
	Processes Table `json:"processes"`
	Paths     Table `json:"paths"`
	// Truncated is true when the top lists were cut to fit the size cap.
	Truncated bool `json:"truncated"`
}

// KindCounts holds one count per event kind, named as [es.Kind.String].
type KindCounts struct {
	Write         uint64 `json:"write"`
	CloseModified uint64 `json:"close_modified"`
	Create        uint64 `json:"create"`
	Rename        uint64 `json:"rename"`
	Unlink        uint64 `json:"unlink"`
	Truncate      uint64 `json:"truncate"`
}

// Source is one event source's loss ledger.
type Source struct {
	Name      string `json:"name"`
	Up        bool   `json:"up"`
	Muted     uint64 `json:"muted"`
	Overflows uint64 `json:"overflows"`
	// Dropped counts events lost before the fold, by stage; Errors input
	// the source could not use, by reason.
	Dropped map[string]uint64 `json:"dropped"`
	Errors  map[string]uint64 `json:"errors"`
}

// Table describes one bounded aggregation table and its top entries.
type Table struct {
	Entries   int    `json:"entries"`
	Capacity  int    `json:"capacity"`
	Evictions uint64 `json:"evictions"`
	Rejected  uint64 `json:"rejected"`
	// Other holds the counts of keys evicted or never admitted.
	Other KindCounts `json:"other"`
	// Top lists the busiest entries, highest rate first.
	Top []Item `json:"top"`
	// TopOmitted is how many top entries were cut to fit the size cap.
	TopOmitted int `json:"top_omitted"`
}

// Item is one top entry: a process (keyed by executable path) or a path.
type Item struct {
	// Key is the executable path or file path, valid UTF-8 (invalid bytes
	// replaced by U+FFFD, NUL by U+FFFD) and at most [MaxKeyBytes] long (a
	// longer key ends in "…").
	Key       string `json:"key"`
	PID       int32  `json:"pid"`
	SigningID string `json:"signing_id,omitempty"`
	TeamID    string `json:"team_id,omitempty"`
	// Totals counts the entry's events since it was admitted to the table.
	Totals KindCounts `json:"totals"`
	Bytes  uint64     `json:"bytes"`
	// Delta counts its events since the previous summary; it is absent when
	// unknown (the entry was resident but not listed in the previous
	// summary).
	Delta *KindCounts `json:"delta,omitempty"`
	// Rate is the entry's recent events per second (a decayed average).
	Rate float64 `json:"rate"`
}

// Sum returns the total over all kinds.
func (k KindCounts) Sum() uint64 {
	return k.Write + k.CloseModified + k.Create + k.Rename + k.Unlink + k.Truncate
}

// Get returns the count of kind.
func (k KindCounts) Get(kind es.Kind) uint64 {
	switch kind {
	case es.KindWrite:
		return k.Write
	case es.KindCloseModified:
		return k.CloseModified
	case es.KindCreate:
		return k.Create
	case es.KindRename:
		return k.Rename
	case es.KindUnlink:
		return k.Unlink
	case es.KindTruncate:
		return k.Truncate
	}
	return 0
}

// Sub returns k - o per kind, clamped at zero.
func (k KindCounts) Sub(o KindCounts) KindCounts {
	c := kindCountsOf(aggregate.Counts{})
	for i := range es.NumKinds {
		kind := es.Kind(i)
		a, b := k.Get(kind), o.Get(kind)
		if a > b {
			c.set(kind, a-b)
		}
	}
	return c
}

func (k *KindCounts) set(kind es.Kind, v uint64) {
	switch kind {
	case es.KindWrite:
		k.Write = v
	case es.KindCloseModified:
		k.CloseModified = v
	case es.KindCreate:
		k.Create = v
	case es.KindRename:
		k.Rename = v
	case es.KindUnlink:
		k.Unlink = v
	case es.KindTruncate:
		k.Truncate = v
	}
}

func kindCountsOf(c aggregate.Counts) KindCounts {
	var k KindCounts
	for i, v := range c {
		k.set(es.Kind(i), v)
	}
	return k
}
