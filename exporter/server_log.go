package exporter

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Error-log rate limit: a burst of logBurst lines, then one per logEvery.
// Lines over the limit are counted and the count is attached to the next
// line logged.
const (
	logBurst = 5
	logEvery = 10 * time.Second
)

// logAdapter turns the one-line loggers of net/http and promhttp into
// rate-limited slog error records: both log lines that remote clients can
// provoke.
type logAdapter struct {
	log *slog.Logger
	msg string
	now func() time.Time

	mu         sync.Mutex
	tokens     float64
	last       time.Time
	suppressed uint64
}

func newLogAdapter(l *slog.Logger, msg string) *logAdapter {
	return &logAdapter{log: l, msg: msg, now: time.Now, tokens: logBurst}
}

// Println logs its arguments as one error record; it implements
// promhttp.Logger.
func (a *logAdapter) Println(v ...any) {
	a.emit(strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}

// Write logs p as one error record; it lets a *log.Logger write through
// the adapter.
func (a *logAdapter) Write(p []byte) (int, error) {
	a.emit(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// logger returns a *log.Logger writing through the adapter.
func (a *logAdapter) logger() *log.Logger { return log.New(a, "", 0) }

func (a *logAdapter) emit(line string) {
	if !a.log.Enabled(context.Background(), slog.LevelError) {
		return
	}
	a.mu.Lock()
	now := a.now()
	if !a.last.IsZero() {
		a.tokens = min(logBurst, a.tokens+float64(now.Sub(a.last))/float64(logEvery))
	}
	a.last = now
	if a.tokens < 1 {
		a.suppressed++
		a.mu.Unlock()
		return
	}
	a.tokens--
	suppressed := a.suppressed
	a.suppressed = 0
	a.mu.Unlock()
	if suppressed > 0 {
		a.log.Error(a.msg, "err", line, "suppressed_before", suppressed)
		return
	}
	a.log.Error(a.msg, "err", line)
}
