package summary_test

import (
	"fmt"
	"time"

	"github.com/estally/estally/aggregate"
	"github.com/estally/estally/es"
	"github.com/estally/estally/summary"
)

// A transport's delivery loop over a Hub subscriber: take the pending
// summary, deliver it, report the delivery. Publishing never waits for it.
func ExampleHub() {
	hub := summary.NewHub(summary.HubConfig{})
	sub, _ := hub.Subscribe(summary.TransportUnix, 1)

	b := summary.NewBuilder(time.Second)
	for range 3 { // three summaries published before the subscriber looks
		s := b.Build(aggregate.Snapshot{Time: time.Now()}, nil)
		js, _ := summary.Encode(s, summary.DefaultMaxBytes)
		hub.Publish(summary.NewMessage(s, js))
	}

	<-sub.Ready()
	m, _ := sub.Next() // latest wins: the first two were coalesced
	fmt.Println("delivering summary", m.Summary.Seq)
	sub.Delivered()
	sub.Close(summary.ReasonClientClosed)
	// Output: delivering summary 3
}

// Building and encoding a summary with a size cap.
func ExampleEncode() {
	var snap aggregate.Snapshot
	snap.Time = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	snap.Observed[es.KindWrite] = 42
	s := summary.NewBuilder(time.Second).Build(snap, nil)
	js, err := summary.Encode(s, summary.DefaultMaxBytes)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(js) <= summary.DefaultMaxBytes, s.Totals.Write, s.Truncated)
	// Output: true 42 false
}
