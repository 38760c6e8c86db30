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

func TestRequestFromFields(t *testing.T) {
	for _, tc := range []struct {
		keys        int
		op          string
		hasInterval bool
		interval    string
		want        Request
		wantErr     bool
	}{
		{1, "get", false, "", Request{Op: OpGet}, false},
		{1, "subscribe", false, "", Request{Op: OpSubscribe}, false},
		{2, "subscribe", true, "3s", Request{Op: OpSubscribe, Interval: 3 * time.Second}, false},
		{2, "subscribe", true, "", Request{}, true}, // interval present but not a string
		{2, "get", false, "", Request{}, true},      // an unknown key
		{1, "", false, "", Request{}, true},         // op missing or not a string
		{1, "rm", false, "", Request{}, true},
		{0, "", false, "", Request{}, true},
		{1, "get\x00", false, "", Request{}, true},
	} {
		got, err := RequestFromFields(tc.keys, tc.op, tc.hasInterval, tc.interval)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("RequestFromFields(%d, %q, %v, %q) = %+v, %v", tc.keys, tc.op, tc.hasInterval, tc.interval, got, err)
		}
	}
}
