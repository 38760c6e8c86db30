package es

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recordedEvent is a copy of an Event, safe to keep after Observe.
type recordedEvent struct {
	Kind                         Kind
	PID                          int32
	Exe, SigningID, TeamID, Path string
	Seq                          uint64
}

type recorder struct{ evs []recordedEvent }

func (r *recorder) Observe(ev *Event) {
	r.evs = append(r.evs, recordedEvent{ev.Kind, ev.PID, string(ev.Executable), string(ev.SigningID),
		string(ev.TeamID), string(ev.Path), ev.Seq})
}

func newTestEslogger(t testing.TB, input string) *Eslogger {
	t.Helper()
	e, err := NewEslogger(EsloggerConfig{Input: input, MaxLine: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func errorCount(st *Stats, reason string) uint64 { return st.Errors(reason).Load() }

const fixtureExe = "/Applications/Text Editor.app/Contents/MacOS/Text Editor"

func TestEsloggerFixtures(t *testing.T) {
	// Sequence numbers and pids follow gen.py: case i (sorted by name) has
	// seq_num 40+i, global_seq_num 1000+i and pid 4242+i.
	tests := []struct {
		file   string
		i      int
		fold   bool
		kind   Kind
		path   string
		dest   string
		teamID string
	}{
		{"close_modified", 0, true, KindCloseModified, "/Users/ada/Documents/notes.txt", "", "ABCDE12345"},
		{"close_unmodified", 1, false, 0, "/Users/ada/Documents/notes.txt", "", ""},
		{"create_existing", 2, true, KindCreate, "/Users/ada/Documents/new.txt", "", "ABCDE12345"},
		{"create_new_path", 3, true, KindCreate, "/Users/ada/Documents/draft été.txt", "", "ABCDE12345"},
		{"exec", 4, false, 0, "", "", ""},
		{"rename_existing", 5, true, KindRename, "/Users/ada/Documents/notes.txt", "/Users/ada/Documents/old.txt", "ABCDE12345"},
		{"rename_new_path", 6, true, KindRename, "/Users/ada/Documents/notes.txt.sb-1a2b", "/Users/ada/Documents/notes.txt", "ABCDE12345"},
		{"truncate", 7, true, KindTruncate, "/Users/ada/Library/Logs/app.log", "", ""},
		{"unlink", 8, true, KindUnlink, "/private/var/folders/zz/T/tmp.Xy12", "", "ABCDE12345"},
		{"write", 9, true, KindWrite, "/Users/ada/Documents/notes.txt", "", "ABCDE12345"},
	}
	for _, version := range []int{9, 10} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("v%d/%s", version, tc.file), func(t *testing.T) {
				name := filepath.Join("testdata", "eslogger", fmt.Sprintf("v%d", version), tc.file+".jsonl")
				line, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				// The parser alone: the destination of rename and create.
				var p elogParser
				if reason := p.parse(bytes.TrimSpace(line)); reason != "" {
					t.Fatalf("parse: %s", reason)
				}
				if got := string(p.rec.dest); got != tc.dest {
					t.Errorf("dest = %q, want %q", got, tc.dest)
				}
				if p.rec.version != uint64(version) || p.rec.unknownFields != 0 {
					t.Errorf("version %d, unknown fields %d", p.rec.version, p.rec.unknownFields)
				}
				if want := tc.file == "close_unmodified"; p.rec.wasMappedWritable != want {
					t.Errorf("was_mapped_writable %v, want %v", p.rec.wasMappedWritable, want)
				}
				if strings.HasPrefix(tc.file, "create") || strings.HasPrefix(tc.file, "rename") {
					want := uint64(0)
					if strings.HasSuffix(tc.file, "new_path") {
						want = 1
					}
					if !p.rec.hasDestType || p.rec.destType != want {
						t.Errorf("destination_type %d (present %v), want %d", p.rec.destType, p.rec.hasDestType, want)
					}
				}

				e := newTestEslogger(t, name)
				var rec recorder
				if err := e.Run(context.Background(), &rec); err != nil {
					t.Fatal(err)
				}
				st := e.Stats()
				wantUnknown := uint64(0)
				if tc.file == "exec" {
					wantUnknown = 1
				}
				if got := errorCount(st, ReasonUnknownEventType); got != wantUnknown {
					t.Errorf("unknown_event_type = %d, want %d", got, wantUnknown)
				}
				for _, r := range []string{ReasonMalformedLine, ReasonBadField, ReasonMissingField, ReasonUnknownField} {
					if n := errorCount(st, r); n != 0 {
						t.Errorf("%s = %d", r, n)
					}
				}
				if !tc.fold {
					if len(rec.evs) != 0 {
						t.Fatalf("got %d events, want none", len(rec.evs))
					}
					return
				}
				want := recordedEvent{tc.kind, int32(4242 + tc.i), fixtureExe, "com.example.TextEditor",
					tc.teamID, tc.path, uint64(1000 + tc.i)}
				if len(rec.evs) != 1 || rec.evs[0] != want {
					t.Fatalf("events = %+v, want [%+v]", rec.evs, want)
				}
			})
		}
	}
}

// line builds a compact eslogger-like line for the sequence and error tests.
func line(version, etype int, seq, global int64, name, body string) string {
	s := fmt.Sprintf(`{"version":%d,"event_type":%d`, version, etype)
	if seq >= 0 {
		s += fmt.Sprintf(`,"seq_num":%d`, seq)
	}
	if global >= 0 {
		s += fmt.Sprintf(`,"global_seq_num":%d`, global)
	}
	return s + `,"process":{"audit_token":[0,0,0,0,0,7,0,0],"executable":{"path":"\/bin\/x"}},"event":{"` +
		name + `":` + body + `}}`
}

func wline(seq, global int64) string {
	return line(10, 33, seq, global, "write", `{"target":{"path":"\/tmp\/a"}}`)
}

func cline(seq, global int64) string {
	return line(10, 13, seq, global, "create", `{"destination_type":0,"destination":{"existing_file":{"path":"\/tmp\/b"}}}`)
}

func xline(seq, global int64) string { // exec: a type estally ignores
	return line(10, 9, seq, global, "exec", `{"target":{}}`)
}

func runLines(t *testing.T, lines ...string) (*Eslogger, *recorder) {
	t.Helper()
	e := newTestEslogger(t, "-")
	e.cfg.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	var rec recorder
	if err := e.Run(context.Background(), &rec); err != nil {
		t.Fatal(err)
	}
	return e, &rec
}

func TestEsloggerDropAccounting(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		dropped uint64
		events  int
	}{
		{"no gaps", []string{wline(0, 1), cline(0, 2), wline(1, 3), cline(1, 4)}, 0, 4},
		{"first event reveals nothing", []string{wline(500, 9000), wline(501, 9001)}, 0, 2},
		{"global gap", []string{wline(0, 1), wline(1, 2), wline(5, 6)}, 3, 3},
		// Two creates lost between writes: the global gap reveals them at
		// the next write, and the create's own seq gap must not count them
		// a second time.
		{"overlap counted once", []string{wline(0, 1), cline(0, 2), wline(1, 5), cline(3, 6)}, 2, 4},
		// Ignored types advance the sequences: exec lines in between are
		// not losses.
		{"ignored types advance", []string{wline(0, 1), xline(0, 2), xline(1, 3), wline(1, 4)}, 0, 2},
		{"ignored type lost", []string{wline(0, 1), xline(0, 2), wline(1, 4), xline(2, 5)}, 1, 2},
		// Version 2-3 messages have only per-type seq_num.
		{"per type gaps", []string{
			line(3, 33, 0, -1, "write", `{"target":{"path":"\/a"}}`),
			line(3, 13, 7, -1, "create", `{"destination_type":0,"destination":{"existing_file":{"path":"\/b"}}}`),
			line(3, 33, 4, -1, "write", `{"target":{"path":"\/a"}}`),
			line(3, 13, 9, -1, "create", `{"destination_type":0,"destination":{"existing_file":{"path":"\/b"}}}`),
		}, 3 + 1, 4},
		{"version 1 has no sequences", []string{
			line(1, 33, -1, -1, "write", `{"target":{"path":"\/a"}}`),
			line(1, 33, -1, -1, "write", `{"target":{"path":"\/a"}}`),
		}, 0, 2},
		{"restart global", []string{wline(100, 5000), wline(101, 5001), wline(0, 1), wline(1, 2), wline(3, 4)}, 1, 5},
		{"restart per type", []string{
			line(3, 33, 90, -1, "write", `{"target":{"path":"\/a"}}`),
			line(3, 33, 91, -1, "write", `{"target":{"path":"\/a"}}`),
			line(3, 33, 0, -1, "write", `{"target":{"path":"\/a"}}`),
			line(3, 33, 1, -1, "write", `{"target":{"path":"\/a"}}`),
		}, 0, 4},
		{"duplicate is a restart, not a loss", []string{wline(3, 10), wline(3, 10), wline(4, 11)}, 0, 3},
		{"unmodified close still advances", []string{
			wline(0, 1),
			line(10, 12, 0, 2, "close", `{"modified":false,"target":{"path":"\/a"}}`),
			wline(1, 3),
		}, 0, 2},
		{"seq_num ignored before version 2", []string{
			line(1, 33, 0, -1, "write", `{"target":{"path":"\/a"}}`),
			line(1, 33, 9, -1, "write", `{"target":{"path":"\/a"}}`),
		}, 0, 2},
		{"global_seq_num ignored before version 4", []string{
			line(3, 33, 0, 1, "write", `{"target":{"path":"\/a"}}`),
			line(3, 33, 1, 9, "write", `{"target":{"path":"\/a"}}`),
		}, 0, 2},
		{"line without event type advances global", []string{
			wline(0, 1),
			`{"version":10,"global_seq_num":2,"event":{"fork":{"child":{}}}}`,
			wline(1, 3),
		}, 0, 2},
		{"big numbers", []string{wline(1<<62, 1<<62), wline(1<<62+1, 1<<62+3)}, 2, 2},
		// A malformed line is counted once, as an error, not again as a
		// kernel drop when the next line's sequence steps over it.
		{"malformed line not counted twice", []string{wline(0, 1), cutAfter(wline(1, 2), `"process"`), wline(2, 3)}, 0, 2},
		{"malformed line still reveals drops before it", []string{wline(0, 1), cutAfter(wline(4, 5), `"process"`), wline(5, 6)}, 3, 2},
		// Cut inside its number, the line's place in the sequence is
		// unknown: the gap it leaves is counted (the one documented case
		// where a malformed line is counted both ways).
		{"malformed line cut inside the number", []string{wline(0, 1), cutAfter(wline(1, 123), `"global_seq_num":12`), wline(2, 124)}, 122, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, rec := runLines(t, tc.lines...)
			if got := e.Stats().Dropped("kernel").Load(); got != tc.dropped {
				t.Errorf("dropped = %d, want %d", got, tc.dropped)
			}
			if len(rec.evs) != tc.events {
				t.Errorf("events = %d, want %d", len(rec.evs), tc.events)
			}
		})
	}
}

// cutAfter returns line cut just after the first occurrence of marker.
func cutAfter(line, marker string) string {
	return line[:strings.Index(line, marker)+len(marker)]
}

func TestSalvageGlobalSeq(t *testing.T) {
	for _, tc := range []struct {
		line string
		want uint64
		ok   bool
	}{
		{`{"version":10,"global_seq_num":42,"seq_num":`, 42, true},
		{`{"global_seq_num":7}`, 7, true},
		{`{"version":10,"global_seq_num":4`, 0, false}, // may be cut short
		{`{"version":10,"global_seq_num":"x"`, 0, false},
		{`{"path":"a\"global_seq_num\":9,"`, 0, false}, // escaped inside a string
		{`{"global_seq_num":99999999999999999999999,`, 0, false},
		{`garbage`, 0, false},
	} {
		got, ok := salvageGlobalSeq([]byte(tc.line))
		if got != tc.want || ok != tc.ok {
			t.Errorf("salvageGlobalSeq(%q) = %d, %v; want %d, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSeqTrackerModeSwitch(t *testing.T) {
	var tr seqTracker
	steps := []struct {
		typ         uint32
		seq, global uint64
		hasG        bool
		want        uint64
	}{
		{33, 0, 1, true, 0},
		{33, 5, 6, true, 4},
		{33, 9, 0, false, 0}, // switch to per-type only: starts afresh
		{33, 11, 0, false, 1},
		{33, 12, 20, true, 0}, // and back
		{33, 13, 22, true, 1},
	}
	for i, s := range steps {
		if got := tr.observe(s.typ, s.seq, true, s.global, s.hasG); got != s.want {
			t.Errorf("step %d: lost %d, want %d", i, got, s.want)
		}
	}
}

func TestEsloggerBadLines(t *testing.T) {
	good := wline(0, 1)
	huge := `{"version":10,"pad":"` + strings.Repeat("x", 10<<20) + `"}`
	tests := []struct {
		name   string
		input  string
		reason string
		count  uint64
		events int
	}{
		{"truncated", good[:len(good)/2] + "\n" + wline(1, 2) + "\n", ReasonMalformedLine, 1, 1},
		{"garbage", "\x00\x01\xff\xfe garbage \x7f\n" + good + "\n", ReasonMalformedLine, 1, 1},
		{"trailing data", good + " x\n" + good + "\n", ReasonMalformedLine, 1, 1},
		{"not an object", "[1,2,3]\n\"s\"\n42\n" + good + "\n", ReasonMalformedLine, 3, 1},
		{"deep nesting", `{"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "}\n" + good + "\n", ReasonMalformedLine, 1, 1},
		{"10 MiB line", good + "\n" + huge + "\n" + wline(1, 2) + "\n", ReasonOversizeLine, 1, 2},
		{"10 MiB line at EOF", good + "\n" + huge, ReasonOversizeLine, 1, 1},
		{"empty lines", "\n\n   \n" + good + "\r\n\n", ReasonMalformedLine, 0, 1},
		{"no newline at EOF", good, ReasonMalformedLine, 0, 1},
		{"truncated at EOF", good + "\n" + good[:100], ReasonMalformedLine, 1, 1},
		{"bad seq type", `{"version":10,"event_type":33,"seq_num":"7","event":{"write":{"target":{"path":"/a"}}}}` + "\n", ReasonBadField, 1, 0},
		{"negative seq", `{"version":10,"event_type":33,"seq_num":-1,"event":{"write":{"target":{"path":"/a"}}}}` + "\n", ReasonBadField, 1, 0},
		{"seq overflow", `{"version":10,"event_type":33,"seq_num":18446744073709551616,"event":{"write":{"target":{"path":"/a"}}}}` + "\n", ReasonBadField, 1, 0},
		{"type contradicts event", `{"version":10,"event_type":12,"event":{"write":{"target":{"path":"/a"}}}}` + "\n", ReasonBadField, 1, 0},
		{"short token array", `{"version":10,"event_type":33,"process":{"audit_token":[1,2,3]},"event":{"write":{"target":{"path":"/a"}}}}` + "\n", ReasonBadField, 1, 0},
		{"missing target", `{"version":10,"event_type":33,"event":{"write":{}}}` + "\n", ReasonMissingField, 1, 0},
		{"missing event", `{"version":10}` + "\n", ReasonMissingField, 1, 0},
		{"unknown event name", `{"version":10,"event":{"fork":{"child":{}}}}` + "\n", ReasonUnknownEventType, 1, 0},
		{"unknown fields", `{"version":10,"new_top":1,"event_type":33,"event":{"write":{"target":{"path":"/a","new_file_field":[1]},"new_write_field":{}}},"process":{"audit_token":{"pid":3,"new_tok":0},"new_proc":null}}` + "\n", ReasonUnknownField, 5, 1},
		{"bad escape", `{"version":10,"event_type":33,"event":{"write":{"target":{"path":"\q"}}}}` + "\n", ReasonMalformedLine, 1, 0},
		{"raw control char", "{\"version\":10,\"event_type\":33,\"event\":{\"write\":{\"target\":{\"path\":\"a\tb\"}}}}\n", ReasonMalformedLine, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEslogger(t, "-")
			e.cfg.Stdin = strings.NewReader(tc.input)
			var rec recorder
			if err := e.Run(context.Background(), &rec); err != nil {
				t.Fatal(err)
			}
			if got := errorCount(e.Stats(), tc.reason); got != tc.count {
				t.Errorf("%s = %d, want %d (snapshot %+v)", tc.reason, got, tc.count, e.Stats().Snapshot())
			}
			if len(rec.evs) != tc.events {
				t.Errorf("events = %d, want %d", len(rec.evs), tc.events)
			}
		})
	}
}

func TestEsloggerDecoding(t *testing.T) {
	tests := []struct {
		name string
		line string
		want recordedEvent
	}{
		{"object token, any order",
			`{"event":{"write":{"target":{"stat":{"st_ino":1152921500312525701},"path":"\/a\/b"}}},"process":{"team_id":null,"signing_id":"s","executable":{"path":"\/bin\/e"},"audit_token":{"auid":4294967295,"pid":99,"pidversion":1}},"event_type":33,"version":9}`,
			recordedEvent{KindWrite, 99, "/bin/e", "s", "", "/a/b", 0}},
		{"array token",
			`{"version":10,"event_type":41,"global_seq_num":18446744073709551615,"process":{"audit_token":[4294967295,0,0,0,0,1,100012,1029],"executable":{"path":"/sbin/launchd"}},"event":{"truncate":{"target":{"path":"/var/log/x"}}}}`,
			recordedEvent{KindTruncate, 1, "/sbin/launchd", "", "", "/var/log/x", 1<<64 - 1}},
		{"unicode escapes",
			`{"version":10,"event_type":32,"process":{"audit_token":[0,0,0,0,0,2,0,0],"executable":{"path":"\/x"}},"event":{"unlink":{"target":{"path":"\/caf\u00e9\/\ud83d\ude00\/\ud800x"}}}}`,
			recordedEvent{KindUnlink, 2, "/x", "", "", "/café/😀/\uFFFDx", 0}},
		{"escaped key",
			`{"version":10,"event_type":33,"process":{"audit_token":[0,0,0,0,0,2,0,0]},"event":{"wri\u0074e":{"t\u0061rget":{"path":"\/k"}}}}`,
			recordedEvent{KindWrite, 2, "<unknown>", "", "", "/k", 0}},
		{"flattened create union",
			`{"version":10,"event_type":13,"process":{"audit_token":[0,0,0,0,0,2,0,0]},"event":{"create":{"destination_type":1,"new_path":{"dir":{"path":"\/d"},"filename":"f"}}}}`,
			recordedEvent{KindCreate, 2, "<unknown>", "", "", "/d/f", 0}},
		{"whitespace",
			" { \"version\" : 10 , \"event_type\" : 33 , \"event\" : { \"write\" : { \"target\" : { \"path\" : \"/w\" } } } } ",
			recordedEvent{KindWrite, 0, "<unknown>", "", "", "/w", 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, rec := runLines(t, tc.line)
			if len(rec.evs) != 1 || rec.evs[0] != tc.want {
				t.Fatalf("events = %+v, want [%+v]; stats %+v", rec.evs, tc.want, e.Stats().Snapshot())
			}
		})
	}
}

func TestEsloggerTruncatedPath(t *testing.T) {
	e, rec := runLines(t, line(10, 33, 0, 1, "write", `{"target":{"path":"\/long","path_truncated":true}}`))
	if len(rec.evs) != 1 || errorCount(e.Stats(), ReasonPathTruncated) != 1 {
		t.Fatalf("events %d, path_truncated %d", len(rec.evs), errorCount(e.Stats(), ReasonPathTruncated))
	}
}

func TestEsloggerMute(t *testing.T) {
	e := newTestEslogger(t, "-")
	e.mute = NewMute(MuteConfig{PIDs: []int32{8}, PathPrefixes: []string{"/tmp"}}, e.Stats())
	e.cfg.Stdin = strings.NewReader(strings.Join([]string{
		wline(0, 1), // /tmp/a: muted by prefix
		line(10, 33, 1, 2, "write", `{"target":{"path":"\/var\/x"}}`),
		strings.Replace(line(10, 33, 2, 3, "write", `{"target":{"path":"\/var\/x"}}`), "[0,0,0,0,0,7,0,0]", "[0,0,0,0,0,8,0,0]", 1),
	}, "\n") + "\n")
	var rec recorder
	if err := e.Run(context.Background(), &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.evs) != 1 || e.Stats().Muted.Load() != 2 || e.Stats().Dropped("kernel").Load() != 0 {
		t.Fatalf("events %+v, muted %d", rec.evs, e.Stats().Muted.Load())
	}
}

func TestEsloggerConfig(t *testing.T) {
	if _, err := NewEslogger(EsloggerConfig{}); err == nil {
		t.Error("empty input accepted")
	}
	if _, err := NewEslogger(EsloggerConfig{Input: "-", MaxLine: 10}); err == nil {
		t.Error("tiny line limit accepted")
	}
	e := newTestEslogger(t, filepath.Join(t.TempDir(), "missing.jsonl"))
	if err := e.Run(context.Background(), &recorder{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestEsloggerStderrError(t *testing.T) {
	tests := []struct {
		stderr string
		want   error
	}{
		{"Failed to create ES client: ES_NEW_CLIENT_RESULT_ERR_NOT_PERMITTED", ErrESNotPermitted},
		{"ES_NEW_CLIENT_RESULT_ERR_NOT_PRIVILEGED", ErrESNotPrivileged},
		{"ES_NEW_CLIENT_RESULT_ERR_TOO_MANY_CLIENTS", ErrESTooManyClients},
		{"something else", nil},
	}
	for _, tc := range tests {
		if got := esloggerStderrError(tc.stderr); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.stderr, got, tc.want)
		}
	}
}

func TestNewClientError(t *testing.T) {
	for result, want := range map[uint32]error{0: nil, 3: ErrESNotEntitled, 4: ErrESNotPermitted,
		5: ErrESNotPrivileged, 6: ErrESTooManyClients} {
		if got := newClientError(result); got != want {
			t.Errorf("result %d: %v, want %v", result, got, want)
		}
	}
	for _, result := range []uint32{1, 2, 99} {
		if newClientError(result) == nil {
			t.Errorf("result %d: no error", result)
		}
	}
	if !strings.Contains(ErrESNotPermitted.Error(), FullDiskAccessSettingsURL) {
		t.Error("the Full Disk Access error does not link to System Settings")
	}
}

// endlessLine yields one line of n bytes of 'x' and a newline, then a good
// line, without ever holding the long line in memory.
type endlessLine struct {
	n    int
	tail string
}

func (r *endlessLine) Read(p []byte) (int, error) {
	if r.n > 0 {
		k := min(len(p), r.n)
		for i := range k {
			p[i] = 'x'
		}
		r.n -= k
		return k, nil
	}
	if r.tail == "" {
		return 0, io.EOF
	}
	k := copy(p, r.tail)
	r.tail = r.tail[k:]
	return k, nil
}

// TestEsloggerOversizeLineBoundedMemory reads a 64 MiB line and checks that
// the reader's allocations stay near its line limit, not the line's size.
func TestEsloggerOversizeLineBoundedMemory(t *testing.T) {
	e := newTestEslogger(t, "-")
	e.cfg.Stdin = &endlessLine{n: 64 << 20, tail: "\n" + wline(0, 1) + "\n"}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var rec recorder
	if err := e.Run(context.Background(), &rec); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4*uint64(e.cfg.MaxLine)+1<<20 {
		t.Errorf("allocated %d bytes reading a 64 MiB line with a %d-byte limit", grew, e.cfg.MaxLine)
	}
	if len(rec.evs) != 1 || errorCount(e.Stats(), ReasonOversizeLine) != 1 {
		t.Errorf("events %d, oversize %d", len(rec.evs), errorCount(e.Stats(), ReasonOversizeLine))
	}
}
