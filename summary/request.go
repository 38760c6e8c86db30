package summary

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Request ops.
const (
	OpGet       = "get"
	OpSubscribe = "subscribe"
)

// MaxRequestBytes bounds a request line, newline included.
const MaxRequestBytes = 4 << 10

// Request is one client request: {"op":"get"} or
// {"op":"subscribe","interval":"2s"}.
type Request struct {
	Op string
	// Interval is the subscriber's interval, 0 for the agent's.
	Interval time.Duration
}

// ErrBadRequest wraps every request parsing error.
var ErrBadRequest = errors.New("bad request")

// ParseRequest parses one request line (without its newline). It accepts
// exactly the documented forms: a JSON object with a string "op" of "get" or
// "subscribe" and, for subscribe only, an optional "interval" holding a
// positive Go duration. Anything else is an error wrapping ErrBadRequest.
func ParseRequest(line []byte) (Request, error) {
	line = bytes.TrimSpace(line)
	if len(line) > MaxRequestBytes {
		return Request{}, fmt.Errorf("%w: request longer than %d bytes", ErrBadRequest, MaxRequestBytes)
	}
	var raw struct {
		Op       *string `json:"op"`
		Interval *string `json:"interval"`
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Request{}, fmt.Errorf("%w: not a JSON request object", ErrBadRequest)
	}
	if dec.More() {
		return Request{}, fmt.Errorf("%w: trailing data after the request", ErrBadRequest)
	}
	if raw.Op == nil {
		return Request{}, fmt.Errorf("%w: missing \"op\"", ErrBadRequest)
	}
	req := Request{Op: *raw.Op}
	switch req.Op {
	case OpGet:
		if raw.Interval != nil {
			return Request{}, fmt.Errorf("%w: \"interval\" is only for subscribe", ErrBadRequest)
		}
	case OpSubscribe:
		if raw.Interval != nil {
			d, err := time.ParseDuration(*raw.Interval)
			if err != nil || d <= 0 {
				return Request{}, fmt.Errorf("%w: \"interval\" must be a positive duration such as \"2s\"", ErrBadRequest)
			}
			req.Interval = d
		}
	default:
		return Request{}, fmt.Errorf("%w: unknown op (want \"get\" or \"subscribe\")", ErrBadRequest)
	}
	return req, nil
}

// errorLine returns the one-line error reply for err.
func errorLine(err error) []byte {
	b, _ := json.Marshal(struct {
		Version int    `json:"version"`
		Error   string `json:"error"`
	}{Version, err.Error()})
	return append(b, '\n')
}

// every returns how many agent intervals make up the requested interval: the
// smallest n with n*agent >= requested, and at least 1. It reports an error
// when requested is shorter than the agent's interval.
func every(requested, agent time.Duration) (int, error) {
	if requested == 0 {
		return 1, nil
	}
	if requested < agent {
		return 0, fmt.Errorf("%w: interval %s is shorter than the agent's %s", ErrBadRequest, requested, agent)
	}
	n := int((requested + agent - 1) / agent)
	return max(n, 1), nil
}

// RequestFromFields builds a request from a dictionary-based transport's
// message (XPC) with the same rules as ParseRequest: keys is the number of
// keys in the message, op the string at "op" ("" if absent or not a string),
// and interval the string at "interval" when hasInterval.
func RequestFromFields(keys int, op string, hasInterval bool, interval string) (Request, error) {
	want := 1
	if hasInterval {
		want = 2
	}
	if keys != want {
		return Request{}, fmt.Errorf("%w: unknown keys (want \"op\" and, for subscribe, \"interval\")", ErrBadRequest)
	}
	req := map[string]string{"op": op}
	if hasInterval {
		req["interval"] = interval
	}
	line, err := json.Marshal(req)
	if err != nil {
		return Request{}, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return ParseRequest(line)
}
