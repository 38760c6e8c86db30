package es

import "bytes"

// MuteConfig says whose events a source drops before they reach the fold.
type MuteConfig struct {
	// PIDs are muted processes, normally the agent's own pid (and the host
	// app's), so that the agent never observes itself.
	PIDs []int32
	// Executables are muted executable paths, matched exactly.
	Executables []string
	// PathPrefixes mute every path equal to a prefix or below it: "/var/log"
	// mutes "/var/log" and "/var/log/syslog" but not "/var/logs".
	PathPrefixes []string
}

// Mute is a self-filter: it drops the events of muted processes,
// executables and paths and counts them in [Stats.Muted]. Its methods do not
// allocate. A Mute is safe for concurrent use; it is never modified after
// [NewMute].
type Mute struct {
	pids     []int32
	exes     [][]byte
	prefixes [][]byte
	muted    *Counter
}

// NewMute returns a filter for cfg that counts what it drops into
// stats.Muted. A nil stats counts nowhere.
func NewMute(cfg MuteConfig, stats *Stats) *Mute {
	m := &Mute{pids: append([]int32(nil), cfg.PIDs...), muted: new(Counter)}
	if stats != nil {
		m.muted = &stats.Muted
	}
	for _, e := range cfg.Executables {
		if e != "" {
			m.exes = append(m.exes, []byte(e))
		}
	}
	for _, p := range cfg.PathPrefixes {
		for len(p) > 1 && p[len(p)-1] == '/' {
			p = p[:len(p)-1]
		}
		if p != "" {
			m.prefixes = append(m.prefixes, []byte(p))
		}
	}
	return m
}

// MutesPID reports whether the events of pid are muted. It counts nothing:
// sources call it before they spend work resolving the process, and count
// what they drop into [Stats.Muted] themselves.
func (m *Mute) MutesPID(pid int32) bool {
	for _, p := range m.pids {
		if p == pid {
			return true
		}
	}
	return false
}

// Mutes reports whether ev is muted, by pid, executable or path. It counts
// nothing.
func (m *Mute) Mutes(ev *Event) bool { return m.MutesPID(ev.PID) || m.match(ev) }

// Drop reports whether ev is muted, counting it if so.
func (m *Mute) Drop(ev *Event) bool {
	if m.Mutes(ev) {
		m.muted.Inc()
		return true
	}
	return false
}

func (m *Mute) match(ev *Event) bool {
	for _, e := range m.exes {
		if bytes.Equal(e, ev.Executable) {
			return true
		}
	}
	for _, p := range m.prefixes {
		if bytes.HasPrefix(ev.Path, p) &&
			(len(ev.Path) == len(p) || ev.Path[len(p)] == '/' || p[len(p)-1] == '/') {
			return true
		}
	}
	return false
}

// Wrap returns a sink that passes next only the events m does not mute, for
// sources that have no filter of their own. It forwards batches (see
// [Batcher]) to next.
func (m *Mute) Wrap(next Sink) Sink { return &mutedSink{m: m, next: next, batch: BatcherOf(next)} }

type mutedSink struct {
	m     *Mute
	next  Sink
	batch Batcher
}

func (s *mutedSink) Observe(ev *Event) {
	if !s.m.Drop(ev) {
		s.next.Observe(ev)
	}
}

func (s *mutedSink) BeginBatch() { s.batch.BeginBatch() }
func (s *mutedSink) EndBatch()   { s.batch.EndBatch() }
