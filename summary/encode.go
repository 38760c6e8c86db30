package summary

import (
	"encoding/json"
	"errors"
	"fmt"
)

// DefaultMaxBytes is the default cap on a summary's encoded size.
const DefaultMaxBytes = 64 << 10

// ErrTooLarge reports a summary that exceeds the size cap even with empty top
// lists; it cannot happen with the built-in sources.
var ErrTooLarge = errors.New("summary exceeds the size cap even without top entries")

// Encode returns the JSON encoding of s, at most maxBytes long (not counting
// a trailing newline, which it does not add). When the full summary would be
// larger it cuts the top lists to the longest prefixes that fit (both lists
// keep the same share of their entries), records the number cut in each
// table's TopOmitted and sets Truncated; s is modified accordingly.
// maxBytes <= 0 means no cap.
func Encode(s *Summary, maxBytes int) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode summary: %w", err)
	}
	if maxBytes <= 0 || len(b) <= maxBytes {
		return b, nil
	}
	procs, paths := s.Processes.Top, s.Paths.Top
	n := max(len(procs), len(paths))
	// fits reports whether keeping the first k of each list fits.
	try := func(k int) ([]byte, error) {
		s.Processes.Top, s.Processes.TopOmitted = procs[:min(k, len(procs))], len(procs)-min(k, len(procs))
		s.Paths.Top, s.Paths.TopOmitted = paths[:min(k, len(paths))], len(paths)-min(k, len(paths))
		s.Truncated = true
		return json.Marshal(s)
	}
	// Binary search for the largest k that fits: O(log n) encodings, off
	// the hot path.
	lo, hi := 0, n // invariant: k=lo fits or is 0; k=hi+1.. do not fit
	var best []byte
	for lo <= hi {
		mid := (lo + hi) / 2
		b, err := try(mid)
		if err != nil {
			return nil, fmt.Errorf("encode summary: %w", err)
		}
		if len(b) <= maxBytes {
			best, lo = b, mid+1
		} else {
			hi = mid - 1
		}
	}
	if best == nil {
		return nil, fmt.Errorf("encode summary of %d bytes with a cap of %d: %w", len(b), maxBytes, ErrTooLarge)
	}
	if _, err := try(lo - 1); err != nil { // leave s describing what was encoded
		return nil, fmt.Errorf("encode summary: %w", err)
	}
	return best, nil
}
