package exporter

import (
	"unicode/utf8"
)

// DefaultLabelLimit is the default cap, in bytes, on a label value built
// from input (a path or an executable path).
const DefaultLabelLimit = 256

// MinLabelLimit is the smallest label cap [SanitizeLabel] honours; smaller
// limits are raised to it so that a truncated value still shows its head,
// the truncation marker and its tail.
const MinLabelLimit = 16

// TruncationMarker replaces the middle of a label value that was too long.
// Paths keep their head and their tail (the file name), which is what a
// reader needs to recognise them.
const TruncationMarker = "…"

// Reasons is a set of ways [SanitizeLabel] altered a value.
type Reasons uint8

// The ways a label value can be altered. Their String names are the values of
// the reason label of estally_label_values_sanitized_total.
const (
	// ReasonInvalidUTF8: a run of bytes that was not UTF-8 became U+FFFD.
	ReasonInvalidUTF8 Reasons = 1 << iota
	// ReasonControlChars: a control character (C0, DEL, C1, a line or
	// paragraph separator, or a bidirectional override) was escaped as
	// \n, \r, \t, \xHH or \uHHHH.
	ReasonControlChars
	// ReasonTruncated: the value was longer than the cap; its middle was
	// replaced by [TruncationMarker].
	ReasonTruncated
	// ReasonCollision: the sanitised value equalled another entry's in the
	// same scrape, so their counts were merged into one series.
	ReasonCollision

	numReasons = 4
)

var reasonNames = [numReasons]string{"invalid_utf8", "control_chars", "truncated", "collision"}

// String returns the reason names in the set, separated by "|".
func (r Reasons) String() string {
	s := ""
	for i, n := range reasonNames {
		if r&(1<<i) != 0 {
			if s != "" {
				s += "|"
			}
			s += n
		}
	}
	return s
}

// SanitizeLabel returns s made safe for a Prometheus label value and the
// ways it had to be altered (zero when s is returned unchanged, in which case
// nothing is allocated):
//
//   - each run of bytes that is not valid UTF-8 becomes U+FFFD;
//   - control characters are escaped: newline, carriage return and tab as
//     \n, \r, \t; other C0 characters and DEL as \xHH; C1 characters, the
//     line and paragraph separators U+2028/U+2029 and the bidirectional
//     embedding, override and isolate controls (which can disguise a file
//     name on a dashboard) as \uHHHH;
//   - a value longer than limit bytes keeps its head and tail, joined by
//     [TruncationMarker], without splitting a rune, so that it fits in
//     limit bytes.
//
// A limit below [MinLabelLimit] is raised to it. The result is valid UTF-8,
// at most limit bytes, free of the characters above, and SanitizeLabel
// returns it unchanged when given it again. Backslashes and quotes are left
// alone: the exposition format escapes them.
func SanitizeLabel(s string, limit int) (string, Reasons) {
	if limit < MinLabelLimit {
		limit = MinLabelLimit
	}
	if clean(s) {
		if len(s) <= limit {
			return s, 0
		}
		return truncate(s, limit), ReasonTruncated
	}
	out, why := rewrite(s)
	if len(out) > limit {
		out = truncate(out, limit)
		why |= ReasonTruncated
	}
	return out, why
}

// clean reports whether s is valid UTF-8 without characters to escape.
func clean(s string) bool {
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b < 0x20 || b == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || escapedRune(r) {
			return false
		}
		i += n
	}
	return true
}

// escapedRune reports whether the non-ASCII rune r must be escaped.
func escapedRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls
		return true
	case r == 0x2028 || r == 0x2029: // line and paragraph separators
		return true
	case r >= 0x202a && r <= 0x202e: // bidi embeddings and overrides
		return true
	case r >= 0x2066 && r <= 0x2069: // bidi isolates
		return true
	}
	return false
}

const hexDigits = "0123456789ABCDEF"

// rewrite replaces invalid UTF-8 and escapes control characters.
func rewrite(s string) (string, Reasons) {
	var why Reasons
	buf := make([]byte, 0, len(s)+16)
	invalidRun := false
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			invalidRun = false
			i++
			switch {
			case b >= 0x20 && b != 0x7f:
				buf = append(buf, b)
			case b == '\n':
				buf = append(buf, '\\', 'n')
				why |= ReasonControlChars
			case b == '\r':
				buf = append(buf, '\\', 'r')
				why |= ReasonControlChars
			case b == '\t':
				buf = append(buf, '\\', 't')
				why |= ReasonControlChars
			default:
				buf = append(buf, '\\', 'x', hexDigits[b>>4], hexDigits[b&0xf])
				why |= ReasonControlChars
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			if !invalidRun {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			}
			invalidRun = true
			why |= ReasonInvalidUTF8
		case escapedRune(r):
			invalidRun = false
			buf = append(buf, '\\', 'u',
				hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
			why |= ReasonControlChars
		default:
			invalidRun = false
			buf = append(buf, s[i:i+n]...)
		}
		i += n
	}
	return string(buf), why
}

// truncate keeps the head and the tail of the valid UTF-8 string s, joined by
// TruncationMarker, within limit bytes (limit >= MinLabelLimit).
func truncate(s string, limit int) string {
	avail := limit - len(TruncationMarker)
	head := avail / 2
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	tail := len(s) - (avail - head)
	for tail < len(s) && !utf8.RuneStart(s[tail]) {
		tail++
	}
	return s[:head] + TruncationMarker + s[tail:]
}
