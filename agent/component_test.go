package agent

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
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
		list []sourceFactory
		want string
	}{
		{[]sourceFactory{unavailable, synthetic}, "synthetic"},
		{[]sourceFactory{unavailable, available, synthetic}, "other"},
		{[]sourceFactory{synthetic, available}, "other"},
	} {
		f, err := chooseAuto(tc.list, logger)
		if err != nil || f.name != tc.want {
			t.Errorf("chooseAuto = %q, %v; want %q", f.name, err, tc.want)
		}
	}
	if _, err := chooseAuto([]sourceFactory{unavailable}, logger); err == nil {
		t.Error("chooseAuto without any usable source succeeded")
	}
}
