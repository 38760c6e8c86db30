package summary

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseRequest(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Request
		wantErr bool
	}{
		{`{"op":"get"}`, Request{Op: OpGet}, false},
		{` {"op":"get"} ` + "\r", Request{Op: OpGet}, false},
		{`{"op":"subscribe"}`, Request{Op: OpSubscribe}, false},
		{`{"op":"subscribe","interval":"2s"}`, Request{Op: OpSubscribe, Interval: 2 * time.Second}, false},
		{`{"op":"subscribe","interval":"0s"}`, Request{}, true},
		{`{"op":"subscribe","interval":"-1s"}`, Request{}, true},
		{`{"op":"subscribe","interval":2}`, Request{}, true},
		{`{"op":"get","interval":"2s"}`, Request{}, true},
		{`{"op":"delete"}`, Request{}, true},
		{`{"op":"get","x":1}`, Request{}, true},
		{`{"op":"get"}{"op":"get"}`, Request{}, true},
		{`{}`, Request{}, true},
		{`{"op":null}`, Request{}, true},
		{`get`, Request{}, true},
		{``, Request{}, true},
		{`[]`, Request{}, true},
		{"\x00\xff", Request{}, true},
		{`{"op":"get","op":"subscribe"}`, Request{Op: OpSubscribe}, false}, // encoding/json: last wins
		{`{"op":"get"` + strings.Repeat(" ", MaxRequestBytes) + `}`, Request{}, true},
	} {
		got, err := ParseRequest([]byte(tc.in))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseRequest(%.40q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err != nil && !errors.Is(err, ErrBadRequest) {
			t.Errorf("error %v does not wrap ErrBadRequest", err)
		}
	}
}

func TestEvery(t *testing.T) {
	for _, tc := range []struct {
		req, agent time.Duration
		want       int
		wantErr    bool
	}{
		{0, time.Second, 1, false},
		{time.Second, time.Second, 1, false},
		{2 * time.Second, time.Second, 2, false},
		{1500 * time.Millisecond, time.Second, 2, false},
		{500 * time.Millisecond, time.Second, 0, true},
	} {
		got, err := every(tc.req, tc.agent)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("every(%v, %v) = %d, %v", tc.req, tc.agent, got, err)
		}
	}
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{`{"op":"get"}`, `{"op":"subscribe","interval":"2s"}`, `{"op":"x"}`, `{`, `null`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		req, err := ParseRequest(line)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error %v does not wrap ErrBadRequest", err)
			}
			if strings.Contains(err.Error(), string(line)) && len(line) > 8 {
				t.Fatalf("error echoes the input: %v", err)
			}
			return
		}
		switch req.Op {
		case OpGet:
			if req.Interval != 0 {
				t.Fatalf("get with interval %v", req.Interval)
			}
		case OpSubscribe:
			if req.Interval < 0 {
				t.Fatalf("negative interval %v", req.Interval)
			}
		default:
			t.Fatalf("accepted op %q", req.Op)
		}
	})
}
