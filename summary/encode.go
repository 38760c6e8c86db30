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
// larger it keeps the longest prefix of each top list that fits (both lists
// keep the same number of entries while both have some), records the number
// cut in each table's TopOmitted and sets Truncated; s is modified
// accordingly. maxBytes <= 0 means no cap.
func Encode(s *Summary, maxBytes int) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode summary: %w", err)
	}
	if maxBytes <= 0 || len(b) <= maxBytes {
		return b, nil
	}
	procs, paths := s.Processes.Top, s.Paths.Top
	cut := func(k int) {
		kp, kq := min(k, len(procs)), min(k, len(paths))
		s.Processes.Top, s.Processes.TopOmitted = procs[:kp], len(procs)-kp
		s.Paths.Top, s.Paths.TopOmitted = paths[:kq], len(paths)-kq
		s.Truncated = true
	}
	// The size of the summary without entries, with the widest TopOmitted
	// values, plus the size of each entry and its comma: a bound on the
	// encoded size for any k, computed with one encoding of each entry.
	cut(0)
	base, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode summary: %w", err)
	}
	size := len(base)
	if size > maxBytes {
		return nil, fmt.Errorf("encode summary of %d bytes with a cap of %d: %w", len(b), maxBytes, ErrTooLarge)
	}
	k := 0
	for ; k < max(len(procs), len(paths)); k++ {
		add := 0
		for _, list := range [][]Item{procs, paths} {
			if k < len(list) {
				ib, err := json.Marshal(&list[k])
				if err != nil {
					return nil, fmt.Errorf("encode summary: %w", err)
				}
				add += len(ib) + 1
			}
		}
		if size+add > maxBytes {
			break
		}
		size += add
	}
	for ; ; k-- { // the bound is exact or an overestimate; loop for safety
		cut(k)
		b, err = json.Marshal(s)
		if err != nil {
			return nil, fmt.Errorf("encode summary: %w", err)
		}
		if len(b) <= maxBytes || k == 0 {
			return b, nil
		}
	}
}
