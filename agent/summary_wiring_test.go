package agent

import (
	"io"
	"strings"
	"testing"
)

func TestSummaryFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--summary.interval=250ms", "--summary.socket=", "--summary.allowed-uids=0,501", "--summary.top-k=5",
			"--summary.max-bytes=8192", "--summary.max-subscribers=2", "--summary.stuck-timeout=3s", "--summary.socket-group=wheel"}, ""},
		{[]string{"--summary.interval=1ms"}, "must be at least 10ms"},
		{[]string{"--summary.allowed-uids=root"}, `not a uid: "root"`},
		{[]string{"--summary.max-bytes=100"}, "must be at least 4096"},
		{[]string{"--summary.top-k=0"}, "must be at least 1"},
		{[]string{"--summary.max-subscribers=0"}, "must be at least 1"},
		{[]string{"--summary.stuck-timeout=0s"}, "must be positive"},
	} {
		_, err := parseRunFlags(tc.args, io.Discard)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%v: %v", tc.args, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.wantErr)
		}
	}
}

func TestUintList(t *testing.T) {
	var l uintList
	if l.String() != "" {
		t.Fatalf("empty list prints %q", l.String())
	}
	if err := l.Set(" 0, 501 ,65534"); err != nil || l.String() != "0,501,65534" {
		t.Fatalf("Set: %v, %q", err, l.String())
	}
	if err := l.Set("1,-2"); err == nil {
		t.Fatal("negative uid accepted")
	}
}
