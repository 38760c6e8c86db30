package es

import "time"

// logLimiter lets a log line an attacker could trigger through at most once
// per interval, and counts the lines it held back in between.
type logLimiter struct {
	every      time.Duration
	next       time.Time
	suppressed int
}

// allow reports whether a line may be logged at now, and how many lines were
// suppressed since the last one that was.
func (l *logLimiter) allow(now time.Time) (ok bool, suppressed int) {
	if now.Before(l.next) {
		l.suppressed++
		return false, 0
	}
	l.next = now.Add(l.every)
	n := l.suppressed
	l.suppressed = 0
	return true, n
}
