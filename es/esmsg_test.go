package es

import (
	"encoding/binary"
	"fmt"
	"testing"
	"unsafe"
)

// fakeMem lays out fake Endpoint Security structures in one 8-aligned Go
// allocation, at the documented offsets. Addresses are real addresses of
// the allocation (so rawMemory can read them, as in the ES handler) unless
// a virtual base is given (fuzz seeds, decoded with sliceMemory only).
// Unused bytes are filled with 0xA5, so a read at a wrong offset finds
// garbage rather than a plausible zero.
type fakeMem struct {
	words []uint64
	buf   []byte
	base  uint64
	next  uint64
	real  bool
}

func newFakeMem(size int, virtualBase uint64) *fakeMem {
	words := make([]uint64, (size+7)/8)
	buf := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(words)*8)
	for i := range buf {
		buf[i] = 0xA5
	}
	f := &fakeMem{words: words, buf: buf, base: virtualBase}
	if virtualBase == 0 {
		f.base = uint64(uintptr(unsafe.Pointer(&buf[0])))
		f.real = true
	}
	return f
}

func (f *fakeMem) alloc(n int) uint64 {
	f.next = (f.next + 7) &^ 7
	a := f.base + f.next
	f.next += uint64(n)
	if f.next > uint64(len(f.buf)) {
		panic("fakeMem: out of space")
	}
	return a
}

func (f *fakeMem) b(addr uint64, off, n int) []byte {
	o := int(addr-f.base) + off
	return f.buf[o : o+n]
}

func (f *fakeMem) put8(addr uint64, off int, v uint8) { f.b(addr, off, 1)[0] = v }
func (f *fakeMem) put32(addr uint64, off int, v uint32) {
	binary.LittleEndian.PutUint32(f.b(addr, off, 4), v)
}
func (f *fakeMem) put64(addr uint64, off int, v uint64) {
	binary.LittleEndian.PutUint64(f.b(addr, off, 8), v)
}

// token writes an es_string_token_t at addr+off. The data is followed by
// junk instead of a NUL, to prove the length field is what counts.
func (f *fakeMem) token(addr uint64, off int, s string) {
	if s == "" {
		f.put64(addr, off, 0)
		f.put64(addr, off+8, 0)
		return
	}
	data := f.alloc(len(s) + 3)
	copy(f.b(data, 0, len(s)+3), s+"XYZ")
	f.put64(addr, off, uint64(len(s)))
	f.put64(addr, off+8, data)
}

// file writes an es_file_t (168 bytes) and returns its address.
func (f *fakeMem) file(path string, truncated bool) uint64 {
	a := f.alloc(168)
	f.token(a, 0, path)
	t := uint8(0)
	if truncated {
		t = 1
	}
	f.put8(a, 16, t)
	f.put64(a, 24+8, 1152921500312525701) // st_ino
	return a
}

// process writes an es_process_t (208 bytes, 216 from version 10).
func (f *fakeMem) process(version uint32, pid uint32, exe, signingID, teamID string) uint64 {
	size := 208
	if version >= 10 {
		size = 216
	}
	a := f.alloc(size)
	vals := [8]uint32{4294967295, 501, 20, 501, 20, pid, 100007, 23817}
	for i, v := range vals {
		f.put32(a, 4*i, v)
	}
	f.put32(a, 32, 1) // ppid
	f.token(a, 80, signingID)
	f.token(a, 96, teamID)
	if exe == "" {
		f.put64(a, 112, 0)
	} else {
		f.put64(a, 112, f.file(exe, false))
	}
	f.put64(a, 120, 0) // tty
	return a
}

// message writes an es_message_t header; the event union is left to the
// caller. Messages before version 4 end at the union's end (208 bytes), as
// their thread and global_seq_num fields do not exist.
func (f *fakeMem) message(version, eventType uint32, seq, global, proc uint64) uint64 {
	size := 224
	if version < 4 {
		size = 208
	}
	a := f.alloc(size)
	f.put32(a, 0, version)
	f.put64(a, 40, proc)
	if version >= 2 {
		f.put64(a, 48, seq)
	}
	f.put32(a, 56, 1) // ES_ACTION_TYPE_NOTIFY
	f.put32(a, 96, eventType)
	if version >= 4 {
		f.put64(a, 208, 0) // thread
		f.put64(a, 216, global)
	}
	return a
}

func (f *fakeMem) slice() sliceMemory { return sliceMemory{buf: f.buf[:f.next], base: f.base} }

func (f *fakeMem) raw(addr uint64) unsafe.Pointer {
	return unsafe.Add(unsafe.Pointer(&f.buf[0]), addr-f.base)
}

// esCase builds one message in f and returns its address.
type esCase struct {
	name    string
	typ     uint32
	build   func(f *fakeMem, msg uint64)
	fold    bool
	kind    Kind
	path    string
	dest    string
	mapped  bool // was_mapped_writable set in memory
	trunc   bool
	badMsg  bool
	unknown bool
}

var esCases = []esCase{
	{name: "write", typ: 33, fold: true, kind: KindWrite, path: "/Users/ada/notes.txt",
		build: func(f *fakeMem, m uint64) { f.put64(m, 104, f.file("/Users/ada/notes.txt", false)) }},
	{name: "truncate", typ: 41, fold: true, kind: KindTruncate, path: "/var/log/app.log",
		build: func(f *fakeMem, m uint64) { f.put64(m, 104, f.file("/var/log/app.log", false)) }},
	{name: "unlink", typ: 32, fold: true, kind: KindUnlink, path: "/tmp/x",
		build: func(f *fakeMem, m uint64) {
			f.put64(m, 104, f.file("/tmp/x", false))
			f.put64(m, 112, f.file("/tmp", false))
		}},
	{name: "close modified", typ: 12, fold: true, kind: KindCloseModified, path: "/a/b", mapped: true,
		build: func(f *fakeMem, m uint64) {
			f.put8(m, 104, 1)
			f.put64(m, 112, f.file("/a/b", false))
			f.put8(m, 120, 1)
		}},
	{name: "close unmodified", typ: 12, fold: false, kind: KindCloseModified, path: "/a/b",
		build: func(f *fakeMem, m uint64) {
			f.put8(m, 104, 0)
			f.put64(m, 112, f.file("/a/b", false))
			f.put8(m, 120, 0)
		}},
	{name: "create existing", typ: 13, fold: true, kind: KindCreate, path: "/d/new",
		build: func(f *fakeMem, m uint64) {
			f.put32(m, 104, 0)
			f.put64(m, 112, f.file("/d/new", false))
		}},
	{name: "create new path", typ: 13, fold: true, kind: KindCreate, path: "/d/file name",
		build: func(f *fakeMem, m uint64) {
			f.put32(m, 104, 1)
			f.put64(m, 112, f.file("/d", false))
			f.token(m, 120, "file name")
			f.put32(m, 136, 0o644)
		}},
	{name: "rename existing", typ: 25, fold: true, kind: KindRename, path: "/d/a.tmp", dest: "/d/a",
		build: func(f *fakeMem, m uint64) {
			f.put64(m, 104, f.file("/d/a.tmp", false))
			f.put32(m, 112, 0)
			f.put64(m, 120, f.file("/d/a", false))
		}},
	{name: "rename new path", typ: 25, fold: true, kind: KindRename, path: "/d/a.tmp", dest: "/e/a",
		build: func(f *fakeMem, m uint64) {
			f.put64(m, 104, f.file("/d/a.tmp", false))
			f.put32(m, 112, 1)
			f.put64(m, 120, f.file("/e/", false))
			f.token(m, 128, "a")
		}},
	{name: "truncated path", typ: 33, fold: true, kind: KindWrite, path: "/very/long", trunc: true,
		build: func(f *fakeMem, m uint64) { f.put64(m, 104, f.file("/very/long", true)) }},
	{name: "exec is not folded", typ: 9, unknown: true,
		build: func(f *fakeMem, m uint64) { f.put64(m, 104, 0) }},
	{name: "null target", typ: 33, badMsg: true,
		build: func(f *fakeMem, m uint64) { f.put64(m, 104, 0) }},
	{name: "empty target path", typ: 32, badMsg: true,
		build: func(f *fakeMem, m uint64) { f.put64(m, 104, f.file("", false)) }},
	{name: "bad destination type", typ: 13, badMsg: true,
		build: func(f *fakeMem, m uint64) {
			f.put32(m, 104, 7)
			f.put64(m, 112, f.file("/d", false))
		}},
	{name: "null destination", typ: 25, badMsg: true,
		build: func(f *fakeMem, m uint64) {
			f.put64(m, 104, f.file("/d/a.tmp", false))
			f.put32(m, 112, 0)
			f.put64(m, 120, 0)
		}},
}

// buildCase lays out c at the given message version and returns the
// memory and the message address. The message is the last allocation, so
// any read past its version's size falls outside the slice.
func buildCase(c esCase, version uint32, virtualBase uint64) (*fakeMem, uint64) {
	f := newFakeMem(8192, virtualBase)
	proc := f.process(version, 4242, "/Applications/Editor.app/Contents/MacOS/Editor", "com.example.editor", "ABCDE12345")
	// Pre-build the event's pointees in a scratch message, then copy the
	// union into the real one, which comes last.
	scratch := f.message(version, c.typ, 0, 0, proc)
	c.build(f, scratch)
	msg := f.message(version, c.typ, 77, 1077, proc)
	copy(f.b(msg, 104, 104), f.b(scratch, 104, 104))
	return f, msg
}

func TestDecodeESMessage(t *testing.T) {
	for _, version := range []uint32{1, 4, 6, 10} {
		for _, c := range esCases {
			t.Run(fmt.Sprintf("v%d/%s", version, c.name), func(t *testing.T) {
				f, msg := buildCase(c, version, 0)
				var d esDecoder
				reason := decodeESMessage(&d, f.slice(), msg)
				checkDecoded(t, c, version, reason, &d.out)
				if c.badMsg {
					return
				}
				// The same bytes through raw pointers, as in the ES handler.
				var d2 esDecoder
				reason = decodeESMessage(&d2, rawMemory{}, f.raw(msg))
				checkDecoded(t, c, version, reason, &d2.out)
			})
		}
	}
}

func checkDecoded(t *testing.T, c esCase, version uint32, reason string, o *esDecoded) {
	t.Helper()
	if c.badMsg {
		if reason != ReasonMalformedMessage {
			t.Fatalf("reason %q, want %q", reason, ReasonMalformedMessage)
		}
		return
	}
	if reason != "" {
		t.Fatalf("reason %q", reason)
	}
	if o.version != version || o.eventType != c.typ {
		t.Errorf("version %d type %d", o.version, o.eventType)
	}
	if o.hasSeq != (version >= 2) || o.hasGlobal != (version >= 4) {
		t.Errorf("hasSeq %v hasGlobal %v at version %d", o.hasSeq, o.hasGlobal, version)
	}
	if o.hasSeq && o.seq != 77 || o.hasGlobal && o.global != 1077 {
		t.Errorf("seq %d global %d", o.seq, o.global)
	}
	if o.known == c.unknown || o.fold != c.fold {
		t.Fatalf("known %v fold %v", o.known, o.fold)
	}
	if c.unknown {
		return
	}
	wantSeq := uint64(0)
	switch {
	case version >= 4:
		wantSeq = 1077
	case version >= 2:
		wantSeq = 77
	}
	ev := &o.ev
	if ev.Kind != c.kind || ev.PID != 4242 || string(ev.Path) != c.path || string(o.dest) != c.dest ||
		string(ev.Executable) != "/Applications/Editor.app/Contents/MacOS/Editor" ||
		string(ev.SigningID) != "com.example.editor" || string(ev.TeamID) != "ABCDE12345" || ev.Seq != wantSeq {
		t.Errorf("event %s pid %d exe %q sid %q tid %q path %q dest %q seq %d", ev.Kind, ev.PID, ev.Executable,
			ev.SigningID, ev.TeamID, ev.Path, o.dest, ev.Seq)
	}
	if want := c.mapped && version >= 6; o.wasMappedWritable != want {
		t.Errorf("was_mapped_writable %v, want %v", o.wasMappedWritable, want)
	}
	if o.pathTruncated != c.trunc {
		t.Errorf("path truncated %v, want %v", o.pathTruncated, c.trunc)
	}
}

// TestESLayout checks the offsets against a Go mirror of the C structures
// (LP64, natural alignment), as a second derivation of the numbers.
func TestESLayout(t *testing.T) {
	type stringToken struct {
		length uint64
		data   unsafe.Pointer
	}
	type file struct {
		path      stringToken
		truncated bool
		stat      [144]byte
	}
	type process struct {
		auditToken                   [8]uint32
		ppid, oppid, gid, sid        int32
		csFlags                      uint32
		platform, esClient           bool
		cdhash                       [20]byte
		signingID, teamID            stringToken
		executable, tty              unsafe.Pointer
		startTime                    [2]int64 // struct timeval, padded
		responsibleToken, parentToke [8]uint32
	}
	type message struct {
		version     uint32
		time        [2]int64
		machTime    uint64
		deadline    uint64
		process     unsafe.Pointer
		seqNum      uint64
		actionType  uint32
		action      [9]uint32 // es_result_t: align 4, 36 bytes
		eventType   uint32
		event       [13]uint64
		thread      unsafe.Pointer
		globalSeqNo uint64
	}
	var m message
	var p process
	var fl file
	checks := []struct {
		name      string
		got, want uintptr
	}{
		{"message.process", unsafe.Offsetof(m.process), msgProcess},
		{"message.seq_num", unsafe.Offsetof(m.seqNum), msgSeqNum},
		{"message.action", unsafe.Offsetof(m.action), 60},
		{"message.event_type", unsafe.Offsetof(m.eventType), msgEventType},
		{"message.event", unsafe.Offsetof(m.event), msgEvent},
		{"message.global_seq_num", unsafe.Offsetof(m.globalSeqNo), msgGlobalSeqNum},
		{"sizeof message", unsafe.Sizeof(m), 224},
		{"process.signing_id", unsafe.Offsetof(p.signingID), procSigningID},
		{"process.team_id", unsafe.Offsetof(p.teamID), procTeamID},
		{"process.executable", unsafe.Offsetof(p.executable), procExecutable},
		{"sizeof process", unsafe.Sizeof(p), 208},
		{"file.path_truncated", unsafe.Offsetof(fl.truncated), filePathTruncated},
		{"sizeof file", unsafe.Sizeof(fl), 168},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s at %d, want %d", c.name, c.got, c.want)
		}
	}
}

func TestESHandlerSequencesAndMute(t *testing.T) {
	st := NewStats("endpointsecurity")
	var rec recorder
	h := newESHandler(st, &rec, NewMute(MuteConfig{PathPrefixes: []string{"/muted"}}, st))
	write := esCases[0]
	type step struct {
		version uint32
		seq, gl uint64
		path    string
		typ     uint32
	}
	steps := []step{
		{6, 0, 1, "/a", 33},
		{6, 1, 2, "/a", 33},
		{6, 0, 5, "", 9}, // exec: two messages lost before it
		{6, 2, 6, "/muted/x", 33},
		{6, 4, 8, "/a", 33}, // one more lost
		{6, 0, 1, "/a", 33}, // restart: new client
		{1, 0, 0, "/a", 33}, // version 1: no sequences
	}
	for _, s := range steps {
		c := write
		c.typ = s.typ
		if s.path != "" {
			p := s.path
			c.build = func(f *fakeMem, m uint64) { f.put64(m, 104, f.file(p, false)) }
		}
		f := newFakeMem(8192, 0)
		proc := f.process(s.version, 9, "/bin/x", "", "")
		msg := f.message(s.version, s.typ, s.seq, s.gl, proc)
		c.build(f, msg)
		handleESMessage(h, rawMemory{}, f.raw(msg))
	}
	if got := st.Dropped("kernel").Load(); got != 3 {
		t.Errorf("dropped %d, want 3", got)
	}
	if got := st.Muted.Load(); got != 1 {
		t.Errorf("muted %d, want 1", got)
	}
	if got := st.Errors(ReasonUnknownEventType).Load(); got != 1 {
		t.Errorf("unknown %d, want 1", got)
	}
	if len(rec.evs) != 5 {
		t.Errorf("events %d, want 5", len(rec.evs))
	}
	// A malformed message still advances the sequences.
	f := newFakeMem(4096, 0)
	msg := f.message(6, 33, 0, 9, f.process(6, 9, "/bin/x", "", ""))
	f.put64(msg, 104, 0)
	handleESMessage(h, rawMemory{}, f.raw(msg))
	f = newFakeMem(4096, 0)
	msg = f.message(6, 33, 1, 10, f.process(6, 9, "/bin/x", "", ""))
	f.put64(msg, 104, f.file("/a", false))
	handleESMessage(h, rawMemory{}, f.raw(msg))
	if got := st.Dropped("kernel").Load(); got != 3+7 {
		// global 1 -> 9 after the restart: 7 lost, then none.
		t.Errorf("dropped %d, want 10", got)
	}
	if got := st.Errors(ReasonMalformedMessage).Load(); got != 1 {
		t.Errorf("malformed %d, want 1", got)
	}
}

func TestDecodeESMessageNullExecutable(t *testing.T) {
	f := newFakeMem(4096, 0)
	msg := f.message(4, 33, 1, 1, f.process(4, 9, "", "", ""))
	f.put64(msg, 104, f.file("/a", false))
	var d esDecoder
	if r := decodeESMessage(&d, rawMemory{}, f.raw(msg)); r != "" || string(d.out.ev.Executable) != "<unknown>" {
		t.Fatalf("reason %q exe %q", r, d.out.ev.Executable)
	}
}

func TestDecodeESMessageAllocs(t *testing.T) {
	f, msg := buildCase(esCases[8], 10, 0) // rename new path: joins into a buffer
	var d esDecoder
	p := f.raw(msg)
	decodeESMessage(&d, rawMemory{}, p)
	if n := testing.AllocsPerRun(100, func() { decodeESMessage(&d, rawMemory{}, p) }); n != 0 {
		t.Errorf("%v allocations per message", n)
	}
}

// FuzzESMessage decodes arbitrary bytes as an es_message_t at a virtual
// base address, through the bounds-checked sliceMemory: pointers that land
// inside the input are followed, the rest are rejected. It must never
// panic, and a folded event must have a kind and a path.
func FuzzESMessage(f *testing.F) {
	const base = 0x7f0000100000
	for _, version := range []uint32{1, 4, 6, 10} {
		for _, c := range esCases {
			m, msg := buildCase(c, version, base)
			f.Add(m.slice().buf, msg-base)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, msgOffset uint64) {
		msg := uint64(base) + msgOffset%(1<<20)
		var d esDecoder
		reason := decodeESMessage(&d, sliceMemory{buf: data, base: base}, msg)
		if reason == "" && d.out.fold && (len(d.out.ev.Path) == 0 || int(d.out.ev.Kind) >= NumKinds) {
			t.Fatalf("folded event without path or kind: %+v", d.out.ev)
		}
		st := NewStats("fuzz")
		h := newESHandler(st, SinkFunc(func(*Event) {}), nil)
		handleESMessage(h, sliceMemory{buf: data, base: base}, msg)
	})
}
