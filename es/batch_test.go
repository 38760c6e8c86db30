package es

import "testing"

type recordingSink struct{ calls []string }

func (r *recordingSink) Observe(ev *Event) { r.calls = append(r.calls, string(ev.Path)) }
func (r *recordingSink) BeginBatch()       { r.calls = append(r.calls, "begin") }
func (r *recordingSink) EndBatch()         { r.calls = append(r.calls, "end") }

func TestBatcherOf(t *testing.T) {
	BatcherOf(SinkFunc(func(*Event) {})).BeginBatch() // a sink without batches gets a no-op

	rec := &recordingSink{}
	m := NewMute(MuteConfig{PathPrefixes: []string{"/muted"}}, NewStats("t"))
	sink := m.Wrap(rec)
	b := BatcherOf(sink)
	b.BeginBatch()
	sink.Observe(&Event{Path: []byte("/kept")})
	sink.Observe(&Event{Path: []byte("/muted/x")})
	b.EndBatch()
	want := []string{"begin", "/kept", "end"}
	if len(rec.calls) != len(want) {
		t.Fatalf("calls %q, want %q", rec.calls, want)
	}
	for i := range want {
		if rec.calls[i] != want[i] {
			t.Fatalf("calls %q, want %q", rec.calls, want)
		}
	}
}
