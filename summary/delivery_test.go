//go:build linux || darwin

package summary

import (
	"bufio"
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestDeliveryUnderFlood runs a full-speed event flood with a 100 ms summary
// interval and three subscribers: a fast one, one that never reads and a
// slow one. It checks the delivery invariants against the publisher's own
// count (not the wall clock): the fast subscriber gets every summary
// published after it subscribed (at most one more: the one pending when it
// subscribed), the never-reading one is disconnected as stuck while the heap
// stays flat, and the slow one sees its summaries coalesced.
func TestDeliveryUnderFlood(t *testing.T) {
	const (
		interval = 100 * time.Millisecond
		duration = 3 * time.Second
	)
	agg := newAggregator(t)
	// Summaries of ~64 KiB (truncated to the cap), so that a never-reading
	// subscriber fills its socket buffer in a few pushes.
	src := &floodSource{agg: agg, padN: 40, padLen: 900}
	hub := NewHub(HubConfig{MaxSubscribers: 8, StuckTimeout: time.Second})
	pub, err := NewPublisher(PublisherConfig{Interval: interval, Source: src, Hub: hub})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(shortDir(t), "s.sock")
	srv, err := ListenUnix(UnixConfig{Path: path, Hub: hub, Interval: interval, WriteTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Serve(ctx) }()

	stop := make(chan struct{})
	events := make(chan uint64, 1)
	go flood(agg, stop, events)

	// Fast subscriber, subscribed before the first summary.
	var fast atomic.Int64
	var lastSeq atomic.Uint64
	fastDone := make(chan error, 1)
	go func() {
		fastDone <- (&Client{Path: path}).Subscribe(ctx, 0, func(r Received) error {
			fast.Add(1)
			lastSeq.Store(r.Summary.Seq)
			return nil
		})
	}()
	waitFor(t, func() bool { return hub.Subscribers() == 1 })

	pubCtx, pubCancel := context.WithCancel(ctx)
	pubDone := make(chan struct{})
	start := time.Now()
	go func() { pub.Run(pubCtx); close(pubDone) }()

	// The never-reading subscriber.
	dead, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	dead.Write([]byte(`{"op":"subscribe"}` + "\n"))

	// The slow reader: one line every 400 ms.
	slow, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	slow.Write([]byte(`{"op":"subscribe"}` + "\n"))
	var slowGot atomic.Int64
	go func() {
		r := bufio.NewReaderSize(slow, 128<<10)
		for {
			if _, err := r.ReadSlice('\n'); err != nil {
				return
			}
			slowGot.Add(1)
			time.Sleep(400 * time.Millisecond)
		}
	}()

	time.Sleep(500 * time.Millisecond)
	heap0, rss0 := heapInUse(), rssBytes()
	time.Sleep(duration - 500*time.Millisecond)
	pubCancel()
	<-pubDone
	elapsed := time.Since(start)
	heap1, rss1 := heapInUse(), rssBytes()
	close(stop)
	n := <-events

	built := testutil.ToFloat64(hub.Metrics().built)
	// Wait for the last push to reach the fast subscriber.
	waitFor(t, func() bool { return float64(lastSeq.Load()) == built })
	t.Logf("%v: %d events (%.0f/s), %v summaries built, fast got %d, slow got %d, heap %d→%d KiB, RSS %d→%d KiB",
		elapsed.Round(time.Millisecond), n, float64(n)/elapsed.Seconds(), built, fast.Load(), slowGot.Load(),
		heap0>>10, heap1>>10, rss0>>10, rss1>>10)

	if max := float64(elapsed/interval) + 1; built > max {
		t.Errorf("built %v summaries in %v at %v: more than %v", built, elapsed, interval, max)
	}
	// Never more than one extra; fewer only if the machine starves the
	// reader (then the missed ones were coalesced, not queued).
	if got := float64(fast.Load()); got > built+1 || got < 0.8*built-1 {
		t.Errorf("fast subscriber got %v of %v summaries", got, built)
	}
	m := hub.Metrics()
	if got := testutil.ToFloat64(m.disconnects.WithLabelValues(TransportUnix, ReasonStuck)); got < 1 {
		t.Errorf("never-reading subscriber not disconnected as stuck (%v)", got)
	}
	if got := testutil.ToFloat64(m.coalesced.WithLabelValues(TransportUnix)); got < 1 {
		t.Errorf("no coalescing counted for the slow subscriber")
	}
	if got := slowGot.Load(); got < 2 {
		t.Errorf("slow subscriber got %d of %v", got, built)
	}
	// Bounded memory: the stuck subscriber cost at most one summary.
	if growth := int64(heap1) - int64(heap0); growth > 16<<20 {
		t.Errorf("heap grew by %d KiB", growth>>10)
	}
	if testutil.ToFloat64(m.truncated) == 0 {
		t.Errorf("summaries were expected to hit the size cap")
	}
	cancel()
	if err := <-srvDone; err != nil {
		t.Fatal(err)
	}
	<-fastDone
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// rssBytes returns the process's resident set (Linux; 0 elsewhere).
func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
