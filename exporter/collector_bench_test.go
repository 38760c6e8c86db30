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

// benchSnapshot is what the aggregator hands over for two full tables of
// entries each: counters plus the top entries (a snapshot never copies the
// whole table, so the scrape cost does not depend on the table's size).
// TODO(lead): switch to a real aggregate.Aggregator filled with 100 k keys
// once the engine lands; it satisfies Snapshotter as is.
func benchSnapshot(entries, top int) aggregate.Snapshot {
	var s aggregate.Snapshot
	s.Observed = aggregate.Counts{7_000_000, 1_500_000, 400_000, 300_000, 200_000, 100_000}
	tables := []*aggregate.TableSnapshot{&s.Processes, &s.Paths}
	for ti, t := range tables {
		t.Name = [...]string{"process", "path"}[ti]
		t.Entries, t.Capacity = entries, entries
		t.Evictions, t.Rejected = 123_456, 654_321
		t.Resident = aggregate.Counts{6_000_000, 1_000_000, 300_000, 200_000, 100_000, 50_000}
		for k := range t.Other {
			t.Other[k] = s.Observed[k] - t.Resident[k]
		}
		for i := range top {
			key := fmt.Sprintf("/usr/local/bin/worker-%d", i)
			if ti == 1 {
				key = fmt.Sprintf("/var/lib/app/data/shard-%02d/segment-%06d.log", i%7, i)
			}
			t.Top = append(t.Top, aggregate.Entry{
				Key:    key,
				Counts: aggregate.Counts{uint64(100_000 - i), uint64(1000 - i), uint64(i), 0, uint64(i % 2), 0},
				Rate:   float64(1000 - i),
			})
		}
	}
	return s
}

// BenchmarkScrape measures one scrape of a snapshot of two 100 k-entry
// tables with K = 10: the collector's Collect alone, registry Gather (what the collector costs) and
// Gather plus text encoding (what an HTTP scrape costs, minus the network).
func BenchmarkScrape(b *testing.B) {
	c := newTestCollector(b, benchSnapshot(100_000, 10), 10, 200)
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
