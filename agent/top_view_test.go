package agent

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/estally/estally/summary"
)

// viewSummary returns a summary with n entries per list.
func viewSummary(seq uint64, t time.Time, writes uint64, n int) *summary.Summary {
	s := &summary.Summary{
		Version: 1, Seq: seq, Time: t, IntervalSeconds: 1, DeltaSeconds: 1,
		Totals:       summary.KindCounts{Write: writes, Create: 10},
		Delta:        summary.KindCounts{Write: 100},
		DroppedTotal: 3,
		Sources:      []summary.Source{{Name: "fanotify", Up: true, Dropped: map[string]uint64{"kernel": 3}}},
		Processes:    summary.Table{Entries: n, Capacity: 4096},
		Paths:        summary.Table{Entries: n, Capacity: 16384, Evictions: 7},
	}
	for i := range n {
		d := summary.KindCounts{Write: uint64(50 - i)}
		s.Processes.Top = append(s.Processes.Top, summary.Item{Key: "/usr/bin/proc" + string(rune('a'+i)), PID: int32(100 + i), Totals: summary.KindCounts{Write: 1000}, Delta: &d})
		s.Paths.Top = append(s.Paths.Top, summary.Item{Key: "/very/long/directory/name/that/goes/on/and/on/file-" + string(rune('a'+i)) + ".log", Totals: summary.KindCounts{Write: 500}, Rate: 2.5})
	}
	return s
}

func TestTopViewRender(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name          string
		width, height int
		push          []*summary.Summary
		want          []string
		notWant       []string
	}{
		{"waiting", 80, 24, nil, []string{"waiting for the first summary", "q: quit"}, nil},
		{"first summary uses the agent's delta", 100, 30, []*summary.Summary{viewSummary(1, t0, 5000, 5)},
			[]string{"write                        5000        100.0", "/usr/bin/proca", "50.0", "drops 3", "fanotify up dropped=kernel:3", "path 5/16384 (7 evicted)", "file-a.log"}, nil},
		{"two summaries: rate over the client's interval", 100, 30, []*summary.Summary{viewSummary(1, t0, 5000, 5), viewSummary(3, t0.Add(2*time.Second), 9000, 5)},
			[]string{"write                        9000       2000.0"}, nil},
		{"narrow terminal cuts paths from the left", 50, 30, []*summary.Summary{viewSummary(1, t0, 5000, 5)},
			[]string{"…", "file-a.log"}, []string{"/very/long/directory"}},
		{"short terminal drops rows", 80, 16, []*summary.Summary{viewSummary(1, t0, 5000, 10)},
			[]string{"q: quit"}, []string{"/usr/bin/procj"}},
		{"truncated flag shown", 120, 30, []*summary.Summary{func() *summary.Summary { s := viewSummary(1, t0, 1, 1); s.Truncated = true; return s }()},
			[]string{"[top lists truncated]"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := &topView{socket: "/run/estally/summary.sock", width: tc.width, height: tc.height}
			for _, s := range tc.push {
				v.push(s)
			}
			out := v.render()
			lines := strings.Split(out, "\n")
			if len(lines) != tc.height {
				t.Errorf("%d lines, want %d", len(lines), tc.height)
			}
			for i, l := range lines {
				if n := utf8.RuneCountInString(l); n > tc.width {
					t.Errorf("line %d is %d columns wide (> %d): %q", i, n, tc.width, l)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("view lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("view has %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestRenderSummary(t *testing.T) {
	s := viewSummary(7, time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC), 5000, 3)
	s.Paths.TopOmitted = 4
	out := renderSummary(s)
	for _, w := range []string{"estally summary #7 at 2026-12-04T12:00:00Z", "write", "5000", "source fanotify: up=true", "process table: 3/4096", "/usr/bin/procb", "(4 more entries cut to fit the size cap)"} {
		if !strings.Contains(out, w) {
			t.Errorf("summary lacks %q:\n%s", w, out)
		}
	}
}

// TestHostileKeysCannotDriveTheTerminal: file names are attacker-chosen.
// One holding escape sequences, newlines or a bidi override must reach the
// screen escaped, in `estally top` and in `estally summary` alike.
func TestHostileKeysCannotDriveTheTerminal(t *testing.T) {
	s := viewSummary(1, time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC), 5000, 2)
	s.Paths.Top[0].Key = "/tmp/\x1b]0;owned\x07\x1b[2J\nfake line\u202egol.exe"
	s.Processes.Top[0].Key = "/tmp/\x1b[31mred\x9b"
	v := &topView{socket: "/s", width: 200, height: 30}
	v.push(s)
	for name, out := range map[string]string{"top": v.render(), "summary": renderSummary(s)} {
		body := out
		if name == "top" {
			body = strings.ReplaceAll(out, "\x1b[K", "") // the view's own line clearing
		}
		for _, bad := range []string{"\x1b]", "\x1b[2J", "\x1b[31m", "\x07", "\u202e", "\u009b", "\nfake line"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s output carries %q raw:\n%q", name, bad, out)
			}
		}
		if !strings.Contains(out, `\x1B]0;owned\x07`) {
			t.Errorf("%s output lacks the escaped key:\n%q", name, out)
		}
	}
}
