package summary

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/estally/estally/aggregate"
	"github.com/estally/estally/es"
)

// testSnapshot returns a snapshot with n top entries per table whose keys
// are about keyLen bytes long.
func testSnapshot(t0 time.Time, n, keyLen int, scale uint64) aggregate.Snapshot {
	s := aggregate.Snapshot{Time: t0}
	s.Processes = aggregate.TableSnapshot{Name: "process", Capacity: 1000, Entries: n}
	s.Paths = aggregate.TableSnapshot{Name: "path", Capacity: 10000, Entries: n}
	for i := range n {
		var c aggregate.Counts
		c[es.KindWrite] = scale * uint64(n-i)
		c[es.KindCreate] = scale
		pad := strings.Repeat("x", max(0, keyLen-20))
		s.Processes.Top = append(s.Processes.Top, aggregate.Entry{
			Key: fmt.Sprintf("/usr/bin/p%03d%s", i, pad), PID: int32(100 + i), Counts: c,
			SigningID: "com.example.p", TeamID: "ABCDE12345", First: t0.Add(-time.Hour), Rate: float64(n - i),
		})
		s.Paths.Top = append(s.Paths.Top, aggregate.Entry{
			Key: fmt.Sprintf("/var/tmp/f%05d%s", i, pad), PID: int32(100 + i), Counts: c,
			First: t0.Add(-time.Hour), Rate: float64(n - i),
		})
		s.Observed[es.KindWrite] += c[es.KindWrite]
		s.Observed[es.KindCreate] += c[es.KindCreate]
	}
	s.Processes.Resident = s.Observed
	s.Paths.Resident = s.Observed
	return s
}

// floodSource is a Snapshotter over a real aggregator fed by a flood, whose
// snapshots are padded with large top lists so that summaries are big (tens
// of KiB) whatever the aggregator's state.
type floodSource struct {
	agg    *aggregate.Aggregator
	padN   int
	padLen int
	calls  atomic.Int64
}

func (f *floodSource) Snapshot() aggregate.Snapshot {
	f.calls.Add(1)
	s := f.agg.Snapshot()
	pad := testSnapshot(s.Time, f.padN, f.padLen, 1)
	s.Processes.Top = append(s.Processes.Top, pad.Processes.Top...)
	s.Paths.Top = append(s.Paths.Top, pad.Paths.Top...)
	return s
}

func newAggregator(tb testing.TB) *aggregate.Aggregator {
	tb.Helper()
	a, err := aggregate.New(aggregate.Config{ProcessCapacity: 256, PathCapacity: 1024, TopK: 20, HalfLife: 10 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// flood feeds a at full speed until stop is closed, returning the number of
// events through done.
func flood(a *aggregate.Aggregator, stop <-chan struct{}, done chan<- uint64) {
	ev := es.Event{Kind: es.KindWrite, PID: 42, Executable: []byte("/usr/bin/flood"), Bytes: 1}
	paths := make([][]byte, 512)
	for i := range paths {
		paths[i] = fmt.Appendf(nil, "/tmp/flood/%d", i)
	}
	var n uint64
	for {
		for i := range 1024 {
			ev.Path = paths[i%len(paths)]
			ev.Kind = es.Kind(i % es.NumKinds)
			a.Observe(&ev)
		}
		n += 1024
		select {
		case <-stop:
			done <- n
			return
		default:
		}
	}
}
