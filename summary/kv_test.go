package summary

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/estally/estally/es"
)

// The key/value tree carries exactly the JSON encoding's fields and values.
func TestValueMatchesJSON(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 5, time.UTC)
	b := NewBuilder(time.Second)
	b.Build(testSnapshot(t0, 4, 20, 1), nil)
	s := b.Build(testSnapshot(t0.Add(time.Second), 4, 20, 2), []es.StatsSnapshot{{Source: "s", Dropped: []es.LabeledCount{{Label: "kernel", Count: 3}}}})
	js, err := Encode(s, DefaultMaxBytes)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal(js, &want); err != nil {
		t.Fatal(err)
	}
	v := ToValue(s)
	if got := v.Any(); !reflect.DeepEqual(got, want) {
		gj, _ := json.Marshal(got)
		t.Fatalf("tree differs from JSON:\n got %s\nwant %s", gj, js)
	}
	// Counters stay unsigned integers, times strings.
	totals, _ := v.Get("totals")
	if w, _ := totals.Get("write"); w.Kind != KindUint {
		t.Fatalf("totals.write kind %v", w.Kind)
	}
	if tm, _ := v.Get("time"); tm.Kind != KindString || tm.String != "2026-12-04T10:00:01.000000005Z" {
		t.Fatalf("time %+v", tm)
	}
	if _, ok := v.Get("truncated"); !ok {
		t.Fatal("no truncated field")
	}
}

func TestValueOmitEmptyAndNull(t *testing.T) {
	v := ToValue(&Summary{Processes: Table{Top: []Item{{Key: "k"}}}})
	procs, _ := v.Get("processes")
	top, _ := procs.Get("top")
	item := top.List[0]
	for _, k := range []string{"signing_id", "team_id", "delta"} {
		if _, ok := item.Get(k); ok {
			t.Errorf("empty %s present", k)
		}
	}
	if src, _ := v.Get("sources"); src.Kind != KindNull {
		t.Errorf("nil sources kind %v, want null", src.Kind)
	}
}
