package aggregate

import (
	"fmt"
	"testing"
	"time"
	"unsafe"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/estally/estally/es"
)

// The benchmarks here compare the fold with a baseline measured in the same
// run, alternating the two in chunks so that a noisy machine slows both
// alike, and report the ratio as a metric (x_baseline) next to each side's
// ns/event. Run them with:
//
//	go test -run='^$' -bench=. -benchmem ./aggregate/

// recorded is a precomputed slice of events, so that generating input costs
// nothing inside the timed loops.
func recorded(profile string, n, nProcs, nPaths int) []es.Event {
	s := newStream(profile, 42, nProcs, nPaths)
	out := make([]es.Event, n)
	for i := range out {
		ev := s.next()
		out[i] = *ev
		if profile == "scan" {
			out[i].Path = append([]byte(nil), ev.Path...) // next() reuses the buffer
		}
	}
	return out
}

// indexOf returns ev's index in events (ev points into it).
func indexOf(events []es.Event, ev *es.Event) int {
	return int((uintptr(unsafe.Pointer(ev)) - uintptr(unsafe.Pointer(&events[0]))) / unsafe.Sizeof(events[0]))
}

// compare times base and the aggregator a over the same events,
// alternating in chunks, and reports ns/event for each and a's time over
// base's as a ratio (x_baseline). The fold is fed as sources feed it: in
// bursts of burst events bracketed by BeginBatch/EndBatch (one fanotify
// read, one paced synthetic batch), or with burst 1 one locked Observe per
// event (the native Endpoint Security source).
func compare(b *testing.B, events []es.Event, base func(ev *es.Event), a *Aggregator, burst int) {
	b.Helper()
	runBase := func(from, n int) time.Duration {
		start := time.Now()
		for i := range n {
			base(&events[(from+i)%len(events)])
		}
		return time.Since(start)
	}
	runFold := func(from, n int) time.Duration {
		start := time.Now()
		for i := 0; i < n; i += burst {
			if burst > 1 {
				a.BeginBatch()
			}
			for j := i; j < min(i+burst, n); j++ {
				a.Observe(&events[(from+j)%len(events)])
			}
			if burst > 1 {
				a.EndBatch()
			}
		}
		return time.Since(start)
	}
	// Tick as the agent does, so recency updates cost what they cost in
	// production.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for t := time.NewTicker(100 * time.Millisecond); ; {
			select {
			case now := <-t.C:
				a.Tick(now)
			case <-stop:
				t.Stop()
				return
			}
		}
	}()
	const chunk = 1 << 20 // long enough that each side runs warm, as the fold does in production
	var tBase, tSub time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; done += chunk {
		n := min(chunk, b.N-done)
		tBase += runBase(done, n)
		tSub += runFold(done, n)
	}
	b.StopTimer()
	b.ReportMetric(float64(tBase.Nanoseconds())/float64(b.N), "base-ns/event")
	b.ReportMetric(float64(tSub.Nanoseconds())/float64(b.N), "ns/event")
	b.ReportMetric(float64(tSub)/float64(tBase), "x_baseline")
	b.ReportMetric(0, "ns/op") // ns/op mixes both sides; the metrics above are the result
}

// bursts are the ways sources feed the fold: one locked Observe per event,
// and a fanotify-read-sized burst under one lock.
var bursts = []int{1, 256}

func forBursts(b *testing.B, f func(b *testing.B, burst int)) {
	for _, burst := range bursts {
		b.Run(fmt.Sprintf("burst=%d", burst), func(b *testing.B) { f(b, burst) })
	}
}

func residentAggregator(b *testing.B, events []es.Event) *Aggregator {
	a, err := New(Config{ProcessCapacity: 4096, PathCapacity: 16384, TopK: 10})
	if err != nil {
		b.Fatal(err)
	}
	for i := range events {
		a.Observe(&events[i])
	}
	return a
}

// BenchmarkFoldVsTwoMaps: folding an event whose process and path are
// resident, against two bare map[string]uint64 increments (one per table) on
// the same stream. Goal: x_baseline ≤ 2, 0 allocs/op.
func BenchmarkFoldVsTwoMaps(b *testing.B) {
	events := recorded("steady", 1<<16, 1000, 10000)
	a := residentAggregator(b, events)
	// The keys as strings, precomputed, so that the baseline pays for
	// hashing and the increment, not for converting or allocating keys.
	type keys struct{ proc, path string }
	strs := make([]keys, len(events))
	for i, ev := range events {
		strs[i] = keys{string(ev.Executable), string(ev.Path)}
	}
	procs, paths := map[string]uint64{}, map[string]uint64{}
	for _, k := range strs {
		procs[k.proc], paths[k.path] = 0, 0
	}
	forBursts(b, func(b *testing.B, burst int) {
		b.ReportAllocs()
		compare(b, events, func(ev *es.Event) {
			k := &strs[indexOf(events, ev)]
			procs[k.proc]++
			paths[k.path]++
		}, a, burst)
	})
}

// BenchmarkFoldVsCounterVec: the fold against what a naive exporter would do
// per event, client_golang CounterVec.WithLabelValues(process, path,
// kind).Inc(), on the same stream. Goal: x_baseline ≤ 1/3.
func BenchmarkFoldVsCounterVec(b *testing.B) {
	events := recorded("steady", 1<<16, 1000, 10000)
	a := residentAggregator(b, events)
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "writes_total", Help: "h"}, []string{"process", "path", "kind"})
	kinds := [es.NumKinds]string{}
	for k := range kinds {
		kinds[k] = es.Kind(k).String()
	}
	for i := range events { // warm: every series exists, as it would in steady state
		ev := &events[i]
		vec.WithLabelValues(string(ev.Executable), string(ev.Path), kinds[ev.Kind]).Inc()
	}
	forBursts(b, func(b *testing.B, burst int) {
		b.ReportAllocs()
		compare(b, events, func(ev *es.Event) {
			vec.WithLabelValues(string(ev.Executable), string(ev.Path), kinds[ev.Kind]).Inc()
		}, a, burst)
	})
}

// BenchmarkScanChurnVsLRU: the cache-flushing attack, every event a new
// path, against the same two-table fold built on plain golang-lru caches
// (Get, and on a miss Add with eviction) on the same stream. Goal:
// x_baseline ≤ 0.5.
func BenchmarkScanChurnVsLRU(b *testing.B) {
	events := recorded("scan", 1<<18, 8, 8)
	for i := range events { // every event a scan path
		if string(events[i].Path[:10]) != "/tmp/scan/" {
			events[i] = events[(i+1)%len(events)]
		}
	}
	a, _ := New(Config{ProcessCapacity: 4096, PathCapacity: 16384, TopK: 10})
	procs, _ := lru.New[string, *Counts](4096)
	paths, _ := lru.New[string, *Counts](16384)
	fold := func(c *lru.Cache[string, *Counts], key []byte, kind es.Kind) {
		e, ok := c.Get(string(key))
		if !ok {
			e = new(Counts)
			c.Add(string(key), e)
		}
		e[kind]++
	}
	forBursts(b, func(b *testing.B, burst int) {
		b.ReportAllocs()
		compare(b, events, func(ev *es.Event) {
			fold(procs, ev.Executable, ev.Kind)
			fold(paths, ev.Path, ev.Kind)
		}, a, burst)
	})
}

// TestFoldOfResidentKeysDoesNotAllocate pins the hot-path promise that the
// benchmarks report: folding an event whose keys are resident allocates
// nothing.
func TestFoldOfResidentKeysDoesNotAllocate(t *testing.T) {
	events := recorded("steady", 1<<12, 100, 1000)
	a, _ := New(Config{ProcessCapacity: 128, PathCapacity: 1024, TopK: 10})
	for i := range events {
		a.Observe(&events[i])
	}
	i := 0
	if n := testing.AllocsPerRun(10000, func() {
		a.Observe(&events[i%len(events)])
		i++
	}); n != 0 {
		t.Fatalf("fold of resident keys: %v allocations per event, want 0", n)
	}
}

// BenchmarkSnapshot measures one Snapshot of a full table, which is how long
// it holds the lock the fold needs. Goal: a few microseconds, independent of
// the table size.
func BenchmarkSnapshot(b *testing.B) {
	for _, size := range []int{1000, 100_000} {
		b.Run(fmt.Sprintf("entries=%d/k=10", size), func(b *testing.B) {
			a, _ := New(Config{ProcessCapacity: size, PathCapacity: size, TopK: 10})
			ev := es.Event{Kind: es.KindWrite}
			for i := range size {
				key := fmt.Appendf(nil, "/data/%d", i)
				ev.Executable, ev.Path = key, key
				a.Observe(&ev)
			}
			b.Run("call", func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					_ = a.Snapshot()
				}
			})
			// What the fold can wait for: the section Snapshot holds the lock.
			b.Run("lock-held", func(b *testing.B) {
				procs, paths := tableCopy{top: make([]entry, 0, 10)}, tableCopy{top: make([]entry, 0, 10)}
				for range b.N {
					a.mu.Lock()
					a.procs.copyOut(&procs)
					a.paths.copyOut(&paths)
					a.mu.Unlock()
				}
			})
		})
	}
}
