package agent

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/estally/estally/es"
	"github.com/estally/estally/exporter"
	"github.com/estally/estally/summary"
)

// renderSummary formats one summary as plain-text tables for
// `estally summary`.
func renderSummary(s *summary.Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "estally summary #%d at %s (interval %s)\n\n", s.Seq, s.Time.Format(time.RFC3339), secs(s.IntervalSeconds))
	fmt.Fprintf(&b, "%-16s %16s %14s\n", "KIND", "TOTAL", "LAST "+secs(s.DeltaSeconds))
	for k := range es.Kind(es.NumKinds) {
		fmt.Fprintf(&b, "%-16s %16d %14d\n", k, s.Totals.Get(k), s.Delta.Get(k))
	}
	fmt.Fprintf(&b, "%-16s %16d %14d\n", "all", s.Totals.Sum(), s.Delta.Sum())
	fmt.Fprintf(&b, "\nbytes written %d, dropped %d\n", s.Bytes, s.DroppedTotal)
	for _, src := range s.Sources {
		fmt.Fprintf(&b, "source %s: up=%v muted=%d overflows=%d dropped=%s errors=%s\n",
			src.Name, src.Up, src.Muted, src.Overflows, kv(src.Dropped), kv(src.Errors))
	}
	for _, t := range []struct {
		name string
		t    *summary.Table
	}{{"process", &s.Processes}, {"path", &s.Paths}} {
		fmt.Fprintf(&b, "\n%s table: %d/%d entries, %d evictions, %d rejected, other %d\n",
			t.name, t.t.Entries, t.t.Capacity, t.t.Evictions, t.t.Rejected, t.t.Other.Sum())
		fmt.Fprintf(&b, "%12s %10s %8s  %s\n", "TOTAL", "RATE/S", "PID", strings.ToUpper(t.name))
		for _, it := range t.t.Top {
			fmt.Fprintf(&b, "%12d %10.1f %8d  %s\n", it.Totals.Sum(), itemRate(&it, s), it.PID, displayKey(it.Key))
		}
		if t.t.TopOmitted > 0 {
			fmt.Fprintf(&b, "(%d more entries cut to fit the size cap)\n", t.t.TopOmitted)
		}
	}
	return b.String()
}

// itemRate is an entry's events per second over the last summary interval
// when the agent knows it, else its decayed rate.
func itemRate(it *summary.Item, s *summary.Summary) float64 {
	if it.Delta != nil && s.DeltaSeconds > 0 {
		return float64(it.Delta.Sum()) / s.DeltaSeconds
	}
	return it.Rate
}

func secs(f float64) string {
	return (time.Duration(f * float64(time.Second))).Round(time.Millisecond).String()
}

func kv(m map[string]uint64) string {
	if len(m) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s:%d", k, m[k]))
	}
	return strings.Join(parts, ",")
}

func sortedKeys(m map[string]uint64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// displayKey makes a path or executable safe to print on a terminal: file
// names are chosen by whoever creates the files, and one holding escape
// sequences must not be able to drive the operator's terminal. Control
// characters are escaped the way metric labels are (\x1b, \n, ...).
func displayKey(s string) string {
	k, _ := exporter.SanitizeLabel(s, maxDisplayKey)
	return k
}

// maxDisplayKey caps a key on screen; longer ones keep head and tail.
const maxDisplayKey = 4096

// fit cuts s to at most width columns, keeping its tail (the file name) and
// marking the cut with "…".
func fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	n := utf8.RuneCountInString(s)
	if n <= width {
		return s
	}
	r := []rune(s)
	return "…" + string(r[n-width+1:])
}
