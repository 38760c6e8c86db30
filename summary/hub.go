package summary

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of [HubConfig].
const (
	DefaultMaxSubscribers = 16
	DefaultStuckTimeout   = 10 * time.Second
)

// ErrTooManySubscribers is returned by [Hub.Subscribe] at the subscriber
// limit.
var ErrTooManySubscribers = errors.New("too many summary subscribers")

// ErrHubClosed is returned by [Hub.Subscribe] after [Hub.Close].
var ErrHubClosed = errors.New("summary hub closed")

// HubConfig configures a [Hub].
type HubConfig struct {
	// MaxSubscribers bounds the push subscribers over all transports
	// (default DefaultMaxSubscribers).
	MaxSubscribers int
	// StuckTimeout is how long a delivery may stay in flight, or a summary
	// stay untaken, before the subscriber is disconnected as stuck (default
	// DefaultStuckTimeout). It is checked on every publish.
	StuckTimeout time.Duration
	// Metrics receives the hub's accounting; nil makes private metrics.
	Metrics *Metrics
	// Now is the clock (default time.Now), replaceable in tests.
	Now func() time.Time
}

// Hub is the delivery state machine shared by every push transport. It holds
// the latest summary for pull requests and, per subscriber, one pending slot.
type Hub struct {
	cfg    HubConfig
	latest atomic.Pointer[Message]

	mu     sync.Mutex
	subs   map[*Subscriber]struct{}
	closed bool
}

// NewHub returns a hub with no subscribers.
func NewHub(cfg HubConfig) *Hub {
	if cfg.MaxSubscribers <= 0 {
		cfg.MaxSubscribers = DefaultMaxSubscribers
	}
	if cfg.StuckTimeout <= 0 {
		cfg.StuckTimeout = DefaultStuckTimeout
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Hub{cfg: cfg, subs: map[*Subscriber]struct{}{}}
}

// Metrics returns the metrics the hub counts into.
func (h *Hub) Metrics() *Metrics { return h.cfg.Metrics }

// Latest returns the latest published message, or nil before the first.
func (h *Hub) Latest() *Message { return h.latest.Load() }

// Subscribers returns the current number of subscribers.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Publish makes m the latest message and offers it to every subscriber. It
// never blocks on a subscriber: it replaces each one's pending slot (counting
// a replaced, undelivered message as coalesced), and disconnects the
// subscribers that have been stuck for longer than the stuck timeout.
func (h *Hub) Publish(m *Message) {
	h.latest.Store(m)
	now := h.cfg.Now()
	var stuck []*Subscriber
	h.mu.Lock()
	for s := range h.subs {
		if s.offer(m, now, h.cfg.StuckTimeout) {
			stuck = append(stuck, s)
		}
	}
	h.mu.Unlock()
	for _, s := range stuck {
		s.Close(ReasonStuck)
	}
}

// Subscribe adds a subscriber on transport that takes every every-th
// published summary (every >= 1). When the hub already has a summary, it is
// pending for the new subscriber at once. At the subscriber limit it counts a
// disconnect with reason [ReasonTooManySubscribers] and returns
// [ErrTooManySubscribers].
func (h *Hub) Subscribe(transport string, every int) (*Subscriber, error) {
	s := &Subscriber{
		hub:       h,
		transport: transport,
		every:     max(every, 1),
		ready:     make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	h.mu.Lock()
	switch {
	case h.closed:
		h.mu.Unlock()
		return nil, ErrHubClosed
	case len(h.subs) >= h.cfg.MaxSubscribers:
		h.mu.Unlock()
		h.cfg.Metrics.Disconnected(transport, ReasonTooManySubscribers)
		return nil, ErrTooManySubscribers
	}
	h.subs[s] = struct{}{}
	if m := h.latest.Load(); m != nil {
		s.pending, s.since = m, h.cfg.Now()
		s.ready <- struct{}{}
	}
	h.mu.Unlock()
	h.cfg.Metrics.subscribersAdd(transport, 1)
	return s, nil
}

// Close disconnects every subscriber with reason [ReasonShutdown] and
// refuses new ones.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	subs := make([]*Subscriber, 0, len(h.subs))
	for s := range h.subs {
		subs = append(subs, s)
	}
	h.mu.Unlock()
	for _, s := range subs {
		s.Close(ReasonShutdown)
	}
}

// Subscriber is one push subscriber's delivery state: a single pending slot
// (latest wins) and an in-flight flag. Its memory does not depend on how
// many summaries it misses.
//
// A transport drives it with a loop: wait for [Subscriber.Ready] (or
// [Subscriber.Done]), call [Subscriber.Next] to take the pending message,
// deliver it, then call [Subscriber.Delivered] — or [Subscriber.Close] with a
// reason when delivery failed. Next returns nothing while a delivery is in
// flight, so there is at most one per subscriber.
type Subscriber struct {
	hub       *Hub
	transport string
	every     int
	ready     chan struct{}
	done      chan struct{}

	mu       sync.Mutex
	seen     int
	pending  *Message
	inflight bool
	since    time.Time // when pending was set or the delivery started
	closed   bool
	reason   string
}

// offer puts m in the slot (every every-th call). It reports whether the
// subscriber is stuck and must be disconnected.
func (s *Subscriber) offer(m *Message, now time.Time, stuckAfter time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if (s.inflight || s.pending != nil) && now.Sub(s.since) > stuckAfter {
		return true
	}
	s.seen++
	if s.seen%s.every != 0 {
		return false
	}
	if s.pending != nil {
		s.hub.cfg.Metrics.coalescedInc(s.transport)
	} else if !s.inflight {
		s.since = now
	}
	s.pending = m
	select {
	case s.ready <- struct{}{}:
	default:
	}
	return false
}

// Ready returns a channel that receives a token when a message may be
// pending. Spurious tokens are possible: Next decides.
func (s *Subscriber) Ready() <-chan struct{} { return s.ready }

// Done returns a channel closed when the subscriber is disconnected.
func (s *Subscriber) Done() <-chan struct{} { return s.done }

// Next takes the pending message and marks a delivery in flight. It returns
// false when there is none, when a delivery is already in flight, or after
// Close.
func (s *Subscriber) Next() (*Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.inflight || s.pending == nil {
		return nil, false
	}
	m := s.pending
	s.pending, s.inflight, s.since = nil, true, s.hub.cfg.Now()
	return m, true
}

// Delivered ends the delivery in flight and counts the message.
func (s *Subscriber) Delivered() {
	s.mu.Lock()
	if !s.inflight {
		s.mu.Unlock()
		return
	}
	s.inflight = false
	if s.pending != nil {
		s.since = s.hub.cfg.Now()
		select {
		case s.ready <- struct{}{}:
		default:
		}
	}
	s.mu.Unlock()
	s.hub.cfg.Metrics.Delivered(s.transport)
}

// Close disconnects the subscriber, counting reason; later calls do
// nothing. It drops the pending message and closes Done.
func (s *Subscriber) Close(reason string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed, s.reason, s.pending = true, reason, nil
	s.mu.Unlock()
	close(s.done)
	s.hub.mu.Lock()
	delete(s.hub.subs, s)
	s.hub.mu.Unlock()
	s.hub.cfg.Metrics.subscribersAdd(s.transport, -1)
	s.hub.cfg.Metrics.Disconnected(s.transport, reason)
}

// Reason returns why the subscriber was disconnected, or "" while it is
// connected.
func (s *Subscriber) Reason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason
}
