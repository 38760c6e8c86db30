package summary

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/estally/estally/aggregate"
	"github.com/estally/estally/es"
)

// foldRig is an aggregator with a publisher every 10 ms, a Unix socket and
// some subscribers: half read every push, half never read.
func foldRig(b *testing.B, subs int) *aggregate.Aggregator {
	b.Helper()
	agg := newAggregator(b)
	src := &floodSource{agg: agg, padN: 20, padLen: 200}
	hub := NewHub(HubConfig{MaxSubscribers: 8, StuckTimeout: 500 * time.Millisecond})
	pub, _ := NewPublisher(PublisherConfig{Interval: 10 * time.Millisecond, Source: src, Hub: hub})
	path := filepath.Join(b.TempDir(), "s.sock")
	srv, err := ListenUnix(UnixConfig{Path: path, Hub: hub, Interval: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	go srv.Serve(ctx)
	go pub.Run(ctx)
	for i := range subs {
		if i%2 == 0 {
			go (&Client{Path: path}).Subscribe(ctx, 0, func(Received) error { return nil })
		} else { // never reads
			c, err := net.Dial("unix", path)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { c.Close() })
			c.Write([]byte(`{"op":"subscribe"}` + "\n"))
		}
	}
	return agg
}

// BenchmarkFoldWithSubscribers measures the fold's event rate while a
// publisher runs every 10 ms with no subscriber and with four (two fast, two
// never reading) on the Unix socket. Both rigs run at once and the fold
// alternates between them in 64 Ki-event chunks, so machine noise hits both
// alike; x_baseline is the fold's time per event with subscribers divided by
// the time without. It shows that subscribers never stall the fold (no lock
// or wait on its path); the CPU they use is bounded by the interval, not by
// the event rate.
func BenchmarkFoldWithSubscribers(b *testing.B) {
	without, with := foldRig(b, 0), foldRig(b, 4)
	ev := es.Event{Kind: es.KindWrite, PID: 1, Executable: []byte("/bin/x"), Path: []byte("/tmp/x")}
	paths := make([][]byte, 256)
	for i := range paths {
		paths[i] = fmt.Appendf(nil, "/tmp/x/%d", i)
	}
	const chunk = 64 << 10
	var tWithout, tWith time.Duration
	var nWithout, nWith int
	b.ResetTimer()
	for done, turn := 0, 0; done < b.N; turn++ {
		n := min(chunk, b.N-done)
		agg := without
		if turn%2 == 1 {
			agg = with
		}
		start := time.Now()
		for i := range n {
			ev.Kind = es.Kind(i % es.NumKinds)
			ev.Path = paths[i%len(paths)]
			agg.Observe(&ev)
		}
		if d := time.Since(start); turn%2 == 1 {
			tWith, nWith = tWith+d, nWith+n
		} else {
			tWithout, nWithout = tWithout+d, nWithout+n
		}
		done += n
	}
	b.StopTimer()
	if nWith > 0 && nWithout > 0 {
		per := func(t time.Duration, n int) float64 { return float64(t.Nanoseconds()) / float64(n) }
		b.ReportMetric(per(tWithout, nWithout), "ns/event_baseline")
		b.ReportMetric(per(tWith, nWith), "ns/event_subscribers")
		b.ReportMetric(per(tWith, nWith)/per(tWithout, nWithout), "x_baseline")
	}
}
