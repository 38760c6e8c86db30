package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/estally/estally/aggregate"
	"github.com/estally/estally/es"
	"github.com/estally/estally/summary"
)

func flood(writers int) (*es.Synthetic, error) {
	return es.NewSynthetic(es.SyntheticConfig{Profile: "flood", Writers: writers, Seed: 1})
}

// runBaseline is the seed's design: every event becomes one message, queued
// without bound (as asynchronous XPC sends queue in the kernel) and sent to
// the host one write per message. The queue is capped at capBytes only to
// keep the benchmark safe; hitting the cap is reported.
func runBaseline(sock string, d time.Duration, capBytes int64, writers int) error {
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return err
	}
	gen, err := flood(writers)
	if err != nil {
		return err
	}
	q := &msgQueue{capBytes: capBytes}
	q.cond = sync.NewCond(&q.mu)
	start := time.Now()
	go func() { // the sender: one write per message, as fast as the host takes them
		for {
			m, ok := q.pop()
			if !ok {
				return
			}
			if _, err := conn.Write(m); err != nil {
				return
			}
			q.sent.Add(1)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var events uint64
	gen.Run(ctx, es.SinkFunc(func(ev *es.Event) {
		events++
		// The message the seed built per event: kind, pid, process, path.
		m := make([]byte, 0, 64+len(ev.Executable)+len(ev.Path))
		m = append(m, `{"kind":"`...)
		m = append(m, ev.Kind.String()...)
		m = append(m, `","pid":`...)
		m = strconv.AppendInt(m, int64(ev.PID), 10)
		m = append(m, `,"exe":`...)
		m = strconv.AppendQuote(m, string(ev.Executable))
		m = append(m, `,"path":`...)
		m = strconv.AppendQuote(m, string(ev.Path))
		m = append(m, `,"bytes":`...)
		m = strconv.AppendUint(m, ev.Bytes, 10)
		m = append(m, "}\n"...)
		q.push(m, start)
	}))
	secs := time.Since(start).Seconds()
	q.close()
	conn.Close()
	q.mu.Lock()
	rep := agentReport{Events: events, Seconds: secs, Sent: q.sent.Load(), MaxQueued: q.maxN, MaxQueuedB: q.maxBytes,
		CapHitAfter: q.capHitAfter, DroppedAtCap: q.dropped}
	q.mu.Unlock()
	return json.NewEncoder(os.Stdout).Encode(rep)
}

// msgQueue is an unbounded FIFO of messages (bounded only by capBytes).
type msgQueue struct {
	mu          sync.Mutex
	cond        *sync.Cond
	items       [][]byte
	head        int
	bytes       int64
	capBytes    int64
	maxN        uint64
	maxBytes    int64
	capHitAfter float64
	dropped     uint64
	closed      bool
	sent        atomic.Uint64
}

func (q *msgQueue) push(m []byte, start time.Time) {
	q.mu.Lock()
	if q.bytes+int64(len(m)) > q.capBytes {
		if q.capHitAfter == 0 {
			q.capHitAfter = time.Since(start).Seconds()
		}
		q.dropped++
		q.mu.Unlock()
		return
	}
	q.items = append(q.items, m)
	q.bytes += int64(len(m))
	if n := uint64(len(q.items) - q.head); n > q.maxN {
		q.maxN = n
	}
	q.maxBytes = max(q.maxBytes, q.bytes)
	q.mu.Unlock()
	q.cond.Signal()
}

func (q *msgQueue) pop() ([]byte, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head == len(q.items) && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return nil, false
	}
	m := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	q.bytes -= int64(len(m))
	if q.head > 1<<16 && q.head*2 > len(q.items) { // compact the consumed prefix
		q.items = append(q.items[:0:0], q.items[q.head:]...)
		q.head = 0
	}
	return m, true
}

func (q *msgQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// runEstally is estally's design under the same flood: fold, publish one
// summary per interval, serve it on the Unix socket.
func runEstally(sock string, d time.Duration, interval time.Duration, writers int) error {
	gen, err := flood(writers)
	if err != nil {
		return err
	}
	agg, err := aggregate.New(aggregate.Config{ProcessCapacity: 4096, PathCapacity: 16384, TopK: 20, HalfLife: 5 * time.Second})
	if err != nil {
		return err
	}
	hub := summary.NewHub(summary.HubConfig{})
	pub, err := summary.NewPublisher(summary.PublisherConfig{Interval: interval, Source: agg, Hub: hub,
		Stats: func() []es.StatsSnapshot { return []es.StatsSnapshot{gen.Stats().Snapshot()} }})
	if err != nil {
		return err
	}
	srv, err := summary.ListenUnix(summary.UnixConfig{Path: sock, Hub: hub, Interval: interval})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	go srv.Serve(ctx)
	go pub.Run(ctx)
	go func() { // the agent's coarse clock
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				agg.Tick(now)
			}
		}
	}()
	start := time.Now()
	var events uint64
	gen.Run(ctx, es.SinkFunc(func(ev *es.Event) { events++; agg.Observe(ev) }))
	secs := time.Since(start).Seconds()
	hub.Close()
	srv.Close()
	sent := uint64(0)
	if m := hub.Latest(); m != nil {
		sent = m.Summary.Seq
	}
	return json.NewEncoder(os.Stdout).Encode(agentReport{Events: events, Seconds: secs, Sent: sent})
}

// runHost is the host app: it takes messages one at a time, spending delay
// on each, for d.
func runHost(sock string, d, delay time.Duration, subscribe bool) error {
	var conn net.Conn
	if subscribe {
		c, err := net.Dial("unix", sock)
		if err != nil {
			return err
		}
		if _, err := c.Write([]byte(`{"op":"subscribe"}` + "\n")); err != nil {
			return err
		}
		conn = c
	} else {
		l, err := net.Listen("unix", sock)
		if err != nil {
			return err
		}
		defer l.Close()
		c, err := l.Accept()
		if err != nil {
			return err
		}
		conn = c
	}
	defer conn.Close()
	start := time.Now()
	conn.SetReadDeadline(start.Add(d))
	r := bufio.NewReaderSize(conn, 256<<10)
	var rep hostReport
	for {
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			rep.Bytes += uint64(len(line))
			continue
		}
		if err != nil {
			break
		}
		rep.Messages++
		rep.Bytes += uint64(len(line))
		if delay > 0 {
			time.Sleep(delay)
		}
		if time.Since(start) >= d {
			break
		}
	}
	rep.Seconds = min(time.Since(start), d).Seconds()
	return json.NewEncoder(os.Stdout).Encode(rep)
}
