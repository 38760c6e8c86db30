//go:build linux || darwin

package agent

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSummaryCommand(t *testing.T) {
	sock, hub := startSummaryServer(t)
	publish(t, hub, viewSummary(5, time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC), 1234, 2))

	var out, errb bytes.Buffer
	if code := Main([]string{"summary", "--socket", sock}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "estally summary #5") || !strings.Contains(out.String(), "1234") {
		t.Fatalf("table output:\n%s", out.String())
	}

	out.Reset()
	if code := Main([]string{"summary", "--socket", sock, "--json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil || m["seq"] != float64(5) {
		t.Fatalf("json output %q: %v", out.String(), err)
	}

	errb.Reset()
	if code := Main([]string{"summary", "--socket", filepath.Join(t.TempDir(), "none.sock")}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "estally summary:") {
		t.Fatalf("missing socket: exit %d, %q", code, errb.String())
	}
	if code := Main([]string{"summary", "--bogus"}, &out, &errb); code != 2 {
		t.Fatalf("bad flag: exit %d", code)
	}
	if code := Main([]string{"top", "--socket", sock}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "needs a terminal") {
		t.Fatalf("top without a terminal: exit %d, %q", code, errb.String())
	}
}
