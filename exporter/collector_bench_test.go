package exporter

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/estally/estally/aggregate"
	"github.com/estally/estally/es"
)

// Run the benchmarks with:
//
//	go test -run='^$' -bench=. -benchmem ./exporter/

// benchAggregator returns a real aggregator whose two tables each hold
// entries resident keys, with activity skewed so that the top-K is
// meaningful. A snapshot copies only counters and the top-K, so the scrape
// cost must not depend on entries.
func benchAggregator(b *testing.B, entries, topK int) *aggregate.Aggregator {
	b.Helper()
	a, err := aggregate.New(aggregate.Config{ProcessCapacity: entries, PathCapacity: entries, TopK: topK})
	if err != nil {
		b.Fatal(err)
	}
	ev := es.Event{PID: 4242}
	for i := range entries {
		ev.Executable = fmt.Appendf(ev.Executable[:0], "/usr/local/bin/worker-%d", i)
		ev.Path = fmt.Appendf(ev.Path[:0], "/var/lib/app/data/shard-%02d/segment-%06d.log", i%7, i)
		for n := range 1 + 1000/(i+1) {
			ev.Kind = es.Kind(n % es.NumKinds)
			a.Observe(&ev)
		}
	}
	if s := a.Snapshot(); s.Processes.Entries != entries || s.Paths.Entries != entries {
		b.Fatalf("tables hold %d and %d entries, want %d", s.Processes.Entries, s.Paths.Entries, entries)
	}
	return a
}

// BenchmarkScrape measures one scrape of a real aggregator with two
// 100 k-entry tables and K = 10: the collector's Collect alone (snapshot
// included), registry Gather (what the collector costs) and Gather plus text
// encoding (what an HTTP scrape costs, minus the network).
func BenchmarkScrape(b *testing.B) {
	c, err := NewCollector(CollectorConfig{
		Aggregate: benchAggregator(b, 100_000, 10), Sources: []StatsSnapshotter{sampleStats("synthetic")},
		TopK: 10, SeriesBudget: 200, Version: "1.2.3", Revision: "abc123",
	})
	if err != nil {
		b.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		b.Fatal(err)
	}
	b.Run("Collect", func(b *testing.B) { // the collector alone, without the registry
		b.ReportAllocs()
		ch := make(chan prometheus.Metric, 1024)
		for b.Loop() {
			c.Collect(ch)
			for len(ch) > 0 {
				<-ch
			}
		}
	})
	b.Run("Gather", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := reg.Gather(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GatherEncodeText", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			mfs, err := reg.Gather()
			if err != nil {
				b.Fatal(err)
			}
			enc := expfmt.NewEncoder(io.Discard, expfmt.NewFormat(expfmt.TypeTextPlain))
			for _, mf := range mfs {
				if err := enc.Encode(mf); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// labelEvent is one event of the per-event baseline, with its label values
// precomputed so that producing it costs nothing.
type labelEvent struct{ process, path, kind string }

// counterVecStream returns n events shaped like the synthetic source's
// steady profile and the aggregate package's fold benchmarks (seed 42;
// Zipf s=1.2 over 1000 processes, s=1.1 over 10 000 paths; 70 % write,
// 15 % close_modified, the rest spread over the other kinds).
func counterVecStream(n int) []labelEvent {
	rng := rand.New(rand.NewPCG(42, 42^0x9e3779b97f4a7c15))
	const nProcs, nPaths = 1000, 10_000
	procs, paths := make([]string, nProcs), make([]string, nPaths)
	for i := range procs {
		procs[i] = fmt.Sprintf("/usr/bin/proc-%d", i)
	}
	for i := range paths {
		paths[i] = fmt.Sprintf("/var/data/dir-%d/file-%d.log", i%97, i)
	}
	zp := rand.NewZipf(rng, 1.2, 1, nProcs-1)
	zf := rand.NewZipf(rng, 1.1, 1, nPaths-1)
	out := make([]labelEvent, n)
	for i := range out {
		r := rng.Uint32N(100)
		kind := es.KindWrite
		switch {
		case r < 70:
		case r < 85:
			kind = es.KindCloseModified
		default:
			kind = es.Kind(2 + r%4)
		}
		out[i] = labelEvent{procs[zp.Uint64()], paths[zf.Uint64()], kind.String()}
	}
	return out
}

// BenchmarkCounterVecPerEvent is the design the fold replaces: one
// client_golang CounterVec.WithLabelValues(process, path, kind).Inc() per
// event, on a realistic stream with every series already created (steady
// state). One op is one event; compare its ns/op with the fold's ns/event
// (aggregate benchmarks) on the same stream shape.
func BenchmarkCounterVecPerEvent(b *testing.B) {
	stream := counterVecStream(1 << 16)
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "estally_bench_events_total", Help: "h"},
		[]string{"process", "path", "kind"})
	for i := range stream {
		ev := &stream[i]
		vec.WithLabelValues(ev.process, ev.path, ev.kind).Inc()
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ev := &stream[i&(len(stream)-1)]
		vec.WithLabelValues(ev.process, ev.path, ev.kind).Inc()
		i++
	}
}

// BenchmarkSanitizeLabel: the common case (a clean path, no allocation)
// and hostile ones.
func BenchmarkSanitizeLabel(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"clean", "/Users/someone/Library/Caches/com.example.app/Cache.db-wal"},
		{"invalid_utf8", "/tmp/\xff\xfe/file\x80.txt"},
		{"control", "/tmp/evil\nname\x00.txt"},
		{"16KiB", "/" + strings.Repeat("d/", 8192) + "file"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = SanitizeLabel(bc.in, DefaultLabelLimit)
			}
		})
	}
}
