package es

import (
	"encoding/binary"
	"os"
	"os/exec"
	"testing"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		in    string
		state byte
		start uint64
		ok    bool
	}{
		{"1 (systemd) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 27 1 2\n", 'S', 27, true},
		{"42 (a) b) (c) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 123456789 10 20", 'R', 123456789, true},
		{"42 (x) Z 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5", 'Z', 5, true},
		{"42 (x) S 1 2", 'S', 0, false},
		{"no paren", 0, 0, false},
		{"42 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 12x", 'S', 0, false},
	}
	for _, tt := range tests {
		state, start, ok := parseStat([]byte(tt.in))
		if state != tt.state || start != tt.start || ok != tt.ok {
			t.Errorf("parseStat(%q) = %c %d %v, want %c %d %v", tt.in, state, start, ok, tt.state, tt.start, tt.ok)
		}
	}
}

func TestProcIdentSelf(t *testing.T) {
	stats := NewStats("t")
	p := newProcIdent(4, stats)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p.lookup(int32(os.Getpid()), nil)); got != self {
		t.Errorf("lookup(self) = %q, want %q", got, self)
	}
	if n := testing.AllocsPerRun(50, func() { p.lookup(int32(os.Getpid()), make([]byte, 0, 4096)[:0]) }); n > 1 {
		t.Errorf("cached lookup allocates %v times", n)
	}
}

// exitedPID returns the pid of a process that has exited and been reaped.
func exitedPID(t *testing.T) int32 {
	t.Helper()
	cmd := exec.Command("/bin/true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return int32(cmd.Process.Pid)
}

func TestProcIdentExitedAndReused(t *testing.T) {
	stats := NewStats("t")
	p := newProcIdent(4, stats)
	pid := exitedPID(t)
	if got := string(p.lookup(pid, nil)); got != ExeExited {
		t.Errorf("lookup(exited) = %q", got)
	}
	if n := stats.Errors(reasonExeExited).Load(); n != 1 {
		t.Errorf("process_exited = %d, want 1", n)
	}

	// A cached entry whose start time no longer matches belongs to a
	// previous owner of the pid: it must be replaced, not reported.
	self := int32(os.Getpid())
	p.mu.Lock()
	p.store(self, 1, []byte("/previous/owner"), nil)
	p.mu.Unlock()
	p.newBatch()
	if got := string(p.lookup(self, nil)); got == "/previous/owner" {
		t.Error("reused pid labelled with its previous owner")
	}

	// A cached entry of a process that is gone stands: it was the last
	// process with that pid, the one whose queued events are being read.
	p.mu.Lock()
	p.store(pid, 99, []byte("/bin/short-lived"), nil)
	p.mu.Unlock()
	p.newBatch()
	if got := string(p.lookup(pid, nil)); got != "/bin/short-lived" {
		t.Errorf("lookup(learned, exited) = %q", got)
	}
}

func TestProcIdentForkFollowsParent(t *testing.T) {
	p := newProcIdent(8, NewStats("t"))
	child := exitedPID(t)
	p.learnExecPath(1000, []byte("/usr/bin/make"))
	p.learnFork(1000, child)
	p.newBatch()
	if got := string(p.lookup(child, nil)); got != "/usr/bin/make" {
		t.Errorf("forked child = %q, want its parent's executable", got)
	}
}

func TestProcIdentBounded(t *testing.T) {
	p := newProcIdent(16, NewStats("t"))
	for pid := int32(1 << 30); pid < 1<<30+1000; pid++ {
		p.lookup(pid, nil)
	}
	if len(p.ents) != 16 || len(p.idx) != 16 {
		t.Errorf("entries %d, index %d, want 16", len(p.ents), len(p.idx))
	}
}

func TestProcConnLearnsExec(t *testing.T) {
	requireFanotify(t)
	stats := NewStats("t")
	p := newProcIdent(64, stats)
	c, err := openProcConn(p, stats)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.run(t.Context()) }()
	cmd := exec.Command("/bin/sleep", "0.2")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	c.close(true)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := string(p.lookup(int32(cmd.Process.Pid), nil)); got != fanRealPath(t, "/bin/sleep") {
		t.Errorf("exec not learned: %q", got)
	}
}

func TestParseProcEvents(t *testing.T) {
	ne := binary.NativeEndian
	msg := func(what uint32, data ...uint32) []byte {
		b := make([]byte, nlmsgHdrLen+cnMsgLen+procEventHead+4*len(data))
		ne.PutUint32(b[0:], uint32(len(b)))
		ne.PutUint32(b[nlmsgHdrLen:], cnIdxProc)
		ne.PutUint32(b[nlmsgHdrLen+cnMsgLen:], what)
		for i, d := range data {
			ne.PutUint32(b[nlmsgHdrLen+cnMsgLen+procEventHead+4*i:], d)
		}
		return b
	}
	var in []byte
	in = append(in, msg(procEventFork, 10, 10, 11, 11)...) // new process
	in = append(in, msg(procEventFork, 10, 10, 12, 10)...) // new thread: ignored
	in = append(in, msg(procEventExec, 13, 11)...)
	in = append(in, msg(0x80000000, 11, 11, 0, 0, 0, 0)...) // exit: ignored
	in = append(in, 1, 2, 3)                                // trailing garbage
	var got []string
	parseProcEvents(in,
		func(parent, child int32) {
			got = append(got, "fork", string(rune('0'+parent-10)), string(rune('0'+child-10)))
		},
		func(pid int32) { got = append(got, "exec", string(rune('0'+pid-10))) })
	want := []string{"fork", "0", "1", "exec", "1"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("1 (systemd) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 27 1 2\n"))
	f.Add([]byte("42 (a) b) (c) R 1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, start, ok := parseStat(b)
		if !ok && start != 0 {
			t.Fatalf("start %d without ok", start)
		}
	})
}

func FuzzParseProcEvents(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, nlmsgHdrLen+cnMsgLen+procEventHead+24))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseProcEvents(b, func(int32, int32) {}, func(int32) {})
	})
}
