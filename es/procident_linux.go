package es

import (
	"bytes"
	"errors"
	"sync"

	"golang.org/x/sys/unix"
)

// Placeholders reported as the executable when it cannot be known, and the
// [Stats.Errors] reasons that count the events attributed to them.
const (
	// ExeExited is reported when the process exited before its executable
	// was learned (neither at exec time nor when its event was read).
	ExeExited = "<exited>"
	// ExeUnknown is reported when the process exists but has no readable
	// executable (a kernel thread, a zombie).
	ExeUnknown = "<unknown>"

	reasonExeExited  = "process_exited"
	reasonExeUnknown = "process_unknown"
)

var exeExited, exeUnknown = []byte(ExeExited), []byte(ExeUnknown)

// procIdent resolves pids to executable paths through /proc/PID/exe, with a
// bounded cache keyed by pid and checked against the process start time
// (field 22 of /proc/PID/stat), so that a reused pid is never labelled with
// its previous owner's executable.
//
// A cached entry is re-checked at most once per batch of events (see
// [procIdent.newBatch]): if the process is still there with the same start
// time the entry stands; if it is gone, the entry is the last process known
// under that pid, which is the one that produced the event unless the pid was
// reused within one read interval; if the start time differs, the pid was
// reused and the executable is read again. Exec-time learning
// ([procIdent.learnExec], fed by the process connector) fills the cache for
// processes too short-lived to be found when their events are read.
//
// procIdent is safe for concurrent use.
type procIdent struct {
	mu    sync.Mutex
	idx   map[int32]int
	ents  []procEntry
	hand  int
	max   int
	batch uint64

	sc procScratch // for lookups, under mu

	exited, unknown *Counter
}

type procEntry struct {
	pid      int32
	start    uint64 // clock ticks after boot; 0 when unknown
	exe      []byte // never modified once set: a new value is a new slice
	reason   *Counter
	parent   int32  // for a forked child not yet resolved: its parent's pid
	verified uint64 // batch in which the entry was last checked
	ref      bool
}

// newProcIdent returns a resolver caching at most capacity processes,
// counting placeholder attributions into stats.
func newProcIdent(capacity int, stats *Stats) *procIdent {
	capacity = max(capacity, 1)
	return &procIdent{
		idx:     make(map[int32]int, capacity),
		max:     capacity,
		sc:      newProcScratch(),
		exited:  stats.Errors(reasonExeExited),
		unknown: stats.Errors(reasonExeUnknown),
		batch:   1,
	}
}

// newBatch starts a new batch of events: cached entries are checked against
// /proc again on their next use.
func (p *procIdent) newBatch() {
	p.mu.Lock()
	p.batch++
	p.mu.Unlock()
}

// lookup appends pid's executable path (or a placeholder, counted) to
// dst[:0] and returns it.
func (p *procIdent) lookup(pid int32, dst []byte) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	i, ok := p.idx[pid]
	if ok {
		e := &p.ents[i]
		e.ref = true
		if e.verified != p.batch {
			start, alive := startTime(&p.sc, pid)
			if alive && start != e.start {
				ok = false // the pid now belongs to another process
			} else {
				e.verified = p.batch
			}
		}
	}
	if !ok {
		i = p.resolve(pid)
	}
	e := &p.ents[i]
	exe, reason := e.exe, e.reason
	if e.parent != 0 {
		// A child that was gone before it was resolved, and that did not
		// exec as far as we know: it ran its parent's executable.
		exe, reason = exeExited, p.exited
		if j, ok := p.idx[e.parent]; ok && p.ents[j].reason == nil && p.ents[j].parent == 0 {
			exe, reason = p.ents[j].exe, nil
		}
	}
	if reason != nil {
		reason.Inc()
	}
	return append(dst[:0], exe...)
}

// procScratch holds buffers for reading /proc without allocating, one per
// goroutine resolving processes.
type procScratch struct{ path, buf []byte }

func newProcScratch() procScratch {
	return procScratch{path: make([]byte, 0, 64), buf: make([]byte, 4096)}
}

// learnExec records the executable of pid, which has just called execve.
// It reads /proc without holding the lock, with the caller's scratch.
func (p *procIdent) learnExec(pid int32, sc *procScratch) {
	exe, ok := readExe(sc, pid)
	if !ok {
		return // too late: the process is gone
	}
	start, _ := startTime(sc, pid)
	p.mu.Lock()
	p.store(pid, start, exe, nil)
	p.mu.Unlock()
}

// learnFork records that child, a new process, runs parent's executable
// until it calls execve. It learns nothing when the parent is not cached.
func (p *procIdent) learnFork(parent, child int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i, ok := p.idx[child]; ok && p.ents[i].verified+1 >= p.batch && p.ents[i].parent == 0 {
		return // already learned from the child's own exec
	}
	// The parent is looked up when the child is: the parent's exec may be
	// learned only later, from the event queue. The child's start time is
	// left unknown (0): while the child lives the entry is re-checked and
	// replaced; once it is gone, it stands.
	i := p.store(child, 0, nil, nil)
	p.ents[i].parent = parent
}

// learnExecPath records exe (copied) as the executable of pid, learned from
// a FAN_OPEN_EXEC event of the fanotify queue, in order with its events.
func (p *procIdent) learnExecPath(pid int32, exe []byte) {
	p.mu.Lock()
	p.store(pid, 0, bytes.Clone(exe), nil)
	p.mu.Unlock()
}

// resolve reads pid's executable from /proc and caches it, or a placeholder.
func (p *procIdent) resolve(pid int32) int {
	start, alive := startTime(&p.sc, pid)
	if !alive {
		return p.store(pid, 0, exeExited, p.exited)
	}
	exe, ok := readExe(&p.sc, pid)
	if !ok {
		if _, still := startTime(&p.sc, pid); !still {
			return p.store(pid, 0, exeExited, p.exited)
		}
		return p.store(pid, start, exeUnknown, p.unknown)
	}
	return p.store(pid, start, exe, nil)
}

// store caches an entry for pid, replacing pid's entry or evicting one.
func (p *procIdent) store(pid int32, start uint64, exe []byte, reason *Counter) int {
	i, ok := p.idx[pid]
	if !ok {
		if len(p.ents) < p.max {
			p.ents = append(p.ents, procEntry{})
			i = len(p.ents) - 1
		} else {
			i = p.victim()
			delete(p.idx, p.ents[i].pid)
		}
		p.idx[pid] = i
	}
	p.ents[i] = procEntry{pid: pid, start: start, exe: exe, reason: reason, verified: p.batch}
	return i
}

func (p *procIdent) victim() int {
	for {
		i := p.hand
		p.hand = (p.hand + 1) % len(p.ents)
		if !p.ents[i].ref {
			return i
		}
		p.ents[i].ref = false
	}
}

// readExe returns a new slice holding the target of /proc/PID/exe.
func readExe(sc *procScratch, pid int32) ([]byte, bool) {
	sc.path = appendProcPath(sc.path[:0], pid, "exe")
	n, err := readlinkZ(sc.path, sc.buf)
	if err != nil || n == 0 {
		return nil, false
	}
	return bytes.Clone(sc.buf[:n]), true
}

// startTime returns pid's start time, and false if pid does not exist.
func startTime(sc *procScratch, pid int32) (uint64, bool) {
	sc.path = appendProcPath(sc.path[:0], pid, "stat")
	n, err := readFileZ(sc.path, sc.buf)
	if err != nil {
		// ESRCH can come from a process exiting while it is read.
		return 0, !(errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH))
	}
	state, start, ok := parseStat(sc.buf[:n])
	if state == 'Z' || state == 'X' {
		return start, false // exited, not yet reaped: its executable is gone
	}
	return start, ok || n > 0
}

// parseStat returns the state (field 3) and start time (field 22) of a
// /proc/PID/stat line. The command name (field 2) is in parentheses and may
// hold spaces and parentheses itself, so fields are counted after its last
// ')'.
func parseStat(b []byte) (state byte, start uint64, ok bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	b = b[i+1:]
	for field := 3; field <= 22; field++ {
		for len(b) > 0 && b[0] == ' ' {
			b = b[1:]
		}
		j := 0
		for j < len(b) && b[j] != ' ' && b[j] != '\n' {
			j++
		}
		if j == 0 {
			return state, 0, false
		}
		switch field {
		case 3:
			state = b[0]
		case 22:
			for _, c := range b[:j] {
				if c < '0' || c > '9' {
					return state, 0, false
				}
				start = start*10 + uint64(c-'0')
			}
			return state, start, true
		}
		b = b[j:]
	}
	return state, 0, false
}
