package agent

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// component is a long-running part of the daemon: the source, the clock
// ticker, the HTTP server, and whatever extensions add. run blocks until ctx
// is done (then it returns promptly, with nil or ctx's error) or until it
// fails. A component that returns nil before ctx is done has simply
// finished; the others keep running.
type component struct {
	name string
	run  func(ctx context.Context) error
}

// shutdownGrace is how long components get to return once the daemon is
// stopping; together with signal handling it keeps shutdown under 2 s.
const shutdownGrace = 1500 * time.Millisecond

// runComponents runs every component on its own goroutine until ctx is done
// or one of them fails; then it cancels the others and waits for them, at
// most shutdownGrace. It returns the first failure (logged here, once), or
// nil after a shutdown caused by ctx.
func runComponents(ctx context.Context, logger *slog.Logger, comps []component) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type result struct {
		name string
		err  error
	}
	done := make(chan result, len(comps))
	for _, c := range comps {
		go func() { done <- result{c.name, c.run(ctx)} }()
	}

	var failure error
	pending := len(comps)
	for pending > 0 && ctx.Err() == nil {
		var r result
		select {
		case r = <-done:
		case <-ctx.Done():
			continue
		}
		pending--
		switch {
		case r.err != nil && ctx.Err() == nil:
			failure = fmt.Errorf("%s: %w", r.name, r.err)
			logger.Error("component failed; shutting down", "component", r.name, "err", r.err)
			cancel()
		case ctx.Err() == nil:
			logger.Info("component finished", "component", r.name)
		}
	}

	timeout := time.NewTimer(shutdownGrace)
	defer timeout.Stop()
	for ; pending > 0; pending-- {
		select {
		case <-done:
		case <-timeout.C:
			logger.Warn("shutdown timed out; exiting with components still running", "pending", pending)
			return failure
		}
	}
	return failure
}
