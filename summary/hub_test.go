package summary

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func msg(seq uint64) *Message { return NewMessage(&Summary{Seq: seq}, []byte(`{}`)) }

func newTestHub(max int, stuck time.Duration) (*Hub, *fakeClock) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	return NewHub(HubConfig{MaxSubscribers: max, StuckTimeout: stuck, Now: clk.Now}), clk
}

func TestHubLatestWinsAndOneInFlight(t *testing.T) {
	h, _ := newTestHub(4, time.Hour)
	s, err := h.Subscribe(TransportUnix, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Next(); ok {
		t.Fatal("message pending before any publish")
	}
	h.Publish(msg(1))
	m, ok := s.Next()
	if !ok || m.Summary.Seq != 1 {
		t.Fatalf("Next = %v, %v", m, ok)
	}
	// In flight: newer summaries queue in the single slot, latest wins.
	for i := uint64(2); i <= 10; i++ {
		h.Publish(msg(i))
		if _, ok := s.Next(); ok {
			t.Fatal("second message in flight")
		}
	}
	if got := testutil.ToFloat64(h.Metrics().coalesced.WithLabelValues(TransportUnix)); got != 8 {
		t.Fatalf("coalesced = %v, want 8", got)
	}
	s.Delivered()
	select {
	case <-s.Ready():
	default:
		t.Fatal("no ready token after delivery with a pending message")
	}
	if m, ok := s.Next(); !ok || m.Summary.Seq != 10 {
		t.Fatalf("after delivery Next = %v, %v; want seq 10", m, ok)
	}
	s.Delivered()
	if got := testutil.ToFloat64(h.Metrics().messages.WithLabelValues(TransportUnix)); got != 2 {
		t.Fatalf("messages = %v, want 2", got)
	}
}

func TestHubInitialAndEvery(t *testing.T) {
	h, _ := newTestHub(4, time.Hour)
	h.Publish(msg(1))
	s, _ := h.Subscribe(TransportXPC, 3)
	if m, ok := s.Next(); !ok || m.Summary.Seq != 1 {
		t.Fatal("latest summary not pending for a new subscriber")
	}
	s.Delivered()
	var got []uint64
	for i := uint64(2); i <= 10; i++ {
		h.Publish(msg(i))
		if m, ok := s.Next(); ok {
			got = append(got, m.Summary.Seq)
			s.Delivered()
		}
	}
	if want := []uint64{4, 7, 10}; len(got) != 3 || got[0] != want[0] || got[2] != want[2] {
		t.Fatalf("every-3 subscriber got %v, want %v", got, want)
	}
}

func TestHubStuck(t *testing.T) {
	h, clk := newTestHub(4, 5*time.Second)
	stuck, _ := h.Subscribe(TransportUnix, 1)
	ok, _ := h.Subscribe(TransportUnix, 1)
	h.Publish(msg(1))
	stuck.Next() // in flight forever
	for i := range 10 {
		clk.Add(time.Second)
		h.Publish(msg(uint64(i + 2)))
		if _, got := ok.Next(); got {
			ok.Delivered()
		}
	}
	select {
	case <-stuck.Done():
	default:
		t.Fatal("stuck subscriber not disconnected")
	}
	if stuck.Reason() != ReasonStuck || ok.Reason() != "" {
		t.Fatalf("reasons %q %q", stuck.Reason(), ok.Reason())
	}
	if got := testutil.ToFloat64(h.Metrics().disconnects.WithLabelValues(TransportUnix, ReasonStuck)); got != 1 {
		t.Fatalf("stuck disconnects = %v", got)
	}
	if got := testutil.ToFloat64(h.Metrics().subscribers.WithLabelValues(TransportUnix)); got != 1 {
		t.Fatalf("subscribers = %v, want 1", got)
	}
	// A subscriber whose transport never takes its message is stuck too.
	idle, _ := h.Subscribe(TransportXPC, 1)
	for range 7 {
		clk.Add(time.Second)
		h.Publish(msg(99))
	}
	if idle.Reason() != ReasonStuck {
		t.Fatalf("idle subscriber reason %q", idle.Reason())
	}
}

func TestHubLimitAndClose(t *testing.T) {
	h, _ := newTestHub(2, time.Hour)
	a, _ := h.Subscribe(TransportUnix, 1)
	if _, err := h.Subscribe(TransportXPC, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Subscribe(TransportUnix, 1); !errors.Is(err, ErrTooManySubscribers) {
		t.Fatalf("third subscriber: %v", err)
	}
	a.Close(ReasonClientClosed)
	a.Close(ReasonStuck) // no double count
	if _, err := h.Subscribe(TransportUnix, 1); err != nil {
		t.Fatalf("after a close: %v", err)
	}
	h.Close()
	if h.Subscribers() != 0 {
		t.Fatalf("%d subscribers after Close", h.Subscribers())
	}
	if _, err := h.Subscribe(TransportUnix, 1); !errors.Is(err, ErrHubClosed) {
		t.Fatalf("subscribe after close: %v", err)
	}
	m := h.Metrics()
	for _, c := range []struct {
		reason string
		want   float64
	}{{ReasonClientClosed, 1}, {ReasonStuck, 0}, {ReasonTooManySubscribers, 1}, {ReasonShutdown, 1}} {
		if got := testutil.ToFloat64(m.disconnects.WithLabelValues(TransportUnix, c.reason)); got != c.want {
			t.Errorf("disconnects{unix,%s} = %v, want %v", c.reason, got, c.want)
		}
	}
}

// Memory per subscriber is one slot whatever it misses.
func TestHubPendingIsOneSlot(t *testing.T) {
	h, _ := newTestHub(1, time.Hour)
	s, _ := h.Subscribe(TransportUnix, 1)
	for i := range 100000 {
		h.Publish(msg(uint64(i)))
	}
	s.mu.Lock()
	pending := s.pending
	s.mu.Unlock()
	if pending == nil || pending.Summary.Seq != 99999 {
		t.Fatalf("pending %v", pending)
	}
	if got := testutil.ToFloat64(h.Metrics().coalesced.WithLabelValues(TransportUnix)); got != 99999 {
		t.Fatalf("coalesced %v", got)
	}
}
