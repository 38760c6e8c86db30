package summary

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/estally/estally/aggregate"
	"github.com/estally/estally/es"
)

// MaxKeyBytes caps the length of an entry's key (and signing/team id) in a
// summary. Paths longer than this are cut at a rune boundary and end in "…".
const MaxKeyBytes = 1024

// Builder turns snapshots into summaries, remembering what it needs from the
// previous one to compute deltas. It keeps O(top-K) state. It is not safe for
// concurrent use.
type Builder struct {
	interval time.Duration
	seq      uint64
	prevTime time.Time
	prevObs  aggregate.Counts
	prevProc map[string]aggregate.Counts
	prevPath map[string]aggregate.Counts
}

// NewBuilder returns a builder for summaries published every interval.
func NewBuilder(interval time.Duration) *Builder {
	return &Builder{interval: interval}
}

// Build returns the summary of snap and the sources' stats. Successive calls
// must pass successive snapshots: deltas are computed against the previous
// call.
func (b *Builder) Build(snap aggregate.Snapshot, stats []es.StatsSnapshot) *Summary {
	b.seq++
	s := &Summary{
		Version:         Version,
		Seq:             b.seq,
		Time:            snap.Time.UTC(),
		IntervalSeconds: b.interval.Seconds(),
		Totals:          kindCountsOf(snap.Observed),
		Bytes:           snap.Bytes,
		Invalid:         snap.Invalid,
		Sources:         make([]Source, 0, len(stats)),
	}
	if !b.prevTime.IsZero() {
		s.DeltaSeconds = snap.Time.Sub(b.prevTime).Seconds()
		s.Delta = kindCountsOf(snap.Observed).Sub(kindCountsOf(b.prevObs))
	}
	for _, st := range stats {
		src := Source{
			Name:      sanitize(st.Source),
			Up:        st.Up,
			Muted:     st.Muted,
			Overflows: st.Overflows,
			Dropped:   make(map[string]uint64, len(st.Dropped)),
			Errors:    make(map[string]uint64, len(st.Errors)),
		}
		for _, d := range st.Dropped {
			src.Dropped[sanitize(d.Label)] += d.Count
			s.DroppedTotal += d.Count
		}
		for _, e := range st.Errors {
			src.Errors[sanitize(e.Label)] += e.Count
		}
		s.Sources = append(s.Sources, src)
	}
	var procNow, pathNow map[string]aggregate.Counts
	s.Processes, procNow = b.table(&snap.Processes, b.prevProc)
	s.Paths, pathNow = b.table(&snap.Paths, b.prevPath)
	b.prevTime, b.prevObs, b.prevProc, b.prevPath = snap.Time, snap.Observed, procNow, pathNow
	return s
}

// table converts one table snapshot. prev holds the counts of the entries
// listed in the previous summary, by raw key; it returns the same for this
// one.
func (b *Builder) table(t *aggregate.TableSnapshot, prev map[string]aggregate.Counts) (Table, map[string]aggregate.Counts) {
	out := Table{
		Entries:   t.Entries,
		Capacity:  t.Capacity,
		Evictions: t.Evictions,
		Rejected:  t.Rejected,
		Other:     kindCountsOf(t.Other),
		Top:       make([]Item, 0, len(t.Top)),
	}
	now := make(map[string]aggregate.Counts, len(t.Top))
	for i := range t.Top {
		e := &t.Top[i]
		it := Item{
			Key:       sanitize(e.Key),
			PID:       e.PID,
			SigningID: sanitize(e.SigningID),
			TeamID:    sanitize(e.TeamID),
			Totals:    kindCountsOf(e.Counts),
			Bytes:     e.Bytes,
			Rate:      e.Rate,
		}
		it.Delta = b.delta(e, prev)
		now[e.Key] = e.Counts
		out.Top = append(out.Top, it)
	}
	return out, now
}

// delta is the entry's count since the previous summary, or nil when that is
// unknown. An entry admitted after the previous summary has its whole count
// as delta; an entry listed previously has the difference, unless its counts
// went down (it was evicted and re-admitted in between).
func (b *Builder) delta(e *aggregate.Entry, prev map[string]aggregate.Counts) *KindCounts {
	if b.prevTime.IsZero() {
		return nil
	}
	admittedSince := !e.First.IsZero() && e.First.After(b.prevTime)
	if p, ok := prev[e.Key]; ok && !admittedSince {
		for i := range p {
			if e.Counts[i] < p[i] {
				return nil
			}
		}
		d := kindCountsOf(e.Counts).Sub(kindCountsOf(p))
		return &d
	}
	if admittedSince {
		d := kindCountsOf(e.Counts)
		return &d
	}
	return nil
}

// sanitize makes s safe for every transport: valid UTF-8 with no NUL (XPC
// strings are C strings), at most MaxKeyBytes long.
func sanitize(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 && len(s) <= MaxKeyBytes {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) > MaxKeyBytes {
		cut := MaxKeyBytes - len("…")
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
