package agent

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

func runMain(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestUsageErrors checks that every invalid invocation exits 2 with exactly
// one line on stderr, before anything is started.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // the stderr line
	}{
		{[]string{"frobnicate"}, `estally: unknown command "frobnicate" (want run, top, summary or version; see estally --help)`},
		{[]string{"run", "--nope"}, "estally run: flag provided but not defined: --nope (see estally run --help)"},
		{[]string{"--nope=1"}, "estally run: flag provided but not defined: --nope (see estally run --help)"},
		{[]string{"run", "extra"}, `estally run: unexpected argument "extra" (see estally run --help)`},
		{[]string{"run", "--source=kernel"}, `estally run: invalid value "kernel" for flag --source: unknown source (want auto, ` + wantSourceNames() + `) (see estally run --help)`},
		{[]string{"run", "--aggregate.process-capacity=0"}, `estally run: invalid value "0" for flag --aggregate.process-capacity: must be at least 1 (see estally run --help)`},
		{[]string{"run", "--aggregate.path-capacity=-5"}, `estally run: invalid value "-5" for flag --aggregate.path-capacity: must be at least 1 (see estally run --help)`},
		{[]string{"run", "--aggregate.path-capacity=lots"}, `estally run: invalid value "lots" for flag --aggregate.path-capacity: parse error (see estally run --help)`},
		{[]string{"run", "--aggregate.rank-half-life=soon"}, `estally run: invalid value "soon" for flag --aggregate.rank-half-life: parse error (see estally run --help)`},
		{[]string{"run", "--aggregate.rank-half-life=0s"}, `estally run: invalid value "0s" for flag --aggregate.rank-half-life: must be positive (see estally run --help)`},
		{[]string{"run", "--export.top-k=-1"}, `estally run: invalid value "-1" for flag --export.top-k: must not be negative (see estally run --help)`},
		{[]string{"run", "--export.series-budget=-1"}, `estally run: invalid value "-1" for flag --export.series-budget: must not be negative (see estally run --help)`},
		{[]string{"run", "--export.label-max-bytes=3"}, `estally run: invalid value "3" for flag --export.label-max-bytes: must be at least 16 (see estally run --help)`},
		{[]string{"run", "--web.telemetry-path=metrics"}, `estally run: invalid value "metrics" for flag --web.telemetry-path: must start with "/" and not be "/" (see estally run --help)`},
		{[]string{"run", "--web.listen-address="}, `estally run: invalid value "" for flag --web.listen-address: must not be empty (see estally run --help)`},
		{[]string{"run", "--log.level=loud"}, `estally run: invalid value "loud" for flag --log.level: unrecognized log level loud (see estally run --help)`},
		{[]string{"run", "--log.format=xml"}, `estally run: invalid value "xml" for flag --log.format: unrecognized log format xml (see estally run --help)`},
		{[]string{"run", "--synthetic.profile=burst"}, `estally run: invalid value "burst" for flag --synthetic.profile: want one of steady, flood, scan (see estally run --help)`},
		{[]string{"run", "--synthetic.rate=-1"}, `estally run: invalid value "-1" for flag --synthetic.rate: must be a finite number >= 0 (see estally run --help)`},
		{[]string{"run", "--synthetic.processes=0"}, `estally run: invalid value "0" for flag --synthetic.processes: must be at least 1 (see estally run --help)`},
		{[]string{"run", "--synthetic.heavy-share=2"}, `estally run: invalid value "2" for flag --synthetic.heavy-share: must be in (0, 1] (see estally run --help)`},
		{[]string{"version", "extra"}, `estally version: unexpected argument "extra"`},
		{[]string{"run", "--web.config.file=testdata/does-not-exist.yml"}, `estally run: invalid value "testdata/does-not-exist.yml" for flag --web.config.file: open testdata/does-not-exist.yml: no such file or directory (see estally run --help)`},
		{[]string{"run", "--web.config.file=testdata/web-config-bad.yml"}, `estally run: invalid value "testdata/web-config-bad.yml" for flag --web.config.file: yaml: unmarshal errors: line 1: field tls_server_cfg not found in type web.Config (see estally run --help)`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := runMain(tc.args...)
			if code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if stderr != tc.want+"\n" {
				t.Errorf("stderr\n%q\nwant\n%q", stderr, tc.want+"\n")
			}
		})
	}
}

func wantSourceNames() string {
	var names []string
	for _, f := range sourceFactories() {
		names = append(names, f.name)
	}
	return strings.Join(names, ", ")
}

func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"estally [run] [flags]", "estally version"}},
		{[]string{"help"}, []string{"estally [run] [flags]"}},
		{[]string{"run", "--help"}, []string{
			"Usage: estally run [flags]",
			"synthetic ",
			"--source=auto",
			"--web.listen-address=127.0.0.1:8791",
			"--aggregate.process-capacity=4096",
			"--aggregate.path-capacity=16384",
			"--aggregate.rank-half-life=5s",
			"--export.top-k=10",
			"--export.series-budget=200",
			"--export.label-max-bytes=256",
			"--web.telemetry-path=/metrics",
			"--log.level=info",
			"--log.format=logfmt",
			"--synthetic.profile=steady",
			"--synthetic.events=0",
		}},
		{[]string{"run", "-h"}, []string{"Usage: estally run [flags]"}},
	} {
		code, stdout, stderr := runMain(tc.args...)
		if code != 0 || stderr != "" {
			t.Errorf("%v: exit %d, stderr %q; want 0 and nothing", tc.args, code, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stdout, w) {
				t.Errorf("%v: usage lacks %q:\n%s", tc.args, w, stdout)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, stderr := runMain("version")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.HasPrefix(stdout, "estally ") || !strings.Contains(stdout, runtime.Version()) || strings.Count(stdout, "\n") != 1 {
		t.Errorf("version output %q, want one line with the Go version", stdout)
	}
}

func TestListValue(t *testing.T) {
	l := newListValue("a")
	if l.String() != "a" {
		t.Fatalf("default %q", l.String())
	}
	_ = l.Set("b")
	_ = l.Set("c")
	if got := l.String(); got != "b,c" {
		t.Errorf("after two Sets %q, want the default replaced: b,c", got)
	}
}
