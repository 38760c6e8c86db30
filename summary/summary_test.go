package summary

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/estally/estally/aggregate"
	"github.com/estally/estally/es"
)

func TestBuildDeltas(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	b := NewBuilder(time.Second)
	s1 := b.Build(testSnapshot(t0, 3, 10, 10), []es.StatsSnapshot{{
		Source: "synthetic", Up: true, Dropped: []es.LabeledCount{{Label: "kernel", Count: 5}},
	}})
	if s1.Seq != 1 || s1.DeltaSeconds != 0 || s1.Delta != (KindCounts{}) {
		t.Fatalf("first summary: seq %d delta %v over %v, want 1 and zero", s1.Seq, s1.Delta, s1.DeltaSeconds)
	}
	if s1.Processes.Top[0].Delta != nil {
		t.Fatalf("first summary has an entry delta: %+v", s1.Processes.Top[0].Delta)
	}
	if s1.DroppedTotal != 5 || s1.Sources[0].Dropped["kernel"] != 5 {
		t.Fatalf("drops: %d %v", s1.DroppedTotal, s1.Sources[0].Dropped)
	}

	snap2 := testSnapshot(t0.Add(2*time.Second), 3, 10, 30)
	// A new entry admitted after the first summary, and one resident but
	// unlisted before.
	snap2.Paths.Top = append(snap2.Paths.Top,
		aggregate.Entry{Key: "/new", Counts: aggregate.Counts{7}, First: t0.Add(time.Second)},
		aggregate.Entry{Key: "/old-unlisted", Counts: aggregate.Counts{9}, First: t0.Add(-time.Minute)})
	s2 := b.Build(snap2, nil)
	if s2.Seq != 2 || s2.DeltaSeconds != 2 {
		t.Fatalf("second summary: seq %d delta_seconds %v", s2.Seq, s2.DeltaSeconds)
	}
	if want := s2.Totals.Sub(s1.Totals); s2.Delta != want {
		t.Fatalf("delta %+v, want %+v", s2.Delta, want)
	}
	top := s2.Processes.Top[0]
	if top.Delta == nil || top.Delta.Write != 30*3-10*3 || top.Delta.Create != 20 {
		t.Fatalf("entry delta %+v", top.Delta)
	}
	if d := s2.Paths.Top[3].Delta; d == nil || d.Write != 7 {
		t.Fatalf("new entry delta %+v, want its whole count", d)
	}
	if d := s2.Paths.Top[4].Delta; d != nil {
		t.Fatalf("unlisted entry delta %+v, want unknown", d)
	}
}

func TestSanitize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/plain", "/plain"},
		{"/bad\xff\xfe", "/bad\uFFFD"},
		{"/nul\x00x", "/nul\uFFFDx"},
	} {
		if got := sanitize(tc.in); got != tc.want {
			t.Errorf("sanitize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := sanitize(strings.Repeat("é", MaxKeyBytes))
	if len(long) > MaxKeyBytes || !utf8.ValidString(long) || !strings.HasSuffix(long, "…") {
		t.Errorf("long key: %d bytes, valid %v", len(long), utf8.ValidString(long))
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 123456789, time.UTC)
	b := NewBuilder(time.Second)
	b.Build(testSnapshot(t0, 5, 30, 1), nil)
	s := b.Build(testSnapshot(t0.Add(time.Second), 5, 30, 3), []es.StatsSnapshot{{Source: "fanotify", Up: true, Overflows: 2,
		Dropped: []es.LabeledCount{{Label: "kernel", Count: 1}}, Errors: []es.LabeledCount{{Label: "unparsable", Count: 4}}}})
	js, err := Encode(s, DefaultMaxBytes)
	if err != nil {
		t.Fatal(err)
	}
	var back Summary
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	js2, err := json.Marshal(&back)
	if err != nil {
		t.Fatal(err)
	}
	if string(js) != string(js2) {
		t.Fatalf("round trip differs:\n%s\n%s", js, js2)
	}
	if back.Truncated || back.Version != Version || !back.Time.Equal(t0.Add(time.Second)) {
		t.Fatalf("decoded %+v", back)
	}
}

func TestEncodeSizeCap(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name          string
		n, keyLen     int
		max           int
		wantTruncated bool
	}{
		{"fits", 10, 50, DefaultMaxBytes, false},
		{"default cap", 200, 1000, DefaultMaxBytes, true},
		{"small cap", 50, 200, 4 << 10, true},
		{"uncapped", 200, 1000, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewBuilder(time.Second).Build(testSnapshot(t0, tc.n, tc.keyLen, 1), nil)
			js, err := Encode(s, tc.max)
			if err != nil {
				t.Fatal(err)
			}
			if tc.max > 0 && len(js) > tc.max {
				t.Fatalf("encoded %d bytes, cap %d", len(js), tc.max)
			}
			var back Summary
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatal(err)
			}
			if back.Truncated != tc.wantTruncated {
				t.Fatalf("truncated = %v, want %v", back.Truncated, tc.wantTruncated)
			}
			if got := len(back.Processes.Top) + back.Processes.TopOmitted; got != tc.n {
				t.Fatalf("kept %d + omitted %d != %d", len(back.Processes.Top), back.Processes.TopOmitted, tc.n)
			}
			if tc.wantTruncated {
				// Maximal: one more entry per list would not fit.
				k := len(back.Processes.Top) + 1
				s2 := NewBuilder(time.Second).Build(testSnapshot(t0, tc.n, tc.keyLen, 1), nil)
				s2.Processes.Top, s2.Paths.Top = s2.Processes.Top[:k], s2.Paths.Top[:k]
				s2.Processes.TopOmitted, s2.Paths.TopOmitted, s2.Truncated = tc.n-k, tc.n-k, true
				if more, _ := json.Marshal(s2); len(more) <= tc.max {
					t.Fatalf("kept %d entries but %d fit", k-1, k)
				}
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		s := NewBuilder(time.Second).Build(testSnapshot(t0, 2, 10, 1), nil)
		if _, err := Encode(s, 100); err == nil {
			t.Fatal("no error for a cap below the empty summary")
		}
	})
}
