package agent

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/estally/estally/es"
)

func TestRunComponentsFailure(t *testing.T) {
	var stopped atomic.Int32
	waiter := func(ctx context.Context) error { <-ctx.Done(); stopped.Add(1); return nil }
	boom := errors.New("boom")
	err := runComponents(context.Background(), slog.New(slog.DiscardHandler), []component{
		{name: "a", run: waiter},
		{name: "done-early", run: func(context.Context) error { return nil }},
		{name: "b", run: waiter},
		{name: "failing", run: func(context.Context) error { time.Sleep(10 * time.Millisecond); return boom }},
	})
	if !errors.Is(err, boom) || err.Error() != "failing: boom" {
		t.Errorf("err = %v, want failing: boom", err)
	}
	if n := stopped.Load(); n != 2 {
		t.Errorf("%d of 2 components saw the cancellation", n)
	}
}

func TestRunComponentsCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	err := runComponents(ctx, slog.New(slog.DiscardHandler), []component{
		{name: "a", run: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
		// A component that ignores cancellation is abandoned after the grace.
		{name: "stuck", run: func(context.Context) error { select {} }},
	})
	if err != nil {
		t.Errorf("err = %v, want nil after a cancellation", err)
	}
}

func TestChooseAuto(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	synthetic := sourceFactory{name: "synthetic"}
	unavailable := sourceFactory{name: "kernel", probe: func() error { return errors.New("needs root") }}
	available := sourceFactory{name: "other", probe: func() error { return nil }}
	for _, tc := range []struct {
		list    []sourceFactory
		want    string
		wantErr string
	}{
		{list: []sourceFactory{synthetic}, want: "synthetic"},
		{list: []sourceFactory{unavailable, available, synthetic}, want: "other"},
		{list: []sourceFactory{synthetic, available}, want: "other"},
		{list: []sourceFactory{unavailable, synthetic},
			wantErr: "no event source can run here (kernel: needs root); to watch generated events instead, run with --source=synthetic"},
		{list: nil, wantErr: "no event source in this build"},
	} {
		f, err := chooseAuto(tc.list, logger)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("chooseAuto = %q, %v; want error %q", f.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || f.name != tc.want {
			t.Errorf("chooseAuto = %q, %v; want %q", f.name, err, tc.want)
		}
	}
}

// failingSource fails after delivering one event.
type failingSource struct{ stats *es.Stats }

func (s failingSource) Run(ctx context.Context, sink es.Sink) error {
	s.stats.SetUp(true)
	defer s.stats.SetUp(false)
	sink.Observe(&es.Event{Path: []byte("/x"), Executable: []byte("/bin/x")})
	return errors.New("device gone")
}

func (s failingSource) Stats() *es.Stats { return s.stats }

// TestSourceFailure checks that a source's fatal error stops the daemon with
// exit code 1 and is logged exactly once.
func TestSourceFailure(t *testing.T) {
	cfg, err := parseRunFlags([]string{"--web.listen-address=127.0.0.1:0", "--summary.socket="}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.sources = append(cfg.sources, sourceFactory{
		name: "failing",
		open: func(sourceEnv) (source, error) { return failingSource{es.NewStats("failing")}, nil },
	})
	cfg.source = "failing"
	var log bytes.Buffer
	if code := runConfigured(cfg, &log); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if n := strings.Count(log.String(), "level=ERROR"); n != 1 || !strings.Contains(log.String(), "device gone") {
		t.Errorf("want the failure logged exactly once, got %d error lines:\n%s", n, log.String())
	}
}
