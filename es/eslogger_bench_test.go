package es

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// benchLines returns the fixture lines of every kind and both versions.
func benchLines(b *testing.B) [][]byte {
	b.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "eslogger", "v*", "*.jsonl"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no fixtures: %v", err)
	}
	var lines [][]byte
	for _, name := range files {
		l, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		lines = append(lines, bytes.TrimSpace(l))
	}
	return lines
}

// BenchmarkEsloggerLine measures the parser, sequence accounting and event
// construction per line, on realistic lines (about 2 KiB each, every kind,
// both message versions). It reports lines/s and allocs/op.
func BenchmarkEsloggerLine(b *testing.B) {
	lines := benchLines(b)
	e, err := NewEslogger(EsloggerConfig{Input: "-"})
	if err != nil {
		b.Fatal(err)
	}
	var n int
	sink := SinkFunc(func(ev *Event) { n += len(ev.Path) })
	var size int64
	for _, l := range lines {
		size += int64(len(l))
	}
	b.SetBytes(size / int64(len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		e.line(lines[i%len(lines)], sink)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	if e.Stats().Errors(ReasonMalformedLine).Load() != 0 {
		b.Fatal("fixture lines rejected")
	}
}

// BenchmarkEsloggerVsEncodingJSON times the parser against a baseline
// measured in the same run: encoding/json decoding the same lines into a
// struct holding only the fields estally uses. The two alternate in chunks
// of 1024 lines, so machine noise hits both alike; x_baseline is the
// parser's time per line divided by the baseline's (below 1 is faster).
func BenchmarkEsloggerVsEncodingJSON(b *testing.B) {
	lines := benchLines(b)
	e, err := NewEslogger(EsloggerConfig{Input: "-"})
	if err != nil {
		b.Fatal(err)
	}
	sink := SinkFunc(func(*Event) {})
	type file struct {
		Path string `json:"path"`
	}
	type msg struct {
		Version   uint64 `json:"version"`
		Seq       uint64 `json:"seq_num"`
		Global    uint64 `json:"global_seq_num"`
		EventType uint32 `json:"event_type"`
		Process   struct {
			AuditToken json.RawMessage `json:"audit_token"`
			SigningID  *string         `json:"signing_id"`
			TeamID     *string         `json:"team_id"`
			Executable file            `json:"executable"`
		} `json:"process"`
		Event map[string]struct {
			Target *file `json:"target"`
			Source *file `json:"source"`
		} `json:"event"`
	}
	const chunk = 1024
	var ours, base time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		for i := range chunk {
			e.line(lines[i%len(lines)], sink)
		}
		mid := time.Now()
		for i := range chunk {
			var m msg
			if err := json.Unmarshal(lines[i%len(lines)], &m); err != nil {
				b.Fatal(err)
			}
		}
		ours += mid.Sub(start)
		base += time.Since(mid)
	}
	b.ReportMetric(ours.Seconds()/base.Seconds(), "x_baseline")
	b.ReportMetric(float64(b.N*chunk)/ours.Seconds(), "lines/s")
	b.ReportMetric(float64(b.N*chunk)/base.Seconds(), "baseline_lines/s")
}
