package es_test

import (
	"context"
	"hash/fnv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/estally/estally/es"
)

func newSynthetic(t testing.TB, cfg es.SyntheticConfig) *es.Synthetic {
	t.Helper()
	s, err := es.NewSynthetic(cfg)
	if err != nil {
		t.Fatalf("NewSynthetic(%+v): %v", cfg, err)
	}
	return s
}

// streamHash hashes every field of n events.
func streamHash(s *es.Synthetic, n int) uint64 {
	h := fnv.New64a()
	var b [8]byte
	s.Generate(n, func(ev *es.Event) {
		b[0], b[1], b[2], b[3] = byte(ev.Kind), byte(ev.PID), byte(ev.PID>>8), byte(ev.PID>>16)
		h.Write(b[:4])
		for _, f := range [][]byte{ev.Executable, ev.SigningID, ev.TeamID, ev.Path} {
			h.Write(f)
			h.Write([]byte{0})
		}
		for i := range 8 {
			b[i] = byte(ev.Bytes >> (8 * i))
		}
		h.Write(b[:])
		for i := range 8 {
			b[i] = byte(ev.Seq >> (8 * i))
		}
		h.Write(b[:])
	})
	return h.Sum64()
}

func TestSyntheticDeterministic(t *testing.T) {
	for _, p := range es.SyntheticProfiles {
		t.Run(p, func(t *testing.T) {
			cfg := es.SyntheticConfig{Profile: p, Seed: 42}
			a := streamHash(newSynthetic(t, cfg), 20000)
			b := streamHash(newSynthetic(t, cfg), 20000)
			if a != b {
				t.Fatalf("same seed, different streams: %x != %x", a, b)
			}
			cfg.Seed = 43
			if c := streamHash(newSynthetic(t, cfg), 20000); c == a {
				t.Fatalf("seeds 42 and 43 gave the same stream %x", a)
			}
		})
	}
}

// tally counts a stream by key, kind and bytes.
type tally struct {
	n          int
	paths      map[string]int
	procs      map[string]int
	kinds      [es.NumKinds]int
	nonWriteBy int // non-write events with Bytes != 0
	writeNoBy  int // write events with Bytes == 0
	lastSeq    uint64
	seqGaps    int
}

func count(s *es.Synthetic, n int) *tally {
	tl := &tally{paths: map[string]int{}, procs: map[string]int{}}
	s.Generate(n, func(ev *es.Event) {
		tl.n++
		tl.paths[string(ev.Path)]++
		tl.procs[string(ev.Executable)]++
		tl.kinds[ev.Kind]++
		if ev.Kind == es.KindWrite && ev.Bytes == 0 {
			tl.writeNoBy++
		}
		if ev.Kind != es.KindWrite && ev.Bytes != 0 {
			tl.nonWriteBy++
		}
		if ev.Seq != tl.lastSeq+1 {
			tl.seqGaps++
		}
		tl.lastSeq = ev.Seq
	})
	return tl
}

func (tl *tally) check(t *testing.T) {
	t.Helper()
	if tl.writeNoBy != 0 || tl.nonWriteBy != 0 {
		t.Errorf("bytes: %d writes without bytes, %d non-writes with bytes", tl.writeNoBy, tl.nonWriteBy)
	}
	if tl.seqGaps != 0 {
		t.Errorf("%d sequence gaps", tl.seqGaps)
	}
	if w := tl.kinds[es.KindWrite]; w*2 < tl.n {
		t.Errorf("writes %d of %d events, want mostly writes", w, tl.n)
	}
}

func TestSyntheticSteady(t *testing.T) {
	const n = 100000
	tl := count(newSynthetic(t, es.SyntheticConfig{Profile: es.ProfileSteady, Processes: 16, Paths: 1000, Seed: 1}), n)
	tl.check(t)
	if len(tl.procs) != 16 {
		t.Errorf("%d processes, want 16", len(tl.procs))
	}
	if len(tl.paths) > 1000 || len(tl.paths) < 500 {
		t.Errorf("%d distinct paths, want between 500 and 1000", len(tl.paths))
	}
	for k, c := range tl.kinds {
		if c == 0 {
			t.Errorf("no %v events in %d", es.Kind(k), n)
		}
	}
	// Zipf: the busiest process does far more than an even share.
	top := 0
	for _, c := range tl.procs {
		top = max(top, c)
	}
	if top < 4*n/16 {
		t.Errorf("busiest process has %d of %d events, want a skewed distribution", top, n)
	}
}

func TestSyntheticFlood(t *testing.T) {
	tl := count(newSynthetic(t, es.SyntheticConfig{Profile: es.ProfileFlood, Writers: 7, Seed: 3}), 50000)
	tl.check(t)
	if len(tl.procs) != 7 || len(tl.paths) != 7 {
		t.Errorf("%d processes over %d paths, want 7 over 7", len(tl.procs), len(tl.paths))
	}
	for p, c := range tl.paths {
		if c < 50000/7/2 {
			t.Errorf("writer target %s has only %d events", p, c)
		}
	}
}

func TestSyntheticScan(t *testing.T) {
	for _, share := range []float64{0, 0.3, 1} {
		const n = 200000
		s := newSynthetic(t, es.SyntheticConfig{Profile: es.ProfileScan, Writers: 3, HeavyShare: share, Seed: 9})
		want := s.Config().HeavyShare
		tl := count(s, n)
		tl.check(t)
		heavy, scanned := 0, 0
		for p, c := range tl.paths {
			if strings.HasPrefix(p, "/tmp/.scan/") {
				if c != 1 {
					t.Fatalf("scan path %q seen %d times, want every scanned path new", p, c)
				}
				scanned++
				continue
			}
			heavy += c
		}
		if len(tl.paths) != scanned+3 {
			t.Errorf("share %v: %d paths, %d scanned: want 3 heavy paths", share, len(tl.paths), scanned)
		}
		got := float64(heavy) / n
		if got < want-0.01 || got > want+0.01 {
			t.Errorf("heavy writers have %.3f of the events, want %.3f", got, want)
		}
	}
}

func TestSyntheticConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  es.SyntheticConfig
		want string
	}{
		{es.SyntheticConfig{Profile: "burst"}, `unknown synthetic profile "burst" (want steady, flood or scan)`},
		{es.SyntheticConfig{Rate: -1}, "synthetic rate -1: must be a finite number >= 0"},
		{es.SyntheticConfig{Processes: -2}, "synthetic processes -2: must be between 1 and 4194304"},
		{es.SyntheticConfig{Paths: 1 << 30}, "synthetic paths 1073741824: must be between 1 and 4194304"},
		{es.SyntheticConfig{Writers: -1}, "synthetic writers -1: must be between 1 and 4194304"},
		{es.SyntheticConfig{HeavyShare: 1.5}, "synthetic heavy share 1.5: must be in (0, 1]"},
	} {
		_, err := es.NewSynthetic(tc.cfg)
		if err == nil || err.Error() != tc.want {
			t.Errorf("NewSynthetic(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	s := newSynthetic(t, es.SyntheticConfig{})
	if c := s.Config(); c.Profile != es.ProfileSteady || c.Processes != es.DefaultSyntheticProcesses ||
		c.Paths != es.DefaultSyntheticPaths || c.Writers != es.DefaultSyntheticWriters {
		t.Errorf("defaults not applied: %+v", c)
	}
}

// TestSyntheticRunEvents checks that Run stops after exactly Events events,
// stays up while it idles, and returns once its context is cancelled.
func TestSyntheticRunEvents(t *testing.T) {
	for _, rate := range []float64{0, 50000} {
		const events = 3000
		s := newSynthetic(t, es.SyntheticConfig{Profile: es.ProfileScan, Events: events, Rate: rate})
		var n atomic.Uint64
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx, es.SinkFunc(func(*es.Event) { n.Add(1) })) }()
		deadline := time.After(30 * time.Second)
		for n.Load() < events {
			select {
			case err := <-done:
				t.Fatalf("Run returned %v after %d events", err, n.Load())
			case <-deadline:
				t.Fatalf("rate %v: only %d of %d events after 30s", rate, n.Load(), events)
			case <-time.After(time.Millisecond):
			}
		}
		if !s.Stats().Snapshot().Up {
			t.Error("source not up while idling")
		}
		select {
		case err := <-done:
			t.Fatalf("Run returned %v before its context was cancelled", err)
		case <-time.After(20 * time.Millisecond):
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
		if got := n.Load(); got != events {
			t.Errorf("rate %v: %d events, want exactly %d", rate, got, events)
		}
		if s.Stats().Snapshot().Up {
			t.Error("source still up after Run returned")
		}
	}
}

func TestSyntheticNoAllocs(t *testing.T) {
	for _, p := range es.SyntheticProfiles {
		s := newSynthetic(t, es.SyntheticConfig{Profile: p})
		if a := testing.AllocsPerRun(10000, func() { s.Next() }); a != 0 {
			t.Errorf("%s: %v allocations per event, want 0", p, a)
		}
	}
}

func BenchmarkSyntheticNext(b *testing.B) {
	for _, p := range es.SyntheticProfiles {
		b.Run(p, func(b *testing.B) {
			s := newSynthetic(b, es.SyntheticConfig{Profile: p})
			b.ReportAllocs()
			for b.Loop() {
				s.Next()
			}
		})
	}
}
