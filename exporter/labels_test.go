package exporter

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitizeLabel(t *testing.T) {
	long := strings.Repeat("a", 300) + "/file.txt"
	tests := []struct {
		name  string
		in    string
		limit int
		want  string
		why   Reasons
	}{
		{"plain", "/usr/bin/touch", 256, "/usr/bin/touch", 0},
		{"empty", "", 256, "", 0},
		{"unicode", "/Users/zoë/Документы/日本.txt", 256, "/Users/zoë/Документы/日本.txt", 0},
		{"quotes and backslashes kept", `/tmp/a"b\c`, 256, `/tmp/a"b\c`, 0},
		{"existing U+FFFD kept", "/tmp/\uFFFD", 256, "/tmp/\uFFFD", 0},
		{"invalid byte", "/tmp/a\xffb", 256, "/tmp/a\uFFFDb", ReasonInvalidUTF8},
		{"invalid run is one replacement", "/tmp/a\xff\xfe\xfdb", 256, "/tmp/a\uFFFDb", ReasonInvalidUTF8},
		{"truncated rune", "/tmp/\xe6\x97", 256, "/tmp/\uFFFD", ReasonInvalidUTF8},
		{"newline", "/tmp/a\nb", 256, `/tmp/a\nb`, ReasonControlChars},
		{"cr tab", "a\rb\tc", 256, `a\rb\tc`, ReasonControlChars},
		{"nul del esc", "a\x00b\x7fc\x1b", 256, `a\x00b\x7Fc\x1B`, ReasonControlChars},
		{"c1", "a\u0085b", 256, `a\u0085b`, ReasonControlChars},
		{"bidi override", "evil\u202Etxt.exe", 256, `evil\u202Etxt.exe`, ReasonControlChars},
		{"line separator", "a\u2028b", 256, `a\u2028b`, ReasonControlChars},
		{"both", "\xff\n", 256, "\uFFFD\\n", ReasonInvalidUTF8 | ReasonControlChars},
		{"at limit", strings.Repeat("x", 16), 16, strings.Repeat("x", 16), 0},
		{"truncated keeps head and tail", "0123456789abcdefghij", 16, "012345…defghij", ReasonTruncated},
		{"limit raised to minimum", "0123456789abcdefghij", 4, "012345…defghij", ReasonTruncated},
		{"long path", long, 32, strings.Repeat("a", 14) + "…" + "aaaaaa/file.txt", ReasonTruncated},
		{"no rune split", strings.Repeat("é", 20), 16, "ééé…ééé", ReasonTruncated},
		{"escape then truncate", strings.Repeat("\n", 20), 16, `\n\n\n…n\n\n\n`, ReasonControlChars | ReasonTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, why := SanitizeLabel(tc.in, tc.limit)
			if got != tc.want || why != tc.why {
				t.Errorf("SanitizeLabel(%q, %d) = %q, %v; want %q, %v", tc.in, tc.limit, got, why, tc.want, tc.why)
			}
			checkSanitized(t, tc.in, max(tc.limit, MinLabelLimit), got)
		})
	}
}

func TestSanitizeLabelNoAllocWhenClean(t *testing.T) {
	s := "/Users/someone/Library/Caches/com.example.app/data.db"
	if n := testing.AllocsPerRun(100, func() { _, _ = SanitizeLabel(s, 256) }); n != 0 {
		t.Errorf("SanitizeLabel of a clean value: %v allocs, want 0", n)
	}
}

func TestReasonsString(t *testing.T) {
	if got, want := (ReasonInvalidUTF8 | ReasonTruncated).String(), "invalid_utf8|truncated"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// checkSanitized asserts the guarantees of SanitizeLabel for one output.
func checkSanitized(t *testing.T, in string, limit int, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("SanitizeLabel(%q) = %q: not valid UTF-8", in, out)
	}
	if len(out) > limit {
		t.Fatalf("SanitizeLabel(%q) = %q: %d bytes, over the limit %d", in, out, len(out), limit)
	}
	for _, r := range out {
		if r < 0x20 || r == 0x7f || escapedRune(r) {
			t.Fatalf("SanitizeLabel(%q) = %q: holds control character %U", in, out, r)
		}
	}
	again, why := SanitizeLabel(out, limit)
	if again != out || why != 0 {
		t.Fatalf("SanitizeLabel not idempotent: %q -> %q -> %q (%v)", in, out, again, why)
	}
}

func FuzzSanitizeLabel(f *testing.F) {
	for _, s := range []string{
		"", "/usr/bin/true", "/tmp/a\xffb", "a\nb\x00c\x7f", "\u0085\u202e\u2028",
		strings.Repeat("日本", 100), strings.Repeat("\xff", 300), "x\xe6\x97",
	} {
		f.Add(s, uint16(256))
		f.Add(s, uint16(17))
	}
	f.Fuzz(func(t *testing.T, in string, limit uint16) {
		l := int(limit)
		out, why := SanitizeLabel(in, l)
		checkSanitized(t, in, max(l, MinLabelLimit), out)
		if (why == 0) != (out == in) {
			t.Fatalf("SanitizeLabel(%q) = %q with reasons %v", in, out, why)
		}
	})
}
