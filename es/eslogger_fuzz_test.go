package es

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzEsloggerLine checks that no line makes the parser panic, that it
// never accepts what encoding/json rejects as JSON, and that every event
// it folds has a valid kind and a path.
func FuzzEsloggerLine(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "eslogger", "v*", "*.jsonl"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(wline(1, 2)))
	f.Add([]byte(`{"event":{"rename":{"source":{"path":"\/a"},"destination":{"new_path":{"dir":{"path":"\/d"},"filename":"\u00e9"}}}}}`))
	f.Add([]byte(`{"process":{"audit_token":[1,2,3,4,5,6,7,8]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p elogParser
		reason := p.parse(b)
		if reason == "" && !json.Valid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		e := newTestEslogger(t, "-")
		e.line(append(b, '\n'), SinkFunc(func(ev *Event) {
			if len(ev.Path) == 0 || int(ev.Kind) >= NumKinds {
				t.Fatalf("bad event %+v from %q", ev, b)
			}
		}))
	})
}
