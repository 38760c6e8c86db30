package summary

import (
	"log/slog"
	"sync"
	"time"
)

// rateLogger logs at most one message per key and period, so that a peer
// triggering errors in a loop cannot flood the log. The number of messages it
// suppressed is attached to the next one.
type rateLogger struct {
	l      *slog.Logger
	period time.Duration

	mu   sync.Mutex
	last map[string]time.Time
	supp map[string]int
}

func newRateLogger(l *slog.Logger, period time.Duration) *rateLogger {
	return &rateLogger{l: l, period: period, last: map[string]time.Time{}, supp: map[string]int{}}
}

// Warn logs msg (the rate-limit key) at warn level unless it was logged less
// than a period ago.
func (r *rateLogger) Warn(msg string, args ...any) {
	now := time.Now()
	r.mu.Lock()
	if t, ok := r.last[msg]; ok && now.Sub(t) < r.period {
		r.supp[msg]++
		r.mu.Unlock()
		return
	}
	r.last[msg] = now
	n := r.supp[msg]
	r.supp[msg] = 0
	r.mu.Unlock()
	if n > 0 {
		args = append(args, "suppressed", n)
	}
	r.l.Warn(msg, args...)
}
