package summary

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/estally/estally/es"
)

// BenchmarkFoldWithSubscribers measures the fold's event rate while the
// publisher runs every 10 ms, with no subscriber and with fast, stuck and
// slow subscribers on the Unix socket. Compare ns/op between the sub-
// benchmarks: the ratio, not the absolute rate, is the result (subscribers
// must not slow the fold).
func BenchmarkFoldWithSubscribers(b *testing.B) {
	for _, subs := range []int{0, 4} {
		b.Run(fmt.Sprintf("subscribers=%d", subs), func(b *testing.B) {
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
			defer cancel()
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
					defer c.Close()
					c.Write([]byte(`{"op":"subscribe"}` + "\n"))
				}
			}
			ev := es.Event{Kind: es.KindWrite, PID: 1, Executable: []byte("/bin/x"), Path: []byte("/tmp/x")}
			b.ResetTimer()
			for i := range b.N {
				ev.Kind = es.Kind(i % es.NumKinds)
				agg.Observe(&ev)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
