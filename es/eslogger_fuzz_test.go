package es

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
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
	f.Add([]byte(`\/caf\u00e9\ud83d\ude00\ud800x\"\\\b\f\n\r\t`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p elogParser
		reason := p.parse(b)
		if reason == "" && !json.Valid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		// Differential check of string decoding against encoding/json, on
		// b taken as the inside of a JSON string (valid UTF-8 only: json
		// replaces invalid bytes, estally passes paths through unchanged).
		if utf8.Valid(b) {
			quoted := append(append([]byte{'"'}, b...), '"')
			var want string
			jsonErr := json.Unmarshal(quoted, &want)
			var s elogScanner
			s.reset(quoted)
			var buf []byte
			got, ok := s.strInto(&buf)
			ok = ok && s.atEnd()
			if (jsonErr == nil) != ok || ok && string(got) != want {
				t.Fatalf("string %q: got %q ok=%v, encoding/json %q err=%v", b, got, ok, want, jsonErr)
			}
		}
		e := newTestEslogger(t, "-")
		e.line(append(b, '\n'), SinkFunc(func(ev *Event) {
			if len(ev.Path) == 0 || int(ev.Kind) >= NumKinds {
				t.Fatalf("bad event %+v from %q", ev, b)
			}
		}))
	})
}
