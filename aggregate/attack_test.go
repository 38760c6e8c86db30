package aggregate

import (
	"fmt"
	"testing"
	"time"

	"github.com/estally/estally/es"
)

// TestScanAttackKeepsHeavyWritersExact runs the cache-flushing attack: every
// scan event is a never-seen path, 100× more distinct paths than the path
// table holds, mixed with a few heavy writers. The heavy writers' counts must
// stay exact in both tables: a scan may not evict a hot key.
func TestScanAttackKeepsHeavyWritersExact(t *testing.T) {
	for _, tc := range []struct {
		name     string
		capacity int
		heavyPct int
	}{
		{"cap100-heavy10pct", 100, 10},
		{"cap1000-heavy2pct", 1000, 2},
		{"cap16-heavy20pct", 16, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOracle()
			a, err := New(Config{ProcessCapacity: 8, PathCapacity: tc.capacity, TopK: 10, OnEvict: o.onEvict})
			if err != nil {
				t.Fatal(err)
			}
			s := newStream("scan", 7, 8, 8)
			s.heavyPct = tc.heavyPct
			// The heavy writers are at work before the attack starts.
			for i := range s.heavy {
				ev := &es.Event{Kind: es.KindWrite, PID: int32(1000 + i), Executable: s.procs[i], Path: s.paths[i]}
				o.observe(ev)
				a.Observe(ev)
			}
			now := time.Now()
			for i := 0; s.scanN < uint64(100*tc.capacity); i++ {
				if i%1000 == 0 {
					now = now.Add(100 * time.Millisecond)
					a.Tick(now)
				}
				ev := s.next()
				o.observe(ev)
				a.Observe(ev)
			}
			checkInvariants(t, a, o)
			snap := a.Snapshot()
			if snap.Paths.Rejected == 0 || snap.Paths.Other.Sum() == 0 {
				t.Fatalf("the scan never overflowed the table: %+v", snap.Paths)
			}
			for i := range s.heavy {
				path, proc := string(s.paths[i]), string(s.procs[i])
				if got, want := entryCounts(snap.Paths, path), *o.paths[path]; got != want {
					t.Errorf("heavy path %s: table %v, exact %v", path, got, want)
				}
				if got, want := entryCounts(snap.Processes, proc), *o.procs[proc]; got != want {
					t.Errorf("heavy process %s: table %v, exact %v", proc, got, want)
				}
			}
			t.Logf("%d scan paths, %d evictions, %d rejected events; heavy writers exact",
				s.scanN, snap.Paths.Evictions, snap.Paths.Rejected)
		})
	}
}

// TestMergedScanRecordsDoNotChurn replays the scan as fanotify delivers it:
// each scanned file's create, write, close and delete merged into one record
// and reported as four consecutive events for one path. Those four are one
// sighting, so the scan is still refused wholesale; and a lone writer
// hammering a new file is still admitted.
func TestMergedScanRecordsDoNotChurn(t *testing.T) {
	o := newOracle()
	a, err := New(Config{ProcessCapacity: 8, PathCapacity: 100, TopK: 5, OnEvict: o.onEvict})
	if err != nil {
		t.Fatal(err)
	}
	fold := func(ev *es.Event) { o.observe(ev); a.Observe(ev) }
	proc := []byte("/usr/bin/scanner")
	for i := range 10000 {
		path := fmt.Appendf(nil, "/tmp/scan/%d", i)
		for _, k := range []es.Kind{es.KindCreate, es.KindWrite, es.KindCloseModified, es.KindUnlink} {
			fold(&es.Event{Kind: k, PID: 9, Executable: proc, Path: path})
		}
	}
	checkInvariants(t, a, o)
	snap := a.Snapshot()
	// The first 100 files filled the table; what the doorkeeper's false
	// positives let in afterwards must stay a small fraction.
	if snap.Paths.Evictions > 100 {
		t.Fatalf("merged scan records churned the path table: %d evictions", snap.Paths.Evictions)
	}
	hammer := &es.Event{Kind: es.KindWrite, PID: 10, Executable: proc, Path: []byte("/srv/new.db")}
	for range admitRun {
		fold(hammer)
	}
	if e, ok := a.paths.lru.Peek("/srv/new.db"); !ok || e.counts.Sum() != 1 {
		t.Fatalf("a run of %d writes to a new file: resident %v, want the last write counted", admitRun, ok)
	}
	checkInvariants(t, a, o)
}

// TestLateHeavyWriterUnderScan starts a heavy writer only once the scan has
// filled the table: it is admitted at its second event (the first proves
// nothing against a scan) and counted exactly from then on.
func TestLateHeavyWriterUnderScan(t *testing.T) {
	o := newOracle()
	a, err := New(Config{ProcessCapacity: 8, PathCapacity: 50, TopK: 5, OnEvict: o.onEvict})
	if err != nil {
		t.Fatal(err)
	}
	s := newStream("scan", 11, 8, 8)
	s.heavyPct = 0
	late := &es.Event{Kind: es.KindWrite, PID: 4242, Executable: []byte("/usr/bin/late"), Path: []byte("/srv/late.db")}
	for i := range 20000 {
		ev := s.next()
		if i >= 5000 && i%10 == 0 {
			ev = late
		}
		o.observe(ev)
		a.Observe(ev)
	}
	checkInvariants(t, a, o)
	snap := a.Snapshot()
	got, exact := entryCounts(snap.Paths, "/srv/late.db"), o.paths["/srv/late.db"]
	if got.Sum() < exact.Sum()-1 {
		t.Fatalf("late heavy writer: table %d events, exact %d; want at most the first one missing", got.Sum(), exact.Sum())
	}
	if len(snap.Paths.Top) == 0 || snap.Paths.Top[0].Key != "/srv/late.db" {
		t.Fatalf("late heavy writer is not the top path: %+v", snap.Paths.Top)
	}
}

// TestNewHeavyWriterRanksByRecentActivity checks that ranking follows recent
// activity, not totals: after ten minutes of established writers, a new
// writer at twice their rate leads the top list within two half-lives, while
// its total is still a small fraction of theirs.
func TestNewHeavyWriterRanksByRecentActivity(t *testing.T) {
	const halfLife = 5 * time.Second
	a, err := New(Config{ProcessCapacity: 100, PathCapacity: 100, TopK: 3, HalfLife: halfLife})
	if err != nil {
		t.Fatal(err)
	}
	ev := func(name string) *es.Event {
		return &es.Event{Kind: es.KindWrite, Executable: []byte(name), Path: []byte("/data/" + name)}
	}
	old := []*es.Event{ev("/bin/a"), ev("/bin/b"), ev("/bin/c"), ev("/bin/d")}
	newcomer := ev("/bin/new")
	now := time.Now()
	tick := func(newRate int) {
		now = now.Add(100 * time.Millisecond)
		a.Tick(now)
		for _, e := range old {
			for range 10 { // 100 events/s each
				a.Observe(e)
			}
		}
		for range newRate {
			a.Observe(newcomer)
		}
	}
	for range 6000 { // ten minutes
		tick(0)
	}
	for i := 1; i <= int(2*halfLife/(100*time.Millisecond)); i++ {
		tick(20) // 200 events/s
	}
	snap := a.Snapshot()
	top := snap.Processes.Top[0]
	if top.Key != "/bin/new" {
		t.Fatalf("top process after two half-lives is %q (%.0f/s), want /bin/new; top: %+v", top.Key, top.Rate, snap.Processes.Top)
	}
	if old := entryCounts(snap.Processes, "/bin/a").Sum(); top.Counts.Sum()*10 > old {
		t.Fatalf("test is not about totals: newcomer has %d events, old writers %d", top.Counts.Sum(), old)
	}
	if top.Rate < 120 || top.Rate > 200 {
		t.Fatalf("newcomer's rate %.1f/s, want between 120 and 200 (it writes 200/s, ramping up)", top.Rate)
	}
}

func entryCounts(ts TableSnapshot, key string) Counts {
	for _, e := range ts.Top {
		if e.Key == key {
			return e.Counts
		}
	}
	return Counts{}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{ProcessCapacity: 0, PathCapacity: 1}, "aggregate: process capacity must be at least 1, got 0"},
		{Config{ProcessCapacity: 1, PathCapacity: -5}, "aggregate: path capacity must be at least 1, got -5"},
		{Config{ProcessCapacity: 1, PathCapacity: 1, TopK: -1}, "aggregate: top-k must not be negative, got -1"},
		{Config{ProcessCapacity: 1, PathCapacity: 1, HalfLife: -time.Second}, "aggregate: rank half-life must not be negative, got -1s"},
	} {
		_, err := New(tc.cfg)
		if err == nil || err.Error() != tc.want {
			t.Errorf("New(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestInvalidKindIsCountedNotFolded(t *testing.T) {
	a, _ := New(Config{ProcessCapacity: 1, PathCapacity: 1})
	a.Observe(&es.Event{Kind: es.NumKinds + 3, Path: []byte("/x")})
	a.Observe(&es.Event{Kind: es.KindWrite, Path: []byte("/x")})
	s := a.Snapshot()
	if s.Invalid != 1 || s.Observed.Sum() != 1 {
		t.Fatalf("invalid %d observed %v", s.Invalid, s.Observed)
	}
}

func TestOnEvictMayCallBack(t *testing.T) {
	var a *Aggregator
	calls := 0
	a, _ = New(Config{ProcessCapacity: 1, PathCapacity: 1, OnEvict: func(string, Entry) {
		calls++
		_ = a.Snapshot() // would deadlock if called under the lock
	}})
	for i := range 10 {
		p := []byte(fmt.Sprint("/p", i%2)) // alternate: the doorkeeper admits on the second sighting
		a.Observe(&es.Event{Kind: es.KindWrite, Executable: p, Path: p})
	}
	if calls == 0 {
		t.Fatal("no eviction reported")
	}
}
