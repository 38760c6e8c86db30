package es

import "unicode/utf8"

// elogScanner is a small, allocation-free JSON scanner over one eslogger
// line. It validates the JSON grammar of everything it reads or skips, but
// decodes only what the parser asks for: strings are returned raw (the bytes
// between the quotes) and unescaped into caller-owned buffers on demand, and
// numbers are decoded only where the parser needs an integer.
//
// Methods return false on malformed input; the scanner's position is then
// unspecified and the line must be rejected.
type elogScanner struct {
	b []byte
	i int
}

// elogMaxDepth bounds the nesting the scanner accepts, so a hostile line
// cannot exhaust the stack through recursion.
const elogMaxDepth = 64

// strClass marks the bytes that end the fast path of a string scan: the
// closing quote, a backslash, and control characters (invalid in JSON).
var strClass = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'] = true
	t['\\'] = true
	return t
}()

func (s *elogScanner) reset(b []byte) { s.b, s.i = b, 0 }

// ws skips JSON whitespace.
func (s *elogScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte without consuming it, or 0 at the end.
func (s *elogScanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// eat consumes c after optional whitespace.
func (s *elogScanner) eat(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// atEnd reports whether only whitespace remains.
func (s *elogScanner) atEnd() bool {
	s.ws()
	return s.i == len(s.b)
}

// str scans a string at the current position and returns its raw content
// and whether it contains escapes.
func (s *elogScanner) str() (raw []byte, esc bool, ok bool) {
	if !s.eat('"') {
		return nil, false, false
	}
	start := s.i
	b := s.b
	for i := s.i; i < len(b); i++ {
		c := b[i]
		if !strClass[c] {
			continue
		}
		switch {
		case c == '"':
			s.i = i + 1
			return b[start:i], esc, true
		case c == '\\':
			esc = true
			i++
			if i >= len(b) {
				return nil, false, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) || !isHex4(b[i+1:i+5]) {
					return nil, false, false
				}
				i += 4
			default:
				return nil, false, false
			}
		default: // control character
			return nil, false, false
		}
	}
	return nil, false, false
}

func isHex4(h []byte) bool {
	for _, c := range h {
		if hexVal(c) < 0 {
			return false
		}
	}
	return true
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func hex4(h []byte) rune {
	return rune(hexVal(h[0])<<12 | hexVal(h[1])<<8 | hexVal(h[2])<<4 | hexVal(h[3]))
}

// unescape appends the decoded form of a raw string (already validated by
// str) to dst[:0] and returns it. Lone surrogates become U+FFFD.
func unescape(dst, raw []byte) []byte {
	dst = dst[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(raw[i+1 : i+5])
			i += 4
			if utf16IsHigh(r) && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if r2 := hex4(raw[i+3 : i+7]); utf16IsLow(r2) {
					r = (r-0xD800)<<10 + (r2 - 0xDC00) + 0x10000
					i += 6
				}
			}
			if r >= 0xD800 && r <= 0xDFFF {
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, raw[i])
		}
	}
	return dst
}

func utf16IsHigh(r rune) bool { return r >= 0xD800 && r < 0xDC00 }
func utf16IsLow(r rune) bool  { return r >= 0xDC00 && r < 0xE000 }

// strInto scans a string and returns its decoded bytes: a sub-slice of the
// line when it has no escapes, otherwise buf refilled with the decoded form.
func (s *elogScanner) strInto(buf *[]byte) ([]byte, bool) {
	raw, esc, ok := s.str()
	if !ok {
		return nil, false
	}
	if !esc {
		return raw, true
	}
	*buf = unescape(*buf, raw)
	return *buf, true
}

// uint scans a non-negative JSON integer that fits in 64 bits.
func (s *elogScanner) uint() (uint64, bool) {
	s.ws()
	b := s.b
	i := s.i
	if i >= len(b) || b[i] < '0' || b[i] > '9' {
		return 0, false
	}
	if b[i] == '0' && i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9' {
		return 0, false // leading zero
	}
	var v uint64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
		return 0, false
	}
	s.i = i
	return v, true
}

// boolean scans true or false.
func (s *elogScanner) boolean() (bool, bool) {
	switch s.peek() {
	case 't':
		return true, s.lit("true")
	case 'f':
		return false, s.lit("false")
	}
	return false, false
}

// null consumes a null literal if one is next.
func (s *elogScanner) null() bool {
	if s.peek() == 'n' {
		return s.lit("null")
	}
	return false
}

func (s *elogScanner) lit(word string) bool {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

// number skips a JSON number of any size or precision.
func (s *elogScanner) number() bool {
	b := s.b
	i := s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	d := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == d || (b[d] == '0' && i-d > 1) {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d = i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d = i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	s.i = i
	return true
}

// skip skips one JSON value of any type, validating it.
func (s *elogScanner) skip(depth int) bool {
	if depth > elogMaxDepth {
		return false
	}
	switch s.peek() {
	case '"':
		_, _, ok := s.str()
		return ok
	case '{':
		s.i++
		if s.eat('}') {
			return true
		}
		for {
			if _, _, ok := s.str(); !ok || !s.eat(':') || !s.skip(depth+1) {
				return false
			}
			if s.eat('}') {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	case '[':
		s.i++
		if s.eat(']') {
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			if s.eat(']') {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	case 't':
		return s.lit("true")
	case 'f':
		return s.lit("false")
	case 'n':
		return s.lit("null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return s.number()
	}
	return false
}

// object iterates over the members of an object: it consumes '{' on the
// first call and then, on each call, returns the next key (decoded into
// keyBuf when escaped) positioned before its value, which the caller must
// consume. It returns done=true after the closing '}'.
func (s *elogScanner) key(first bool, keyBuf *[]byte) (key []byte, done, ok bool) {
	if first {
		if !s.eat('{') {
			return nil, false, false
		}
		if s.eat('}') {
			return nil, true, true
		}
	} else {
		if s.eat('}') {
			return nil, true, true
		}
		if !s.eat(',') {
			return nil, false, false
		}
	}
	k, ok := s.strInto(keyBuf)
	if !ok || !s.eat(':') {
		return nil, false, false
	}
	return k, false, true
}
