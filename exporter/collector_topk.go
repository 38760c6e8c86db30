package exporter

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/estally/estally/aggregate"
	"github.com/estally/estally/es"
)

// linearSearchMax is the longest top list searched linearly for colliding
// labels; longer ones use a map.
const linearSearchMax = 16

// topGroup is one top-K series group: the entries of one table whose
// sanitised keys are equal (normally exactly one entry), with their counts
// summed.
type topGroup struct {
	label  string
	counts aggregate.Counts
	why    [numReasons]uint64 // label alterations behind this group
	series int                // nonzero kinds = series the group emits
}

// groupTop sanitises the keys of the first k entries of top and merges
// entries whose sanitised keys collide, in rank order of each group's first
// (highest-ranked) entry. Merging keeps the scrape valid (two series with
// equal labels would fail it) and keeps every count.
func groupTop(top []aggregate.Entry, k, limit int) []topGroup {
	if len(top) > k {
		top = top[:k]
	}
	if len(top) == 0 {
		return nil
	}
	groups := make([]topGroup, 0, len(top))
	var index map[string]int // for long lists; short ones are searched
	if len(top) > linearSearchMax {
		index = make(map[string]int, len(top))
	}
	for i := range top {
		e := &top[i]
		label, why := SanitizeLabel(e.Key, limit)
		gi, found := -1, false
		if index != nil {
			gi, found = index[label]
		} else {
			for j := range groups {
				if groups[j].label == label {
					gi, found = j, true
					break
				}
			}
		}
		if found {
			why |= ReasonCollision
		} else {
			gi = len(groups)
			groups = append(groups, topGroup{label: label})
			if index != nil {
				index[label] = gi
			}
		}
		g := &groups[gi]
		for r := range numReasons {
			if why&(1<<r) != 0 {
				g.why[r]++
			}
		}
		for kind, n := range e.Counts {
			g.counts[kind] += n
		}
	}
	for i := range groups {
		g := &groups[i]
		for _, n := range g.counts {
			if n != 0 {
				g.series++
			}
		}
	}
	return groups
}

// collectTopK sends the top-K series of both tables within the series
// budget, adds the label alterations of the groups it sent to why, and
// returns the number of series it left out.
//
// The budget is spent fairly by interleaving the tables by rank: process #1,
// path #1, process #2, path #2, ... A group is sent whole or not at all (a
// partial group would misreport an entry's kinds); a group that does not fit
// in what is left is omitted and the next one is tried, so a smaller group
// of lower rank may still be sent. Omitted series are counted by the
// estally_export_topk_series_omitted gauge; their events remain in the
// table totals.
func (c *Collector) collectTopK(ch chan<- prometheus.Metric, snap *aggregate.Snapshot, why *[numReasons]uint64) int {
	if c.topK == 0 {
		return 0
	}
	procs := groupTop(snap.Processes.Top, c.topK, c.labelLimit)
	paths := groupTop(snap.Paths.Top, c.topK, c.labelLimit)
	left, omitted := c.budget, 0
	for rank := 0; rank < max(len(procs), len(paths)); rank++ {
		if rank < len(procs) {
			left, omitted = sendGroup(ch, processEventsDesc, &procs[rank], left, omitted, why)
		}
		if rank < len(paths) {
			left, omitted = sendGroup(ch, pathEventsDesc, &paths[rank], left, omitted, why)
		}
	}
	return omitted
}

func sendGroup(ch chan<- prometheus.Metric, d *prometheus.Desc, g *topGroup, left, omitted int, why *[numReasons]uint64) (int, int) {
	if g.series > left {
		return left, omitted + g.series
	}
	for k, n := range g.counts {
		if n != 0 {
			emit(ch, d, prometheus.CounterValue, float64(n), g.label, es.Kind(k).String())
		}
	}
	for r, n := range g.why {
		why[r] += n
	}
	return left - g.series, omitted
}
