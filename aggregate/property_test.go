package aggregate

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/estally/estally/es"
)

// oracle is the exact answer: every event counted per key, with no bound.
type oracle struct {
	observed Counts
	procs    map[string]*Counts
	paths    map[string]*Counts
	// evicted accumulates, per table and key, the counts the aggregator
	// reported through OnEvict.
	evicted map[string]map[string]*Counts
}

func newOracle() *oracle {
	return &oracle{
		procs:   map[string]*Counts{},
		paths:   map[string]*Counts{},
		evicted: map[string]map[string]*Counts{"process": {}, "path": {}},
	}
}

func bump(m map[string]*Counts, key string, c *Counts) {
	d := m[key]
	if d == nil {
		d = new(Counts)
		m[key] = d
	}
	for k, n := range c {
		d[k] += n
	}
}

func (o *oracle) observe(ev *es.Event) {
	var one Counts
	one[ev.Kind] = 1
	o.observed[ev.Kind]++
	bump(o.procs, string(ev.Executable), &one)
	bump(o.paths, string(ev.Path), &one)
}

func (o *oracle) onEvict(table string, e Entry) { bump(o.evicted[table], e.Key, &e.Counts) }

// residents walks a table's resident entries (test-only; O(n)).
func residents(t *table, c *clock, rateScale float64) map[string]Entry {
	out := map[string]Entry{}
	for _, e := range t.lru.Values() {
		out[e.key] = e.export(c, rateScale)
	}
	return out
}

// checkInvariants verifies conservation, per-key accounting and top-k
// exactness of a against the oracle.
func checkInvariants(t *testing.T, a *Aggregator, o *oracle) {
	t.Helper()
	snap := a.Snapshot()
	if snap.Observed != o.observed {
		t.Fatalf("observed %v, oracle %v", snap.Observed, o.observed)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, tc := range []struct {
		tab   *table
		ts    TableSnapshot
		exact map[string]*Counts
	}{{a.procs, snap.Processes, o.procs}, {a.paths, snap.Paths, o.paths}} {
		name := tc.tab.name
		res := residents(tc.tab, &a.clock, a.rateScale)
		if len(tc.tab.index) != tc.tab.lru.Len() {
			t.Fatalf("%s: index holds %d entries, LRU %d", name, len(tc.tab.index), tc.tab.lru.Len())
		}
		for _, e := range tc.tab.lru.Values() {
			if tc.tab.index[e.key] != e {
				t.Fatalf("%s: index and LRU disagree on %q", name, e.key)
			}
		}
		if len(res) > tc.ts.Capacity || len(res) != tc.ts.Entries {
			t.Fatalf("%s: %d resident entries, snapshot says %d, capacity %d", name, len(res), tc.ts.Entries, tc.ts.Capacity)
		}
		// Conservation: resident + other = observed, and resident is the
		// sum of the entries actually resident.
		var sum Counts
		for _, e := range res {
			for k, n := range e.Counts {
				sum[k] += n
			}
		}
		if sum != tc.ts.Resident {
			t.Fatalf("%s: entries sum to %v, resident counter %v", name, sum, tc.ts.Resident)
		}
		for k := range es.NumKinds {
			if tc.ts.Resident[k]+tc.ts.Other[k] != o.observed[k] {
				t.Fatalf("%s %s: resident %d + other %d != observed %d", name, es.Kind(k),
					tc.ts.Resident[k], tc.ts.Other[k], o.observed[k])
			}
		}
		// Per key: resident + evicted + rejected = exact. Rejected events
		// are not reported per key, so check that the remainder is never
		// negative and sums to other minus what was evicted.
		var remainder, evictedSum Counts
		for key, exact := range tc.exact {
			r, ev := res[key].Counts, o.evicted[name][key]
			for k := range es.NumKinds {
				got := r[k]
				if ev != nil {
					got += ev[k]
				}
				if got > exact[k] {
					t.Fatalf("%s %q %s: resident+evicted %d exceeds the %d observed", name, key, es.Kind(k), got, exact[k])
				}
				remainder[k] += exact[k] - got
			}
		}
		for _, ev := range o.evicted[name] {
			for k, n := range ev {
				evictedSum[k] += n
			}
		}
		for k := range es.NumKinds {
			if remainder[k] != tc.ts.Other[k]-evictedSum[k] {
				t.Fatalf("%s %s: %d events unaccounted per key, other-evicted is %d", name, es.Kind(k),
					remainder[k], tc.ts.Other[k]-evictedSum[k])
			}
		}
		if remainder.Sum() != tc.ts.Rejected {
			t.Fatalf("%s: rejected counter %d, per-key remainder %d", name, tc.ts.Rejected, remainder.Sum())
		}
		// Top-k: exactly the k highest rates among resident entries.
		var rates []float64
		for _, e := range res {
			rates = append(rates, e.Rate)
		}
		slices.Sort(rates)
		slices.Reverse(rates)
		want := rates[:min(len(rates), tc.tab.top.k)]
		var got []float64
		for i, e := range tc.ts.Top {
			got = append(got, e.Rate)
			if r, ok := res[e.Key]; !ok || r.Counts != e.Counts {
				t.Fatalf("%s: top entry %d %q is not a resident entry's copy", name, i, e.Key)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: top rates %v, want %v", name, got, want)
		}
	}
}

// TestPropertyAgainstOracle folds random streams of every profile into
// tables from capacity 1 to 10k and checks every invariant against an exact
// oracle, at several points of each stream.
func TestPropertyAgainstOracle(t *testing.T) {
	capacities := []int{1, 2, 3, 10, 64, 1000, 10000}
	profiles := []string{"steady", "flood", "scan"}
	events := 60000
	if testing.Short() {
		events = 10000
	}
	for _, profile := range profiles {
		for ci, capacity := range capacities {
			for _, topK := range []int{0, 1, 10} {
				seed := uint64(ci*31 + topK)
				batched := topK == 1
				t.Run(fmt.Sprintf("%s/cap=%d/k=%d", profile, capacity, topK), func(t *testing.T) {
					t.Parallel()
					o := newOracle()
					a, err := New(Config{
						ProcessCapacity: max(1, capacity/8), PathCapacity: capacity,
						TopK: topK, HalfLife: 2 * time.Second, OnEvict: o.onEvict,
					})
					if err != nil {
						t.Fatal(err)
					}
					s := newStream(profile, seed, 50, 3*capacity+5)
					now := time.Now()
					a.Tick(now)
					for i := range events {
						if i%500 == 0 {
							// A long jump now and then crosses renormalisation
							// generations (64 half-lives).
							step := 100 * time.Millisecond
							if i%20000 == 0 {
								step = 70 * 2 * time.Second
							}
							now = now.Add(step)
							a.Tick(now)
						}
						ev := s.next()
						o.observe(ev)
						// Sources fold in bursts under one lock (es.Batcher);
						// some runs do too.
						if batched && i%100 == 0 {
							a.BeginBatch()
						}
						a.Observe(ev)
						if batched && i%100 == 99 {
							a.EndBatch()
						}
						if i%15000 == 14999 {
							checkInvariants(t, a, o)
						}
					}
					checkInvariants(t, a, o)
				})
			}
		}
	}
}

// TestPropertySyntheticSource runs the same checks on the streams of the
// agent's own synthetic source, every profile, so that the profiles a demo
// or an attack test uses are covered too.
func TestPropertySyntheticSource(t *testing.T) {
	for _, profile := range []string{"steady", "flood", "scan"} {
		for _, capacity := range []int{1, 7, 100, 5000} {
			t.Run(fmt.Sprintf("%s/cap=%d", profile, capacity), func(t *testing.T) {
				t.Parallel()
				src, err := es.NewSynthetic(es.SyntheticConfig{Profile: profile, Seed: uint64(capacity)})
				if err != nil {
					t.Fatal(err)
				}
				o := newOracle()
				a, err := New(Config{ProcessCapacity: capacity, PathCapacity: capacity, TopK: 10, OnEvict: o.onEvict})
				if err != nil {
					t.Fatal(err)
				}
				now := time.Now()
				n := 0
				src.Generate(30000, func(ev *es.Event) {
					if n++; n%1000 == 0 {
						now = now.Add(50 * time.Millisecond)
						a.Tick(now)
					}
					o.observe(ev)
					a.Observe(ev)
				})
				checkInvariants(t, a, o)
			})
		}
	}
}
