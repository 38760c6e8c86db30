package agent

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/estally/estally/es"
	"github.com/estally/estally/summary"
)

// topView is the state of `estally top`: the last two summaries received
// and the terminal size. render is a pure function of it, so the view is
// tested as a string.
type topView struct {
	socket        string
	cur, prev     *summary.Summary
	width, height int
	status        string
}

// push records a newly received summary.
func (v *topView) push(s *summary.Summary) {
	v.prev, v.cur = v.cur, s
}

// kindRates returns events per second per kind: over the time between the
// last two summaries received when there are two, else over the agent's last
// interval.
func (v *topView) kindRates() (rates [es.NumKinds]float64) {
	s := v.cur
	if s == nil {
		return
	}
	if p := v.prev; p != nil && s.Seq > p.Seq && s.Time.After(p.Time) {
		dt := s.Time.Sub(p.Time).Seconds()
		d := s.Totals.Sub(p.Totals)
		for k := range es.Kind(es.NumKinds) {
			rates[k] = float64(d.Get(k)) / dt
		}
		return
	}
	if s.DeltaSeconds > 0 {
		for k := range es.Kind(es.NumKinds) {
			rates[k] = float64(s.Delta.Get(k)) / s.DeltaSeconds
		}
	}
	return
}

// render returns the screen: at most height lines of at most width columns,
// separated by "\n".
func (v *topView) render() string {
	w, h := max(v.width, 20), max(v.height, 5)
	var lines []string
	add := func(format string, args ...any) {
		lines = append(lines, clip(fmt.Sprintf(format, args...), w))
	}
	s := v.cur
	if s == nil {
		add("estally top — %s", v.socket)
		add("")
		add("waiting for the first summary…")
		return v.finish(lines, w, h)
	}
	trunc := ""
	if s.Truncated {
		trunc = "  [top lists truncated]"
	}
	add("estally top — %s  %s  #%d  every %s%s", v.socket, s.Time.Local().Format("15:04:05"), s.Seq, secs(s.IntervalSeconds), trunc)
	add("")
	rates := v.kindRates()
	var all float64
	add("%-16s %16s %12s", "KIND", "TOTAL", "EVENTS/S")
	for k := range es.Kind(es.NumKinds) {
		add("%-16s %16d %12.1f", k, s.Totals.Get(k), rates[k])
		all += rates[k]
	}
	add("%-16s %16d %12.1f", "all", s.Totals.Sum(), all)
	add("")
	var srcs []string
	for _, src := range s.Sources {
		up := "up"
		if !src.Up {
			up = "DOWN"
		}
		srcs = append(srcs, fmt.Sprintf("%s %s dropped=%s", src.Name, up, kv(src.Dropped)))
	}
	add("drops %d   sources: %s", s.DroppedTotal, strings.Join(srcs, "; "))
	add("tables: process %d/%d (%d evicted)   path %d/%d (%d evicted)",
		s.Processes.Entries, s.Processes.Capacity, s.Processes.Evictions,
		s.Paths.Entries, s.Paths.Capacity, s.Paths.Evictions)

	// The rest of the screen, minus the status line, goes to the two
	// lists: a blank and a header line each, rows shared evenly.
	rows := h - len(lines) - 1 - 4
	procRows := max(rows/2, 0)
	pathRows := max(rows-procRows, 0)
	add("")
	add("%10s %12s %8s  %s", "EVENTS/S", "TOTAL", "PID", "PROCESS")
	for _, it := range s.Processes.Top[:min(procRows, len(s.Processes.Top))] {
		add("%10.1f %12d %8d  %s", itemRate(&it, s), it.Totals.Sum(), it.PID, fit(displayKey(it.Key), w-34))
	}
	for range procRows - min(procRows, len(s.Processes.Top)) {
		add("")
	}
	add("")
	add("%10s %12s  %s", "EVENTS/S", "TOTAL", "PATH")
	for _, it := range s.Paths.Top[:min(pathRows, len(s.Paths.Top))] {
		add("%10.1f %12d  %s", itemRate(&it, s), it.Totals.Sum(), fit(displayKey(it.Key), w-25))
	}
	return v.finish(lines, w, h)
}

// finish pads or cuts lines to h-1 and adds the status line.
func (v *topView) finish(lines []string, w, h int) string {
	if len(lines) > h-1 {
		lines = lines[:h-1]
	}
	for len(lines) < h-1 {
		lines = append(lines, "")
	}
	status := "q: quit"
	if v.status != "" {
		status = v.status + "   " + status
	}
	lines = append(lines, clip(status, w))
	return strings.Join(lines, "\n")
}

// clip cuts s to at most w columns (runes).
func clip(s string, w int) string {
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	return string([]rune(s)[:w])
}

// topFrame turns a rendered view into terminal output: home, each line
// followed by erase-to-end-of-line, then erase below (raw mode needs "\r\n").
func topFrame(view string) string {
	return "\x1b[H" + strings.ReplaceAll(view, "\n", "\x1b[K\r\n") + "\x1b[K\x1b[J"
}
